/* Protocol errors: every malformed or out-of-state frame ends the session with the named
 * error and the right GoAway code, keeps what streams already received, and stays memory-safe
 * (this file also runs under ASan/UBSan and valgrind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static th_pair P;

static int teardown(void **state) {
    (void)state;
    th_destroy(&P);
    return 0;
}

typedef struct {
    uint8_t b[4096];
    size_t n;
} wire;

static void put(wire *w, uint8_t type, uint16_t flags, uint32_t id, uint32_t len) {
    th_hdr(w->b + w->n, type, flags, id, len);
    w->n += YAMUX_HEADER_SIZE;
}

static void put_data(wire *w, uint16_t flags, uint32_t id, const char *payload) {
    size_t len = strlen(payload);
    put(w, YAMUX_TYPE_DATA, flags, id, (uint32_t)len);
    memcpy(w->b + w->n, payload, len);
    w->n += len;
}

/* Feeds `w` to the side and checks that the session ended with `err`, and that it sent
 * GoAway `code` (or none when code < 0). */
static void expect_fail(th_side *side, const wire *w, int err, int code) {
    ptrdiff_t r = th_inject(side, w->b, w->n);
    assert_int_equal(r, err);
    assert_true(yamux_session_is_closed(side->s));
    assert_int_equal(side->closed, 1);
    assert_int_equal(side->close_err, err);
    assert_int_equal(yamux_session_get_error(side->s), err);
    size_t before = th_count(side, YAMUX_TYPE_GOAWAY, -1);
    th_drain(side);
    size_t goaways = th_count(side, YAMUX_TYPE_GOAWAY, -1) - before;
    if (code < 0) {
        assert_int_equal(goaways, 0);
    } else {
        assert_int_equal(goaways, 1);
        assert_int_equal(th_last(side, YAMUX_TYPE_GOAWAY)->length, (uint32_t)code);
    }
    /* nothing else is accepted afterwards */
    assert_int_equal(th_inject(side, w->b, w->n), err);
    assert_int_equal(yamux_session_send(side->s, (uint8_t[64]){0}, 64), 0);
}

#define PROTO(name, body, err)                                                                     \
    static void name(void **state) {                                                               \
        (void)state;                                                                               \
        th_init(&P, NULL, NULL);                                                                   \
        wire w = {.n = 0};                                                                         \
        body;                                                                                      \
        expect_fail(&P.sv, &w, err, YAMUX_GOAWAY_PROTOCOL_ERROR);                                  \
    }

PROTO(test_bad_version, (w.b[0] = 1, w.n = YAMUX_HEADER_SIZE), YAMUX_EPROTO_VERSION)
PROTO(test_bad_type, put(&w, 4, 0, 1, 0), YAMUX_EPROTO_TYPE)
PROTO(test_bad_type_ff, put(&w, 0xFF, 0, 0, 0), YAMUX_EPROTO_TYPE)
PROTO(test_undefined_flag, put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN | 0x10, 1, 0),
      YAMUX_EPROTO_FLAGS)
PROTO(test_syn_ack_together,
      put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN | YAMUX_FLAG_ACK, 1, 0), YAMUX_EPROTO_FLAGS)
PROTO(test_stream_id_zero, put(&w, YAMUX_TYPE_DATA, YAMUX_FLAG_SYN, 0, 0), YAMUX_EPROTO_STREAM_ID)
PROTO(test_ping_with_stream_id, put(&w, YAMUX_TYPE_PING, YAMUX_FLAG_SYN, 1, 7),
      YAMUX_EPROTO_STREAM_ID)
PROTO(test_ping_without_flags, put(&w, YAMUX_TYPE_PING, 0, 0, 7), YAMUX_EPROTO_FLAGS)
PROTO(test_goaway_with_flags, put(&w, YAMUX_TYPE_GOAWAY, YAMUX_FLAG_FIN, 0, 0), YAMUX_EPROTO_FLAGS)
PROTO(test_goaway_with_stream_id, put(&w, YAMUX_TYPE_GOAWAY, 0, 5, 0), YAMUX_EPROTO_STREAM_ID)
/* the server's peer is the client: it opens odd ids only */
PROTO(test_syn_wrong_parity, put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 2, 0),
      YAMUX_EPROTO_STREAM_ID)
PROTO(test_duplicate_syn,
      (put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0),
       put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0)),
      YAMUX_EPROTO_DUPLICATE_STREAM)
PROTO(test_reused_id_after_reset,
      (put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0),
       put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST, 1, 0),
       put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0)),
      YAMUX_EPROTO_DUPLICATE_STREAM)
