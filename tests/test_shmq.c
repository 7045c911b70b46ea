/* shmq behaviour on one region: format/attach checks, MTU edge sizes, full/empty, wrap-around
 * (of positions and of the 32-bit indices), padding, batches, zero-copy, readiness, close,
 * re-attach, heartbeats and peer death, and blocked threads woken by close/data/death. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shmq_internal.h"
#include "shmq_test_util.h"

#define RING 4096
#define MTU  1000

static uint32_t word_at(void *mem, uint32_t off) {
    return LOAD_ACQUIRE(yx_shmq_word(mem, off));
}

static void set_word(void *mem, uint32_t off, uint32_t v) {
    STORE_RELEASE(yx_shmq_word(mem, off), v);
}

static void test_region_size_and_format(void **state) {
    (void)state;
    assert_int_equal(yamux_shmq_region_size(4096, 1000), 1024 + 2 * 4096);
    assert_int_equal(yamux_shmq_region_size(4096, 4096 / 2 - 8), 1024 + 2 * 4096);
    assert_int_equal(yamux_shmq_region_size(4096, 4096 / 2 - 7), 0); /* record must fit twice */
    assert_int_equal(yamux_shmq_region_size(4096, 0), 0);
    assert_int_equal(yamux_shmq_region_size(3000, 100), 0);   /* not a power of two */
    assert_int_equal(yamux_shmq_region_size(128, 8), 0);      /* below the minimum */
    assert_int_equal(yamux_shmq_region_size(1u << 31, 8), 0); /* above the maximum */

    size_t len = yamux_shmq_region_size(RING, MTU);
    unsigned char *mem = aligned_alloc(64, len);
    assert_non_null(mem);
    assert_int_equal(yamux_shmq_format(mem, len - 1, RING, MTU), YAMUX_EINVAL);
    assert_int_equal(yamux_shmq_format(mem + 4, len - 64, 1024, 100),
                     YAMUX_EINVAL); /* misaligned */
    assert_int_equal(yamux_shmq_format(NULL, len, RING, MTU), YAMUX_EINVAL);
    yamux_shmq *q;
    memset(mem, 0, len);
    assert_int_equal(yamux_shmq_new(&q, mem, len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_EBADMAGIC);
    assert_int_equal(yamux_shmq_format(mem, len, RING, MTU), YAMUX_OK);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_MAGIC), YAMUX_SHMQ_MAGIC);
    assert_memory_equal(mem, "SHMQ", 4);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_VERSION), 1);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_DATA_OFFSET), 1024);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_TOTAL_SIZE), len);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_RING_BYTES), RING);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_MTU), MTU);
    assert_int_equal(yamux_shmq_new(&q, mem, len - 1, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_ECORRUPT);
    assert_int_equal(yamux_shmq_new(&q, mem, 512, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_EINVAL);
    assert_int_equal(yamux_shmq_new(&q, mem, len, (yamux_shmq_side)2, NULL), YAMUX_EINVAL);
    assert_int_equal(yamux_shmq_new(&q, mem + 8, len - 8, YAMUX_SHMQ_SIDE_A, NULL),
                     YAMUX_EBADMAGIC);
    assert_int_equal(yamux_shmq_new(&q, mem, len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_OK);
    assert_int_equal(yamux_shmq_get_mtu(q), MTU);
    /* the side's state word: generation 1, open */
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_STATE), 1u << 1);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_PID),
                     yx_shmq_self_pid());
    yamux_shmq_free(q);
    free(mem);
}

static void test_mtu_edges(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    static unsigned char buf[MTU + 1], out[MTU + 1];
    size_t sizes[] = {0, 1, MTU - 1, MTU};
    for (size_t i = 0; i < 4; i++) {
        tu_fill(buf, sizes[i], 1, i);
        assert_int_equal(yamux_shmq_send(p.a, buf, sizes[i]), YAMUX_OK);
        size_t n = 12345;
        assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_OK);
        assert_int_equal(n, sizes[i]);
        assert_memory_equal(out, buf, n);
    }
    assert_int_equal(yamux_shmq_send(p.a, buf, MTU + 1), YAMUX_EMSGSIZE);
    void *z;
    assert_int_equal(yamux_shmq_reserve(p.a, MTU + 1, &z), YAMUX_EMSGSIZE);
    yamux_shmq_iov iov = {buf, MTU + 1};
    assert_int_equal(yamux_shmq_send_batch(p.a, &iov, 1), YAMUX_EMSGSIZE);
    assert_int_equal(yamux_shmq_poll(p.a, YAMUX_SHMQ_WRITABLE, MTU + 1), YAMUX_EMSGSIZE);
    assert_int_equal(yamux_shmq_send(p.a, NULL, 0), YAMUX_OK); /* empty packet, no data pointer */
    size_t n;
    assert_int_equal(yamux_shmq_recv(p.b, NULL, 0, &n), YAMUX_OK);
    assert_int_equal(n, 0);

    /* a receive buffer too small keeps the packet */
    assert_int_equal(yamux_shmq_send(p.a, buf, 100), YAMUX_OK);
    assert_int_equal(yamux_shmq_recv(p.b, out, 99, &n), YAMUX_EMSGSIZE);
    assert_int_equal(n, 100);
    assert_int_equal(yamux_shmq_recv(p.b, out, 100, &n), YAMUX_OK);
    assert_int_equal(n, 100);
    assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_EAGAIN);
    tu_pair_free(&p);
}

