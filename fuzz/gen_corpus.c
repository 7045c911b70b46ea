/* Seed corpus generator: typical scenarios between two engines, recorded for every harness
 * (gen_record.h). Usage: fuzz_gen_corpus DIR   (DIR/{pair,session,frame} must exist) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_config.h"
#include "fz_side.h"
#include "gen_record.h"

#define ECHO (FZ_AUTO_ACCEPT | FZ_AUTO_READ | FZ_ANSWER | FZ_AUTO_RELEASE)
#define A    0
#define B    1
/* fz_tick_step selectors */
#define T_100MS 2
#define T_1S    4
#define T_5S    7
#define T_30S   11

static const char *dir;

/* A opens `n` streams and sends `len` bytes (+ i * step) on each, then FIN. */
static void open_send(gen_rec *r, int x, int n, uint16_t len, uint16_t step) {
    for (int i = 0; i < n; i++)
        gen_open(r, x);
    for (int i = 0; i < n; i++) {
        gen_write(r, x, (uint8_t)i, (uint16_t)(len + i * step));
        gen_close_write(r, x, (uint8_t)i);
    }
}

static void finish(gen_rec *r, const char *name) {
    gen_read_all(r, A);
    gen_read_all(r, B);
    gen_pump(r);
    gen_release_all(r, A);
    gen_release_all(r, B);
    gen_pump(r);
    gen_finish(r, dir, name);
}

static void echo(const char *name, uint8_t cfg, uint8_t knobs, size_t piece) {
    gen_rec r;
    gen_start(&r, cfg, cfg, knobs);
    open_send(&r, A, 1, 1000, 0);
    if (piece) {
        gen_drain(&r, A);
        gen_deliver(&r, A, SIZE_MAX, piece);
        gen_drain(&r, B);
        gen_deliver(&r, B, SIZE_MAX, piece);
    }
    gen_pump(&r);
    finish(&r, name);
}

static void echo_many(void) {
    gen_rec r;
    gen_start(&r, 0, 0, ECHO);
    open_send(&r, A, 6, 2000, 500);
    gen_pump(&r);
    finish(&r, "echo-many");
}

static void both_open(void) {
    gen_rec r;
    gen_start(&r, 0, 0, ECHO);
    gen_open(&r, A);
    gen_open(&r, B);
    gen_open(&r, A);
    gen_pump(&r);
    gen_write(&r, A, 0, 3000);
    gen_write(&r, B, 0, 3000);
    gen_pump(&r);
    gen_close_write(&r, A, 0);
    gen_close_write(&r, B, 0);
    gen_close_write(&r, A, 1);
    gen_pump(&r);
    finish(&r, "both-open");
}

static void ping_goaway(void) {
    gen_rec r;
    gen_start(&r, 0, 0, ECHO);
    gen_ping(&r, A);
    gen_ping(&r, B);
    gen_pump(&r);
    gen_tick(&r, T_100MS);
    gen_open(&r, A);
    gen_pump(&r);
    gen_go_away(&r, B);
    gen_pump(&r);
    gen_open(&r, A);
    gen_write(&r, A, 0, 100);
    gen_close_write(&r, A, 0);
    gen_pump(&r);
    gen_close(&r, A);
    gen_pump(&r);
    finish(&r, "ping-goaway");
}

static void reset(void) {
    gen_rec r;
    gen_start(&r, 0, 0, ECHO);
    gen_open(&r, A);
    gen_write(&r, A, 0, 5000);
    gen_drain(&r, A);
    gen_deliver(&r, A, 3000, 0);
    gen_reset(&r, A, 0);
    gen_pump(&r);
    gen_open(&r, B);
    gen_write(&r, B, 0, 200);
    gen_pump(&r);
    gen_reset(&r, A, 0);
    gen_pump(&r);
    finish(&r, "reset");
}

