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
    uint32_t seed = yamux_stream_get_id(w);
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
    assert_int_equal(yamux_stream_get_id(a), 1);
    assert_int_equal(yamux_stream_get_id(b), 1);
    assert_true(th_track(a)->events & YAMUX_EV_ESTABLISHED);
    /* the server opens too: even ids */
    assert_int_equal(yamux_session_open(P.sv.s, &c), YAMUX_OK);
    th_pump(&P);
    d = yamux_session_accept(P.c.s);
    assert_non_null(d);
    assert_int_equal(yamux_stream_get_id(c), 2);
    assert_int_equal(yamux_stream_get_id(d), 2);
    assert_null(yamux_session_accept(P.c.s));
    assert_int_equal(P.sv.incoming, 1);
    assert_int_equal(P.c.incoming, 1);
    /* SYN and ACK ride on window updates, as hashicorp does */
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN), 1);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_ACK), 1);
    assert_int_equal(yamux_session_get_num_streams(P.c.s), 2);
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
    assert_true(yamux_stream_is_eof(ss));
    /* FIN follows the data in a window update of its own, as the Go implementations send it
     * (they apply a FIN before the payload it rides on) */
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_DATA, YAMUX_FLAG_FIN), 0);
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_FIN), 1);
    /* the half-closed side still receives */
    assert_int_equal(yamux_stream_write(ss, "world!", 6), 6);
    assert_int_equal(yamux_stream_close_write(ss), YAMUX_OK);
    th_pump(&P);
    assert_int_equal(yamux_stream_read(cs, buf, sizeof buf), 6);
    assert_memory_equal(buf, "world!", 6);
    assert_int_equal(yamux_stream_read(cs, buf, sizeof buf), 0);
    assert_true(th_track(cs)->events & YAMUX_EV_CLOSED);
    assert_true(th_track(ss)->events & YAMUX_EV_CLOSED);
    assert_int_equal(yamux_stream_get_error(cs), YAMUX_ECLOSED);
    yamux_stream_release(cs);
    yamux_stream_release(ss);
    assert_int_equal(yamux_session_get_num_streams(P.c.s), 0);
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 0);
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

/* hashicorp's TestSendData_VeryLarge: streams in parallel, every byte verified (1 GiB in
 * all; 64 MiB under valgrind). */
static void test_very_large_data(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    enum { N = 4 };
    uint64_t per = th_slow() ? (256ull << 20) : (16ull << 20);
    yamux_stream *cs[N], *ss[N];
    for (int i = 0; i < N; i++)
        open_pair(&cs[i], &ss[i]);
    static uint8_t buf[1 << 16];
    uint64_t sent[N] = {0}, got[N] = {0};
    int done = 0;
    while (done < N) {
        for (int i = 0; i < N; i++) {
            uint32_t id = yamux_stream_get_id(cs[i]);
            while (sent[i] < per) {
                size_t n = per - sent[i] < sizeof buf ? (size_t)(per - sent[i]) : sizeof buf;
                size_t space = yamux_stream_get_write_space(cs[i]);
                if (!space) break;
                if (n > space) n = space;
                for (size_t k = 0; k < n; k++)
                    buf[k] = th_byte(sent[i] + k, id);
                assert_int_equal(yamux_stream_write(cs[i], buf, n), (ptrdiff_t)n);
                sent[i] += n;
                if (sent[i] == per) assert_int_equal(yamux_stream_close_write(cs[i]), YAMUX_OK);
            }
        }
        th_step(&P);
        for (int i = 0; i < N; i++) {
            uint32_t id = yamux_stream_get_id(cs[i]);
            ptrdiff_t k;
            while ((k = yamux_stream_read(ss[i], buf, sizeof buf)) > 0) {
                for (ptrdiff_t j = 0; j < k; j++)
                    if (buf[j] != th_byte(got[i] + (uint64_t)j, id)) fail_msg("byte mismatch");
                got[i] += (uint64_t)k;
            }
            if (k == 0 && got[i] == per) {
                done++;
                got[i]++; /* count once */
            }
        }
    }
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

static yamux_config cfg(void) {
    yamux_config c;
    yamux_config_init(&c);
    c.enable_keepalive = 0;
    return c;
}

static void test_ping(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    uint32_t opaque = 0;
    assert_int_equal(yamux_session_ping(P.c.s, &opaque), YAMUX_OK);
    th_move(&P.c, &P.sv);
    th_advance(&P, 5000000); /* 5 ms on the wire */
    th_move(&P.sv, &P.c);
    assert_int_equal(P.c.pings, 1);
    assert_int_equal(P.c.last_ping_status, YAMUX_OK);
    assert_int_equal(P.c.last_ping_opaque, opaque);
    assert_int_equal(P.c.last_ping_rtt, 5000000);
    assert_int_equal(yamux_session_get_rtt(P.c.s), 5000000);
    /* the answer is an ACK with the same opaque value */
    const yamux_frame *f = th_last(&P.sv, YAMUX_TYPE_PING);
    assert_non_null(f);
    assert_int_equal(f->flags, YAMUX_FLAG_ACK);
    assert_int_equal(f->length, opaque);
    /* the server pings too */
    assert_int_equal(yamux_session_ping(P.sv.s, NULL), YAMUX_OK);
    th_pump(&P);
    assert_int_equal(P.sv.pings, 1);
    assert_int_equal(P.sv.last_ping_status, YAMUX_OK);
}

static void test_ping_timeout(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    P.sv.blocked = 1; /* the server never answers */
    assert_int_equal(yamux_session_ping(P.c.s, NULL), YAMUX_OK);
    th_pump(&P);
    th_advance(&P, 9 * TH_SEC);
    assert_int_equal(P.c.pings, 0);
    assert_true(yamux_session_get_next_deadline(P.c.s) <= P.now + TH_SEC);
    th_advance(&P, TH_SEC);
    assert_int_equal(P.c.pings, 1);
    assert_int_equal(P.c.last_ping_status, YAMUX_ETIMEOUT);
    assert_false(yamux_session_is_closed(P.c.s)); /* a user ping timing out is not fatal */
    /* a late answer is ignored */
    P.sv.blocked = 0;
    th_pump(&P);
    assert_int_equal(P.c.pings, 1);
    assert_false(yamux_session_is_closed(P.c.s));
}

static void test_keepalive(void **state) {
    (void)state;
    yamux_config c = cfg();
    c.enable_keepalive = 1;
    th_init(&P, &c, &c);
    for (int i = 0; i < 5; i++) {
        th_advance(&P, 30 * TH_SEC);
        th_pump(&P);
    }
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_PING, YAMUX_FLAG_SYN), 5);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_PING, YAMUX_FLAG_ACK), 5);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_PING, YAMUX_FLAG_SYN), 5);
    assert_false(yamux_session_is_closed(P.c.s));
    assert_int_equal(P.c.pings, 0); /* keepalive pings are not reported as user pings */
    /* the peer goes silent: the keepalive fails after the write timeout */
    P.sv.blocked = 1;
    th_advance(&P, 30 * TH_SEC);
    th_pump(&P);
    th_advance(&P, 9 * TH_SEC);
    assert_false(yamux_session_is_closed(P.c.s));
    th_advance(&P, TH_SEC);
    assert_true(yamux_session_is_closed(P.c.s));
    assert_int_equal(P.c.close_err, YAMUX_EKEEPALIVE);
    th_drain(&P.c);
    const yamux_frame *f = th_last(&P.c, YAMUX_TYPE_GOAWAY);
    assert_non_null(f);
    assert_int_equal(f->length, YAMUX_GOAWAY_NORMAL);
}

