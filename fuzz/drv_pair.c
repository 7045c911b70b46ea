/* Pair driver: two engines back to back (A client, B server) driven by a script of
 * application calls on either side, clock ticks and deliveries of what each side sent, in
 * pieces the script chooses. Besides every check of fz_side (wire rules, invariants, leaks):
 * what one side wrote on a stream is exactly what the other reads, end of stream comes after
 * exactly the bytes written, no side ever sees a protocol error, and once the script ends and
 * both sides release everything, the pair settles with no stream left.
 *
 * Input:  byte 0, byte 1   configuration bits of A and B (fz_config.h)
 *         byte 2           application knobs of both (bits 0..5); bit 6: no tick before the
 *                          script's first; bit 7: allocator failures after byte 3 * 4
 *                          allocations (each side)
 *         then operations: op bit 0 picks the side X (A or B), op >> 1 modulo 23 the action:
 *   0 open  1 accept  2 write(h, u16)  3 write(h, u8)  4 read(h, u16)  5 close_write(h)
 *   6 reset(h)  7 release(h)  8 ping  9 go_away  10 close  11 query(h)  12 read all
 *   13 advance both clocks by fz_tick_step(u8)  14 clocks to the next deadline
 *   15 pull X's output (max_bytes u8, max_iov u8, hold u16)  16 X reports u16 held bytes
 *   17 deliver u16 bytes of X's output  18 deliver (p = u8 + 1) * 1024 bytes in pieces of p
 *   19 drain X's output (by copies of u8 * 16 + 1 bytes if u8 odd)  20 pump both ways until
 *   quiet  21 the transport breaks (EOF, or an I/O error if u8 odd)
 *   22 X accepts and releases everything */
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "fz.h"
#include "fz_config.h"
#include "fz_side.h"

typedef struct pipe_buf {
    uint8_t *p;
    size_t len, cap;
} pipe_buf;

typedef struct pair {
    fz_side side[2];
    pipe_buf pipe[2]; /* pipe[i]: sent by side i, not yet delivered */
    int eof_given[2]; /* side i was told its transport ended */
    int failing;      /* allocator failures are on: internal errors are expected */
    uint64_t now;
} pair;

static pair *pair_of(fz_side *side) {
    return (pair *)(void *)((char *)(side - side->idx) - offsetof(pair, side));
}