/* More than a window without reading, then the reader catches up. */
static void window(const char *name, uint8_t cfg) {
    gen_rec r;
    gen_start(&r, cfg, cfg, FZ_AUTO_ACCEPT);
    gen_open(&r, A);
    for (int i = 0; i < 5; i++)
        gen_write(&r, A, 0, 65535);
    gen_pump(&r);
    for (int i = 0; i < 6; i++) {
        gen_read(&r, B, 0, 65535);
        gen_pump(&r);
        gen_write(&r, A, 0, 65535);
        gen_pump(&r);
    }
    gen_close_write(&r, A, 0);
    gen_pump(&r);
    finish(&r, name);
}

static void autotune(void) {
    gen_rec r;
    uint8_t cfg = FZ_CFG_AUTOTUNE | FZ_CFG_WINDOW;
    gen_start(&r, cfg, cfg, ECHO);
    gen_pump(&r);
    gen_open(&r, A);
    for (int i = 0; i < 8; i++) {
        gen_write(&r, A, 0, 40000);
        gen_pump(&r);
        gen_tick(&r, 0);
    }
    gen_close_write(&r, A, 0);
    gen_pump(&r);
    finish(&r, "autotune");
}

static void limits(void) {
    gen_rec r;
    gen_start(&r, FZ_CFG_SMALL | FZ_CFG_TIGHT, FZ_CFG_SMALL | FZ_CFG_TIGHT, FZ_AUTO_READ);
    for (int i = 0; i < 6; i++)
        gen_open(&r, A);
    gen_pump(&r);
    gen_accept(&r, B);
    gen_pump(&r);
    gen_write(&r, A, 0, 5000);
    gen_pump(&r);
    gen_release_all(&r, B);
    gen_pump(&r);
    finish(&r, "limits");
}

static void keepalive(void) {
    gen_rec r;
    uint8_t cfg = FZ_CFG_KEEPALIVE | FZ_CFG_SHORT;
    gen_start(&r, cfg, cfg, ECHO);
    gen_open(&r, A);
    gen_pump(&r);
    for (int i = 0; i < 4; i++) {
        gen_tick(&r, T_1S);
        gen_pump(&r);
    }
    gen_ping(&r, A);
    gen_drain(&r, A);
    gen_tick(&r, T_5S); /* the ping is never delivered: timeouts */
    gen_pump(&r);
    finish(&r, "keepalive");
}

static void open_timeout(void) {
    gen_rec r;
    gen_start(&r, FZ_CFG_SHORT, FZ_CFG_SHORT, ECHO);
    gen_open(&r, A);
    gen_drain(&r, A);
    gen_tick(&r, T_5S);
    gen_pump(&r);
    finish(&r, "open-timeout");
}

static void close_timeout(void) {
    gen_rec r;
    gen_start(&r, FZ_CFG_SHORT, FZ_CFG_SHORT, FZ_AUTO_ACCEPT);
    gen_open(&r, A);
    gen_write(&r, A, 0, 700);
    gen_close_write(&r, A, 0);
    gen_pump(&r);
    gen_tick(&r, T_5S);
    gen_pump(&r);
    finish(&r, "close-timeout");
}

static void session_close(void) {
    gen_rec r;
    gen_start(&r, 0, 0, ECHO);
    open_send(&r, A, 2, 800, 100);
    gen_drain(&r, A);
    gen_close(&r, A);
    gen_pump(&r);
    finish(&r, "close");
}

static void manual(void) {
    gen_rec r;
    gen_start(&r, 0, 0, 0);
    gen_open(&r, A);
    gen_write(&r, A, 0, 1500);
    gen_close_write(&r, A, 0);
    gen_pump(&r);
    gen_accept(&r, B);
    gen_pump(&r);
    gen_read(&r, B, 0, 1000);
    gen_read(&r, B, 0, 1000);
    gen_write(&r, B, 0, 1500);
    gen_close_write(&r, B, 0);
    gen_pump(&r);
    gen_read(&r, A, 0, 4000);
    gen_read(&r, A, 0, 4000);
    gen_release(&r, A, 0);
    gen_release(&r, B, 0);
    gen_pump(&r);
    gen_finish(&r, dir, "manual");
}

/* ---- fuzz_shmq scripts (drv_shmq.c's format) ---------------------------------------------- */