PROTO(test_reused_id_lower,
      (put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 9, 0),
       put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 3, 0),
       put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 3, 0)),
      YAMUX_EPROTO_DUPLICATE_STREAM)
PROTO(test_data_never_opened, put_data(&w, 0, 5, "zz"), YAMUX_EPROTO_STREAM_ID)
PROTO(test_update_for_our_unopened_id, put(&w, YAMUX_TYPE_WINDOW_UPDATE, 0, 2, 100),
      YAMUX_EPROTO_STREAM_ID)
PROTO(test_ack_on_peer_stream,
      (put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0),
       put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_ACK, 1, 0)),
      YAMUX_EPROTO_STREAM_STATE)
PROTO(test_data_after_fin,
      (put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN | YAMUX_FLAG_FIN, 1, 0),
       put_data(&w, 0, 1, "late")),
      YAMUX_EPROTO_STREAM_STATE)
PROTO(test_second_fin,
      (put_data(&w, YAMUX_FLAG_SYN | YAMUX_FLAG_FIN, 1, "x"),
       put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_FIN, 1, 0)),
      YAMUX_EPROTO_STREAM_STATE)
PROTO(test_window_overflow,
      (put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0),
       put(&w, YAMUX_TYPE_WINDOW_UPDATE, 0, 1, UINT32_MAX - YAMUX_INITIAL_WINDOW + 1)),
      YAMUX_EPROTO_SEND_WINDOW)
PROTO(test_recv_window_exceeded,
      put(&w, YAMUX_TYPE_DATA, YAMUX_FLAG_SYN, 1, YAMUX_INITIAL_WINDOW + 1),
      YAMUX_EPROTO_RECV_WINDOW)
PROTO(test_huge_length_closed_stream,
      (put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0),
       put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST, 1, 0),
       put(&w, YAMUX_TYPE_DATA, 0, 1, 0x7FFFFFFF)),
      YAMUX_EPROTO_LENGTH)

/* The window is counted across frames, not per frame. */
static void test_recv_window_cumulative(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    static uint8_t buf[2 * YAMUX_HEADER_SIZE + YAMUX_INITIAL_WINDOW];
    th_hdr(buf, YAMUX_TYPE_DATA, YAMUX_FLAG_SYN, 1, YAMUX_INITIAL_WINDOW);
    memset(buf + YAMUX_HEADER_SIZE, 'a', YAMUX_INITIAL_WINDOW);
    th_hdr(buf + YAMUX_HEADER_SIZE + YAMUX_INITIAL_WINDOW, YAMUX_TYPE_DATA, 0, 1, 1);
    assert_int_equal(th_inject(&P.sv, buf, sizeof buf), YAMUX_EPROTO_RECV_WINDOW);
    th_drain(&P.sv);
    assert_int_equal(th_last(&P.sv, YAMUX_TYPE_GOAWAY)->length, YAMUX_GOAWAY_PROTOCOL_ERROR);
}

/* Another stream's delivered data survives a protocol error. */
static void test_error_keeps_other_streams_data(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    wire w = {.n = 0};
    put_data(&w, YAMUX_FLAG_SYN, 1, "intact");
    put_data(&w, YAMUX_FLAG_SYN | YAMUX_FLAG_FIN, 3, "whole");
    assert_int_equal(th_inject(&P.sv, w.b, w.n), (ptrdiff_t)w.n);
    yamux_stream *a = yamux_session_accept(P.sv.s);
    yamux_stream *b = yamux_session_accept(P.sv.s);
    assert_non_null(a);
    assert_non_null(b);
    w.n = 0;
    put(&w, YAMUX_TYPE_DATA, 0, 1, YAMUX_INITIAL_WINDOW); /* beyond what is left */
    expect_fail(&P.sv, &w, YAMUX_EPROTO_RECV_WINDOW, YAMUX_GOAWAY_PROTOCOL_ERROR);
    char buf[16];
    assert_int_equal(yamux_stream_read(a, buf, sizeof buf), 6);
    assert_memory_equal(buf, "intact", 6);
    assert_int_equal(yamux_stream_read(a, buf, sizeof buf), YAMUX_EPROTO_RECV_WINDOW);
    assert_int_equal(yamux_stream_read(b, buf, sizeof buf), 5);
    assert_int_equal(yamux_stream_read(b, buf, sizeof buf), 0); /* it had ended cleanly */
}

