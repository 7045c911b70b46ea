/* shmq between two processes: a memfd region formatted by the parent, mapped again by the
 * forked child at another address. Both sides send and receive at once (one wait for
 * READABLE|WRITABLE), then a child that dies without closing is detected through its pid. */
#define _GNU_SOURCE /* memfd_create */
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "shmq_internal.h"
#include "shmq_test_util.h"

#define RING (256 * 1024)
#define MTU  16384

typedef struct {
    int fd;
    size_t len;
    void *mem;
} region;

static void region_create(region *r) {
    r->len = yamux_shmq_region_size(RING, MTU);
    r->fd = memfd_create("shmq-test", MFD_CLOEXEC);
    assert_true(r->fd >= 0);
    assert_int_equal(ftruncate(r->fd, (off_t)r->len), 0);
    r->mem = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    assert_true(r->mem != MAP_FAILED);
    assert_int_equal(yamux_shmq_format(r->mem, r->len, RING, MTU), YAMUX_OK);
}

static void region_destroy(region *r) {
    munmap(r->mem, r->len);
    close(r->fd);
}

/* The child maps the region a second time: another address, same memory. */
static void *child_map(region *r) {
    void *m = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    return m == MAP_FAILED || m == r->mem ? NULL : m;
}

static uint64_t count_pkts(uint64_t stream, uint64_t target) {
    uint64_t n = 0, bytes = 0;
    while (bytes < target)
        bytes += tu_pkt_len(stream, n++, MTU);
    return n;
}

/* Sends stream `out` (>= target bytes) and receives stream `in` at the same time.
 * Returns 0 or a line number identifying the failure (the child cannot use cmocka). */
static int exchange(yamux_shmq *q, uint64_t out, uint64_t in, uint64_t target) {
    static unsigned char buf[MTU];
    uint64_t sent = 0, got = 0, nsend = count_pkts(out, target), nrecv = count_pkts(in, target);
    while (sent < nsend || got < nrecv) {
        int progress = 0;
        size_t len = sent < nsend ? tu_pkt_len(out, sent, MTU) : 0;
        if (sent < nsend) {
            tu_fill(buf, len, out, sent);
            int r = yamux_shmq_send(q, buf, len);
            if (r == YAMUX_OK)
                sent++, progress = 1;
            else if (r != YAMUX_EAGAIN)
                return __LINE__;
        }
        if (got < nrecv) {
            const void *p;
            size_t n;
            int r = yamux_shmq_peek(q, &p, &n);
            if (r == YAMUX_OK) {
                if (!tu_check(p, n, in, got, MTU)) return __LINE__;
                yamux_shmq_consume(q);
                got++, progress = 1;
            } else if (r != YAMUX_EAGAIN) {
                return __LINE__;
            }
        }
        if (!progress) {
            unsigned ev =
                (sent < nsend ? YAMUX_SHMQ_WRITABLE : 0) | (got < nrecv ? YAMUX_SHMQ_READABLE : 0);
            if (yamux_shmq_wait(q, ev, len, -1) <= 0) return __LINE__;
        }
    }
    return 0;
}

static void test_two_processes(void **state) {
    (void)state;
    region r;
    region_create(&r);
    uint64_t target = tu_volume(64ull << 20);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        void *m = child_map(&r);
        yamux_shmq *b = NULL;
        int line = !m                                                      ? __LINE__
                   : yamux_shmq_new(&b, m, r.len, YAMUX_SHMQ_SIDE_B, NULL) ? __LINE__
                                                                           : 0;
        if (!line) line = exchange(b, 2, 1, target);
        yamux_shmq_free(b); /* closes, also on failure: the parent must not wait forever */
        _exit(line ? 1 : 0);
    }
    yamux_shmq *a;
    assert_int_equal(yamux_shmq_new(&a, r.mem, r.len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_OK);
    assert_int_equal(exchange(a, 1, 2, target), 0);
    assert_int_equal(yamux_shmq_wait_readable(a, -1), YAMUX_ECLOSED); /* the child closes */
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    yamux_shmq_free(a);
    region_destroy(&r);
}

/* The child attaches (publishing its pid), waits until the parent sleeps, and exits without
 * closing. The parent, blocked without a deadline, must wake with YAMUX_EPEERDEAD. SIGCHLD is
 * ignored so that the dead child is reaped at once (a zombie would still "exist"). */
static void test_dead_process_detected(void **state) {
    (void)state;
    region r;
    region_create(&r);
    void (*old)(int) = signal(SIGCHLD, SIG_IGN);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        void *m = child_map(&r);
        yamux_shmq *b;
        if (!m || yamux_shmq_new(&b, m, r.len, YAMUX_SHMQ_SIDE_B, NULL)) _exit(1);
        while (LOAD_ACQUIRE(yx_shmq_word(m, YAMUX_SHMQ_OFF_BELL(YAMUX_SHMQ_SIDE_A))) == 0)
            sched_yield();
        _exit(0);
    }
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    o.spin_ns = 0;
    o.check_interval_ms = 10;
    yamux_shmq *a;
    assert_int_equal(yamux_shmq_new(&a, r.mem, r.len, YAMUX_SHMQ_SIDE_A, &o), YAMUX_OK);
    assert_int_equal(yamux_shmq_wait_readable(a, -1), YAMUX_EPEERDEAD);
    assert_int_equal(yamux_shmq_send(a, "x", 1), YAMUX_EPEERDEAD);
    yamux_shmq_free(a);
    signal(SIGCHLD, old);
    region_destroy(&r);
}

/* A process id tells death only to a checker in the same pid namespace (a live peer whose pid
 * is not visible here would be declared dead): the C side publishes its namespace beside the
 * pid, and a checker elsewhere leaves the verdict to the heartbeat. */
static void test_pid_checked_in_same_namespace_only(void **state) {
    (void)state;
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0) _exit(0);
    int status;
    assert_int_equal(waitpid(dead, &status, 0), dead); /* reaped: the pid names nobody now */
    for (int same = 0; same < 2; same++) {
        region r;
        region_create(&r);
        yamux_shmq_options o;
        yamux_shmq_options_init(&o);
        o.pid = (int32_t)dead;
        yamux_shmq *a, *b;
        assert_int_equal(yamux_shmq_new(&b, r.mem, r.len, YAMUX_SHMQ_SIDE_B, &o), YAMUX_OK);
        uint32_t *ns = yx_shmq_word(r.mem, YAMUX_SHMQ_OFF_CTRL(1) + YAMUX_SHMQ_CTRL_PID_NS);
        if (yx_shmq_pid_ns() == 0) skip(); /* no namespace id here: pids are never checked */
        assert_int_equal(*ns, yx_shmq_pid_ns());
        if (!same) *ns ^= 1; /* as published by a process of another pid namespace */
        assert_int_equal(yamux_shmq_new(&a, r.mem, r.len, YAMUX_SHMQ_SIDE_A, NULL), YAMUX_OK);
        assert_int_equal(yamux_shmq_check_peer(a), same ? YAMUX_EPEERDEAD : YAMUX_OK);
        yamux_shmq_free(a);
        yamux_shmq_free(b);
        region_destroy(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_processes),
        cmocka_unit_test(test_dead_process_detected),
        cmocka_unit_test(test_pid_checked_in_same_namespace_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