/* A peer busy sending data may answer pings late: data arriving keeps the session alive. */
static void test_keepalive_busy_peer(void **state) {
    (void)state;
    yamux_config c = cfg();
    c.enable_keepalive = 1;
    th_init(&P, &c, &c);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    P.sv.blocked = 1;
    th_advance(&P, 30 * TH_SEC);
    th_drain(&P.c); /* our ping left; the server's answer is stuck behind its data */
    uint8_t frame[YAMUX_HEADER_SIZE + 100];
    memset(frame, 'x', sizeof frame);
    for (int i = 0; i < 5; i++) {
        th_advance(&P, 8 * TH_SEC);
        th_hdr(frame, YAMUX_TYPE_DATA, 0, yamux_stream_get_id(cs), 100);
        assert_int_equal(th_inject(&P.c, frame, sizeof frame), (ptrdiff_t)sizeof frame);
    }
    assert_false(yamux_session_is_closed(P.c.s));
    th_advance(&P, 10 * TH_SEC);
    th_advance(&P, 10 * TH_SEC);
    assert_true(yamux_session_is_closed(P.c.s));
    assert_int_equal(P.c.close_err, YAMUX_EKEEPALIVE);
    /* what arrived before stays readable */
    uint8_t buf[1024];
    assert_int_equal(yamux_stream_read(cs, buf, sizeof buf), 500);
    assert_int_equal(yamux_stream_read(cs, buf, sizeof buf), YAMUX_EKEEPALIVE);
}

static void test_open_timeout(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs;
    assert_int_equal(yamux_session_open(P.c.s, &cs), YAMUX_OK);
    th_pump(&P); /* the server never accepts, so never ACKs */
    th_advance(&P, 74 * TH_SEC);
    assert_false(yamux_session_is_closed(P.c.s));
    th_advance(&P, TH_SEC);
    assert_true(yamux_session_is_closed(P.c.s));
    assert_int_equal(P.c.close_err, YAMUX_EOPEN_TIMEOUT);
    assert_int_equal(yamux_stream_write(cs, "x", 1), YAMUX_EOPEN_TIMEOUT);
    th_pump(&P);
    assert_int_equal(P.sv.goaways, 1);
}

/* Streams opened before the first tick count their timeouts from the first tick. */
/* Data that arrives before the accept is reported after it, once the caller holds the stream:
 * never from inside yamux_session_accept() (where the application has no handle yet). */
static void test_accept_reports_early_data_after(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs;
    assert_int_equal(yamux_session_open(P.c.s, &cs), YAMUX_OK);
    assert_int_equal(yamux_stream_write(cs, "early", 5), 5);
    th_pump(&P);
    yamux_stream *ss = yamux_session_accept(P.sv.s);
    assert_non_null(ss);
    assert_null(yamux_stream_get_user_data(ss)); /* no on_stream call attached a record */
    th_stream *t = th_track(ss);
    assert_int_equal(yamux_stream_get_read_available(ss), 5);
    th_pump(&P); /* the next public calls dispatch it */
    assert_int_equal(t->count, 1);
    assert_true(t->events & YAMUX_EV_READABLE);
}

static void test_open_before_clock(void **state) {
    (void)state;
    th_init(&P, NULL, NULL); /* only for the teardown */
    yamux_config c = cfg();
    yamux_session *s;
    assert_int_equal(yamux_session_new(&s, 1, &c, NULL, NULL), YAMUX_OK);
    yamux_stream *st;
    assert_int_equal(yamux_session_open(s, &st), YAMUX_OK);
    assert_int_equal(yamux_stream_close_write(st), YAMUX_OK);
    yamux_session_tick(s, 5000 * TH_SEC);
    assert_false(yamux_session_is_closed(s));
    uint8_t out[64];
    assert_int_equal(yamux_session_send(s, out, sizeof out), YAMUX_HEADER_SIZE); /* SYN+FIN */
    /* the FIN arms the close timer: it starts at the next tick, which is asked for now */
    assert_int_equal(yamux_session_get_next_deadline(s), 5000 * TH_SEC);
    yamux_session_tick(s, 5000 * TH_SEC);
    assert_int_equal(yamux_session_get_next_deadline(s), 5075 * TH_SEC);
    yamux_session_tick(s, 5075 * TH_SEC);
    assert_int_equal(yamux_session_get_error(s), YAMUX_EOPEN_TIMEOUT);
    yamux_session_free(s);
}

