/* shmq benchmark.
 *
 * 1. Throughput: a producer thread sends full-MTU packets (yamux_shmq_send: one copy in) and a
 *    consumer thread receives them (yamux_shmq_recv: one copy out), for several MTUs and ring
 * sizes; again with batches of 16 (yamux_shmq_send_batch / yamux_shmq_recv_batch: one index update
 * each). Measured in the same run, as references: single-thread memcpy of the same block size into
 * a buffer the size of the ring, and "bare": the same two-thread copy-in/copy-out through a buffer
 * of the ring's size with nothing but a spinning atomic counter per block (the hardware's
 * cross-core ceiling for this pattern).
 * 2. Round trip: a 16-byte ping answered by a 16-byte pong (yamux_shmq_wait_readable + recv + send
 *    on each side), median and p99, with spinning waits and with spin = 0 (pure futex).
 *
 * Every throughput figure is the best of 3 runs (the machine is shared and has 2 cores).
 * usage: bench_shmq [seconds per run, default 0.2] [MTU RING: only this cell]
 * SHMQ_BENCH_SPIN_NS=n sets the spin of the throughput runs (default YAMUX_SHMQ_DEFAULT_SPIN_NS).
 */
#define _GNU_SOURCE /* pthread_setaffinity_np */
#include <pthread.h>
#include <sched.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_args.h"
#include "yamux/shmq.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* best effort */
}

static void die(const char *what, int r) {
    fprintf(stderr, "bench_shmq: %s: %s\n", what, yamux_strerror(r));
    exit(1);
}

/* A formatted region with both sides attached. */
typedef struct {
    void *mem;
    yamux_shmq *a, *b;
} pair;

static void pair_open(pair *p, size_t ring, size_t mtu, uint32_t spin_ns) {
    size_t len = yamux_shmq_region_size(ring, mtu);
    p->mem = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
    if (!p->mem) die("alloc", YAMUX_EINVAL);
    int r = yamux_shmq_format(p->mem, len, ring, mtu);
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    o.spin_ns = spin_ns;
    if (!r) r = yamux_shmq_new(&p->a, p->mem, len, YAMUX_SHMQ_SIDE_A, &o);
    if (!r) r = yamux_shmq_new(&p->b, p->mem, len, YAMUX_SHMQ_SIDE_B, &o);
    if (r) die("attach", r);
}

/* ---- memcpy baseline ---- */

static double memcpy_gbps(size_t block, size_t working_set, double seconds) {
    unsigned char *src = aligned_alloc(4096, block);
    unsigned char *dst = aligned_alloc(4096, working_set);
    memset(src, 1, block);
    memset(dst, 2, working_set);
    size_t slots = working_set / block, i = 0;
    uint64_t bytes = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 64; k++) {
            memcpy(dst + (i++ % slots) * block, src, block);
            __asm__ __volatile__("" : : "r"(dst) : "memory");
        }
        bytes += 64 * block;
    } while ((t = now_s()) - t0 < seconds);
    free(src);
    free(dst);
    return (double)bytes / (t - t0) / 1e9;
}

/* ---- bare two-thread copy: the ceiling ---- */

typedef struct {
    unsigned char *buf;
    size_t block, slots;
    double seconds;
    _Atomic uint64_t head, tail, done;
} bare;

static void *bare_producer(void *arg) {
    bare *b = arg;
    pin(0);
    unsigned char *src = malloc(b->block);
    memset(src, 4, b->block);
    double t0 = now_s();
    uint64_t i = 0;
    for (;; i++) {
        if ((i & 63) == 0 && now_s() - t0 >= b->seconds) break;
        while (i - atomic_load_explicit(&b->head, memory_order_acquire) >= b->slots)
            relax();
        memcpy(b->buf + (i % b->slots) * b->block, src, b->block);
        atomic_store_explicit(&b->tail, i + 1, memory_order_release);
    }
    atomic_store_explicit(&b->done, i + 1, memory_order_release);
    free(src);
    return NULL;
}

static void *bare_consumer(void *arg) {
    bare *b = arg;
    pin(1);
    unsigned char *dst = malloc(b->block);
    for (uint64_t i = 0;; i++) {
        while (atomic_load_explicit(&b->tail, memory_order_acquire) <= i) {
            uint64_t d = atomic_load_explicit(&b->done, memory_order_acquire);
            if (d && i >= d - 1) goto out;
            relax();
        }
        memcpy(dst, b->buf + (i % b->slots) * b->block, b->block);
        atomic_store_explicit(&b->head, i + 1, memory_order_release);
    }
out:
    free(dst);
    return NULL;
}

static double bare_gbps(size_t ring, size_t block, double seconds) {
    bare b = {.buf = aligned_alloc(4096, ring),
              .block = block,
              .slots = ring / block,
              .seconds = seconds};
    memset(b.buf, 0, ring);
    pthread_t tp, tc;
    double t0 = now_s();
    pthread_create(&tc, NULL, bare_consumer, &b);
    pthread_create(&tp, NULL, bare_producer, &b);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    double t = now_s() - t0;
    free(b.buf);
    return (double)atomic_load(&b.head) * (double)block / t / 1e9;
}

