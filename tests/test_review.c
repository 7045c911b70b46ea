/* Regressions for the findings of the independent review (issue 10): each test failed before
 * its fix. */
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

/* Callbacks seen by a side so far. */
static long callbacks_of(const th_side *s) {
    return s->incoming + s->goaways + s->pings + s->closed;
}

/* session.c, yamux_session_accept: it dispatched callbacks and then read the stream; a
 * callback may free the session (ASan: heap-use-after-free). Application calls now only change
 * state: what they cause is delivered by the next I/O call (recv, send, tick). */
static void test_app_calls_never_call_back(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    assert_int_equal(yamux_session_open(P.c.s, &cs), YAMUX_OK);
    assert_int_equal(yamux_stream_write(cs, "hello", 5), 5);
    th_pump(&P);
    /* Waiting on the server: a stream with data in the backlog. */
    long before = callbacks_of(&P.sv);
    ss = yamux_session_accept(P.sv.s);
    assert_non_null(ss);
    th_stream *t = th_track(ss);
    assert_int_equal(callbacks_of(&P.sv), before);
    assert_int_equal(t->count, 0);
    assert_int_equal(yamux_stream_write(ss, "x", 1), 1);
    char buf[8];
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), 5);
    assert_int_equal(yamux_stream_close_write(ss), YAMUX_OK);
    assert_int_equal(yamux_stream_reset(cs), YAMUX_OK);
    yamux_session_close(P.c.s);
    assert_int_equal(callbacks_of(&P.sv), before);
    assert_int_equal(P.c.closed, 0);
    assert_int_equal(t->count, 0);
    /* The next I/O call delivers. */
    uint8_t out[256];
    (void)yamux_session_send(P.c.s, out, sizeof out);
    assert_int_equal(P.c.closed, 1);
}

/* ---- remote stream ids ---------------------------------------------------------------------- */

/* A SYN from the peer; our refusals (RST) are drained when they pile up. */
static ptrdiff_t syn(th_side *side, uint32_t id) {
    uint8_t h[YAMUX_HEADER_SIZE];
    th_hdr(h, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, id, 0);
    ptrdiff_t r = th_inject(side, h, sizeof h);
    if (r == 0) {
        th_drain(side);
        r = th_inject(side, h, sizeof h);
    }
    return r;
}

static ptrdiff_t frame(th_side *side, uint8_t type, uint16_t flags, uint32_t id, uint32_t len) {
    uint8_t h[YAMUX_HEADER_SIZE];
    th_hdr(h, type, flags, id, len);
    return th_inject(side, h, sizeof h);
}

/* session_recv.c, remote_seen: a SYN more than 1024 ids below the highest seen counted as a
 * reuse and failed the session, but hashicorp's Open() takes its id atomically and sends the
 * SYN later: a busy client legitimately sends a low, never-used id late. */
static void test_late_fresh_syn_accepted(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    assert_int_equal(syn(&P.sv, 5001), YAMUX_HEADER_SIZE);
    assert_int_equal(syn(&P.sv, 1), YAMUX_HEADER_SIZE); /* 2500 ids late, never used */
    assert_int_equal(syn(&P.sv, 2999), YAMUX_HEADER_SIZE);
    assert_false(yamux_session_is_closed(P.sv.s));
    assert_int_equal(yamux_session_get_backlog(P.sv.s), 3);
    /* a frame for an id never opened, below the highest: still a protocol error */
    assert_int_equal(frame(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, 0, 3, 0), YAMUX_EPROTO_STREAM_ID);
}

/* Real duplicates are still refused: an id that is live, or one this session has seen. */
static void test_duplicates_still_refused(void **state) {
    (void)state;
    static const uint32_t again[] = {5001, 1, 4001};
    for (size_t i = 0; i < sizeof again / sizeof again[0]; i++) {
        th_init(&P, NULL, NULL);
        assert_int_equal(syn(&P.sv, 5001), YAMUX_HEADER_SIZE);
        assert_int_equal(syn(&P.sv, 1), YAMUX_HEADER_SIZE);
        assert_int_equal(syn(&P.sv, 4001), YAMUX_HEADER_SIZE);
        /* stream 4001 ends (reset by the peer) and is forgotten */
        assert_int_equal(frame(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST, 4001, 0),
                         YAMUX_HEADER_SIZE);
        assert_int_equal(syn(&P.sv, again[i]), YAMUX_EPROTO_DUPLICATE_STREAM);
        th_destroy(&P);
    }
    th_init(&P, NULL, NULL); /* for the teardown */
}

/* A peer leaving a gap at every other id: memory stays bounded (the gap table is fixed), a
 * fresh id is never refused, and frames for ids never opened are refused while the session
 * still knows them exactly (the most recent gaps) and ignored where it had to forget. */
static void test_many_gaps_bounded(void **state) {
    (void)state;
    yamux_config cfg;
    yamux_config_init(&cfg);
    cfg.enable_keepalive = 0;
    cfg.accept_backlog = 1; /* the rest is refused with RST: ids still count as opened */
    th_init(&P, NULL, &cfg);
    size_t mem = th_allocated();
    for (uint32_t id = 1; id < 40000; id += 4)
        assert_int_equal(syn(&P.sv, id), YAMUX_HEADER_SIZE);
    th_drain(&P.sv);                           /* the refusals */
    assert_true(th_allocated() <= mem + 4096); /* one stream in the backlog, nothing per gap */
    /* ids 3, 7, 11, ... were never used: each may still come, late */
    for (uint32_t id = 3; id < 40000; id += 400)
        assert_int_equal(syn(&P.sv, id), YAMUX_HEADER_SIZE);
    th_drain(&P.sv);
    assert_false(yamux_session_is_closed(P.sv.s));
    /* a frame for an old, never opened id: the session forgot exactly which were: ignored */
    assert_int_equal(frame(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, 0, 7, 0), YAMUX_HEADER_SIZE);
    /* one for a recent one it knows: refused */
    assert_int_equal(frame(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, 0, 39995, 0), YAMUX_EPROTO_STREAM_ID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_app_calls_never_call_back, teardown),
        cmocka_unit_test_teardown(test_late_fresh_syn_accepted, teardown),
        cmocka_unit_test_teardown(test_duplicates_still_refused, teardown),
        cmocka_unit_test_teardown(test_many_gaps_bounded, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