static void test_open_acked_in_time(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    assert_int_equal(yamux_session_open(P.c.s, &cs), YAMUX_OK);
    th_pump(&P);
    th_advance(&P, 70 * TH_SEC);
    ss = yamux_session_accept(P.sv.s);
    assert_non_null(ss);
    th_pump(&P);
    th_advance(&P, 3600 * TH_SEC);
    assert_false(yamux_session_is_closed(P.c.s));
    assert_int_equal(yamux_session_get_next_deadline(P.c.s), UINT64_MAX);
}

static void test_close_timeout(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    assert_int_equal(yamux_stream_close_write(cs), YAMUX_OK);
    th_pump(&P);
    th_advance(&P, 299 * TH_SEC);
    assert_int_equal(yamux_stream_get_error(cs), 0);
    th_advance(&P, TH_SEC);
    assert_int_equal(yamux_stream_get_error(cs), YAMUX_ETIMEOUT);
    th_pump(&P);
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST), 1);
    assert_true(th_track(ss)->events & YAMUX_EV_RESET);
    assert_int_equal(yamux_stream_write(ss, "x", 1), YAMUX_ERESET);
    yamux_stream_release(cs);
    yamux_stream_release(ss);
    assert_int_equal(yamux_session_get_num_streams(P.c.s), 0);
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 0);
}

static void test_close_before_ack(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs;
    assert_int_equal(yamux_session_open(P.c.s, &cs), YAMUX_OK);
    assert_int_equal(yamux_stream_write(cs, "early", 5), 5);
    assert_int_equal(yamux_stream_close_write(cs), YAMUX_OK);
    th_pump(&P);
    yamux_stream *ss = yamux_session_accept(P.sv.s);
    assert_non_null(ss);
    char buf[8];
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), 5);
    assert_memory_equal(buf, "early", 5);
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), 0);
    assert_int_equal(yamux_stream_close_write(ss), YAMUX_OK);
    th_pump(&P);
    assert_int_equal(yamux_stream_read(cs, buf, sizeof buf), 0);
    assert_int_equal(yamux_stream_get_error(cs), YAMUX_ECLOSED);
    yamux_stream_release(cs);
    yamux_stream_release(ss);
    assert_int_equal(yamux_session_get_num_streams(P.c.s), 0);
}

static void test_goaway(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss, *late;
    open_pair(&cs, &ss);
    assert_int_equal(yamux_session_goaway(P.sv.s), YAMUX_OK);
    P.sv.blocked = 1; /* the client opens before it hears of the GoAway */
    assert_int_equal(yamux_session_open(P.c.s, &late), YAMUX_OK);
    th_track(late);
    th_pump(&P);
    assert_null(yamux_session_accept(P.sv.s));
    P.sv.blocked = 0;
    th_pump(&P);
    assert_int_equal(P.c.goaways, 1);
    assert_true(yamux_session_is_goaway_received(P.c.s));
    assert_true(th_track(late)->events & YAMUX_EV_RESET);
    assert_int_equal(yamux_stream_write(late, "x", 1), YAMUX_ERESET);
    yamux_stream *again;
    assert_int_equal(yamux_session_open(P.c.s, &again), YAMUX_EGOAWAY);
    /* the existing stream goes on both ways */
    transfer(cs, ss, 1u << 20, 8192);
    transfer(ss, cs, 1u << 20, 8192);
    const yamux_frame *f = th_last(&P.sv, YAMUX_TYPE_GOAWAY);
    assert_non_null(f);
    assert_int_equal(f->length, YAMUX_GOAWAY_NORMAL);
    assert_false(yamux_session_is_closed(P.c.s));
    assert_false(yamux_session_is_closed(P.sv.s));
}

static void test_session_close(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    assert_int_equal(yamux_stream_write(cs, "abc", 3), 3);
    th_pump(&P);
    yamux_session_close(P.c.s);
    assert_true(yamux_session_is_closed(P.c.s));
    assert_int_equal(yamux_stream_write(cs, "x", 1), YAMUX_ESHUTDOWN);
    /* the events wait for the next I/O call, which is due at once */
    assert_int_equal(P.c.closed, 0);
    assert_true(yamux_session_get_next_deadline(P.c.s) <= P.now);
    th_pump(&P);
    assert_int_equal(P.c.closed, 1);
    assert_int_equal(P.c.close_err, 0);
    assert_true(th_track(cs)->events & YAMUX_EV_CLOSED);
    assert_int_equal(yamux_session_get_next_deadline(P.c.s), UINT64_MAX);
    assert_int_equal(P.sv.goaways, 1);
    yamux_session_close(P.c.s); /* idempotent */
    assert_int_equal(P.c.closed, 1);
    /* the server's stream keeps what it received; the transport then ends */
    yamux_session_recv_eof(P.sv.s);
    assert_int_equal(P.sv.close_err, YAMUX_EEOF);
    char buf[8];
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), 3);
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), YAMUX_EEOF);
}

/* Data delivered before the session ends stays readable, and a FIN before it still reads as
 * a clean end of stream. */
static void test_half_close_then_shutdown(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    assert_int_equal(yamux_stream_write(cs, "complete", 8), 8);
    assert_int_equal(yamux_stream_close_write(cs), YAMUX_OK);
    th_pump(&P);
    yamux_session_close(P.sv.s);
    char buf[16];
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), 8);
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), 0);
    assert_int_equal(yamux_stream_write(ss, "x", 1), YAMUX_ESHUTDOWN);
}

static void echo_all(th_side *side, yamux_stream **streams, size_t n) {
    uint8_t buf[65536];
    for (size_t i = 0; i < n; i++) {
        ptrdiff_t k;
        while ((k = yamux_stream_read(streams[i], buf, sizeof buf)) > 0)
            assert_int_equal(yamux_stream_write(streams[i], buf, (size_t)k), k);
        if (k == 0 && !th_track(streams[i])->count) continue;
        if (k == 0) yamux_stream_close_write(streams[i]);
    }
    (void)side;
}

