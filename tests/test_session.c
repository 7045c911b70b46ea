/* Session behaviour through two engines wired back to back: the scenarios of hashicorp's
 * session_test.go, plus the places where this engine is stricter or better. */
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

/* Opens a stream on the client and accepts it on the server. */
static void open_pair(yamux_stream **cs, yamux_stream **ss) {
    assert_int_equal(yamux_session_open(P.c.s, cs), YAMUX_OK);
    th_track(*cs);
    th_pump(&P);
    *ss = yamux_session_accept(P.sv.s);
    assert_non_null(*ss);
    th_track(*ss);
    th_pump(&P);
}

/* Writes `total` pattern bytes on `w` and reads them back on `r`, pumping in between. */
static void transfer(yamux_stream *w, yamux_stream *r, uint64_t total, size_t wchunk) {
    static uint8_t buf[1 << 17];
    uint64_t sent = 0, got = 0;
    uint32_t seed = yamux_stream_id(w);
    while (got < total) {
        while (sent < total) {
            size_t n = wchunk;
            if (n > sizeof buf) n = sizeof buf;
            if (n > total - sent) n = (size_t)(total - sent);
            for (size_t i = 0; i < n; i++)
                buf[i] = th_byte(sent + i, seed);
            ptrdiff_t k = yamux_stream_write(w, buf, n);
            if (k == YAMUX_EAGAIN) break;
            assert_true(k > 0);
            sent += (uint64_t)k;
        }
        size_t moved = th_step(&P);
        ptrdiff_t k;
        int progress = moved > 0;
        while ((k = yamux_stream_read(r, buf, sizeof buf)) > 0) {
            for (ptrdiff_t i = 0; i < k; i++)
                assert_int_equal(buf[i], th_byte(got + i, seed));
            got += (uint64_t)k;
            progress = 1;
        }
        assert_int_equal(k, YAMUX_EAGAIN);
        assert_true(progress);
    }
}

static void test_open_accept_ids(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *a, *b, *c, *d;
    open_pair(&a, &b);
    assert_int_equal(yamux_stream_id(a), 1);
    assert_int_equal(yamux_stream_id(b), 1);
    assert_true(th_track(a)->events & YAMUX_EV_ESTABLISHED);
    /* the server opens too: even ids */
    assert_int_equal(yamux_session_open(P.sv.s, &c), YAMUX_OK);
    th_pump(&P);
    d = yamux_session_accept(P.c.s);
    assert_non_null(d);
    assert_int_equal(yamux_stream_id(c), 2);
    assert_int_equal(yamux_stream_id(d), 2);
    assert_null(yamux_session_accept(P.c.s));
    assert_int_equal(P.sv.incoming, 1);
    assert_int_equal(P.c.incoming, 1);
    /* SYN and ACK ride on window updates, as hashicorp does */
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN), 1);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_ACK), 1);
    assert_int_equal(yamux_session_num_streams(P.c.s), 2);
}

static void test_small_data_and_half_close(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    assert_int_equal(yamux_stream_write(cs, "hello", 5), 5);
    assert_int_equal(yamux_stream_close_write(cs), YAMUX_OK);
    assert_int_equal(yamux_stream_write(cs, "x", 1), YAMUX_ECLOSED);
    th_pump(&P);
    char buf[16];
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), 0); /* EOF */
    assert_true(yamux_stream_at_eof(ss));
    /* FIN rode on the data frame */
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_DATA, YAMUX_FLAG_FIN), 1);
    /* the half-closed side still receives */
    assert_int_equal(yamux_stream_write(ss, "world!", 6), 6);
    assert_int_equal(yamux_stream_close_write(ss), YAMUX_OK);
    th_pump(&P);
    assert_int_equal(yamux_stream_read(cs, buf, sizeof buf), 6);
    assert_memory_equal(buf, "world!", 6);
    assert_int_equal(yamux_stream_read(cs, buf, sizeof buf), 0);
    assert_true(th_track(cs)->events & YAMUX_EV_CLOSED);
    assert_true(th_track(ss)->events & YAMUX_EV_CLOSED);
    assert_int_equal(yamux_stream_error(cs), YAMUX_ECLOSED);
    yamux_stream_release(cs);
    yamux_stream_release(ss);
    assert_int_equal(yamux_session_num_streams(P.c.s), 0);
    assert_int_equal(yamux_session_num_streams(P.sv.s), 0);
}

static void test_large_data(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    transfer(cs, ss, 8u << 20, 65536);
    transfer(ss, cs, 3u << 20, 1000);
    /* the 256 KiB window was never exceeded and updates flowed */
    assert_true(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, 0) > 8);
}

static void test_one_byte_splits(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    P.chunk = 1;
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    transfer(cs, ss, 300000, 4096);
    transfer(ss, cs, 1000, 7);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_open_accept_ids, teardown),
        cmocka_unit_test_teardown(test_small_data_and_half_close, teardown),
        cmocka_unit_test_teardown(test_large_data, teardown),
        cmocka_unit_test_teardown(test_one_byte_splits, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