static void test_full_and_empty(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    unsigned char buf[100], out[MTU];
    size_t n;
    assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_EAGAIN);
    assert_int_equal(yamux_shmq_poll(p.b, YAMUX_SHMQ_READABLE, 0), 0);
    assert_int_equal(yamux_shmq_poll(p.a, YAMUX_SHMQ_WRITABLE | YAMUX_SHMQ_READABLE, 100),
                     YAMUX_SHMQ_WRITABLE);
    int count = 0;
    for (;;) {
        tu_fill(buf, sizeof buf, 2, (uint64_t)count);
        int r = yamux_shmq_send(p.a, buf, sizeof buf);
        if (r == YAMUX_EAGAIN) break;
        assert_int_equal(r, YAMUX_OK);
        count++;
    }
    assert_int_equal(count, RING / 112); /* 8 + 100 -> 112-byte records fill the ring */
    assert_int_equal(yamux_shmq_poll(p.a, YAMUX_SHMQ_WRITABLE, 100), 0);
    assert_int_equal(yamux_shmq_poll(p.a, YAMUX_SHMQ_WRITABLE, RING % 112 - 8),
                     YAMUX_SHMQ_WRITABLE);
    assert_int_equal(yamux_shmq_wait_writable(p.a, 100, 0), YAMUX_ETIMEOUT);
    assert_int_equal(yamux_shmq_poll(p.b, YAMUX_SHMQ_READABLE, 0), YAMUX_SHMQ_READABLE);
    for (int i = 0; i < count; i++) {
        assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_OK);
        assert_int_equal(n, 100);
        tu_fill(buf, sizeof buf, 2, (uint64_t)i);
        assert_memory_equal(out, buf, 100);
    }
    assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_EAGAIN);
    assert_int_equal(yamux_shmq_wait_readable(p.b, 0), YAMUX_ETIMEOUT);
    assert_int_equal(yamux_shmq_wait_readable(p.b, 1000), YAMUX_ETIMEOUT);
    assert_int_equal(yamux_shmq_poll(p.a, YAMUX_SHMQ_WRITABLE, MTU), YAMUX_SHMQ_WRITABLE);
    tu_pair_free(&p);
}

/* Random sizes through a small ring, starting just below 2^32 so that the free-running
 * indices wrap too; checks every packet and that records never straddle the end. */
static void test_wraparound(void **state) {
    (void)state;
    size_t len = yamux_shmq_region_size(1024, 200);
    void *mem = aligned_alloc(64, len);
    assert_int_equal(yamux_shmq_format(mem, len, 1024, 200), YAMUX_OK);
    const uint32_t start = 0xFFFFF000u;
    for (unsigned r = 0; r < 2; r++) {
        set_word(mem, YAMUX_SHMQ_OFF_TAIL(r), start);
        set_word(mem, YAMUX_SHMQ_OFF_HEAD(r), start);
    }
    yamux_shmq *a, *b;
    assert_int_equal(yamux_shmq_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_OK);
    assert_int_equal(yamux_shmq_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL), YAMUX_OK);
    unsigned char buf[200];
    uint64_t sent = 0, got = 0;
    tu_rng rng = {7};
    while (got < 20000) {
        int k = (int)tu_below(&rng, 6);
        for (int i = 0; i < k; i++) {
            size_t l = tu_pkt_len(3, sent, 200);
            tu_fill(buf, l, 3, sent);
            int r = yamux_shmq_send(a, buf, l);
            if (r == YAMUX_EAGAIN) break;
            assert_int_equal(r, YAMUX_OK);
            sent++;
        }
        k = (int)tu_below(&rng, 6);
        for (int i = 0; i < k; i++) {
            const void *d;
            size_t n;
            int r = yamux_shmq_peek(b, &d, &n);
            if (r == YAMUX_EAGAIN) break;
            assert_int_equal(r, YAMUX_OK);
            const unsigned char *pd = d, *lo = (unsigned char *)mem + YAMUX_SHMQ_OFF_DATA(0, 1024);
            assert_true(pd >= lo && pd + n <= lo + 1024); /* contiguous, inside ring 0 */
            assert_true(tu_check(pd, n, 3, got, 200));
            got++;
        }
        yamux_shmq_consume(b);
    }
    assert_true(word_at(mem, YAMUX_SHMQ_OFF_TAIL(0)) < start); /* the index wrapped */
    yamux_shmq_free(a);
    yamux_shmq_free(b);
    free(mem);
}

