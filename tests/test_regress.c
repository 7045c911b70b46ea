/* Regressions found by fuzzing (fuzz/). Each bug has a directed test written against the API
 * and the minimized fuzz input replayed through the fuzz driver that found it (the drivers
 * are plain C: fuzz/drivers.h); the same inputs sit in fuzz/corpus/ as seeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers.h"
#include "harness.h"

static th_pair P;

static int teardown(void **state) {
    (void)state;
    th_destroy(&P);
    return 0;
}

/* stream.c, yx_stream_do_reset: a stream reset while its SYN was still queued sent a RST for
 * an id the peer had never seen, which the peer (this engine) treats as a protocol error:
 * the whole session went down with GoAway 1. */
static void test_reset_before_syn_sent(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *st;
    assert_int_equal(yamux_session_open(P.c.s, &st), YAMUX_OK);
    assert_int_equal(yamux_stream_reset(st), YAMUX_OK);
    yamux_stream_release(st);
    th_pump(&P);
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, -1), 0); /* neither SYN nor RST */
    assert_false(yamux_session_is_closed(P.sv.s));
    assert_false(yamux_session_is_closed(P.c.s));
    assert_int_equal(yamux_session_get_num_streams(P.c.s), 0);
    /* The next stream opens normally (its id skips the one never announced). */
    assert_int_equal(yamux_session_open(P.c.s, &st), YAMUX_OK);
    th_pump(&P);
    assert_non_null(yamux_session_accept(P.sv.s));
}

/* stream.c, yx_stream_window_delta / yx_stream_recv_consumed: the credit already granted did
 * not count the payload of the frame still arriving, so a window update sent in the middle of
 * a frame granted those bytes twice: buffered data plus window exceeded the stream's target
 * and the session's max_recv_memory. */
static void test_window_update_mid_frame(void **state) {
    (void)state;
    yamux_config cfg;
    yamux_config_init(&cfg);
    cfg.enable_keepalive = 0;
    cfg.max_stream_window = 1u << 20;
    cfg.max_recv_memory = 3ull * YAMUX_INITIAL_WINDOW;
    th_init(&P, &cfg, &cfg);
    static uint8_t buf[20000];
    yamux_stream *cs;
    assert_int_equal(yamux_session_open(P.c.s, &cs), YAMUX_OK);
    assert_int_equal(yamux_stream_write(cs, buf, 10000), 10000);
    size_t n = yamux_session_send(P.c.s, buf, sizeof buf);
    assert_int_equal(n, 2 * YAMUX_HEADER_SIZE + 10000);
    /* SYN and the data frame's header plus 1000 of its bytes arrive; the server accepts, and
     * its ACK (with its window) goes out while 9000 bytes are still on their way. */
    assert_int_equal(th_inject(&P.sv, buf, 2 * YAMUX_HEADER_SIZE + 1000),
                     2 * YAMUX_HEADER_SIZE + 1000);
    yamux_stream *ss = yamux_session_accept(P.sv.s);
    assert_non_null(ss);
    th_drain(&P.sv);
    ptrdiff_t rest = (ptrdiff_t)n - 2 * YAMUX_HEADER_SIZE - 1000;
    assert_int_equal(th_inject(&P.sv, buf + n - (size_t)rest, (size_t)rest), rest);
    assert_int_equal(yamux_stream_get_read_available(ss), 10000);
    assert_true((uint64_t)yamux_stream_get_recv_window(ss) + yamux_stream_get_read_available(ss) <=
                yamux_session_get_recv_memory(P.sv.s));
    assert_true(yamux_session_get_recv_memory(P.sv.s) <= cfg.max_recv_memory);
}

/* session_timer.c, run_timers: when the keepalive fell due while the application's pings held
 * every ping slot, no keepalive ping was started and none was scheduled again: keepalive
 * stopped for good (with keepalive_interval < write_timeout). */
static void test_keepalive_with_ping_slots_full(void **state) {
    (void)state;
    yamux_config cfg;
    yamux_config_init(&cfg);
    cfg.keepalive_interval = 1 * TH_SEC;
    cfg.write_timeout = 3 * TH_SEC;
    th_init(&P, &cfg, &cfg);
    int pings = 0;
    while (yamux_session_ping(P.c.s, NULL) == YAMUX_OK)
        pings++;
    assert_true(pings > 0);
    th_drain(&P.c);             /* sent, never answered */
    th_advance(&P, 1 * TH_SEC); /* keepalive due: no slot */
    th_drain(&P.c);
    th_advance(&P, 3 * TH_SEC); /* the application's pings time out */
    th_drain(&P.c);
    th_advance(&P, 1 * TH_SEC);
    th_drain(&P.c);
    assert_true(th_count(&P.c, YAMUX_TYPE_PING, YAMUX_FLAG_SYN) > (size_t)pings);
    assert_true(yamux_session_get_next_deadline(P.c.s) != UINT64_MAX);
}

/* ---- the minimized fuzz inputs -----------------------------------------------------------
 * In the drivers' input formats as they stand (see the top of fuzz/drv_*.c); the same bytes
 * are seeds in fuzz/corpus/<harness>/regress-*. Should a format change, re-minimize the
 * finding with the new driver; the directed tests above stay valid either way. */

static const uint8_t pair_rst_before_syn[] = {0x00, 0x00, 0x00, 0x00, 0x0c};
static const uint8_t pair_window_mid_frame[] = {0x14, 0x14, 0x01, 0x00, 0x04, 0x00,
                                                0x27, 0x27, 0x26, 0x00, 0x22, 0x0c,
                                                0x27, 0x27, 0x00, 0x22, 0x27};
static const uint8_t session_keepalive_slots[] = {0xc1, 0x00, 0x68, 0x68, 0x68, 0x68, 0x68,
                                                  0x68, 0x68, 0x68, 0x68, 0x68, 0x68, 0x68,
                                                  0x68, 0x68, 0x68, 0x68, 0x80, 0x54, 0x80};

static void test_fuzz_inputs(void **state) {
    (void)state;
    assert_int_equal(fz_pair_run(pair_rst_before_syn, sizeof pair_rst_before_syn), 0);
    assert_int_equal(fz_pair_run(pair_window_mid_frame, sizeof pair_window_mid_frame), 0);
    assert_int_equal(fz_session_run(session_keepalive_slots, sizeof session_keepalive_slots), 0);
}

static int no_teardown(void **state) {
    (void)state;
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_reset_before_syn_sent, teardown),
        cmocka_unit_test_teardown(test_window_update_mid_frame, teardown),
        cmocka_unit_test_teardown(test_keepalive_with_ping_slots_full, teardown),
        cmocka_unit_test_teardown(test_fuzz_inputs, no_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