static void test_many_streams(void **state) {
    (void)state;
    enum { N = 1000 };
    th_init(&P, NULL, NULL);
    static yamux_stream *cs[N], *ss[N];
    static uint64_t got[N];
    uint8_t buf[4096];
    for (int i = 0; i < N; i++) {
        assert_int_equal(yamux_session_open(P.c.s, &cs[i]), YAMUX_OK);
        size_t len = 100 + (size_t)i * 3;
        for (size_t k = 0; k < len; k++)
            buf[k] = th_byte(k, (uint32_t)i);
        assert_int_equal(yamux_stream_write(cs[i], buf, len), (ptrdiff_t)len);
        assert_int_equal(yamux_stream_close_write(cs[i]), YAMUX_OK);
        got[i] = 0;
    }
    size_t accepted = 0;
    for (int round = 0; round < 100000; round++) {
        size_t moved = th_step(&P);
        yamux_stream *st;
        while ((st = yamux_session_accept(P.sv.s)) != NULL)
            ss[accepted++] = th_track(st) ? st : st;
        /* echo every accepted stream */
        for (size_t i = 0; i < accepted; i++) {
            ptrdiff_t k;
            while ((k = yamux_stream_read(ss[i], buf, sizeof buf)) > 0)
                assert_int_equal(yamux_stream_write(ss[i], buf, (size_t)k), k);
            if (k == 0) yamux_stream_close_write(ss[i]);
        }
        int done = 1;
        for (int i = 0; i < N; i++) {
            ptrdiff_t k;
            while ((k = yamux_stream_read(cs[i], buf, sizeof buf)) > 0) {
                for (ptrdiff_t j = 0; j < k; j++)
                    assert_int_equal(buf[j], th_byte(got[i] + (uint64_t)j, (uint32_t)i));
                got[i] += (uint64_t)k;
            }
            if (k != 0) done = 0;
        }
        if (done) break;
        assert_true(moved > 0 || accepted < N);
    }
    assert_int_equal(accepted, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(got[i], 100 + (uint64_t)i * 3);
        assert_int_equal(yamux_stream_get_error(cs[i]), YAMUX_ECLOSED);
        yamux_stream_release(cs[i]);
        yamux_stream_release(ss[i]);
    }
    th_pump(&P);
    assert_int_equal(yamux_session_get_num_streams(P.c.s), 0);
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 0);
    /* 256 SYNs at most were in flight without an ACK */
    (void)echo_all;
}

static void test_many_streams_ping_pong(void **state) {
    (void)state;
    enum { N = 100, ROUNDS = 50 };
    th_init(&P, NULL, NULL);
    yamux_stream *cs[N], *ss[N];
    for (int i = 0; i < N; i++)
        open_pair(&cs[i], &ss[i]);
    char buf[64];
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < N; i++)
            assert_int_equal(yamux_stream_write(cs[i], "ping", 4), 4);
        th_pump(&P);
        for (int i = 0; i < N; i++) {
            assert_int_equal(yamux_stream_read(ss[i], buf, sizeof buf), 4);
            assert_memory_equal(buf, "ping", 4);
            assert_int_equal(yamux_stream_write(ss[i], "pong", 4), 4);
        }
        th_pump(&P);
        for (int i = 0; i < N; i++) {
            assert_int_equal(yamux_stream_read(cs[i], buf, sizeof buf), 4);
            assert_memory_equal(buf, "pong", 4);
        }
    }
}

static void test_backlog_exceeded(void **state) {
    (void)state;
    yamux_config c = cfg();
    c.max_inflight_opens = 1000;
    th_init(&P, &c, NULL);
    yamux_stream *cs[300];
    for (int i = 0; i < 300; i++) {
        assert_int_equal(yamux_session_open(P.c.s, &cs[i]), YAMUX_OK);
        th_track(cs[i]);
    }
    th_pump(&P);
    assert_int_equal(yamux_session_get_backlog(P.sv.s), 256);
    for (int i = 0; i < 300; i++)
        assert_int_equal(!!(th_track(cs[i])->events & YAMUX_EV_RESET), i >= 256);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST), 44);
    /* refused streams are forgotten on both sides once released */
    for (int i = 256; i < 300; i++)
        yamux_stream_release(cs[i]);
    assert_int_equal(yamux_session_get_num_streams(P.c.s), 256);
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 256);
}

static void test_backlog_with_accept(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    for (int batch = 0; batch < 4; batch++) {
        for (int i = 0; i < 100; i++) {
            yamux_stream *st;
            assert_int_equal(yamux_session_open(P.c.s, &st), YAMUX_OK);
            th_track(st);
        }
        th_pump(&P);
        while (yamux_session_accept(P.sv.s)) {
        }
        th_pump(&P);
    }
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST), 0);
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 400);
}

/* At most max_inflight_opens SYNs go out unacknowledged; the rest follow each ACK. */
static void test_inflight_opens(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *st;
    for (int i = 0; i < 300; i++)
        assert_int_equal(yamux_session_open(P.c.s, &st), YAMUX_OK);
    th_pump(&P);
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN), 256);
    for (int i = 0; i < 10; i++)
        assert_non_null(yamux_session_accept(P.sv.s));
    th_pump(&P);
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN), 266);
}

static void test_large_window(void **state) {
    (void)state;
    yamux_config c = cfg();
    c.max_stream_window = 16u << 20;
    c.stream_send_buffer = 16u << 20;
    th_init(&P, &c, &c);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    /* the SYN and the ACK announce the larger window as a delta */
    const yamux_frame *syn = th_last(&P.c, YAMUX_TYPE_WINDOW_UPDATE);
    assert_int_equal(syn->length, (16u << 20) - YAMUX_INITIAL_WINDOW);
    assert_int_equal(yamux_stream_get_send_window(cs), 16u << 20);
    /* 16 MiB flows without the reader reading */
    uint8_t *big = malloc(16u << 20);
    for (size_t k = 0; k < (16u << 20); k++)
        big[k] = th_byte(k, 1);
    assert_int_equal(yamux_stream_write(cs, big, 16u << 20), 16 << 20);
    th_pump(&P);
    assert_int_equal(yamux_stream_get_send_window(cs), 0);
    assert_int_equal(yamux_stream_get_read_available(ss), 16u << 20);
    assert_int_equal(yamux_stream_get_recv_window(ss), 0);
    free(big);
}