/* A record that does not fit before the end goes to position 0 after a PAD marker. */
static void test_padding(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, 1024, 400), YAMUX_OK);
    unsigned char buf[400], out[400];
    size_t n;
    memset(buf, 0x5A, sizeof buf);
    for (int i = 0; i < 2; i++) { /* 2 x 408: tail at 816, 208 left */
        assert_int_equal(yamux_shmq_send(p.a, buf, 400), YAMUX_OK);
        assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_OK);
    }
    assert_int_equal(yamux_shmq_poll(p.a, YAMUX_SHMQ_WRITABLE, 400),
                     YAMUX_SHMQ_WRITABLE); /* 208 + 408 fits */
    assert_int_equal(yamux_shmq_send(p.a, buf, 300), YAMUX_OK);
    unsigned char *data0 = (unsigned char *)p.mem + YAMUX_SHMQ_OFF_DATA(0, 1024);
    assert_int_equal(word_at(data0, 816), YAMUX_SHMQ_REC_PAD);
    assert_int_equal(word_at(data0, 0), 300);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_TAIL(0)), 1024 + 312);
    const void *d;
    assert_int_equal(yamux_shmq_peek(p.b, &d, &n), YAMUX_OK);
    assert_ptr_equal(d, data0 + 8);
    assert_int_equal(n, 300);
    yamux_shmq_consume(p.b);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_HEAD(0)), 1024 + 312);
    tu_pair_free(&p);
}

static void test_batches(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    static unsigned char bufs[10][MTU];
    yamux_shmq_iov iov[10];
    for (int i = 0; i < 10; i++) {
        size_t l = (size_t)(i * 100);
        tu_fill(bufs[i], l, 4, (uint64_t)i);
        iov[i] = (yamux_shmq_iov){bufs[i], l};
    }
    /* records of align8(8 + i*100) bytes: the first 9 end at 3688, the 10th (912 bytes) would
     * end at 4600 > 4096. One index update for all of them. */
    assert_int_equal(yamux_shmq_send_batch(p.a, iov, 10), 9);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_TAIL(0)), 3688);
    assert_int_equal(yamux_shmq_send_batch(p.a, iov + 9, 1), YAMUX_EAGAIN);
    assert_int_equal(yamux_shmq_send_batch(p.a, iov, 0), 0);

    static unsigned char outs[10][MTU];
    yamux_shmq_msg msg[10];
    for (int i = 0; i < 10; i++)
        msg[i] = (yamux_shmq_msg){outs[i], MTU, 0};
    msg[5].cap = 499; /* too small for packet 5: the batch stops before it */
    assert_int_equal(yamux_shmq_recv_batch(p.b, msg, 10), 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(msg[i].len, i * 100);
        if (i) assert_memory_equal(outs[i], bufs[i], msg[i].len);
    }
    assert_int_equal(yamux_shmq_recv_batch(p.b, msg + 5, 5), YAMUX_EMSGSIZE);
    assert_int_equal(msg[5].len, 500);
    msg[5].cap = MTU;
    assert_int_equal(yamux_shmq_recv_batch(p.b, msg + 5, 5), 4);
    for (int i = 5; i < 9; i++)
        assert_memory_equal(outs[i], bufs[i], (size_t)(i * 100));
    assert_int_equal(yamux_shmq_recv_batch(p.b, msg, 10), YAMUX_EAGAIN);

    /* an oversized packet inside a batch stops it there */
    yamux_shmq_iov bad[3] = {{bufs[1], 100}, {bufs[2], MTU + 1}, {bufs[3], 300}};
    assert_int_equal(yamux_shmq_send_batch(p.a, bad, 3), 1);
    assert_int_equal(yamux_shmq_send_batch(p.a, bad + 1, 2), YAMUX_EMSGSIZE);
    tu_pair_free(&p);
}