/* ---- ring throughput ---- */

#define BATCH 16
#define REPS  3

typedef struct {
    yamux_shmq *q;
    size_t mtu;
    int batch;
    double seconds;
    uint64_t bytes;
} flow;

static int send_some(flow *f, unsigned char *buf) {
    if (f->batch == 1) return yamux_shmq_send(f->q, buf, f->mtu);
    yamux_shmq_iov iov[BATCH];
    for (int i = 0; i < f->batch; i++)
        iov[i] = (yamux_shmq_iov){buf, f->mtu};
    int r = yamux_shmq_send_batch(f->q, iov, (size_t)f->batch);
    return r > 0 ? YAMUX_OK : r;
}

static void *producer(void *arg) {
    flow *f = arg;
    pin(0);
    unsigned char *buf = malloc(f->mtu);
    memset(buf, 3, f->mtu);
    double t0 = now_s();
    for (uint64_t n = 0;; n++) {
        if ((n & 63) == 0 && now_s() - t0 >= f->seconds) break;
        int r;
        while ((r = send_some(f, buf)) == YAMUX_EAGAIN) {
            r = yamux_shmq_wait_writable(f->q, f->mtu, -1);
            if (r) die("wait_writable", r);
        }
        if (r) die("send", r);
    }
    yamux_shmq_close(f->q);
    free(buf);
    return NULL;
}

static int recv_some(flow *f, unsigned char *buf) {
    yamux_shmq_msg m[BATCH];
    for (int i = 0; i < f->batch; i++)
        m[i] = (yamux_shmq_msg){buf + (size_t)i * f->mtu, f->mtu, 0};
    int r = yamux_shmq_recv_batch(f->q, m, (size_t)f->batch);
    for (int i = 0; i < r; i++)
        f->bytes += m[i].len;
    return r > 0 ? YAMUX_OK : r;
}

static void *consumer(void *arg) {
    flow *f = arg;
    pin(1);
    unsigned char *buf = malloc(f->mtu * (size_t)f->batch);
    for (;;) {
        size_t n;
        int r;
        if (f->batch == 1) {
            r = yamux_shmq_recv(f->q, buf, f->mtu, &n);
            if (r == YAMUX_OK) f->bytes += n;
        } else {
            r = recv_some(f, buf);
        }
        if (r == YAMUX_EAGAIN) r = yamux_shmq_wait_readable(f->q, -1);
        if (r == YAMUX_ECLOSED) break;
        if (r) die("recv", r);
    }
    free(buf);
    return NULL;
}

static double ring_gbps(size_t ring, size_t mtu, int batch, double seconds) {
    pair p;
    const char *spin = getenv("SHMQ_BENCH_SPIN_NS");
    pair_open(&p, ring, mtu, spin ? (uint32_t)atol(spin) : YAMUX_SHMQ_DEFAULT_SPIN_NS);
    flow fp = {p.a, mtu, batch, seconds, 0}, fc = {p.b, mtu, batch, seconds, 0};
    pthread_t tp, tc;
    double t0 = now_s();
    pthread_create(&tc, NULL, consumer, &fc);
    pthread_create(&tp, NULL, producer, &fp);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    double t = now_s() - t0;
    yamux_shmq_free(p.a);
    yamux_shmq_free(p.b);
    free(p.mem);
    return (double)fc.bytes / t / 1e9;
}

/* ---- round trip ---- */

typedef struct {
    yamux_shmq *q;
    int count;
    int64_t *samples;
} pingpong;