static void test_partial_read_window_update(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    static uint8_t buf[YAMUX_INITIAL_WINDOW];
    memset(buf, 7, sizeof buf);
    assert_int_equal(yamux_stream_write(cs, buf, sizeof buf), (ptrdiff_t)sizeof buf);
    th_pump(&P);
    assert_int_equal(yamux_stream_get_send_window(cs), 0);
    size_t updates = th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, 0);
    /* less than half read: no update */
    assert_int_equal(yamux_stream_read(ss, buf, 100000), 100000);
    th_pump(&P);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, 0), updates);
    assert_int_equal(yamux_stream_get_send_window(cs), 0);
    /* past half: one update carrying everything consumed */
    assert_int_equal(yamux_stream_read(ss, buf, 31072), 31072);
    th_pump(&P);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, 0), updates + 1);
    assert_int_equal(th_last(&P.sv, YAMUX_TYPE_WINDOW_UPDATE)->length, 131072);
    assert_int_equal(yamux_stream_get_send_window(cs), 131072);
}

/* A writer blocked on a full window resumes as soon as the reader reads. */
static void test_window_update_during_read(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    static uint8_t buf[1 << 16];
    memset(buf, 1, sizeof buf);
    for (;;) {
        ptrdiff_t k = yamux_stream_write(cs, buf, sizeof buf);
        if (k == YAMUX_EAGAIN) break;
        th_pump(&P);
    }
    assert_int_equal(yamux_stream_get_send_window(cs), 0);
    th_track(cs)->events = 0;
    size_t total = 0;
    ptrdiff_t k;
    while ((k = yamux_stream_read(ss, buf, 4096)) > 0) {
        total += (size_t)k;
        th_pump(&P);
    }
    assert_true(total > YAMUX_INITIAL_WINDOW);
    assert_true(th_track(cs)->events & YAMUX_EV_WRITABLE);
}

static void test_write_timeout(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    /* idle sessions never time out */
    th_advance(&P, 3600 * TH_SEC);
    assert_false(yamux_session_is_closed(P.c.s));
    P.c.blocked = 1; /* the transport stops taking output */
    assert_int_equal(yamux_stream_write(cs, "stuck", 5), 5);
    /* the session asks for a tick at once: the timeout counts from the write, not from the
     * tick an hour ago */
    assert_int_equal(yamux_session_get_next_deadline(P.c.s), P.now);
    th_step(&P);
    th_advance(&P, 9 * TH_SEC);
    assert_false(yamux_session_is_closed(P.c.s));
    th_advance(&P, TH_SEC);
    assert_true(yamux_session_is_closed(P.c.s));
    assert_int_equal(P.c.close_err, YAMUX_EWRITE_TIMEOUT);
}

/* A transport that takes output slowly but steadily is not stalled. */
static void test_write_timeout_slow_progress(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    static uint8_t buf[200000];
    assert_int_equal(yamux_stream_write(cs, buf, sizeof buf), (ptrdiff_t)sizeof buf);
    uint8_t out[1000];
    for (int i = 0; i < 60; i++) { /* 1000 bytes a second for a minute */
        th_advance(&P, TH_SEC);
        assert_true(yamux_session_send(P.c.s, out, sizeof out) > 0);
        assert_false(yamux_session_is_closed(P.c.s));
    }
}

static void test_stream_reset(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss, *other_c, *other_s;
    open_pair(&cs, &ss);
    open_pair(&other_c, &other_s);
    assert_int_equal(yamux_stream_write(cs, "before", 6), 6);
    th_pump(&P);
    assert_int_equal(yamux_stream_reset(cs), YAMUX_OK);
    assert_int_equal(yamux_stream_write(cs, "x", 1), YAMUX_ERESET);
    th_pump(&P);
    char buf[16];
    assert_true(th_track(ss)->events & YAMUX_EV_RESET);
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), YAMUX_ERESET);
    assert_int_equal(yamux_stream_write(ss, "x", 1), YAMUX_ERESET);
    assert_int_equal(yamux_stream_get_error(ss), YAMUX_ERESET);
    yamux_stream_release(cs);
    yamux_stream_release(ss);
    /* the other stream is untouched */
    transfer(other_c, other_s, 100000, 777);
    assert_int_equal(yamux_session_get_num_streams(P.c.s), 1);
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 1);
}

static void test_release_discards(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    static uint8_t buf[1 << 16];
    memset(buf, 3, sizeof buf);
    assert_int_equal(yamux_stream_write(cs, buf, sizeof buf), (ptrdiff_t)sizeof buf);
    th_pump(&P);
    yamux_stream_release(ss); /* unread data dropped, window given back, FIN sent */
    th_pump(&P);
    assert_int_equal(yamux_stream_read(cs, buf, sizeof buf), 0);
    /* the writer can go on: what it sends is discarded and credited */
    for (int i = 0; i < 10; i++) {
        assert_int_equal(yamux_stream_write(cs, buf, sizeof buf), (ptrdiff_t)sizeof buf);
        th_pump(&P);
    }
    assert_true(yamux_stream_get_send_window(cs) > 0);
    assert_int_equal(yamux_stream_close_write(cs), YAMUX_OK);
    th_pump(&P);
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 0);
    yamux_stream_release(cs);
    assert_int_equal(yamux_session_get_num_streams(P.c.s), 0);
}

static void test_stream_limits(void **state) {
    (void)state;
    yamux_config sc = cfg();
    sc.max_streams = 10;
    th_init(&P, NULL, &sc);
    yamux_stream *st;
    for (int i = 0; i < 12; i++) {
        assert_int_equal(yamux_session_open(P.c.s, &st), YAMUX_OK);
        th_track(st);
    }
    th_pump(&P);
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 10);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST), 2);
    /* the bound covers both directions */
    assert_int_equal(yamux_session_open(P.sv.s, &st), YAMUX_ELIMIT);
}