static void test_zero_copy(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    void *w;
    assert_int_equal(yamux_shmq_commit(p.a, 0, 0), YAMUX_EINVAL); /* nothing reserved */
    assert_int_equal(yamux_shmq_reserve(p.a, MTU, &w), YAMUX_OK);
    memset(w, 7, 10);
    assert_int_equal(yamux_shmq_commit(p.a, MTU + 1, 0), YAMUX_EINVAL);
    assert_int_equal(yamux_shmq_commit(p.a, 10, 0), YAMUX_OK); /* shrink to the bytes written */
    assert_int_equal(yamux_shmq_commit(p.a, 10, 0), YAMUX_EINVAL);

    /* YAMUX_SHMQ_MORE: invisible until flushed */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(yamux_shmq_reserve(p.a, 20, &w), YAMUX_OK);
        memset(w, i, 20);
        assert_int_equal(yamux_shmq_commit(p.a, 20, YAMUX_SHMQ_MORE), YAMUX_OK);
    }
    const void *d;
    size_t n;
    assert_int_equal(yamux_shmq_peek(p.b, &d, &n), YAMUX_OK);
    assert_int_equal(n, 10);
    assert_int_equal(((const unsigned char *)d)[9], 7);
    assert_int_equal(yamux_shmq_peek(p.b, &d, &n), YAMUX_EAGAIN);
    assert_int_equal(yamux_shmq_flush(p.a), YAMUX_OK);
    uint32_t head_before = word_at(p.mem, YAMUX_SHMQ_OFF_HEAD(0));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(yamux_shmq_peek(p.b, &d, &n), YAMUX_OK);
        assert_int_equal(n, 20);
        assert_int_equal(((const unsigned char *)d)[19], i);
    }
    assert_int_equal(yamux_shmq_peek(p.b, &d, &n), YAMUX_EAGAIN);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_HEAD(0)), head_before); /* held until release */
    yamux_shmq_consume(p.b);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_HEAD(0)),
                     word_at(p.mem, YAMUX_SHMQ_OFF_TAIL(0)));

    /* an abandoned reservation leaves nothing behind */
    assert_int_equal(yamux_shmq_reserve(p.a, 50, &w), YAMUX_OK);
    assert_int_equal(yamux_shmq_send(p.a, "x", 1), YAMUX_OK);
    assert_int_equal(yamux_shmq_peek(p.b, &d, &n), YAMUX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(yamux_shmq_peek(p.b, &d, &n), YAMUX_EAGAIN);
    tu_pair_free(&p);
}

static void test_both_directions_and_late_attach(void **state) {
    (void)state;
    size_t len = yamux_shmq_region_size(RING, MTU);
    void *mem = aligned_alloc(64, len);
    assert_int_equal(yamux_shmq_format(mem, len, RING, MTU), YAMUX_OK);
    yamux_shmq *a, *b;
    assert_int_equal(yamux_shmq_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_OK);
    assert_int_equal(yamux_shmq_send(a, "early", 5), YAMUX_OK); /* before B exists */
    assert_int_equal(yamux_shmq_check_peer(a), YAMUX_OK);
    assert_int_equal(yamux_shmq_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL), YAMUX_OK);
    char out[16];
    size_t n;
    assert_int_equal(yamux_shmq_recv(b, out, sizeof out, &n), YAMUX_OK);
    assert_memory_equal(out, "early", 5);
    assert_int_equal(yamux_shmq_send(b, "back", 4), YAMUX_OK);
    assert_int_equal(yamux_shmq_recv(a, out, sizeof out, &n), YAMUX_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "back", 4);
    yamux_shmq_free(a);
    yamux_shmq_free(b);
    free(mem);
}

