/* Window auto-tuning over a link with latency (simulated time, no real clock): a stream's
 * window must grow while it limits throughput, up to max_stream_window, and throughput must
 * follow; a fixed 256 KiB window stays at window/RTT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define US 1000ull
#define MS 1000000ull

/* A one-way pipe with a fixed delay: bytes sent at t arrive at t + delay. */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
    uint64_t *at; /* arrival time of each byte run, parallel to runs */
    size_t *run_end;
    size_t runs, runs_cap;
} pipe_q;

static void pipe_push(pipe_q *p, const uint8_t *d, size_t n, uint64_t at) {
    if (p->len + n > p->cap) {
        p->cap = (p->len + n) * 2;
        p->buf = realloc(p->buf, p->cap);
    }
    if (p->runs == p->runs_cap) {
        p->runs_cap = p->runs_cap ? p->runs_cap * 2 : 64;
        p->at = realloc(p->at, p->runs_cap * sizeof *p->at);
        p->run_end = realloc(p->run_end, p->runs_cap * sizeof *p->run_end);
    }
    memcpy(p->buf + p->len, d, n);
    p->len += n;
    p->at[p->runs] = at;
    p->run_end[p->runs++] = p->len;
}

/* Delivers every byte whose time has come; returns bytes delivered. */
static size_t pipe_deliver(pipe_q *p, yamux_session *to, uint64_t now) {
    size_t ready = 0, r = 0;
    while (r < p->runs && p->at[r] <= now)
        ready = p->run_end[r++];
    if (r == 0) return 0;
    size_t off = 0;
    while (off < ready) {
        ptrdiff_t k = yamux_session_recv(to, p->buf + off, ready - off);
        assert_true(k > 0);
        off += (size_t)k;
    }
    memmove(p->buf, p->buf + ready, p->len - ready);
    p->len -= ready;
    for (size_t i = r; i < p->runs; i++) {
        p->at[i - r] = p->at[i];
        p->run_end[i - r] = p->run_end[i] - ready;
    }
    p->runs -= r;
    return ready;
}

static void pipe_free(pipe_q *p) {
    free(p->buf);
    free(p->at);
    free(p->run_end);
}

/* Runs one stream for `duration` of simulated time over a link of round trip `rtt`; returns
 * payload bytes received during the last quarter of it. */
static uint64_t run_link(int autotune, uint32_t max_window, uint64_t rtt, uint64_t duration,
                         uint32_t *window_seen) {
    yamux_config c;
    yamux_config_init(&c);
    c.enable_keepalive = 0;
    c.window_autotune = autotune;
    c.max_stream_window = max_window;
    c.stream_send_buffer = max_window;
    c.allocator = &th_allocator;
    yamux_session *a, *b;
    assert_int_equal(yamux_session_new(&a, 1, &c, NULL, NULL), 0);
    assert_int_equal(yamux_session_new(&b, 0, &c, NULL, NULL), 0);
    uint64_t now = 1000 * MS;
    yamux_session_tick(a, now);
    yamux_session_tick(b, now);
    yamux_stream *w, *r = NULL;
    assert_int_equal(yamux_session_open(a, &w), 0);
    static uint8_t src[1 << 16], tmp[1 << 16];
    memset(src, 0x42, sizeof src);
    pipe_q ab = {0}, ba = {0};
    uint64_t got_late = 0, end = now + duration, late = end - duration / 4;
    *window_seen = 0;
    for (; now < end; now += 20 * US) {
        yamux_session_tick(a, now);
        yamux_session_tick(b, now);
        while (yamux_stream_write_ref(w, src, sizeof src, NULL, NULL) > 0) {
        }
        size_t n;
        while ((n = yamux_session_send(a, tmp, sizeof tmp)) > 0)
            pipe_push(&ab, tmp, n, now + rtt / 2);
        while ((n = yamux_session_send(b, tmp, sizeof tmp)) > 0)
            pipe_push(&ba, tmp, n, now + rtt / 2);
        pipe_deliver(&ab, b, now);
        pipe_deliver(&ba, a, now);
        if (!r) r = yamux_session_accept(b);
        if (!r) continue;
        const uint8_t *p;
        size_t k;
        while ((k = yamux_stream_peek(r, &p)) > 0) {
            if (now >= late) got_late += k;
            yamux_stream_consume(r, k);
        }
        uint32_t win = yamux_stream_get_recv_window(r);
        if (win > *window_seen) *window_seen = win;
    }
    yamux_session_free(a);
    yamux_session_free(b);
    pipe_free(&ab);
    pipe_free(&ba);
    assert_int_equal(th_allocated(), 0);
    return got_late;
}

static void test_autotune_grows_under_latency(void **state) {
    (void)state;
    const uint64_t rtt = 1 * MS, duration = 100 * MS;
    const uint32_t max = th_slow() ? 16u << 20 : 4u << 20; /* smaller under valgrind */
    uint32_t wfixed, wtuned;
    uint64_t fixed = run_link(0, YAMUX_INITIAL_WINDOW, rtt, duration, &wfixed);
    uint64_t tuned = run_link(1, max, rtt, duration, &wtuned);
    double quarter = (double)(duration / 4) / (double)rtt; /* round trips in the last quarter */
    print_message("fixed 256 KiB: %.0f KiB/RTT, peak window %u; autotuned: %.0f KiB/RTT, peak %u\n",
                  (double)fixed / quarter / 1024, wfixed, (double)tuned / quarter / 1024, wtuned);
    /* a fixed window moves at most one window per round trip */
    assert_true((double)fixed <= quarter * YAMUX_INITIAL_WINDOW * 1.05);
    /* the tuned window reached the maximum, and throughput followed it */
    assert_true(wtuned > max / 2);
    assert_true((double)tuned >= quarter * (max / 2));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autotune_grows_under_latency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
