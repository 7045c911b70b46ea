/* Session driver: one engine fed an arbitrary byte stream, split anywhere, interleaved with
 * clock ticks, application calls and output pulls, with every invariant checked after every
 * step and no leak at the end.
 *
 * Input:  byte 0   bit 0: client role; bits 1..7: configuration bits 0..6 (fz_config.h)
 *         byte 1   bits 0..5: application knobs (fz_side.h); bit 6: FZ_CFG_TINY;
 *                  bit 7: allocator failures, after byte 2 * 4 allocations
 *         then operations, one byte each plus arguments:
 *   00-3F  feed the next (op + 1) bytes          40-43  feed the next u16 bytes
 *   44-47  feed the next u8 bytes one at a time  48-4F  feed u8 bytes split at u8
 *   50-5F  advance the clock by fz_tick_step(op)
 *   60 open  61 accept  62 write(h, u16)  63 write(h, u8)  64 read(h, u16)  65 close_write(h)
 *   66 reset(h)  67 release(h)  68 ping  69 go_away  6A close  6B recv_eof, or abort if u8 odd
 *   6C query(h)
 *   6D read all  6E clock to the next deadline  6F accept and release all
 *   70-77  pull(max_bytes u8, max_iov op&7, hold u16)   78-7F  report u16 held bytes written
 *   80-BF  drain all output   C0-FF  drain all output by copies of ((op & 3F) + 1) * 37 bytes */
#include "drivers.h"
#include "fz.h"
#include "fz_config.h"
#include "fz_side.h"

static void feed_split(fz_side *side, fz_in *in, size_t n, size_t at) {
    const uint8_t *p;
    n = fz_take(in, n, &p);
    if (at > n) at = n;
    fz_side_feed(side, p, at);
    fz_side_feed(side, p + at, n - at);
}

static void feed_bytewise(fz_side *side, fz_in *in, size_t n) {
    const uint8_t *p;
    n = fz_take(in, n, &p);
    for (size_t i = 0; i < n; i++)
        fz_side_feed(side, p + i, 1);
}

static void tick_to_deadline(fz_side *side) {
    if (!side->s) return;
    uint64_t d = yamux_session_get_next_deadline(side->s);
    if (d != UINT64_MAX && d > side->now) fz_side_tick(side, d);
}

static void app_op(fz_side *side, fz_in *in, uint8_t op) {
    switch (op & 0x0F) {
    case 0x0:
        fz_side_open(side);
        break;
    case 0x1:
        fz_side_accept(side);
        break;
    case 0x2: {
        uint8_t h = fz_u8(in);
        fz_side_write(side, h, fz_u16(in));
        break;
    }
    case 0x3: {
        uint8_t h = fz_u8(in);
        fz_side_write(side, h, fz_u8(in));
        break;
    }
    case 0x4: {
        uint8_t h = fz_u8(in);
        fz_side_read(side, h, fz_u16(in));
        break;
    }
    case 0x5:
        fz_side_close_write(side, fz_u8(in));
        break;
    case 0x6:
        fz_side_reset(side, fz_u8(in));
        break;
    case 0x7:
        fz_side_release(side, fz_u8(in));
        break;
    case 0x8:
        fz_side_ping(side);
        break;
    case 0x9:
        fz_side_go_away(side);
        break;
    case 0xA:
        fz_side_close(side);
        break;
    case 0xB:
        if (fz_u8(in) & 1)
            fz_side_abort(side);
        else
            fz_side_recv_eof(side);
        break;
    case 0xC:
        fz_side_query(side, fz_u8(in));
        break;
    case 0xD:
        fz_side_read_all(side);
        break;
    case 0xE:
        tick_to_deadline(side);
        break;
    default:
        fz_side_release_all(side);
        break;
    }
}

static void step(fz_side *side, fz_in *in) {
    const uint8_t *p;
    uint8_t op = fz_u8(in);
    if (op < 0x40) {
        size_t n = fz_take(in, (size_t)op + 1, &p);
        fz_side_feed(side, p, n);
    } else if (op < 0x44) {
        size_t n = fz_u16(in);
        n = fz_take(in, n, &p);
        fz_side_feed(side, p, n);
    } else if (op < 0x48) {
        feed_bytewise(side, in, fz_u8(in));
    } else if (op < 0x50) {
        size_t n = fz_u8(in);
        feed_split(side, in, n, fz_u8(in));
    } else if (op < 0x60) {
        fz_side_tick(side, side->now + fz_tick_step(op));
    } else if (op < 0x70) {
        app_op(side, in, op);
    } else if (op < 0x78) {
        size_t max_bytes = fz_u8(in);
        fz_side_pull(side, max_bytes, op & 7u, fz_u16(in));
    } else if (op < 0x80) {
        fz_side_done(side, fz_u16(in));
    } else if (op < 0xC0) {
        fz_side_drain(side);
    } else {
        fz_side_drain_copy(side, ((size_t)(op & 0x3F) + 1) * 37);
    }
}

int fz_session_run(const uint8_t *data, size_t size) {
    fz_in in = {data, size};
    uint8_t b0 = fz_u8(&in), b1 = fz_u8(&in);
    uint8_t b2 = (b1 & 0x80) ? fz_u8(&in) : 0;
    yamux_config cfg;
    fz_config_make(&cfg, (b0 >> 1) | ((b1 & 0x40) ? FZ_CFG_TINY : 0));
    fz_side side;
    if (fz_side_init(&side, b0 & 1, 0, &cfg, fz_knobs_make(b1), fz_fail_after(b1, b2),
                     1000 * FZ_SEC) != 0) {
        fz_side_destroy(&side);
        return 0;
    }
    while (in.n > 0) {
        step(&side, &in);
        fz_side_check(&side);
    }
    /* The end: take the output, give every stream back, take the output again. */
    fz_side_drain(&side);
    fz_side_release_all(&side);
    fz_side_drain(&side);
    fz_side_check(&side);
    if (yamux_session_is_closed(side.s))
        FZ_CHECK(yamux_session_get_num_streams(side.s) == 0,
                 "%zu streams left in an ended session after release and drain",
                 yamux_session_get_num_streams(side.s));
    fz_side_destroy(&side);
    return 0;
}