static void test_remote_goaway_codes(void **state) {
    (void)state;
    static const struct {
        uint32_t code;
        int err;
    } cases[] = {{1, YAMUX_EREMOTE_PROTOCOL},
                 {2, YAMUX_EREMOTE_INTERNAL},
                 {3, YAMUX_EREMOTE_GOAWAY},
                 {0xFFFFFFFF, YAMUX_EREMOTE_GOAWAY}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_init(&P, NULL, NULL);
        wire w = {.n = 0};
        put(&w, YAMUX_TYPE_GOAWAY, 0, 0, cases[i].code);
        expect_fail(&P.c, &w, cases[i].err, -1);
        th_destroy(&P);
    }
    th_init(&P, NULL, NULL);
}

/* Out-of-order SYNs are fine (concurrent openers in Go may send them so). */
static void test_syn_out_of_order(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    wire w = {.n = 0};
    put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 7, 0);
    put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 3, 0);
    put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0);
    put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 5, 0);
    assert_int_equal(th_inject(&P.sv, w.b, w.n), (ptrdiff_t)w.n);
    assert_int_equal(yamux_session_get_backlog(P.sv.s), 4);
    assert_false(yamux_session_is_closed(P.sv.s));
}

/* Late frames for streams that ended are ignored, as hashicorp does. */
static void test_late_frames_ignored(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    wire w = {.n = 0};
    put_data(&w, YAMUX_FLAG_SYN, 1, "abc");
    put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST, 1, 0);
    put_data(&w, 0, 1, "late data");
    put(&w, YAMUX_TYPE_WINDOW_UPDATE, 0, 1, 1000);
    put(&w, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST, 1, 0);
    put(&w, YAMUX_TYPE_PING, YAMUX_FLAG_ACK, 0, 12345); /* an answer nobody waits for */
    assert_int_equal(th_inject(&P.sv, w.b, w.n), (ptrdiff_t)w.n);
    assert_false(yamux_session_is_closed(P.sv.s));
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 0);
}

/* A truncated header followed by the end of input is a transport end, not a protocol error. */
static void test_truncated_header_eof(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    uint8_t half[6] = {0, 0, 0, 0, 0, 0};
    assert_int_equal(th_inject(&P.sv, half, sizeof half), 6);
    yamux_session_recv_eof(P.sv.s);
    assert_int_equal(P.sv.close_err, YAMUX_EEOF);
    th_drain(&P.sv);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_GOAWAY, -1), 0);
}

/* A flood of pings is answered, throttles itself, and never stalls data. */
static void test_ping_of_death(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    enum { PINGS = 20000 };
    size_t cap = (size_t)PINGS * YAMUX_HEADER_SIZE + 64 * (YAMUX_HEADER_SIZE + 100);
    uint8_t *in = malloc(cap);
    size_t n = 0;
    th_hdr(in, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0);
    n += YAMUX_HEADER_SIZE;
    int data_frames = 0;
    for (int i = 0; i < PINGS; i++) {
        th_hdr(in + n, YAMUX_TYPE_PING, YAMUX_FLAG_SYN, 0, (uint32_t)i);
        n += YAMUX_HEADER_SIZE;
        if (i % 400 == 0) {
            th_hdr(in + n, YAMUX_TYPE_DATA, 0, 1, 100);
            memset(in + n + YAMUX_HEADER_SIZE, 'd', 100);
            n += YAMUX_HEADER_SIZE + 100;
            data_frames++;
        }
    }
    yamux_stream *st = NULL;
    size_t off = 0;
    int partial = 0;
    while (off < n) {
        ptrdiff_t r = th_inject(&P.sv, in + off, n - off);
        assert_true(r >= 0);
        if ((size_t)r < n - off) partial++;
        off += (size_t)r;
        if (!st) st = yamux_session_accept(P.sv.s);
        th_drain(&P.sv); /* the transport takes our answers */
    }
    assert_true(partial > 0); /* the flood was throttled, not buffered */
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_PING, YAMUX_FLAG_ACK), PINGS);
    /* answers come in order, with the same opaque value */
    uint32_t next = 0;
    for (size_t i = 0; i < P.sv.log.count; i++)
        if (P.sv.log.frames[i].type == YAMUX_TYPE_PING)
            assert_int_equal(P.sv.log.frames[i].length, next++);
    assert_int_equal(next, PINGS);
    assert_non_null(st);
    assert_int_equal(yamux_stream_get_read_available(st), (size_t)data_frames * 100);
    assert_false(yamux_session_is_closed(P.sv.s));
    free(in);
}