static void test_memory_bound(void **state) {
    (void)state;
    yamux_config sc = cfg();
    sc.max_recv_memory = 3 * YAMUX_INITIAL_WINDOW;
    sc.max_stream_window = 1u << 20;
    th_init(&P, NULL, &sc);
    yamux_stream *st;
    for (int i = 0; i < 4; i++)
        assert_int_equal(yamux_session_open(P.c.s, &st), YAMUX_OK);
    th_pump(&P);
    /* three fit the budget (their windows cannot grow beyond it), the fourth is refused */
    assert_int_equal(yamux_session_get_num_streams(P.sv.s), 3);
    assert_int_equal(th_count(&P.sv, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST), 1);
    while ((st = yamux_session_accept(P.sv.s)) != NULL) {
    }
    th_pump(&P);
    assert_int_equal(yamux_session_get_recv_memory(P.sv.s), 3 * YAMUX_INITIAL_WINDOW);
    assert_int_equal(yamux_session_open(P.sv.s, &st), YAMUX_ELIMIT);
}

static void test_autotune(void **state) {
    (void)state;
    yamux_config c = cfg();
    c.window_autotune = 1;
    c.max_stream_window = 4u << 20;
    th_init(&P, &c, &c);
    th_pump(&P); /* the RTT probes */
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    assert_int_equal(yamux_stream_get_send_window(cs), YAMUX_INITIAL_WINDOW);
    transfer(cs, ss, 32u << 20, 65536);
    /* consumed within an RTT: the window doubled up to the maximum (what the peer holds is
     * never less than half the window) */
    assert_true(yamux_stream_get_recv_window(ss) + yamux_stream_get_read_available(ss) >=
                (2u << 20));
    assert_true(yamux_session_get_recv_memory(P.sv.s) == (4u << 20));
}

static void count_release(void *arg) {
    (*(int *)arg)++;
}

/* Zero-copy writes: the bytes go out from the caller's buffer, released once written, or
 * once dropped by a reset or the session's end. */
static void test_write_ref(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    static uint8_t big[1 << 20];
    for (size_t k = 0; k < sizeof big; k++)
        big[k] = th_byte(k, 1);
    int released = 0;
    assert_int_equal(yamux_stream_write_ref(cs, big, sizeof big, count_release, &released),
                     (ptrdiff_t)sizeof big);
    /* beyond the send buffer: the next one waits */
    assert_int_equal(yamux_stream_write_ref(cs, big, 10, count_release, &released), YAMUX_EAGAIN);
    assert_int_equal(yamux_stream_write(cs, "x", 1), YAMUX_EAGAIN);
    static uint8_t buf[1 << 16];
    uint64_t got = 0;
    while (got < sizeof big) {
        th_pump(&P);
        ptrdiff_t k;
        while ((k = yamux_stream_read(ss, buf, sizeof buf)) > 0) {
            for (ptrdiff_t i = 0; i < k; i++)
                assert_int_equal(buf[i], th_byte(got + (uint64_t)i, 1));
            got += (uint64_t)k;
        }
        assert_int_equal(released, got == sizeof big);
    }
    assert_int_equal(released, 1);
    assert_true(th_track(cs)->events & YAMUX_EV_WRITABLE);
    /* a reset drops what was not sent, and releases it */
    assert_int_equal(yamux_stream_write_ref(cs, big, sizeof big, count_release, &released),
                     (ptrdiff_t)sizeof big);
    th_step(&P);
    assert_int_equal(released, 1);
    assert_int_equal(yamux_stream_reset(cs), YAMUX_OK);
    th_pump(&P);
    assert_int_equal(released, 2);
    /* a session freed with references queued releases them */
    yamux_stream *other;
    assert_int_equal(yamux_session_open(P.c.s, &other), YAMUX_OK);
    assert_int_equal(yamux_stream_write_ref(other, big, 100, count_release, &released), 100);
    yamux_session_free(P.c.s);
    P.c.s = NULL;
    assert_int_equal(released, 3);
}

/* Zero-copy receive: on_data sees payload in place; what it leaves is buffered, in order. */
static uint64_t od_seen;
static int od_calls;

static size_t take_half(th_side *side, yamux_stream *st, const uint8_t *data, size_t len) {
    (void)side;
    size_t take = (len + 1) / 2;
    for (size_t i = 0; i < take; i++)
        assert_int_equal(data[i], th_byte(od_seen + i, yamux_stream_get_id(st)));
    od_seen += take;
    od_calls++;
    return take;
}

static void test_on_data_partial(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    P.sv.data_fn = take_half;
    od_seen = 0;
    od_calls = 0;
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    static uint8_t buf[1 << 16];
    uint64_t total = 3u << 20, sent = 0;
    while (od_seen < total) {
        while (sent < total) {
            size_t n = total - sent < sizeof buf ? (size_t)(total - sent) : sizeof buf;
            for (size_t i = 0; i < n; i++)
                buf[i] = th_byte(sent + i, 1);
            ptrdiff_t k = yamux_stream_write(cs, buf, n);
            if (k <= 0) break;
            sent += (uint64_t)k;
        }
        th_step(&P);
        /* what on_data left behind is read normally, then on_data sees new payload again */
        ptrdiff_t k;
        while ((k = yamux_stream_read(ss, buf, sizeof buf)) > 0) {
            for (ptrdiff_t i = 0; i < k; i++)
                assert_int_equal(buf[i], th_byte(od_seen + (uint64_t)i, 1));
            od_seen += (uint64_t)k;
        }
    }
    assert_int_equal(od_seen, total);
    assert_true(od_calls > 10);
}

static size_t echo_in_place(th_side *side, yamux_stream *st, const uint8_t *data, size_t len) {
    (void)side;
    ptrdiff_t w = yamux_stream_write(st, data, len);
    return w > 0 ? (size_t)w : 0;
}

static size_t reset_on_data(th_side *side, yamux_stream *st, const uint8_t *data, size_t len) {
    (void)side;
    (void)data;
    (void)len;
    yamux_stream_reset(st);
    return 0;
}

