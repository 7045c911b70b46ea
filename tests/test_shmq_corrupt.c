/* shmq against a buggy or hostile peer: every shared field corrupted in turn, then a fuzz-like
 * loop of random corruptions between random operations. Nothing may crash or read outside
 * the region (run under ASan and valgrind); every call returns valid data or a clear error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shmq_internal.h"
#include "shmq_test_util.h"

#define RING 1024
#define MTU  200

static uint32_t word_at(void *mem, uint32_t off) {
    return LOAD_ACQUIRE(yx_shmq_word(mem, off));
}

static void set_word(void *mem, uint32_t off, uint32_t v) {
    STORE_RELEASE(yx_shmq_word(mem, off), v);
}

/* A pair with some traffic in both directions, partly consumed. */
static void open_busy(tu_pair *p) {
    assert_int_equal(tu_pair_open(p, RING, MTU), YAMUX_OK);
    unsigned char buf[MTU];
    size_t n;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(yamux_shmq_send(p->a, buf, 100), YAMUX_OK);
        assert_int_equal(yamux_shmq_send(p->b, buf, 60), YAMUX_OK);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(yamux_shmq_recv(p->b, buf, sizeof buf, &n), YAMUX_OK);
        assert_int_equal(yamux_shmq_recv(p->a, buf, sizeof buf, &n), YAMUX_OK);
    }
}

