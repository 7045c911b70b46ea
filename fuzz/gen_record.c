/* Seed recorder: see gen_record.h. Every call acts on the live engines and appends the same
 * step to the pair script and, translated, to the session input of the side concerned. */
#include "gen_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "fz_config.h"
#include "fz_wire.h"

/* Sizes above which a recording is not kept as a seed (small files keep fuzzing fast). */
#define GEN_MAX_SESSION (96u << 10)
#define GEN_MAX_HEADERS 4096u

static void put(gen_buf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        FZ_CHECK(b->p != NULL, "out of memory");
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put8(gen_buf *b, unsigned v) {
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}

static void put16(gen_buf *b, unsigned v) {
    put8(b, v >> 8);
    put8(b, v);
}

/* A pair operation `kind` on side x (drv_pair.c numbering). */
static void pair_op(gen_rec *r, int x, unsigned kind) {
    put8(&r->script, kind << 1 | (unsigned)x);
}

static gen_rec *rec_of(fz_side *side) {
    return (gen_rec *)(void *)((char *)(side - side->idx) - offsetof(gen_rec, side));
}

static void header(void *ctx, const yamux_frame *f) {
    uint8_t h[YAMUX_HEADER_SIZE];
    yamux_frame_encode(h, f);
    put(ctx, h, sizeof h);
}

static void sink(fz_side *side, const uint8_t *p, size_t n) {
    static const fz_wire_ops ops = {header, NULL};
    gen_rec *r = rec_of(side);
    put(&r->pipe[side->idx], p, n);
    fz_wire_feed(&r->splitter[side->idx], p, n, &ops, &r->headers[side->idx]);
}

void gen_start(gen_rec *r, uint8_t cfg_a, uint8_t cfg_b, uint8_t knobs) {
    memset(r, 0, sizeof *r);
    r->now = 1000 * FZ_SEC;
    uint8_t cfg[2] = {cfg_a, cfg_b};
    put8(&r->script, cfg_a);
    put8(&r->script, cfg_b);
    put8(&r->script, knobs & 0x3Fu);
    for (int x = 0; x < 2; x++) {
        yamux_config c;
        fz_wire_init(&r->splitter[x]);
        fz_config_make(&c, cfg[x]);
        FZ_CHECK(fz_side_init(&r->side[x], x == 0, (uint32_t)x, &c,
                              fz_knobs_make(knobs) | FZ_VERIFY_READS, -1, r->now) == 0,
                 "session");
        r->side[x].peer = &r->side[!x];
        r->side[x].sink = sink;
        /* drv_session.c: byte 0 role and configuration bits 0..6, byte 1 knobs and TINY. */
        put8(&r->session[x], (x == 0 ? 1u : 0u) | ((cfg[x] & 0x7Fu) << 1));
        put8(&r->session[x], (knobs & 0x3Fu) | ((cfg[x] & FZ_CFG_TINY) ? 0x40u : 0u));
    }
}

/* drv_pair.c runs this after every operation; the session inputs get the EOF as recv_eof. */
static void propagate_eof(gen_rec *r) {
    for (int x = 0; x < 2; x++) {
        fz_side *from = &r->side[x], *to = &r->side[!x];
        if (r->eof_given[!x] || !yamux_session_is_closed(from->s)) continue;
        if (from->held || yamux_session_is_send_pending(from->s) || r->pipe[x].len) continue;
        r->eof_given[!x] = 1;
        if (!yamux_session_is_closed(to->s)) {
            fz_side_recv_eof(to);
            put8(&r->session[!x], 0x6B);
            put8(&r->session[!x], 0); /* EOF, not abort */
        }
    }
}

/* A session application operation `code` (drv_session.c) with an optional handle byte. */
static void session_op(gen_rec *r, int x, unsigned code) {
    put8(&r->session[x], code);
}

void gen_open(gen_rec *r, int x) {
    pair_op(r, x, 0);
    session_op(r, x, 0x60);
    fz_side_open(&r->side[x]);
    propagate_eof(r);
}

void gen_accept(gen_rec *r, int x) {
    pair_op(r, x, 1);
    session_op(r, x, 0x61);
    (void)fz_side_accept(&r->side[x]);
    propagate_eof(r);
}

void gen_write(gen_rec *r, int x, uint8_t h, uint16_t len) {
    pair_op(r, x, 2);
    put8(&r->script, h);
    put16(&r->script, len);
    session_op(r, x, 0x62);
    put8(&r->session[x], h);
    put16(&r->session[x], len);
    fz_side_write(&r->side[x], h, len);
    propagate_eof(r);
}

void gen_read(gen_rec *r, int x, uint8_t h, uint16_t len) {
    pair_op(r, x, 4);
    put8(&r->script, h);
    put16(&r->script, len);
    session_op(r, x, 0x64);
    put8(&r->session[x], h);
    put16(&r->session[x], len);
    fz_side_read(&r->side[x], h, len);
    propagate_eof(r);
}

static void handle_op(gen_rec *r, int x, unsigned kind, unsigned code, uint8_t h,
                      void (*fn)(fz_side *, size_t)) {
    pair_op(r, x, kind);
    put8(&r->script, h);
    session_op(r, x, code);
    put8(&r->session[x], h);
    fn(&r->side[x], h);
    propagate_eof(r);
}

void gen_close_write(gen_rec *r, int x, uint8_t h) {
    handle_op(r, x, 5, 0x65, h, fz_side_close_write);
}

void gen_reset(gen_rec *r, int x, uint8_t h) {
    handle_op(r, x, 6, 0x66, h, fz_side_reset);
}

void gen_release(gen_rec *r, int x, uint8_t h) {
    handle_op(r, x, 7, 0x67, h, fz_side_release);
}

static void simple_op(gen_rec *r, int x, unsigned kind, unsigned code, void (*fn)(fz_side *)) {
    pair_op(r, x, kind);
    session_op(r, x, code);
    fn(&r->side[x]);
    propagate_eof(r);
}

void gen_ping(gen_rec *r, int x) {
    simple_op(r, x, 8, 0x68, fz_side_ping);
}

void gen_go_away(gen_rec *r, int x) {
    simple_op(r, x, 9, 0x69, fz_side_go_away);
}

void gen_close(gen_rec *r, int x) {
    simple_op(r, x, 10, 0x6A, fz_side_close);
}

void gen_read_all(gen_rec *r, int x) {
    simple_op(r, x, 12, 0x6D, fz_side_read_all);
}

void gen_release_all(gen_rec *r, int x) {
    simple_op(r, x, 22, 0x6F, fz_side_release_all);
}

void gen_tick(gen_rec *r, uint8_t sel) {
    pair_op(r, 0, 13);
    put8(&r->script, sel);
    r->now += fz_tick_step(sel);
    for (int x = 0; x < 2; x++) {
        put8(&r->session[x], 0x50u | (sel & 15u));
        fz_side_tick(&r->side[x], r->now);
    }
    propagate_eof(r);
}

static size_t drain(gen_rec *r, int x) {
    size_t before = r->pipe[x].len;
    pair_op(r, x, 19);
    put8(&r->script, 0); /* through send_iov */
    put8(&r->session[x], 0x80);
    fz_side_drain(&r->side[x]);
    propagate_eof(r);
    return r->pipe[x].len - before;
}

void gen_drain(gen_rec *r, int x) {
    drain(r, x);
}

/* Feeds `n` bytes from the front of pipe x to the other side as one session feed. */
static void feed(gen_rec *r, int x, size_t n) {
    gen_buf *b = &r->pipe[x];
    int to = !x;
    put8(&r->session[to], 0x40);
    put16(&r->session[to], (unsigned)n);
    put(&r->session[to], b->p, n);
    fz_side_feed(&r->side[to], b->p, n);
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void gen_deliver(gen_rec *r, int x, size_t n, size_t piece) {
    gen_buf *b = &r->pipe[x];
    if (n > b->len) n = b->len;
    /* drv_pair.c: op 17 delivers u16 bytes in one feed, op 18 (u8 + 1) * 1024 bytes in pieces
     * of u8 + 1. */
    if (piece && piece <= 256 && n == b->len && n <= piece * 1024) {
        pair_op(r, x, 18);
        put8(&r->script, (unsigned)(piece - 1));
    } else {
        piece = 0;
    }
    while (n > 0) {
        size_t k = n < 65535 ? n : 65535;
        if (piece && k > piece) k = piece;
        if (!piece) {
            pair_op(r, x, 17);
            put16(&r->script, (unsigned)k);
        }
        feed(r, x, k);
        n -= k;
    }
    propagate_eof(r);
}

void gen_pump(gen_rec *r) {
    for (int rounds = 0; rounds < 10000; rounds++) {
        size_t moved = 0;
        for (int x = 0; x < 2; x++) {
            moved += drain(r, x);
            size_t n = r->pipe[x].len;
            moved += n;
            gen_deliver(r, x, n, 0);
        }
        if (!moved) return;
    }
    FZ_CHECK(0, "scenario never settles");
}

static void write_file(const char *dir, const char *sub, const char *name, const gen_buf *b) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f != NULL, "cannot write %s", path);
    FZ_CHECK(fwrite(b->p, 1, b->len, f) == b->len && fclose(f) == 0, "write %s", path);
}

void gen_finish(gen_rec *r, const char *dir, const char *name) {
    char n[256];
    write_file(dir, "pair", name, &r->script);
    for (int x = 0; x < 2; x++) {
        snprintf(n, sizeof n, "%s-%c", name, "ab"[x]);
        if (r->session[x].len <= GEN_MAX_SESSION) write_file(dir, "session", n, &r->session[x]);
        if (r->headers[x].len > GEN_MAX_HEADERS) r->headers[x].len = GEN_MAX_HEADERS;
        if (r->headers[x].len) write_file(dir, "frame", n, &r->headers[x]);
    }
    for (int x = 0; x < 2; x++) {
        fz_side_destroy(&r->side[x]);
        free(r->pipe[x].p);
        free(r->session[x].p);
        free(r->headers[x].p);
    }
    free(r->script.p);
}
