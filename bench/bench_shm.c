/* yamux over shmq between two threads, beside the same engine over TCP loopback in the same
 * run: sink throughput for 1, 16 and 256 streams (64 KiB writes), then ping round trips over
 * the queue with and without spinning. Prints a table with ratios.
 *   bench_shm [MiB per cell, default 2048] */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench_args.h"
#include "yamux/shm.h"

#define MIB (1024.0 * 1024.0)

/* ---- transports: shmq, or a TCP loopback socket ------------------------------------------ */

typedef struct side {
    yamux_session *s;
    yamux_shm *shm; /* shmq transport */
    int fd;         /* TCP transport */
    uint8_t *rbuf;
} side;

static int tcp_pump(side *x, int timeout_ms) {
    struct pollfd p = {x->fd, POLLIN, 0};
    if (yamux_session_is_send_pending(x->s)) p.events |= POLLOUT;
    if (poll(&p, 1, timeout_ms) < 0) return -1;
    yamux_session_tick(x->s, yamux_shm_now());
    if (p.revents & POLLIN) {
        ssize_t n = read(x->fd, x->rbuf, 1 << 18);
        if (n <= 0) {
            yamux_session_recv_eof(x->s);
            return -1;
        }
        yamux_session_recv(x->s, x->rbuf, (size_t)n); /* no pings here: never busy */
    }
    for (;;) {
        yamux_iovec iov[64];
        size_t cnt = 64;
        size_t n = yamux_session_send_iov(x->s, iov, &cnt, 1 << 20);
        if (!n) break;
        ssize_t w = writev(x->fd, (struct iovec *)(void *)iov, (int)cnt);
        if (w < 0) w = 0;
        size_t done = (size_t)w;
        yamux_session_send_done(x->s, done);
        if (done < n) {
            /* the socket is full: finish this batch blocking, keeping it simple */
            size_t skip = done, i = 0;
            while (skip >= iov[i].len)
                skip -= iov[i++].len;
            for (; i < cnt; i++, skip = 0) {
                const uint8_t *b = iov[i].base + skip;
                size_t left = iov[i].len - skip;
                while (left) {
                    struct pollfd q = {x->fd, POLLOUT, 0};
                    poll(&q, 1, -1);
                    ssize_t k = write(x->fd, b, left);
                    if (k <= 0) continue;
                    b += k;
                    left -= (size_t)k;
                    yamux_session_send_done(x->s, (size_t)k);
                }
            }
        }
    }
    return 0;
}

static int side_wait(side *x) {
    if (x->shm) return yamux_shm_wait(x->shm, 100000000) < 0 ? -1 : 0;
    return tcp_pump(x, 100);
}

/* ---- the sink workload ------------------------------------------------------------------- */

typedef struct run {
    int streams;
    uint64_t total;
    side cli, srv;
    double secs;
    int err;
} run;

static void *server_main(void *arg) {
    run *r = arg;
    side *x = &r->srv;
    yamux_stream *st[256];
    int n = 0, ended = 0;
    while (ended < r->streams) {
        if (side_wait(x) < 0) {
            r->err = 1;
            break;
        }
        yamux_stream *a;
        while (n < r->streams && (a = yamux_session_accept(x->s)) != NULL)
            st[n++] = a;
        for (int i = 0; i < n; i++) {
            if (!st[i]) continue;
            const uint8_t *p;
            size_t k;
            while ((k = yamux_stream_peek(st[i], &p)) > 0)
                yamux_stream_consume(st[i], k);
            if (yamux_stream_is_eof(st[i])) {
                yamux_stream_close_write(st[i]);
                yamux_stream_release(st[i]);
                st[i] = NULL;
                ended++;
            }
        }
    }
    /* flush the FINs */
    for (int i = 0; i < 50 && yamux_session_is_send_pending(x->s); i++)
        side_wait(x);
    return NULL;
}

static void client_run(run *r) {
    side *x = &r->cli;
    static uint8_t buf[65536];
    memset(buf, 0x5A, sizeof buf);
    yamux_stream *st[256];
    uint64_t per = r->total / (uint64_t)r->streams, sent[256] = {0};
    for (int i = 0; i < r->streams; i++)
        yamux_session_open(x->s, &st[i]);
    uint64_t t0 = yamux_shm_now();
    int done = 0;
    while (done < r->streams) {
        for (int i = 0; i < r->streams; i++) {
            if (!st[i]) continue;
            while (sent[i] < per) {
                size_t n = per - sent[i] < sizeof buf ? (size_t)(per - sent[i]) : sizeof buf;
                ptrdiff_t w = yamux_stream_write_ref(st[i], buf, n, NULL, NULL); /* no copy */
                if (w <= 0) break;
                sent[i] += (uint64_t)w;
                if (sent[i] == per) yamux_stream_close_write(st[i]);
            }
            if (yamux_stream_is_eof(st[i])) { /* the sink's FIN: it has everything */
                yamux_stream_release(st[i]);
                st[i] = NULL;
                done++;
            }
        }
        if (done < r->streams && side_wait(x) < 0) {
            r->err = 1;
            break;
        }
    }
    r->secs = (double)(yamux_shm_now() - t0) / 1e9;
}

/* The sink takes payload in place, as it arrives (zero-copy receive). */
static size_t sink_data(yamux_session *s, yamux_stream *st, const uint8_t *data, size_t len,
                        void *ud) {
    (void)s;
    (void)st;
    (void)data;
    (void)ud;
    return len;
}

static const yamux_callbacks sink_callbacks = {.size = sizeof(yamux_callbacks),
                                               .on_data = sink_data};

static yamux_config bench_config(void) {
    yamux_config c;
    yamux_config_init(&c);
    c.enable_keepalive = 0;
    c.max_inflight_opens = 1024;
    return c;
}