static void test_on_data_echo_and_reset(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    P.sv.data_fn = echo_in_place;
    yamux_stream *cs, *ss, *cs2, *ss2;
    open_pair(&cs, &ss);
    static uint8_t out[200000], in[200000];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = th_byte(i, 5);
    size_t w = 0, r = 0;
    while (r < sizeof out) {
        if (w < sizeof out) {
            ptrdiff_t k = yamux_stream_write(cs, out + w, sizeof out - w);
            if (k > 0) w += (size_t)k;
        }
        th_step(&P);
        ptrdiff_t k;
        while ((k = yamux_stream_read(cs, in + r, sizeof in - r)) > 0)
            r += (size_t)k;
        /* the echo side reads what on_data could not write back */
        uint8_t tmp[65536];
        while ((k = yamux_stream_read(ss, tmp, sizeof tmp)) > 0)
            assert_int_equal(yamux_stream_write(ss, tmp, (size_t)k), k);
    }
    assert_memory_equal(in, out, sizeof out);
    /* a reset from inside on_data: the rest of the frame is dropped, nothing breaks */
    P.sv.data_fn = reset_on_data;
    open_pair(&cs2, &ss2);
    assert_int_equal(yamux_stream_write(cs2, out, 50000), 50000);
    th_pump(&P);
    assert_true(th_track(cs2)->events & YAMUX_EV_RESET);
    assert_int_equal(yamux_stream_read(ss2, in, sizeof in), YAMUX_ERESET);
    assert_false(yamux_session_is_closed(P.sv.s));
}

/* ---- from the code review: stale clocks, mid-frame release, GoAway, stats ---------------- */

/* An idle session (no timers, so nobody ticks it) opens a stream or pings much later: the
 * open and ping timeouts count from then, not from the last tick. */
static void test_timers_after_idle(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *a, *b;
    open_pair(&a, &b);
    assert_int_equal(yamux_session_get_next_deadline(P.c.s), UINT64_MAX);
    P.now += 3600 * TH_SEC; /* an hour passes without a tick */
    yamux_stream *late;
    assert_int_equal(yamux_session_open(P.c.s, &late), YAMUX_OK);
    assert_int_equal(yamux_session_ping(P.c.s, NULL), YAMUX_OK);
    P.sv.blocked = 1; /* no ACK, no answer */
    th_pump(&P);
    th_advance(&P, 9 * TH_SEC);
    assert_int_equal(P.c.pings, 0); /* not timed out at the first tick */
    assert_false(yamux_session_is_closed(P.c.s));
    th_advance(&P, TH_SEC);
    assert_int_equal(P.c.pings, 1);
    assert_int_equal(P.c.last_ping_status, YAMUX_ETIMEOUT);
    th_advance(&P, 64 * TH_SEC);
    assert_false(yamux_session_is_closed(P.c.s));
    th_advance(&P, TH_SEC);
    assert_int_equal(P.c.close_err, YAMUX_EOPEN_TIMEOUT);
}

/* The close timeout runs from our FIN: data still queued ahead of it is not cut short. */
static void test_close_timer_starts_at_fin(void **state) {
    (void)state;
    yamux_config c = cfg();
    c.stream_send_buffer = 1u << 20; /* more queued than the peer's window */
    th_init(&P, &c, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    static uint8_t buf[400000];
    assert_int_equal(yamux_stream_write(cs, buf, sizeof buf), (ptrdiff_t)sizeof buf);
    assert_int_equal(yamux_stream_close_write(cs), YAMUX_OK);
    th_pump(&P); /* a window's worth goes; the rest (and the FIN) wait for the reader */
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_FIN), 0);
    th_advance(&P, 400 * TH_SEC);
    assert_int_equal(yamux_stream_get_error(cs), 0);
    uint8_t rd[65536];
    while (yamux_stream_read(ss, rd, sizeof rd) > 0)
        th_pump(&P);
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_FIN), 1);
    th_advance(&P, 299 * TH_SEC);
    assert_int_equal(yamux_stream_get_error(cs), 0);
    th_advance(&P, TH_SEC);
    assert_int_equal(yamux_stream_get_error(cs), YAMUX_ETIMEOUT);
}

/* Releasing a stream while a frame of it is still arriving gives its whole window back. */
static void test_release_mid_frame(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    uint8_t h[2 * YAMUX_HEADER_SIZE];
    th_hdr(h, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0);
    th_hdr(h + YAMUX_HEADER_SIZE, YAMUX_TYPE_DATA, 0, 1, YAMUX_INITIAL_WINDOW); /* a full window */
    assert_int_equal(th_inject(&P.sv, h, sizeof h), (ptrdiff_t)sizeof h);
    yamux_stream *st = yamux_session_accept(P.sv.s);
    static uint8_t pay[YAMUX_INITIAL_WINDOW];
    assert_int_equal(th_inject(&P.sv, pay, 1000), 1000);
    yamux_stream_release(st);
    assert_int_equal(th_inject(&P.sv, pay + 1000, sizeof pay - 1000),
                     (ptrdiff_t)(sizeof pay - 1000));
    th_drain(&P.sv);
    uint64_t granted = 0;
    for (size_t i = 0; i < P.sv.log.count; i++)
        if (P.sv.log.frames[i].type == YAMUX_TYPE_WINDOW_UPDATE &&
            P.sv.log.frames[i].stream_id == 1)
            granted += P.sv.log.frames[i].length;
    assert_int_equal(granted, YAMUX_INITIAL_WINDOW);
    assert_int_equal(yamux_session_get_recv_memory(P.sv.s), YAMUX_INITIAL_WINDOW);
}