static void sink(fz_side *side, const uint8_t *p, size_t n) {
    pipe_buf *b = &pair_of(side)->pipe[side->idx];
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        FZ_CHECK(b->p != NULL, "out of host memory");
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* Feeds up to `n` bytes of side x's output to the other side, in pieces of `piece`. */
static size_t deliver(pair *pr, int x, size_t n, size_t piece) {
    pipe_buf *b = &pr->pipe[x];
    fz_side *to = &pr->side[!x];
    if (n > b->len) n = b->len;
    if (n == 0) return 0;
    if (!piece) piece = n;
    /* Feeding may make `to` send, never `x`: b->p stays put. */
    for (size_t off = 0; off < n; off += piece)
        fz_side_feed(to, b->p + off, n - off < piece ? n - off : piece);
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    return n;
}

/* A side that ended and sent everything closes the transport: the other side reads EOF. */
static void propagate_eof(pair *pr) {
    for (int x = 0; x < 2; x++) {
        fz_side *from = &pr->side[x], *to = &pr->side[!x];
        if (pr->eof_given[!x] || !yamux_session_is_closed(from->s)) continue;
        if (from->held || yamux_session_is_send_pending(from->s) || pr->pipe[x].len) continue;
        pr->eof_given[!x] = 1;
        if (!yamux_session_is_closed(to->s)) fz_side_recv_eof(to);
    }
}

static size_t pump_once(pair *pr) {
    size_t moved = 0;
    for (int x = 0; x < 2; x++) {
        moved += fz_side_drain(&pr->side[x]);
        moved += deliver(pr, x, SIZE_MAX, 0);
    }
    propagate_eof(pr);
    return moved;
}

static void pump(pair *pr) {
    int rounds = 0;
    while (pump_once(pr) > 0)
        FZ_CHECK(++rounds < 100000, "the pair never stops talking");
}

/* Both ends see EOF, or (`fail`) an I/O error: what was in flight is lost. */
static void break_transport(pair *pr, int fail) {
    for (int x = 0; x < 2; x++) {
        pr->pipe[x].len = 0;
        pr->eof_given[x] = 1;
        if (fail)
            fz_side_abort(&pr->side[x]);
        else
            fz_side_recv_eof(&pr->side[x]);
    }
}

static void tick(pair *pr, uint64_t now) {
    pr->now = now;
    fz_side_tick(&pr->side[0], now);
    fz_side_tick(&pr->side[1], now);
}

static void tick_to_deadline(pair *pr) {
    uint64_t d0 = yamux_session_get_next_deadline(pr->side[0].s);
    uint64_t d1 = yamux_session_get_next_deadline(pr->side[1].s);
    uint64_t d = d0 < d1 ? d0 : d1;
    if (d != UINT64_MAX && d > pr->now) tick(pr, d);
}

static void step(pair *pr, fz_in *in) {
    uint8_t op = fz_u8(in);
    int x = op & 1;
    fz_side *X = &pr->side[x];
    switch ((op >> 1) % 23) {
    case 0:
        fz_side_open(X);
        break;
    case 1:
        fz_side_accept(X);
        break;
    case 2: {
        uint8_t h = fz_u8(in);
        fz_side_write(X, h, fz_u16(in));
        break;
    }
    case 3: {
        uint8_t h = fz_u8(in);
        fz_side_write(X, h, fz_u8(in));
        break;
    }
    case 4: {
        uint8_t h = fz_u8(in);
        fz_side_read(X, h, fz_u16(in));
        break;
    }
    case 5:
        fz_side_close_write(X, fz_u8(in));
        break;
    case 6:
        fz_side_reset(X, fz_u8(in));
        break;
    case 7:
        fz_side_release(X, fz_u8(in));
        break;
    case 8:
        fz_side_ping(X);
        break;
    case 9:
        fz_side_go_away(X);
        break;
    case 10:
        fz_side_close(X);
        break;
    case 11:
        fz_side_query(X, fz_u8(in));
        break;
    case 12:
        fz_side_read_all(X);
        break;
    case 13:
        tick(pr, pr->now + fz_tick_step(fz_u8(in)));
        break;
    case 14:
        tick_to_deadline(pr);
        break;
    case 15: {
        size_t max_bytes = fz_u8(in), max_iov = fz_u8(in) & 7u;
        fz_side_pull(X, max_bytes, max_iov, fz_u16(in));
        break;
    }
    case 16:
        fz_side_done(X, fz_u16(in));
        break;
    case 17:
        deliver(pr, x, fz_u16(in), 0);
        break;
    case 18: {
        size_t piece = (size_t)fz_u8(in) + 1; /* at most 1024 feeds per operation */
        deliver(pr, x, piece * 1024, piece);
        break;
    }
    case 19:
        if (fz_u8(in) & 1)
            fz_side_drain_copy(X, (size_t)fz_u8(in) * 16 + 1);
        else
            fz_side_drain(X);
        break;
    case 20:
        pump(pr);
        break;
    case 21:
        break_transport(pr, fz_u8(in) & 1);
        break;
    default:
        fz_side_release_all(X);
        break;
    }
    propagate_eof(pr);
}

/* Only failures the pair can cause itself: timeouts (the script holds the transport and moves
 * the clock), EOF, and internal errors when the allocator is told to fail. */
static void check_errors(const pair *pr) {
    for (int x = 0; x < 2; x++) {
        const fz_side *sd = &pr->side[x];
        int err = yamux_session_get_error(sd->s);
        FZ_CHECK(!yamux_error_is_protocol(err) && err != YAMUX_EREMOTE_PROTOCOL &&
                     err != YAMUX_EREMOTE_GOAWAY,
                 "side %c: %s between two engines of ours", "AB"[x], yamux_errname(err));
        if (!pr->failing)
            FZ_CHECK(err != YAMUX_ENOMEM && err != YAMUX_EREMOTE_INTERNAL && err != YAMUX_EINTERNAL,
                     "side %c: %s without allocation failures", "AB"[x], yamux_errname(err));
    }
}

/* Every stream the peer half-closed while it was live, and that no reset or end of session
 * touched since, reached its end of stream here, after exactly the bytes written. */
static void check_delivered(pair *pr, int x) {
    fz_side *sd = &pr->side[x];
    for (size_t i = 0; i < sd->nh; i++) {
        yamux_stream *st = sd->h[i].st;
        uint32_t id = yamux_stream_get_id(st);
        const fz_sid *w = fz_ledger_find(&sd->peer->led, id);
        int err = yamux_stream_get_error(st);
        if (!w || !w->app_fin || (err != 0 && err != YAMUX_ECLOSED)) continue;
        const fz_sid *e = fz_ledger_find(&sd->led, id);
        FZ_CHECK(e && e->app_eof,
                 "side %c, stream %u: the peer wrote %llu bytes and closed, "
                 "%llu were read and no end of stream",
                 "AB"[x], id, (unsigned long long)w -> wr, (unsigned long long)(e ? e->rd : 0));
    }
}

/* The script ended. First everything is accepted and read until the pair is quiet: what was
 * written and closed must have arrived. Then everything is released until the pair is quiet
 * again: no stream may be left. */
static void settle(pair *pr) {
    int rounds = 0;
    size_t moved;
    do {
        for (int x = 0; x < 2; x++) {
            while (yamux_session_get_backlog(pr->side[x].s) > 0 && fz_side_accept(&pr->side[x]))
                ;
            fz_side_read_all(&pr->side[x]);
        }
        moved = pump_once(pr);
        FZ_CHECK(++rounds < 100000, "the pair never settles");
    } while (moved > 0);
    check_errors(pr);
    if (!yamux_session_is_closed(pr->side[0].s) && !yamux_session_is_closed(pr->side[1].s)) {
        check_delivered(pr, 0);
        check_delivered(pr, 1);
    }
    do {
        for (int x = 0; x < 2; x++) {
            fz_side_read_all(&pr->side[x]);
            fz_side_release_all(&pr->side[x]);
        }
        moved = pump_once(pr);
        FZ_CHECK(++rounds < 200000, "the pair never settles");
    } while (moved > 0);
    check_errors(pr);
    for (int x = 0; x < 2; x++) {
        fz_side_check(&pr->side[x]);
        FZ_CHECK(yamux_session_get_num_streams(pr->side[x].s) == 0,
                 "side %c: %zu streams left after both sides released everything", "AB"[x],
                 yamux_session_get_num_streams(pr->side[x].s));
    }
}

int fz_pair_run(const uint8_t *data, size_t size) {
    fz_in in = {data, size};
    uint8_t ca = fz_u8(&in), cb = fz_u8(&in), knobs = fz_u8(&in);
    uint8_t fail = (knobs & 0x80) ? fz_u8(&in) : 0;
    pair *pr = calloc(1, sizeof *pr);
    FZ_CHECK(pr != NULL, "out of host memory");
    pr->now = 1000 * FZ_SEC;
    pr->failing = (knobs & 0x80) != 0;
    unsigned k = fz_knobs_make(knobs) | FZ_VERIFY_READS;
    yamux_config cfg[2];
    fz_config_make(&cfg[0], ca);
    fz_config_make(&cfg[1], cb);
    int ok = 1;
    for (int x = 0; x < 2; x++) {
        ok &= fz_side_init(&pr->side[x], x == 0, (uint32_t)x, &cfg[x], k,
                           fz_fail_after(knobs, fail), (knobs & 0x40) ? 0 : pr->now) == 0;
        pr->side[x].peer = &pr->side[!x];
        pr->side[x].sink = sink;
    }
    if (ok) {
        while (in.n > 0) {
            step(pr, &in);
            check_errors(pr);
            fz_side_check(&pr->side[0]);
            fz_side_check(&pr->side[1]);
        }
        settle(pr);
    }
    for (int x = 0; x < 2; x++) {
        fz_side_destroy(&pr->side[x]);
        free(pr->pipe[x].p);
    }
    free(pr);
    return 0;
}