static double run_shm(int streams, uint64_t total) {
    size_t ring = 4u << 20, mtu = 65536, len = yamux_shmq_region_size(ring, mtu);
    void *mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
    yamux_shmq_format(mem, len, ring, mtu);
    run r = {.streams = streams, .total = total};
    yamux_config c = bench_config();
    yamux_shm_new(&r.cli.shm, mem, len, YAMUX_SHMQ_SIDE_A, NULL, 1, &c, NULL, NULL);
    yamux_shm_new(&r.srv.shm, mem, len, YAMUX_SHMQ_SIDE_B, NULL, 0, &c, &sink_callbacks, NULL);
    r.cli.s = yamux_shm_get_session(r.cli.shm);
    r.srv.s = yamux_shm_get_session(r.srv.shm);
    pthread_t th;
    pthread_create(&th, NULL, server_main, &r);
    client_run(&r);
    pthread_join(th, NULL);
    yamux_shm_free(r.cli.shm);
    yamux_shm_free(r.srv.shm);
    free(mem);
    return r.err ? 0 : (double)total / r.secs / MIB;
}

static double run_tcp(int streams, uint64_t total) {
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    bind(ls, (struct sockaddr *)&sa, sizeof sa);
    listen(ls, 1);
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    connect(cfd, (struct sockaddr *)&sa, sizeof sa);
    int sfd = accept(ls, NULL, NULL);
    close(ls);
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    run r = {.streams = streams, .total = total};
    yamux_config c = bench_config();
    yamux_session_new(&r.cli.s, 1, &c, NULL, NULL);
    yamux_session_new(&r.srv.s, 0, &c, &sink_callbacks, NULL);
    r.cli.fd = cfd;
    r.srv.fd = sfd;
    r.cli.rbuf = malloc(1 << 18);
    r.srv.rbuf = malloc(1 << 18);
    pthread_t th;
    pthread_create(&th, NULL, server_main, &r);
    client_run(&r);
    pthread_join(th, NULL);
    yamux_session_free(r.cli.s);
    yamux_session_free(r.srv.s);
    free(r.cli.rbuf);
    free(r.srv.rbuf);
    close(cfd);
    close(sfd);
    return r.err ? 0 : (double)total / r.secs / MIB;
}

/* ---- ping round trips over the queue ----------------------------------------------------- */

typedef struct {
    yamux_shm *b;
    volatile int stop;
} echo_ctx;

static void *ping_server(void *arg) {
    echo_ctx *e = arg;
    while (!e->stop && yamux_shm_wait(e->b, 50000000) >= 0) {
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void on_pong(yamux_session *s, uint32_t opaque, int status, uint64_t rtt, void *ud) {
    (void)s;
    (void)opaque;
    (void)status;
    (void)rtt;
    *(int *)ud = 1;
}

static void run_rtt(uint32_t spin_ns, uint64_t *median, uint64_t *p99) {
    enum { N = 20000 };
    size_t ring = 1u << 16, mtu = 4096, len = yamux_shmq_region_size(ring, mtu);
    void *mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
    yamux_shmq_format(mem, len, ring, mtu);
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    o.spin_ns = spin_ns;
    yamux_config c = bench_config();
    yamux_callbacks cb = {.size = sizeof(yamux_callbacks)};
    cb.on_ping = on_pong;
    int answered = 0;
    yamux_shm *a, *b;
    yamux_shm_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, &o, 1, &c, &cb, &answered);
    yamux_shm_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, &o, 0, &c, NULL, NULL);
    echo_ctx e = {b, 0};
    pthread_t th;
    pthread_create(&th, NULL, ping_server, &e);
    static uint64_t rtt[N];
    yamux_session *s = yamux_shm_get_session(a);
    for (int i = 0; i < N; i++) {
        uint64_t t0 = yamux_shm_now();
        answered = 0;
        yamux_session_ping(s, NULL);
        while (!answered)
            yamux_shm_wait(a, 100000000);
        rtt[i] = yamux_shm_now() - t0;
    }
    e.stop = 1;
    yamux_shm_free(a);
    pthread_join(th, NULL);
    yamux_shm_free(b);
    free(mem);
    qsort(rtt, N, sizeof rtt[0], cmp_u64);
    *median = rtt[N / 2];
    *p99 = rtt[N * 99 / 100];
}

int main(int argc, char **argv) {
    bench_check_args("bench_shm", "bench_shm [MiB per cell, default 2048]", argc, argv, 1);
    double mib = argc > 1 ? bench_number("bench_shm", "MiB per cell", argv[1], 1, 1 << 20) : 2048;
    uint64_t total = (uint64_t)mib * (1u << 20);
    printf("yamux (this engine) over shmq between two threads vs over TCP loopback, MiB/s\n\n");
    printf("| streams | over shmq | over TCP | shmq / TCP |\n| ---: | ---: | ---: | ---: |\n");
    int counts[] = {1, 16, 256};
    for (int i = 0; i < 3; i++) {
        double a = run_shm(counts[i], total), b = run_tcp(counts[i], total);
        printf("| %d | %.0f | %.0f | %.2fx |\n", counts[i], a, b, b > 0 ? a / b : 0);
        fflush(stdout);
    }
    printf("\nping round trip over shmq (yamux ping, 20000 rounds)\n\n");
    printf("| waiting | median | p99 |\n| --- | ---: | ---: |\n");
    uint32_t spins[] = {20000, 0};
    const char *names[] = {"spin 20 us, then futex", "futex only"};
    for (int i = 0; i < 2; i++) {
        uint64_t med, p99;
        run_rtt(spins[i], &med, &p99);
        printf("| %s | %.1f us | %.1f us |\n", names[i], med / 1e3, p99 / 1e3);
    }
    return 0;
}
