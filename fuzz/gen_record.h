/* Seed recorder: runs a scenario on two engines back to back (A client, B server) and writes
 * down the same scenario three ways, so each harness starts from real traffic:
 *   - a fuzz_pair script (the application calls and deliveries, drv_pair.c's format);
 *   - per side, a fuzz_session input (that side's application calls and, as feed operations,
 *     exactly the bytes the other side delivered to it; drv_session.c's format): replayed, the
 *     harness's engine does what the recorded one did;
 *   - per side, the frame headers it sent (fuzz_frame's format). */
#ifndef GEN_RECORD_H
#define GEN_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "fz_side.h"
#include "fz_wire.h"

typedef struct gen_buf {
    uint8_t *p;
    size_t len, cap;
} gen_buf;

typedef struct gen_rec {
    fz_side side[2];
    gen_buf pipe[2];    /* sent by side x, not yet delivered */
    gen_buf script;     /* fuzz_pair input */
    gen_buf session[2]; /* fuzz_session input for side x */
    gen_buf headers[2]; /* frame headers side x sent */
    fz_wire splitter[2];
    int eof_given[2];
    uint64_t now;
} gen_rec;

/* Starts a recording: configuration bits of A and B (fz_config.h), knobs of both. */
void gen_start(gen_rec *r, uint8_t cfg_a, uint8_t cfg_b, uint8_t knobs);

/* Application calls on side x (handles as fz_side numbers them). */
void gen_open(gen_rec *r, int x);
void gen_accept(gen_rec *r, int x);
void gen_write(gen_rec *r, int x, uint8_t h, uint16_t len);
void gen_read(gen_rec *r, int x, uint8_t h, uint16_t len);
void gen_close_write(gen_rec *r, int x, uint8_t h);
void gen_reset(gen_rec *r, int x, uint8_t h);
void gen_release(gen_rec *r, int x, uint8_t h);
void gen_ping(gen_rec *r, int x);
void gen_go_away(gen_rec *r, int x);
void gen_close(gen_rec *r, int x);
void gen_read_all(gen_rec *r, int x);
void gen_release_all(gen_rec *r, int x);
/* Advances both clocks by fz_tick_step(sel). */
void gen_tick(gen_rec *r, uint8_t sel);
/* Side x's output goes to its pipe. */
void gen_drain(gen_rec *r, int x);
/* Delivers up to `n` bytes of side x's pipe in pieces of `piece` (0: one piece). */
void gen_deliver(gen_rec *r, int x, size_t n, size_t piece);
/* Drains and delivers both ways until nothing moves. */
void gen_pump(gen_rec *r);

/* Writes the recording under `dir` (corpus root) as pair/NAME, session/NAME-a, session/NAME-b
 * and frame/NAME-a, frame/NAME-b, then frees everything. */
void gen_finish(gen_rec *r, const char *dir, const char *name);

#endif
