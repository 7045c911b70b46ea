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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_app_calls_never_call_back, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