static void *ponger(void *arg) {
    pingpong *pp = arg;
    pin(1);
    unsigned char buf[16];
    for (int i = 0; i < pp->count; i++) {
        size_t n;
        int r;
        while ((r = yamux_shmq_recv(pp->q, buf, sizeof buf, &n)) == YAMUX_EAGAIN)
            if ((r = yamux_shmq_wait_readable(pp->q, -1))) die("pong wait", r);
        if (r) die("pong recv", r);
        if ((r = yamux_shmq_send(pp->q, buf, n))) die("pong send", r);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void round_trip(const char *label, uint32_t spin_ns, int count) {
    pair p;
    pair_open(&p, 65536, 1024, spin_ns);
    pingpong pp = {p.b, count, NULL};
    int64_t *s = malloc(sizeof *s * (size_t)count);
    pthread_t t;
    pthread_create(&t, NULL, ponger, &pp);
    pin(0);
    unsigned char buf[16] = {0};
    for (int i = 0; i < count; i++) {
        int64_t t0 = now_ns();
        int r = yamux_shmq_send(p.a, buf, sizeof buf);
        if (r) die("ping send", r);
        size_t n;
        while ((r = yamux_shmq_recv(p.a, buf, sizeof buf, &n)) == YAMUX_EAGAIN)
            if ((r = yamux_shmq_wait_readable(p.a, -1))) die("ping wait", r);
        if (r) die("ping recv", r);
        s[i] = now_ns() - t0;
    }
    pthread_join(t, NULL);
    qsort(s, (size_t)count, sizeof *s, cmp_i64);
    printf("  %-28s %8d %10.2f %10.2f %10.2f\n", label, count, (double)s[count / 2] / 1e3,
           (double)s[count * 99 / 100] / 1e3, (double)s[0] / 1e3);
    free(s);
    yamux_shmq_free(p.a);
    yamux_shmq_free(p.b);
    free(p.mem);
}

int main(int argc, char **argv) {
    static const char usage[] = "bench_shmq [SECONDS per run, default 0.2 [MTU RING_BYTES]]";
    bench_check_args("bench_shmq", usage, argc, argv, 3);
    if (argc == 3) {
        fprintf(stderr, "bench_shmq: MTU needs RING_BYTES too; usage: %s\n", usage);
        return 2;
    }
    double secs = argc > 1 ? bench_number("bench_shmq", "SECONDS", argv[1], 0.001, 3600) : 0.2;
    size_t mtus[] = {1024, 16384, 65536};
    size_t rings[] = {64 << 10, 256 << 10, 1 << 20, 4 << 20};
    size_t nm = sizeof mtus / sizeof mtus[0], nr = sizeof rings / sizeof rings[0];
    if (argc > 3) { /* one cell only */
        mtus[0] = (size_t)bench_number("bench_shmq", "MTU", argv[2], 1, 1 << 29);
        rings[0] = (size_t)bench_number("bench_shmq", "RING_BYTES", argv[3], 256, 1 << 30);
        if (!yamux_shmq_region_size(rings[0], mtus[0])) {
            fprintf(stderr, "bench_shmq: RING_BYTES must be a power of two and MTU at most a half "
                            "of it less 8, got %s and %s\n", argv[3], argv[2]);
            return 2;
        }
        nm = nr = 1;
    }

    printf("shmq throughput, full-MTU packets between two threads, GB/s (1e9 bytes/s),\n"
           "best of %d runs of %.2f s:\n",
           REPS, secs);
    printf("  memcpy  one thread copying MTU-sized blocks into a buffer of the ring's size\n"
           "  bare    two threads, copy in + copy out through a buffer of the ring's size,\n"
           "          one spinning atomic counter per block: the cross-core ceiling\n"
           "  shmq    yamux_shmq_send -> yamux_shmq_recv (copy in, copy out), one packet per call\n"
           "  batch   yamux_shmq_send_batch -> yamux_shmq_recv_batch, up to %d packets per call "
           "(at most a\n"
           "          quarter of the ring, so that producer and consumer overlap)\n\n",
           BATCH);
    printf("  %6s %6s %8s %8s %8s %8s %10s %10s %9s\n", "MTU", "ring", "memcpy", "bare", "shmq",
           "batch", "shmq/mcpy", "batch/mcpy", "shmq/bare");
    for (size_t i = 0; i < nm; i++) {
        for (size_t j = 0; j < nr; j++) {
            if (!yamux_shmq_region_size(rings[j], mtus[i])) continue; /* MTU must fit twice */
            /* a batch holds at most a quarter of the ring, so that the two threads overlap */
            size_t nb = rings[j] / 4 / (mtus[i] + 8);
            int batch = nb < 1 ? 1 : nb > BATCH ? BATCH : (int)nb;
            double m = 0, b = 0, r = 0, rb = 0;
            for (int rep = 0; rep < REPS; rep++) {
                m = fmax(m, memcpy_gbps(mtus[i], rings[j], secs));
                b = fmax(b, bare_gbps(rings[j], mtus[i], secs));
                r = fmax(r, ring_gbps(rings[j], mtus[i], 1, secs));
                rb = fmax(rb, ring_gbps(rings[j], mtus[i], batch, secs));
            }
            printf("  %5zuK %5zuK %8.2f %8.2f %8.2f %8.2f %9.0f%% %9.0f%% %8.0f%%\n", mtus[i] >> 10,
                   rings[j] >> 10, m, b, r, rb, 100 * r / m, 100 * rb / m, 100 * r / b);
            fflush(stdout);
        }
    }

    if (argc > 3) return 0;
    printf("\nshmq round trip (16-byte ping, 16-byte pong), microseconds:\n\n");
    printf("  %-28s %8s %10s %10s %10s\n", "mode", "count", "median", "p99", "min");
    round_trip("spin 5 us (default)", YAMUX_SHMQ_DEFAULT_SPIN_NS, 200000);
    round_trip("spin 50 us", 50000, 200000);
    round_trip("spin 0 (futex only)", 0, 20000);
    return 0;
}
