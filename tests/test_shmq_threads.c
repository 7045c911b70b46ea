/* shmq between two threads: a producer and a consumer move >= 256 MiB of self-checking packets
 * of random sizes (sequence and contents verified), mixing every send and receive call, with
 * blocking waits and with pure polling. The producer closes; the consumer must drain exactly
 * what was sent and then see YAMUX_ECLOSED. Also built with ThreadSanitizer (tsan.shmq). */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shmq_test_util.h"

#define MAX_BATCH 8

typedef struct {
    yamux_shmq *q;
    size_t mtu;
    uint64_t stream, target, seed;
    int blocking;
    /* results */
    uint64_t pkts, bytes;
    char fail[160];
} worker;

static int failed(worker *w, const char *what, int r) {
    snprintf(w->fail, sizeof w->fail, "%s: %s (packet %llu)", what, yamux_errname(r),
             (unsigned long long)w->pkts);
    yamux_shmq_close(w->q); /* unblocks the other thread */
    return 0;
}

/* After YAMUX_EAGAIN: sleep in yamux_shmq_wait, or just yield. 1 to go on, 0 on failure. */
static int backoff(worker *w, unsigned ev, size_t len) {
    if (!w->blocking) {
        sched_yield();
        return 1;
    }
    int r = yamux_shmq_wait(w->q, ev, len, -1);
    if (r > 0 || (ev == YAMUX_SHMQ_READABLE && r == YAMUX_ECLOSED)) return 1;
    return failed(w, "wait", r);
}

static void produced(worker *w, size_t len) {
    w->pkts++;
    w->bytes += len;
}

/* One producer step: 1 to go on, 0 on failure. */
static int produce_step(worker *w, tu_rng *rng, unsigned char (*scratch)[65536]) {
    size_t len = tu_pkt_len(w->stream, w->pkts, w->mtu), need = len;
    int r;
    switch (tu_below(rng, 4)) {
    case 0: /* copy one */
        tu_fill(scratch[0], len, w->stream, w->pkts);
        r = yamux_shmq_send(w->q, scratch[0], len);
        if (r == YAMUX_OK) produced(w, len);
        break;
    case 1: { /* copy a batch, one publish */
        yamux_shmq_iov iov[MAX_BATCH];
        int k = 1 + (int)tu_below(rng, MAX_BATCH);
        for (int i = 0; i < k; i++) {
            size_t l = tu_pkt_len(w->stream, w->pkts + (uint64_t)i, w->mtu);
            tu_fill(scratch[i], l, w->stream, w->pkts + (uint64_t)i);
            iov[i] = (yamux_shmq_iov){scratch[i], l};
        }
        r = yamux_shmq_send_batch(w->q, iov, (size_t)k);
        for (int i = 0; i < r; i++)
            produced(w, iov[i].len);
        if (r > 0) r = YAMUX_OK;
        break;
    }
    default: { /* zero-copy: reserve the MTU, write in place, commit the real size */
        int more = tu_below(rng, 2);
        void *p;
        need = tu_below(rng, 2) ? w->mtu : len;
        r = yamux_shmq_reserve(w->q, need, &p);
        if (r == YAMUX_OK) {
            tu_fill(p, len, w->stream, w->pkts);
            r = yamux_shmq_commit(w->q, len, more ? YAMUX_SHMQ_MORE : 0);
            if (r == YAMUX_OK) produced(w, len);
        }
        break;
    }
    }
    if (r == YAMUX_EAGAIN) return backoff(w, YAMUX_SHMQ_WRITABLE, need);
    return r == YAMUX_OK ? 1 : failed(w, "send", r);
}

static void *producer_main(void *arg) {
    worker *w = arg;
    tu_rng rng = {w->seed};
    unsigned char(*scratch)[65536] = malloc(MAX_BATCH * sizeof *scratch);
    while (w->bytes < w->target)
        if (!produce_step(w, &rng, scratch)) break;
    free(scratch);
    if (!w->fail[0]) {
        int r = yamux_shmq_flush(w->q);
        if (r) failed(w, "flush", r);
    }
    yamux_shmq_close(w->q);
    return NULL;
}

static int consumed(worker *w, const void *p, size_t len) {
    if (!tu_check(p, len, w->stream, w->pkts, w->mtu)) return failed(w, "bad packet", 0);
    w->pkts++;
    w->bytes += len;
    return 1;
}