/* After the peer's GoAway, streams whose SYN had not left fail at once with EGOAWAY. */
static void test_goaway_fails_waiting_opens(void **state) {
    (void)state;
    yamux_config c = cfg();
    c.max_inflight_opens = 1;
    th_init(&P, &c, NULL);
    yamux_stream *first, *waiting;
    assert_int_equal(yamux_session_open(P.c.s, &first), YAMUX_OK);
    assert_int_equal(yamux_session_open(P.c.s, &waiting), YAMUX_OK);
    th_track(waiting);
    th_pump(&P); /* one SYN out, the other waits for its ACK */
    assert_int_equal(yamux_session_goaway(P.sv.s), YAMUX_OK);
    th_pump(&P);
    assert_true(th_track(waiting)->events & YAMUX_EV_RESET);
    assert_int_equal(yamux_stream_write(waiting, "x", 1), YAMUX_EGOAWAY);
    assert_int_equal(th_count(&P.c, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN), 1);
}

static size_t close_in_data(th_side *side, yamux_stream *st, const uint8_t *data, size_t len) {
    (void)st;
    (void)data;
    yamux_session_close(side->s);
    return len;
}

/* A session closed from inside on_data parses nothing more of the same input. */
static void test_close_in_on_data(void **state) {
    (void)state;
    th_init(&P, NULL, NULL);
    yamux_stream *cs, *ss;
    open_pair(&cs, &ss);
    P.sv.data_fn = close_in_data;
    yamux_stream *more[3];
    assert_int_equal(yamux_stream_write(cs, "x", 1), 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(yamux_session_open(P.c.s, &more[i]), YAMUX_OK);
    th_step(&P);
    assert_int_equal(P.sv.closed, 1);
    /* The SYNs went out before the data (control frames first): the three streams arrived
     * before the close and can still be accepted, holding nothing but the end. */
    assert_int_equal(yamux_session_get_backlog(P.sv.s), 3);
    yamux_stream *late = yamux_session_accept(P.sv.s);
    assert_non_null(late);
    char c;
    assert_int_equal(yamux_stream_read(late, &c, 1), YAMUX_ESHUTDOWN);
    yamux_stream_release(late);
}

static void test_stats(void **state) {
    (void)state;
    yamux_config sc = cfg();
    sc.accept_backlog = 1;
    th_init(&P, NULL, &sc);
    yamux_stream *a, *b;
    assert_int_equal(yamux_session_open(P.c.s, &a), YAMUX_OK);
    assert_int_equal(yamux_session_open(P.c.s, &b), YAMUX_OK); /* beyond the backlog */
    assert_int_equal(yamux_stream_write(a, "hello", 5), 5);
    assert_int_equal(yamux_session_ping(P.c.s, NULL), YAMUX_OK);
    th_pump(&P);
    yamux_stats c, s;
    yamux_session_get_stats(P.c.s, &c);
    yamux_session_get_stats(P.sv.s, &s);
    assert_int_equal(c.streams_opened, 2);
    assert_int_equal(s.streams_refused, 1);
    assert_int_equal(c.resets_in, 1);
    assert_int_equal(c.data_out, 5);
    assert_int_equal(s.data_in, 5);
    assert_int_equal(c.pings_out, 1);
    assert_int_equal(s.pings_in, 1);
    assert_int_equal(c.bytes_out, s.bytes_in);
    assert_int_equal(s.bytes_out, c.bytes_in);
    assert_int_equal(c.frames_out, s.frames_in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_open_accept_ids, teardown),
        cmocka_unit_test_teardown(test_small_data_and_half_close, teardown),
        cmocka_unit_test_teardown(test_large_data, teardown),
        cmocka_unit_test_teardown(test_very_large_data, teardown),
        cmocka_unit_test_teardown(test_one_byte_splits, teardown),
        cmocka_unit_test_teardown(test_ping, teardown),
        cmocka_unit_test_teardown(test_ping_timeout, teardown),
        cmocka_unit_test_teardown(test_keepalive, teardown),
        cmocka_unit_test_teardown(test_keepalive_busy_peer, teardown),
        cmocka_unit_test_teardown(test_open_timeout, teardown),
        cmocka_unit_test_teardown(test_accept_reports_early_data_after, teardown),
        cmocka_unit_test_teardown(test_open_before_clock, teardown),
        cmocka_unit_test_teardown(test_open_acked_in_time, teardown),
        cmocka_unit_test_teardown(test_close_timeout, teardown),
        cmocka_unit_test_teardown(test_close_before_ack, teardown),
        cmocka_unit_test_teardown(test_goaway, teardown),
        cmocka_unit_test_teardown(test_session_close, teardown),
        cmocka_unit_test_teardown(test_half_close_then_shutdown, teardown),
        cmocka_unit_test_teardown(test_many_streams, teardown),
        cmocka_unit_test_teardown(test_many_streams_ping_pong, teardown),
        cmocka_unit_test_teardown(test_backlog_exceeded, teardown),
        cmocka_unit_test_teardown(test_backlog_with_accept, teardown),
        cmocka_unit_test_teardown(test_inflight_opens, teardown),
        cmocka_unit_test_teardown(test_large_window, teardown),
        cmocka_unit_test_teardown(test_partial_read_window_update, teardown),
        cmocka_unit_test_teardown(test_window_update_during_read, teardown),
        cmocka_unit_test_teardown(test_write_timeout, teardown),
        cmocka_unit_test_teardown(test_write_timeout_slow_progress, teardown),
        cmocka_unit_test_teardown(test_stream_reset, teardown),
        cmocka_unit_test_teardown(test_release_discards, teardown),
        cmocka_unit_test_teardown(test_stream_limits, teardown),
        cmocka_unit_test_teardown(test_memory_bound, teardown),
        cmocka_unit_test_teardown(test_autotune, teardown),
        cmocka_unit_test_teardown(test_write_ref, teardown),
        cmocka_unit_test_teardown(test_timers_after_idle, teardown),
        cmocka_unit_test_teardown(test_close_timer_starts_at_fin, teardown),
        cmocka_unit_test_teardown(test_release_mid_frame, teardown),
        cmocka_unit_test_teardown(test_goaway_fails_waiting_opens, teardown),
        cmocka_unit_test_teardown(test_close_in_on_data, teardown),
        cmocka_unit_test_teardown(test_stats, teardown),
        cmocka_unit_test_teardown(test_on_data_partial, teardown),
        cmocka_unit_test_teardown(test_on_data_echo_and_reset, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