/* A SYN flood beyond the backlog is refused stream by stream, memory stays bounded. */
static void test_syn_flood(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    uint8_t hdr[YAMUX_HEADER_SIZE];
    size_t peak = 0;
    for (uint32_t i = 0; i < 20000; i++) {
        th_hdr(hdr, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 2 * i + 1, 0);
        ptrdiff_t r;
        while ((r = th_inject(&P.sv, hdr, sizeof hdr)) == 0)
            th_drain(&P.sv);
        assert_int_equal(r, YAMUX_HEADER_SIZE);
        if (th_allocated() > peak) peak = th_allocated();
    }
    th_drain(&P.sv);
    assert_int_equal(yamux_session_get_backlog(P.sv.s), 256);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST), 20000 - 256);
    assert_true(peak < 1u << 20);
    assert_false(yamux_session_is_closed(P.sv.s));
}

/* Allocation failures anywhere end the session cleanly (GoAway 2 or an error return), never
 * crash or leak. */
static void test_alloc_failures(void **state) {
    (void)state;
    for (long fail = 0; fail < 60; fail++) {
        th_init(&P, NULL, NULL);
        th_alloc_fail_after(fail);
        yamux_stream *st = NULL;
        int r = yamux_session_open(P.c.s, &st);
        if (r == YAMUX_OK) {
            static uint8_t buf[100000];
            memset(buf, 1, sizeof buf);
            ptrdiff_t k = yamux_stream_write(st, buf, sizeof buf);
            assert_true(k > 0 || k == YAMUX_ENOMEM);
        } else {
            assert_int_equal(r, YAMUX_ENOMEM);
        }
        th_pump(&P);
        yamux_stream *acc = yamux_session_accept(P.sv.s);
        if (acc) {
            uint8_t buf[4096];
            while (yamux_stream_read(acc, buf, sizeof buf) > 0) {
            }
        }
        th_pump(&P);
        if (yamux_session_is_closed(P.sv.s)) {
            const yamux_frame *g = th_last(&P.sv, YAMUX_TYPE_GOAWAY);
            assert_non_null(g);
            assert_int_equal(g->length, YAMUX_GOAWAY_INTERNAL_ERROR);
        }
        th_alloc_fail_after(-1);
        th_destroy(&P);
    }
    th_init(&P, NULL, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_bad_version, teardown),
        cmocka_unit_test_teardown(test_bad_type, teardown),
        cmocka_unit_test_teardown(test_bad_type_ff, teardown),
        cmocka_unit_test_teardown(test_undefined_flag, teardown),
        cmocka_unit_test_teardown(test_syn_ack_together, teardown),
        cmocka_unit_test_teardown(test_stream_id_zero, teardown),
        cmocka_unit_test_teardown(test_ping_with_stream_id, teardown),
        cmocka_unit_test_teardown(test_ping_without_flags, teardown),
        cmocka_unit_test_teardown(test_goaway_with_flags, teardown),
        cmocka_unit_test_teardown(test_goaway_with_stream_id, teardown),
        cmocka_unit_test_teardown(test_syn_wrong_parity, teardown),
        cmocka_unit_test_teardown(test_duplicate_syn, teardown),
        cmocka_unit_test_teardown(test_reused_id_after_reset, teardown),
        cmocka_unit_test_teardown(test_reused_id_lower, teardown),
        cmocka_unit_test_teardown(test_data_never_opened, teardown),
        cmocka_unit_test_teardown(test_update_for_our_unopened_id, teardown),
        cmocka_unit_test_teardown(test_ack_on_peer_stream, teardown),
        cmocka_unit_test_teardown(test_data_after_fin, teardown),
        cmocka_unit_test_teardown(test_second_fin, teardown),
        cmocka_unit_test_teardown(test_window_overflow, teardown),
        cmocka_unit_test_teardown(test_recv_window_exceeded, teardown),
        cmocka_unit_test_teardown(test_huge_length_closed_stream, teardown),
        cmocka_unit_test_teardown(test_recv_window_cumulative, teardown),
        cmocka_unit_test_teardown(test_error_keeps_other_streams_data, teardown),
        cmocka_unit_test_teardown(test_remote_goaway_codes, teardown),
        cmocka_unit_test_teardown(test_syn_out_of_order, teardown),
        cmocka_unit_test_teardown(test_late_frames_ignored, teardown),
        cmocka_unit_test_teardown(test_truncated_header_eof, teardown),
        cmocka_unit_test_teardown(test_ping_of_death, teardown),
        cmocka_unit_test_teardown(test_syn_flood, teardown),
        cmocka_unit_test_teardown(test_alloc_failures, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