static void test_close(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    assert_int_equal(yamux_shmq_send(p.a, "one", 3), YAMUX_OK);
    void *w;
    assert_int_equal(yamux_shmq_reserve(p.a, 3, &w), YAMUX_OK);
    memcpy(w, "two", 3);
    assert_int_equal(yamux_shmq_commit(p.a, 3, YAMUX_SHMQ_MORE), YAMUX_OK);
    assert_int_equal(yamux_shmq_close(p.a), YAMUX_OK); /* publishes "two" first */
    assert_int_equal(yamux_shmq_close(p.a), YAMUX_OK);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_CTRL(0)) & YAMUX_SHMQ_STATE_CLOSED, 1);
    assert_int_equal(yamux_shmq_send(p.a, "x", 1), YAMUX_ECLOSED);
    char out[8];
    size_t n;
    assert_int_equal(yamux_shmq_recv(p.a, out, sizeof out, &n), YAMUX_ECLOSED);
    assert_int_equal(yamux_shmq_send(p.b, "x", 1), YAMUX_ECLOSED); /* nobody will read */
    assert_int_equal(yamux_shmq_poll(p.b, YAMUX_SHMQ_WRITABLE, 1), YAMUX_ECLOSED);
    assert_int_equal(yamux_shmq_poll(p.b, YAMUX_SHMQ_READABLE | YAMUX_SHMQ_WRITABLE, 1),
                     YAMUX_SHMQ_READABLE);
    assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_OK);
    assert_memory_equal(out, "one", 3);
    assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_OK);
    assert_memory_equal(out, "two", 3);
    assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_ECLOSED);
    assert_int_equal(yamux_shmq_wait_readable(p.b, -1), YAMUX_ECLOSED);
    assert_int_equal(yamux_shmq_check_peer(p.b), YAMUX_OK); /* closed is not dead */
    tu_pair_free(&p);
}

/* A side that attaches again (restarted) bumps its generation: the peer sees a reset, and
 * the new incarnation does not receive what was addressed to the old one. The peer then
 * closes its side: that is how the restarted side learns the conversation is over (before,
 * it never did, and waited for packets that would never come). */
static void test_reattach_is_reset(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    assert_int_equal(yamux_shmq_send(p.b, "stale", 5), YAMUX_OK);
    assert_int_equal(yamux_shmq_send(p.a, "old", 3), YAMUX_OK);
    yamux_shmq *a2;
    assert_int_equal(yamux_shmq_new(&a2, p.mem, p.len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_OK);
    free(p.a); /* the old incarnation crashed: its handle is gone without a close */
    p.a = a2;
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_CTRL(0)) >> 1, 2);
    char out[8];
    size_t n;
    assert_int_equal(yamux_shmq_recv(a2, out, sizeof out, &n), YAMUX_EAGAIN); /* "stale" dropped */
    assert_int_equal(yamux_shmq_send(p.b, "x", 1), YAMUX_EPEERRESET);
    assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_EPEERRESET);
    assert_int_equal(yamux_shmq_check_peer(p.b), YAMUX_EPEERRESET);
    assert_int_equal(yamux_shmq_wait_readable(p.b, -1), YAMUX_EPEERRESET);
    assert_int_equal(yamux_shmq_recv(a2, out, sizeof out, &n), YAMUX_ECLOSED);
    assert_int_equal(yamux_shmq_wait_readable(a2, -1), YAMUX_ECLOSED);
    tu_pair_free(&p);
}

/* Attaching rings the peer's doorbell: a peer asleep in a wait re-checks at once (and sees a
 * restart without waiting for its next liveness slice). */
static void test_attach_rings_the_bell(void **state) {
    (void)state;
    size_t len = yamux_shmq_region_size(RING, MTU);
    void *mem = aligned_alloc(64, len);
    assert_int_equal(yamux_shmq_format(mem, len, RING, MTU), YAMUX_OK);
    yamux_shmq *a, *b;
    assert_int_equal(yamux_shmq_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL), YAMUX_OK);
    yamux_shmq_waiter w;
    assert_int_equal(yamux_shmq_arm(b, YAMUX_SHMQ_READABLE, 0, &w), 0);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_BELL(1)), YAMUX_SHMQ_READABLE);
    assert_int_equal(yamux_shmq_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_OK);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_BELL(1)), 0); /* cleared, and notified */
    yamux_shmq_free(a);
    yamux_shmq_free(b);
    free(mem);
}