static void test_header_fields(void **state) {
    (void)state;
    static const struct {
        uint32_t off, value;
        int want;
    } cases[] = {
        {YAMUX_SHMQ_OFF_MAGIC, 0, YAMUX_EBADMAGIC},
        {YAMUX_SHMQ_OFF_MAGIC, YAMUX_SHMQ_MAGIC ^ 1, YAMUX_EBADMAGIC},
        {YAMUX_SHMQ_OFF_VERSION, 0, YAMUX_EVERSION},
        {YAMUX_SHMQ_OFF_VERSION, 2, YAMUX_EVERSION},
        {YAMUX_SHMQ_OFF_FLAGS, 1, YAMUX_EVERSION},
        {YAMUX_SHMQ_OFF_DATA_OFFSET, 0, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_DATA_OFFSET, 2048, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_TOTAL_SIZE, 0, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_TOTAL_SIZE, 1024 + 2 * RING + 64, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_TOTAL_SIZE, 0xFFFFFFFFu, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_RING_BYTES, 0, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_RING_BYTES, RING + 8, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_RING_BYTES, RING * 2, YAMUX_ECORRUPT}, /* total no longer matches */
        {YAMUX_SHMQ_OFF_RING_BYTES, 0x80000000u, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_MTU, 0, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_MTU, RING / 2 - 7, YAMUX_ECORRUPT},
        {YAMUX_SHMQ_OFF_MTU, 0xFFFFFFFFu, YAMUX_ECORRUPT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_pair p;
        open_busy(&p);
        set_word(p.mem, cases[i].off, cases[i].value);
        yamux_shmq *q;
        assert_int_equal(yamux_shmq_new(&q, p.mem, p.len, YAMUX_SHMQ_SIDE_A, NULL), cases[i].want);
        /* attached handles never read the header again */
        unsigned char buf[MTU];
        size_t n;
        assert_int_equal(yamux_shmq_send(p.a, buf, MTU), YAMUX_OK);
        assert_int_equal(yamux_shmq_recv(p.b, buf, sizeof buf, &n), YAMUX_OK);
        tu_pair_free(&p);
    }
}

/* Indices: B's receive ring is ring 0 (tail written by A), A's send ring has head written by B.
 * Starting state of ring 0: tail 6*112 = 672, head 2*112 = 224. */
static void test_index_fields(void **state) {
    (void)state;
    static const struct {
        int ring_word; /* 0: tail of ring 0 (seen by B), 1: head of ring 0 (seen by A) */
        uint32_t value;
    } cases[] = {
        {0, 671},
        {0, 668},
        {0, 560}, /* misaligned, backwards */
        {0, 672 + RING + 8},
        {0, 0xFFFFFFF8u},
        {0, 0x80000000u},
        {1, 225},
        {1, 112},
        {1, 4096}, /* misaligned, backwards, beyond tail */
        {1, 0xFFFFFFF8u},
        {1, 0x7FFFFFF8u},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_pair p;
        open_busy(&p);
        unsigned char buf[MTU];
        size_t n;
        if (cases[i].ring_word == 0) {
            for (int k = 0; k < 4; k++) /* drain what was valid */
                assert_int_equal(yamux_shmq_recv(p.b, buf, sizeof buf, &n), YAMUX_OK);
            set_word(p.mem, YAMUX_SHMQ_OFF_TAIL(0), cases[i].value);
            assert_int_equal(yamux_shmq_recv(p.b, buf, sizeof buf, &n), YAMUX_ECORRUPT);
            assert_int_equal(yamux_shmq_recv(p.b, buf, sizeof buf, &n),
                             YAMUX_ECORRUPT); /* sticky */
            assert_int_equal(yamux_shmq_wait_readable(p.b, -1), YAMUX_ECORRUPT);
            assert_int_equal(yamux_shmq_send(p.b, buf, 1), YAMUX_ECORRUPT);
        } else {
            /* make A read B's head (224) once, so that "backwards" means something */
            assert_int_equal(yamux_shmq_send(p.a, buf, MTU), YAMUX_OK); /* 144 bytes left */
            assert_int_equal(yamux_shmq_poll(p.a, YAMUX_SHMQ_WRITABLE, MTU), YAMUX_SHMQ_WRITABLE);
            set_word(p.mem, YAMUX_SHMQ_OFF_HEAD(0), cases[i].value);
            int r = YAMUX_OK;
            for (int k = 0; k < 20 && r == YAMUX_OK; k++)
                r = yamux_shmq_send(p.a, buf, MTU);
            assert_int_equal(r, YAMUX_ECORRUPT);
            assert_int_equal(yamux_shmq_wait_writable(p.a, MTU, -1), YAMUX_ECORRUPT);
        }
        tu_pair_free(&p);
    }
}

/* Record headers: B reads ring 0 at position 224, 112-byte records of 100 bytes. */
static void test_record_fields(void **state) {
    (void)state;
    static const uint32_t bad_len[] = {MTU + 1, 0x7FFFFFFFu, 0xFFFFFFFEu, 0x80000000u};
    for (size_t i = 0; i < sizeof bad_len / sizeof bad_len[0] + 3; i++) {
        tu_pair p;
        open_busy(&p);
        unsigned char *data0 = (unsigned char *)p.mem + YAMUX_SHMQ_OFF_DATA(0, RING);
        unsigned char buf[MTU];
        size_t n;
        if (i < sizeof bad_len / sizeof bad_len[0]) {
            set_word(data0, 224, bad_len[i]);
        } else if (i == 4) { /* a length running past the published tail */
            for (int k = 0; k < 3; k++)
                assert_int_equal(yamux_shmq_recv(p.b, buf, sizeof buf, &n), YAMUX_OK);
            set_word(data0, 560, 150);
        } else if (i == 5) { /* PAD where the end of the data area is beyond the tail */
            set_word(data0, 224, YAMUX_SHMQ_REC_PAD);
        } else { /* a record straddling the end: move both indices near the end first */
            yamux_shmq_options o;
            yamux_shmq_options_init(&o);
            set_word(p.mem, YAMUX_SHMQ_OFF_TAIL(0), RING - 16);
            set_word(p.mem, YAMUX_SHMQ_OFF_HEAD(0), RING - 16);
            yamux_shmq *b2; /* re-attach B there: pending discarded, reads at RING - 16 */
            assert_int_equal(yamux_shmq_new(&b2, p.mem, p.len, YAMUX_SHMQ_SIDE_B, &o), YAMUX_OK);
            set_word(data0, RING - 16, 20); /* 32-byte record, 16 bytes left */
            set_word(p.mem, YAMUX_SHMQ_OFF_TAIL(0), RING + 32);
            free(p.b); /* the old incarnation: gone without a close */
            p.b = b2;
        }
        const void *d;
        assert_int_equal(yamux_shmq_peek(p.b, &d, &n), YAMUX_ECORRUPT);
        assert_int_equal(yamux_shmq_recv(p.b, buf, sizeof buf, &n), YAMUX_ECORRUPT);
        assert_int_equal(yamux_shmq_poll(p.b, YAMUX_SHMQ_READABLE, 0), YAMUX_ECORRUPT);
        tu_pair_free(&p);
    }
}

static void test_control_fields(void **state) {
    (void)state;
    tu_pair p;
    unsigned char buf[MTU];
    size_t n;
    /* the peer's state: generation 0 but closed is impossible */
    open_busy(&p);
    set_word(p.mem, YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_STATE, YAMUX_SHMQ_STATE_CLOSED);
    assert_int_equal(yamux_shmq_send(p.b, buf, 1), YAMUX_ECORRUPT);
    tu_pair_free(&p);
    /* a different generation is a reset, even one that only looks older */
    open_busy(&p);
    set_word(p.mem, YAMUX_SHMQ_OFF_CTRL(1) + YAMUX_SHMQ_CTRL_STATE, 0xFFFFFFFEu);
    assert_int_equal(yamux_shmq_send(p.a, buf, 1), YAMUX_EPEERRESET);
    tu_pair_free(&p);
    /* heartbeat, timeout, pid after the peer was seen, doorbells: harmless garbage */
    open_busy(&p);
    set_word(p.mem, YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_HEARTBEAT, 0xDEADBEEFu);
    set_word(p.mem, YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_HB_TIMEOUT, 1);
    set_word(p.mem, YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_PID, 0xFFFFFFFFu);
    set_word(p.mem, YAMUX_SHMQ_OFF_BELL(0), 0xFFFFFFFFu);
    set_word(p.mem, YAMUX_SHMQ_OFF_BELL(1), 0x7u);
    assert_int_equal(yamux_shmq_check_peer(p.b), YAMUX_OK);
    assert_int_equal(yamux_shmq_send(p.b, buf, 10), YAMUX_OK);
    assert_int_equal(yamux_shmq_recv(p.b, buf, sizeof buf, &n), YAMUX_OK);
    assert_int_equal(yamux_shmq_wait_readable(p.a, 1000000), YAMUX_OK);
    /* our own words overwritten by the peer are never read back */
    set_word(p.mem, YAMUX_SHMQ_OFF_TAIL(1), 8);
    assert_int_equal(yamux_shmq_send(p.b, buf, 10), YAMUX_OK);
    tu_pair_free(&p);
    /* a peer pid of 0 or negative is never passed to kill() */
    open_busy(&p);
    set_word(p.mem, YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_PID, 0x80000000u);
    yamux_shmq *b2;
    assert_int_equal(yamux_shmq_new(&b2, p.mem, p.len, YAMUX_SHMQ_SIDE_B, NULL), YAMUX_OK);
    free(p.b); /* the old incarnation is gone without a close */
    p.b = b2;
    assert_int_equal(yamux_shmq_check_peer(b2), YAMUX_OK);
    tu_pair_free(&p);
}

/* ---- fuzz: random traffic, random corruption, random calls ---- */

static uint32_t interesting(tu_rng *r, uint32_t old) {
    switch (tu_below(r, 12)) {
    case 0:
        return 0;
    case 1:
        return 0xFFFFFFFFu;
    case 2:
        return 0x80000000u;
    case 3:
        return MTU;
    case 4:
        return MTU + 1;
    case 5:
        return RING;
    case 6:
        return old + 8;
    case 7:
        return old - 8;
    case 8:
        return old + RING;
    case 9:
        return old ^ (1u << tu_below(r, 32));
    case 10:
        return old + tu_below(r, 64);
    default:
        return (uint32_t)tu_next(r);
    }
}

static void corrupt(tu_rng *r, void *mem, size_t len) {
    uint32_t off;
    switch (tu_below(r, 4)) {
    case 0:
        off = tu_below(r, YAMUX_SHMQ_DATA_OFFSET / 4) * 4;
        break; /* control area */
    case 1: {  /* an index */
        static const uint32_t idx[] = {YAMUX_SHMQ_OFF_TAIL(0), YAMUX_SHMQ_OFF_HEAD(0),
                                       YAMUX_SHMQ_OFF_TAIL(1), YAMUX_SHMQ_OFF_HEAD(1)};
        off = idx[tu_below(r, 4)];
        break;
    }
    case 2:
        off = YAMUX_SHMQ_OFF_CTRL(tu_below(r, 2)) + 4 * tu_below(r, 4);
        break;
    default:
        off =
            YAMUX_SHMQ_DATA_OFFSET + tu_below(r, (uint32_t)(len - YAMUX_SHMQ_DATA_OFFSET) / 4) * 4;
    }
    set_word(mem, off, interesting(r, word_at(mem, off)));
}

static int valid_code(int r) {
    return r <= YAMUX_OK && r >= YAMUX_EVERSION;
}

/* One random call on `q`; checks that the outcome is valid data or a clear error. */
static void random_op(tu_rng *r, yamux_shmq *q, const unsigned char *lo, const unsigned char *hi) {
    static unsigned char buf[MTU + 8];
    size_t n = 0;
    int rc;
    switch (tu_below(r, 11)) {
    case 0:
        rc = yamux_shmq_send(q, buf, tu_below(r, MTU + 2));
        break;
    case 1: {
        yamux_shmq_iov iov[4];
        for (int i = 0; i < 4; i++)
            iov[i] = (yamux_shmq_iov){buf, tu_below(r, MTU + 1)};
        rc = yamux_shmq_send_batch(q, iov, 4);
        assert_true(rc <= 4);
        break;
    }
    case 2: {
        void *w;
        rc = yamux_shmq_reserve(q, tu_below(r, MTU + 1), &w);
        if (rc == YAMUX_OK) {
            assert_true((unsigned char *)w >= lo && (unsigned char *)w <= hi);
            rc = yamux_shmq_commit(q, 0, tu_below(r, 2) ? YAMUX_SHMQ_MORE : 0);
        }
        break;
    }
    case 3:
        rc = yamux_shmq_flush(q);
        break;
    case 4:
        rc = yamux_shmq_recv(q, buf, tu_below(r, MTU + 1), &n);
        if (rc == YAMUX_OK || rc == YAMUX_EMSGSIZE) assert_true(n <= MTU);
        break;
    case 5: {
        unsigned char b2[2][MTU];
        yamux_shmq_msg m[2] = {{b2[0], MTU, 0}, {b2[1], MTU, 0}};
        rc = yamux_shmq_recv_batch(q, m, 2);
        assert_true(rc <= 2);
        for (int i = 0; i < rc; i++)
            assert_true(m[i].len <= MTU);
        break;
    }
    case 6: {
        const void *d;
        rc = yamux_shmq_peek(q, &d, &n);
        if (rc == YAMUX_OK) {
            const unsigned char *p = d;
            assert_true(n <= MTU && p >= lo && p + n <= hi);
            volatile unsigned char sink = n ? p[n - 1] : 0; /* touch: ASan/valgrind check */
            (void)sink;
        }
        break;
    }
    case 7:
        yamux_shmq_consume(q);
        rc = YAMUX_OK;
        break;
    case 8:
        rc = yamux_shmq_poll(q, 1 + tu_below(r, 3), tu_below(r, MTU + 1));
        assert_true(rc <= 3);
        break;
    case 9:
        rc = yamux_shmq_wait(q, 1 + tu_below(r, 3), tu_below(r, MTU + 1), 0);
        assert_true(rc <= 3);
        break;
    default:
        rc = yamux_shmq_check_peer(q);
        break;
    }
    assert_true(rc > 0 || valid_code(rc));
}

static void test_fuzz(void **state) {
    (void)state;
    uint64_t iters = tu_volume(20000);
    for (uint64_t it = 0; it < iters; it++) {
        tu_rng r = {it * 7919 + 1};
        tu_pair p;
        assert_int_equal(tu_pair_open(&p, RING, MTU), YAMUX_OK);
        const unsigned char *lo = p.mem, *hi = lo + p.len;
        int steps = 20 + (int)tu_below(&r, 60);
        for (int s = 0; s < steps; s++) {
            if (tu_below(&r, 8) == 0) corrupt(&r, p.mem, p.len);
            if (tu_below(&r, 150) == 0) { /* a side restarts on the damaged region */
                yamux_shmq **q = tu_below(&r, 2) ? &p.a : &p.b;
                free(*q); /* it crashed: its handle is gone without a close */
                int rc = yamux_shmq_new(q, p.mem, p.len,
                                        q == &p.a ? YAMUX_SHMQ_SIDE_A : YAMUX_SHMQ_SIDE_B, NULL);
                assert_true(valid_code(rc));
                if (rc) break;
            }
            random_op(&r, tu_below(&r, 2) ? p.a : p.b, lo, hi);
        }
        tu_pair_free(&p);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_fields), cmocka_unit_test(test_index_fields),
        cmocka_unit_test(test_record_fields), cmocka_unit_test(test_control_fields),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