#define SQ(kind, side) (uint8_t)((kind) << 1 | (side))

static void shmq_seed(const char *name, const uint8_t *p, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/shmq/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static void shmq_seeds(void) {
    /* ring 1024, MTU 256, both attached: traffic both ways, every receive flavour */
    const uint8_t traffic[] = {
        0x4A,      SQ(1, 0),  0,         100,      SQ(1, 0),  0,        200,      SQ(1, 1), 0,
        7,         SQ(5, 1),  1,         0,        SQ(7, 1),  SQ(7, 1), SQ(8, 1), SQ(5, 0), 1,
        0,         SQ(2, 0),  3,         0,        10,        0,        250,      0,        0,
        SQ(6, 1),  4,         1,         0,        1,         0,        1,        0,        1,
        0,         SQ(3, 1),  0,         64,       0,         60,       1,        SQ(3, 1), 0,
        30,        0,         30,        0,        SQ(4, 1),  SQ(9, 0), 3,        0,        200,
        SQ(5, 0),  1,         0,         SQ(5, 0), 1,         0,        SQ(5, 0), 1,        0,
        SQ(10, 0), 1,         0,         0,        SQ(11, 0), 1,        0,        0,        1,
        SQ(12, 0), SQ(13, 1), SQ(14, 0), SQ(5, 1), 1,         0,        SQ(1, 1), 0,        5,
        SQ(12, 1), SQ(19, 1), 1,         0,        4};
    shmq_seed("traffic", traffic, sizeof traffic);
    /* ring 256, largest MTU: padding at the wrap */
    uint8_t wrap[2 + 12 * 6];
    size_t n = 0;
    wrap[n++] = 0x4C;
    for (int i = 0; i < 12; i++) {
        uint8_t one[6] = {SQ(1, 0), 0, (uint8_t)(40 + 17 * i), SQ(5, 1), 0, 200};
        memcpy(wrap + n, one, sizeof one);
        n += sizeof one;
    }
    shmq_seed("wrap", wrap, n);
    /* a hostile peer: indices and a record length overwritten between calls */
    const uint8_t hostile[] = {
        0x4A, SQ(1, 0), 0,        100,       SQ(1, 0),  0,         50,        SQ(17, 0), 0,
        0,    200,      SQ(5, 1), 1,         0,         SQ(15, 0), 1,         0,         0xff,
        0xff, 0,        0,        SQ(5, 1),  1,         0,         SQ(17, 0), 1,         0xff,
        0xff, SQ(1, 1), 0,        10,        SQ(16, 0), 0x40,      0,         4,         3,
        0,    0,        0,        SQ(12, 1), SQ(0, 0),  SQ(5, 1),  1,         0};
    shmq_seed("hostile", hostile, sizeof hostile);
    /* attach one by one, close, re-attach: peer reset */
    const uint8_t lifecycle[] = {0x09,     SQ(0, 0), SQ(1, 0),  0,         9,        SQ(0, 1),
                                 SQ(5, 1), 1,        0,         SQ(14, 1), SQ(1, 0), 0,
                                 1,        SQ(0, 1), SQ(12, 0), SQ(5, 0),  1,        0};
    shmq_seed("lifecycle", lifecycle, sizeof lifecycle);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    echo("echo", 0, ECHO, 0);
    echo("echo-pieces", 0, ECHO, 5);
    echo("echo-peek", 0, ECHO | FZ_PEEK, 0);
    echo("echo-io-in-cb", 0, ECHO | FZ_IO_IN_CB, 0);
    echo("echo-tiny", FZ_CFG_TINY | FZ_CFG_SMALL, ECHO, 0);
    echo("echo-16m", FZ_CFG_WINDOW, ECHO, 0);
    echo_many();
    both_open();
    ping_goaway();
    reset();
    window("window", 0);
    window("window-1m-tight", (2 << 1) | FZ_CFG_TIGHT);
    autotune();
    limits();
    keepalive();
    open_timeout();
    close_timeout();
    session_close();
    manual();
    shmq_seeds();
    return 0;
}