static void test_arm_disarm(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    yamux_shmq_waiter w;
    assert_int_equal(yamux_shmq_arm(p.b, 0, 0, &w), YAMUX_EINVAL);
    assert_int_equal(yamux_shmq_arm(p.b, YAMUX_SHMQ_READABLE, 0, NULL), YAMUX_EINVAL);
    assert_int_equal(yamux_shmq_arm(p.b, YAMUX_SHMQ_READABLE, 0, &w), 0);
    assert_int_equal(w.offset, YAMUX_SHMQ_OFF_BELL(1));
    assert_ptr_equal(w.word, (unsigned char *)p.mem + w.offset);
    assert_int_equal(w.value, YAMUX_SHMQ_READABLE);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_BELL(1)), YAMUX_SHMQ_READABLE);
    assert_int_equal(w.timeout_ms, YAMUX_SHMQ_DEFAULT_CHECK_MS);
    /* a send clears the armed doorbell (and would wake a sleeper) */
    assert_int_equal(yamux_shmq_send(p.a, "x", 1), YAMUX_OK);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_BELL(1)), 0);
    yamux_shmq_disarm(p.b);
    assert_int_equal(yamux_shmq_arm(p.b, YAMUX_SHMQ_READABLE, 0, &w),
                     YAMUX_SHMQ_READABLE); /* ready: not armed */
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_BELL(1)), 0);
    /* a release clears a doorbell armed for space; a send does not */
    assert_int_equal(yamux_shmq_arm(p.a, YAMUX_SHMQ_READABLE | YAMUX_SHMQ_WRITABLE, 0, &w),
                     YAMUX_SHMQ_WRITABLE);
    assert_int_equal(yamux_shmq_arm(p.a, YAMUX_SHMQ_READABLE, 0, &w), 0);
    assert_int_equal(yamux_shmq_send(p.b, "y", 1), YAMUX_OK);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_BELL(0)), 0);
    set_word(p.mem, YAMUX_SHMQ_OFF_BELL(0), YAMUX_SHMQ_WRITABLE);
    assert_int_equal(yamux_shmq_send(p.b, "z", 1), YAMUX_OK);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_BELL(0)), YAMUX_SHMQ_WRITABLE);
    char out[4];
    size_t n;
    assert_int_equal(yamux_shmq_recv(p.b, out, sizeof out, &n), YAMUX_OK);
    assert_int_equal(word_at(p.mem, YAMUX_SHMQ_OFF_BELL(0)), 0);
    tu_pair_free(&p);
}

/* Liveness without threads or sleeps: time passes while we spin on the clock. */
static void spin_ms(int64_t ms) {
    int64_t end = yx_shmq_now_ns() + ms * 1000000;
    while (yx_shmq_now_ns() < end)
        yx_shmq_cpu_relax();
}

static void test_heartbeat_liveness(void **state) {
    (void)state;
    size_t len = yamux_shmq_region_size(RING, MTU);
    void *mem = aligned_alloc(64, len);
    assert_int_equal(yamux_shmq_format(mem, len, RING, MTU), YAMUX_OK);
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    o.hb_timeout_ms = 4;
    o.pid = -1;
    yamux_shmq *a, *b;
    assert_int_equal(yamux_shmq_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, &o), YAMUX_OK);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_PID), 0);
    assert_int_equal(word_at(mem, YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_HB_TIMEOUT), 4);
    assert_int_equal(yamux_shmq_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL), YAMUX_OK);
    for (int i = 0; i < 10; i++) { /* A beats: alive however long it takes */
        spin_ms(1);
        yamux_shmq_heartbeat(a);
        assert_int_equal(yamux_shmq_check_peer(b), YAMUX_OK);
    }
    for (int i = 0; i < 10; i++) { /* A moves its index: alive too */
        spin_ms(1);
        assert_int_equal(yamux_shmq_send(a, "x", 1), YAMUX_OK);
        assert_int_equal(yamux_shmq_check_peer(b), YAMUX_OK);
    }
    spin_ms(6); /* A silent longer than its timeout */
    assert_int_equal(yamux_shmq_check_peer(b), YAMUX_EPEERDEAD);
    char out[4];
    size_t n;
    for (int i = 0; i < 10; i++) /* what A sent is still delivered */
        assert_int_equal(yamux_shmq_recv(b, out, sizeof out, &n), YAMUX_OK);
    assert_int_equal(yamux_shmq_recv(b, out, sizeof out, &n), YAMUX_EPEERDEAD);
    assert_int_equal(yamux_shmq_send(b, "x", 1), YAMUX_EPEERDEAD);
    /* A never times B out: B published no heartbeat timeout */
    spin_ms(6);
    assert_int_equal(yamux_shmq_check_peer(a), YAMUX_OK);
    yamux_shmq_free(a);
    yamux_shmq_free(b);
    free(mem);
}

/* A peer that attached with a heartbeat timeout and then went silent: a reader blocked
 * without a deadline wakes with YAMUX_EPEERDEAD. */
static void test_blocked_reader_detects_dead_peer(void **state) {
    (void)state;
    size_t len = yamux_shmq_region_size(RING, MTU);
    void *mem = aligned_alloc(64, len);
    assert_int_equal(yamux_shmq_format(mem, len, RING, MTU), YAMUX_OK);
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    o.hb_timeout_ms = 20;
    o.pid = -1;
    yamux_shmq *a, *b;
    assert_int_equal(yamux_shmq_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, &o), YAMUX_OK);
    assert_int_equal(yamux_shmq_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL), YAMUX_OK);
    assert_int_equal(yamux_shmq_wait_readable(b, -1), YAMUX_EPEERDEAD);
    assert_int_equal(yamux_shmq_wait_writable(b, 1, -1), YAMUX_EPEERDEAD);
    yamux_shmq_free(a);
    yamux_shmq_free(b);
    free(mem);
}