/* One consumer step: 1 to go on, 0 when done (closed) or on failure. */
static int consume_step(worker *w, tu_rng *rng, unsigned char (*buf)[65536]) {
    int r;
    switch (tu_below(rng, 3)) {
    case 0: {
        size_t n;
        r = yamux_shmq_recv(w->q, buf[0], w->mtu, &n);
        if (r == YAMUX_OK && !consumed(w, buf[0], n)) return 0;
        break;
    }
    case 1: {
        yamux_shmq_msg m[MAX_BATCH];
        int k = 1 + (int)tu_below(rng, MAX_BATCH);
        for (int i = 0; i < k; i++)
            m[i] = (yamux_shmq_msg){buf[i], w->mtu, 0};
        r = yamux_shmq_recv_batch(w->q, m, (size_t)k);
        for (int i = 0; i < r; i++)
            if (!consumed(w, m[i].buf, m[i].len)) return 0;
        if (r > 0) r = YAMUX_OK;
        break;
    }
    default: { /* zero-copy: peek several, release once */
        int k = 1 + (int)tu_below(rng, MAX_BATCH), got = 0;
        r = YAMUX_OK;
        while (got < k) {
            const void *p;
            size_t n;
            r = yamux_shmq_peek(w->q, &p, &n);
            if (r != YAMUX_OK) break;
            if (!consumed(w, p, n)) return 0;
            got++;
        }
        yamux_shmq_consume(w->q);
        if (got > 0 && (r == YAMUX_EAGAIN || r == YAMUX_ECLOSED)) r = YAMUX_OK; /* next time */
        break;
    }
    }
    if (r == YAMUX_ECLOSED) return 0;
    if (r == YAMUX_EAGAIN) return backoff(w, YAMUX_SHMQ_READABLE, 0);
    return r == YAMUX_OK ? 1 : failed(w, "recv", r);
}

static void *consumer_main(void *arg) {
    worker *w = arg;
    tu_rng rng = {w->seed};
    unsigned char(*buf)[65536] = malloc(MAX_BATCH * sizeof *buf);
    while (consume_step(w, &rng, buf))
        continue;
    free(buf);
    return NULL;
}

static void run(size_t ring, size_t mtu, uint64_t bytes, int blocking, uint32_t spin_ns) {
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, ring, mtu), YAMUX_OK);
    yamux_shmq_set_spin(p.a, spin_ns);
    yamux_shmq_set_spin(p.b, spin_ns);
    worker prod = {.q = p.a,
                   .mtu = mtu,
                   .stream = ring ^ mtu,
                   .target = bytes,
                   .seed = 11,
                   .blocking = blocking};
    worker cons = prod;
    cons.q = p.b;
    cons.seed = 12;
    pthread_t tp, tc;
    assert_int_equal(pthread_create(&tc, NULL, consumer_main, &cons), 0);
    assert_int_equal(pthread_create(&tp, NULL, producer_main, &prod), 0);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    if (prod.fail[0]) fail_msg("producer: %s", prod.fail);
    if (cons.fail[0]) fail_msg("consumer: %s", cons.fail);
    assert_true(prod.bytes >= bytes);
    assert_int_equal(cons.pkts, prod.pkts);
    assert_int_equal(cons.bytes, prod.bytes);
    if (getenv("SHMQ_TEST_VERBOSE"))
        print_message("ring %zu mtu %zu: %llu packets, %llu bytes\n", ring, mtu,
                      (unsigned long long)cons.pkts, (unsigned long long)cons.bytes);
    tu_pair_free(&p);
}

#define MiB (1024ull * 1024)

static void test_blocking_256mib(void **state) {
    (void)state;
    run(256 * 1024, 16384, tu_volume(256 * MiB), 1, YAMUX_SHMQ_DEFAULT_SPIN_NS);
}

static void test_polling_256mib(void **state) {
    (void)state;
    run(256 * 1024, 16384, tu_volume(256 * MiB), 0, 0);
}

/* Pure futex (no spinning), tiny ring: every full/empty transition sleeps and wakes. */
static void test_futex_small_ring(void **state) {
    (void)state;
    run(1024, 200, tu_volume(4 * MiB), 1, 0);
}

static void test_blocking_large_mtu(void **state) {
    (void)state;
    run(1024 * 1024, 65536, tu_volume(256 * MiB), 1, YAMUX_SHMQ_DEFAULT_SPIN_NS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocking_256mib),
        cmocka_unit_test(test_polling_256mib),
        cmocka_unit_test(test_futex_small_ring),
        cmocka_unit_test(test_blocking_large_mtu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