/* ---- threads blocked in a wait ---- */

typedef struct {
    yamux_shmq *q;
    unsigned events;
    size_t len;
    int result;
} waiter_arg;

static void *waiter_main(void *p) {
    waiter_arg *w = p;
    w->result = yamux_shmq_wait(w->q, w->events, w->len, -1);
    return NULL;
}

/* Starts a thread blocked in yamux_shmq_wait() and returns once it announced it sleeps. */
static void start_blocked(pthread_t *t, waiter_arg *w, void *mem, unsigned side) {
    yamux_shmq_set_spin(w->q, 0);
    assert_int_equal(pthread_create(t, NULL, waiter_main, w), 0);
    while (word_at(mem, YAMUX_SHMQ_OFF_BELL(side)) == 0)
        sched_yield();
}

static void test_close_wakes_blocked_reader(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    pthread_t t;
    waiter_arg w = {p.b, YAMUX_SHMQ_READABLE, 0, 0};
    start_blocked(&t, &w, p.mem, 1);
    assert_int_equal(yamux_shmq_close(p.a), YAMUX_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.result, YAMUX_ECLOSED);
    tu_pair_free(&p);
}

static void test_close_wakes_blocked_writer(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    static unsigned char buf[MTU];
    while (yamux_shmq_send(p.b, buf, MTU) == YAMUX_OK)
        continue;
    pthread_t t;
    waiter_arg w = {p.b, YAMUX_SHMQ_WRITABLE, MTU, 0};
    start_blocked(&t, &w, p.mem, 1);
    assert_int_equal(yamux_shmq_close(p.a), YAMUX_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.result, YAMUX_ECLOSED);
    tu_pair_free(&p);
}

static void test_data_and_space_wake_blocked(void **state) {
    (void)state;
    tu_pair p;
    assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
    pthread_t t;
    waiter_arg w = {p.b, YAMUX_SHMQ_READABLE | YAMUX_SHMQ_WRITABLE, MTU, 0};
    static unsigned char buf[MTU];
    while (yamux_shmq_send(p.b, buf, MTU) == YAMUX_OK)
        continue; /* B's send ring full */
    start_blocked(&t, &w, p.mem, 1);
    assert_int_equal(yamux_shmq_send(p.a, "hi", 2), YAMUX_OK); /* data for B wakes it */
    pthread_join(t, NULL);
    assert_int_equal(w.result, YAMUX_SHMQ_READABLE);

    w.events = YAMUX_SHMQ_WRITABLE;
    start_blocked(&t, &w, p.mem, 1);
    size_t n;
    assert_int_equal(yamux_shmq_recv(p.a, buf, MTU, &n), YAMUX_OK); /* space for B wakes it */
    pthread_join(t, NULL);
    assert_int_equal(w.result, YAMUX_SHMQ_WRITABLE);
    tu_pair_free(&p);
}

/* A side blocked in a wait keeps its heartbeat going (so a peer does not declare it dead). */
static void test_waiting_side_beats(void **state) {
    (void)state;
    size_t len = yamux_shmq_region_size(RING, MTU);
    void *mem = aligned_alloc(64, len);
    assert_int_equal(yamux_shmq_format(mem, len, RING, MTU), YAMUX_OK);
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    o.hb_timeout_ms = 8; /* beats at least every 2 ms */
    yamux_shmq *a, *b;
    assert_int_equal(yamux_shmq_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_OK);
    assert_int_equal(yamux_shmq_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, &o), YAMUX_OK);
    pthread_t t;
    waiter_arg w = {b, YAMUX_SHMQ_READABLE, 0, 0};
    start_blocked(&t, &w, mem, 1);
    uint32_t hb0 = word_at(mem, YAMUX_SHMQ_OFF_CTRL(1) + YAMUX_SHMQ_CTRL_HEARTBEAT);
    while (word_at(mem, YAMUX_SHMQ_OFF_CTRL(1) + YAMUX_SHMQ_CTRL_HEARTBEAT) - hb0 < 3)
        sched_yield();
    assert_int_equal(yamux_shmq_send(a, "x", 1), YAMUX_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.result, YAMUX_SHMQ_READABLE);
    yamux_shmq_free(a);
    yamux_shmq_free(b);
    free(mem);
}

/* Waits shorter than the liveness slice used to start the slice afresh at every call: a loop of
 * 20 ms waits on a side that promised a heartbeat every 50 ms (hb_timeout 200 ms) never beat
 * (its peer would declare it dead), and a silent peer was never declared dead. The slice now
 * counts in real time across calls. */
static void test_short_waits_keep_liveness(void **state) {
    (void)state;
    size_t len = yamux_shmq_region_size(RING, MTU);
    void *mem = aligned_alloc(64, len);
    assert_int_equal(yamux_shmq_format(mem, len, RING, MTU), YAMUX_OK);
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    o.hb_timeout_ms = 200;
    o.pid = -1;
    yamux_shmq *a, *b;
    assert_int_equal(yamux_shmq_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, &o), YAMUX_OK);
    assert_int_equal(yamux_shmq_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL), YAMUX_OK);
    const uint32_t hb_a = YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_HEARTBEAT;
    uint32_t last = word_at(mem, hb_a);
    int beats = 0;
    for (int i = 0; i < 40; i++) { /* 800 ms of 20 ms waits: a slice is 50 ms */
        assert_int_equal(yamux_shmq_wait_readable(a, 20 * 1000000), YAMUX_ETIMEOUT);
        uint32_t hb = word_at(mem, hb_a);
        beats += hb != last;
        last = hb;
    }
    assert_true(beats >= 4); /* about 16 */
    /* B goes silent: A, waiting 5 ms at a time, finds it dead */
    yamux_shmq_free(a);
    yamux_shmq_free(b);
    assert_int_equal(yamux_shmq_format(mem, len, RING, MTU), YAMUX_OK);
    assert_int_equal(yamux_shmq_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_OK);
    o.hb_timeout_ms = 60;
    assert_int_equal(yamux_shmq_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, &o), YAMUX_OK);
    int r = YAMUX_ETIMEOUT;
    for (int i = 0; i < 600 && r == YAMUX_ETIMEOUT; i++)
        r = yamux_shmq_wait_readable(a, 5 * 1000000);
    assert_int_equal(r, YAMUX_EPEERDEAD);
    yamux_shmq_free(a);
    free(b); /* it died: no close */
    free(mem);
}

/* The queue's codes are values of yamux_error, each with its own name: an unformatted region
 * used to read as YAMUX_ESTREAMS_EXHAUSTED (-9), a corrupt one as YAMUX_EGOAWAY (-8). */
static void test_errors(void **state) {
    (void)state;
    static const int codes[] = {YAMUX_EAGAIN,    YAMUX_EINVAL,    YAMUX_EMSGSIZE,   YAMUX_ETIMEOUT,
                                YAMUX_ECLOSED,   YAMUX_EPEERDEAD, YAMUX_EPEERRESET, YAMUX_ECORRUPT,
                                YAMUX_EBADMAGIC, YAMUX_EVERSION};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_string_not_equal(yamux_errname(codes[i]), "YAMUX_E?");
        assert_string_not_equal(yamux_strerror(codes[i]), "unknown error");
    }
    assert_string_equal(yamux_errname(YAMUX_ECORRUPT), "YAMUX_ECORRUPT");
    assert_string_equal(yamux_errname(YAMUX_EBADMAGIC), "YAMUX_EBADMAGIC");
    assert_string_equal(yamux_errname(-99), "YAMUX_E?");
    assert_string_equal(yamux_strerror(1), "unknown error");
    uint8_t junk[2048] = {0};
    yamux_shmq *q;
    assert_int_equal(yamux_shmq_new(&q, junk, sizeof junk, YAMUX_SHMQ_SIDE_A, NULL),
                     YAMUX_EBADMAGIC);
    assert_int_equal(yamux_shmq_send(NULL, "x", 1), YAMUX_EINVAL);
    assert_int_equal(yamux_shmq_poll(NULL, YAMUX_SHMQ_READABLE, 0), YAMUX_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_size_and_format),
        cmocka_unit_test(test_mtu_edges),
        cmocka_unit_test(test_full_and_empty),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_both_directions_and_late_attach),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_reattach_is_reset),
        cmocka_unit_test(test_arm_disarm),
        cmocka_unit_test(test_heartbeat_liveness),
        cmocka_unit_test(test_blocked_reader_detects_dead_peer),
        cmocka_unit_test(test_close_wakes_blocked_reader),
        cmocka_unit_test(test_close_wakes_blocked_writer),
        cmocka_unit_test(test_data_and_space_wake_blocked),
        cmocka_unit_test(test_waiting_side_beats),
        cmocka_unit_test(test_short_waits_keep_liveness),
        cmocka_unit_test(test_attach_rings_the_bell),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
