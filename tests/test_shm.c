/* yamux over shmq: the binding, the blocking API, and the stress runs: 64 concurrent streams of
 * random sizes, every byte verified, between two threads and between two processes. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "yamux/block.h"
#include "yamux/shm.h"

#include "shm_internal.h"

#define SEC 1000000000ll

static uint8_t pat(uint64_t k, uint32_t id) {
    return (uint8_t)(k * 31 + id * 7 + (k >> 8));
}

static int slow(void) {
    const char *v = getenv("YAMUX_TEST_SLOW");
    return !v || strcmp(v, "0") != 0;
}

static void *region_new(size_t ring, size_t mtu, size_t *len, int shared) {
    *len = yamux_shmq_region_size(ring, mtu);
    assert_true(*len > 0);
    void *mem = shared ? mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
                       : aligned_alloc(64, (*len + 63) & ~(size_t)63);
    assert_true(mem != NULL && mem != MAP_FAILED);
    assert_int_equal(yamux_shmq_format(mem, *len, ring, mtu), YAMUX_OK);
    return mem;
}

static yamux_config config(void) {
    yamux_config c;
    yamux_config_init(&c);
    c.enable_keepalive = 0;
    return c;
}

/* ---- single thread: both sides polled in turn -------------------------------------------- */

static void pump2(yamux_shm *a, yamux_shm *b) {
    for (int i = 0; i < 100000; i++) {
        ptrdiff_t x = yamux_shm_pump(a, yamux_shm_now());
        ptrdiff_t y = yamux_shm_pump(b, yamux_shm_now());
        if (x <= 0 && y <= 0) return;
    }
    fail_msg("no quiescence");
}

static void test_small_mtu_transfer(void **state) {
    (void)state;
    size_t len;
    void *mem = region_new(4096, 1000, &len, 0); /* frames split across many packets */
    yamux_config c = config();
    yamux_shm *a, *b;
    assert_int_equal(yamux_shm_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL, 1, &c, NULL, NULL), 0);
    assert_int_equal(yamux_shm_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL, 0, &c, NULL, NULL), 0);
    yamux_stream *cs, *ss = NULL;
    assert_int_equal(yamux_session_open(yamux_shm_get_session(a), &cs), 0);
    enum { TOTAL = 3000000 };
    static uint8_t buf[65536];
    uint64_t sent = 0, got = 0;
    while (got < TOTAL) {
        while (sent < TOTAL) {
            size_t n = TOTAL - sent < sizeof buf ? TOTAL - sent : sizeof buf;
            for (size_t i = 0; i < n; i++)
                buf[i] = pat(sent + i, 1);
            ptrdiff_t k = yamux_stream_write(cs, buf, n);
            if (k == YAMUX_EAGAIN) break;
            assert_true(k > 0);
            sent += (uint64_t)k;
        }
        pump2(a, b);
        if (!ss) ss = yamux_session_accept(yamux_shm_get_session(b));
        if (!ss) continue;
        ptrdiff_t k;
        while ((k = yamux_stream_read(ss, buf, sizeof buf)) > 0)
            for (ptrdiff_t i = 0; i < k; i++)
                assert_int_equal(buf[i], pat(got++, 1));
    }
    /* ping both ways through the queue */
    assert_int_equal(yamux_session_ping(yamux_shm_get_session(b), NULL), 0);
    for (int i = 0; i < 100 && yamux_session_get_rtt(yamux_shm_get_session(b)) == 0; i++)
        pump2(a, b);
    assert_true(yamux_session_get_rtt(yamux_shm_get_session(b)) > 0);
    /* a side that goes away: the other sees the end of its transport */
    yamux_session_close(yamux_shm_get_session(a));
    pump2(a, b);
    assert_true(yamux_session_is_closed(yamux_shm_get_session(b)));
    assert_true(yamux_shm_pump(b, yamux_shm_now()) < 0);
    assert_true(yamux_session_is_goaway_received(yamux_shm_get_session(b)));
    assert_int_equal(yamux_session_get_error(yamux_shm_get_session(b)), YAMUX_EEOF);
    yamux_shm_free(a);
    yamux_shm_free(b);
    free(mem);
}

/* A peer that drops the queue without a word: the session ends with YAMUX_EEOF; the stream it
 * opened can still be accepted, with its last words. */
static void test_peer_vanishes(void **state) {
    (void)state;
    size_t len;
    void *mem = region_new(1 << 16, 4096, &len, 0);
    yamux_config c = config();
    yamux_shm *a, *b;
    assert_int_equal(yamux_shm_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL, 1, &c, NULL, NULL), 0);
    assert_int_equal(yamux_shm_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL, 0, &c, NULL, NULL), 0);
    yamux_stream *cs;
    assert_int_equal(yamux_session_open(yamux_shm_get_session(a), &cs), 0);
    assert_int_equal(yamux_stream_write(cs, "last words", 10), 10);
    pump2(a, b);
    yamux_shm_free(a); /* closes side A of the queue */
    yamux_shm_pump(b, yamux_shm_now());
    assert_int_equal(yamux_session_get_error(yamux_shm_get_session(b)), YAMUX_EEOF);
    yamux_stream *ss = yamux_session_accept(yamux_shm_get_session(b));
    assert_non_null(ss);
    char buf[16];
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), 10);
    assert_memory_equal(buf, "last words", 10);
    assert_int_equal(yamux_stream_read(ss, buf, sizeof buf), YAMUX_EEOF);
    yamux_stream_release(ss);
    assert_null(yamux_session_accept(yamux_shm_get_session(b)));
    yamux_shm_free(b);
    free(mem);
}

/* ---- the blocking API across two threads ------------------------------------------------- */

typedef struct {
    void *mem;
    size_t len;
    int streams;
    uint64_t bytes;
    int result;
} echo_args;

static void *blocking_echo_server(void *arg) {
    echo_args *e = arg;
    yamux_config c = config();
    yamux_shm *b;
    e->result = yamux_shm_new(&b, e->mem, e->len, YAMUX_SHMQ_SIDE_B, NULL, 0, &c, NULL, NULL);
    if (e->result) return NULL;
    static uint8_t buf[100000];
    for (int i = 0; i < e->streams && !e->result; i++) {
        int err = 0;
        yamux_stream *st = yamux_block_accept(b, 10 * SEC, &err);
        if (!st) {
            e->result = err;
            break;
        }
        ptrdiff_t n;
        while ((n = yamux_block_read(b, st, buf, sizeof buf, 10 * SEC)) > 0)
            if (yamux_block_write(b, st, buf, (size_t)n, 10 * SEC) != n) e->result = -100;
        if (n < 0) e->result = (int)n;
        yamux_block_close_write(b, st);
        yamux_stream_release(st);
    }
    /* serve until the client is done with us */
    while (yamux_shm_wait(b, 10 * SEC) >= 0) {
    }
    yamux_shm_free(b);
    return NULL;
}

static void test_blocking_api(void **state) {
    (void)state;
    size_t len;
    echo_args e = {.streams = 3};
    e.mem = region_new(1 << 16, 4096, &len, 0);
    e.len = len;
    pthread_t th;
    /* the client attaches first so that the server's attach finds a formatted, live region */
    yamux_config c = config();
    yamux_shm *a;
    assert_int_equal(yamux_shm_new(&a, e.mem, len, YAMUX_SHMQ_SIDE_A, NULL, 1, &c, NULL, NULL), 0);
    assert_int_equal(pthread_create(&th, NULL, blocking_echo_server, &e), 0);
    uint64_t rtt = 0;
    assert_int_equal(yamux_block_ping(a, 10 * SEC, &rtt), 0);
    assert_true(rtt > 0);
    static uint8_t out[300000], in[300000];
    for (int s = 0; s < e.streams; s++) {
        yamux_stream *st;
        assert_int_equal(yamux_block_open(a, &st), 0);
        size_t size = 100000 * (size_t)(s + 1);
        for (size_t i = 0; i < size; i++)
            out[i] = pat(i, yamux_stream_get_id(st));
        /* more than a window: the server echoes while we write, so read as we go */
        size_t w = 0, r = 0;
        while (r < size) {
            if (w < size) {
                size_t n = size - w < 50000 ? size - w : 50000;
                assert_int_equal(yamux_block_write(a, st, out + w, n, 10 * SEC), (ptrdiff_t)n);
                w += n;
                if (w == size) assert_int_equal(yamux_block_close_write(a, st), 0);
            }
            ptrdiff_t k = yamux_block_read(a, st, in + r, size - r, w < size ? 0 : 10 * SEC);
            if (k == YAMUX_ETIMEOUT) continue;
            assert_true(k > 0);
            r += (size_t)k;
        }
        assert_memory_equal(in, out, size);
        assert_int_equal(yamux_block_read(a, st, in, 1, 10 * SEC), 0); /* EOF */
        yamux_stream_release(st);
    }
    /* a read that times out leaves everything usable */
    yamux_stream *idle;
    assert_int_equal(yamux_block_open(a, &idle), 0);
    assert_int_equal(yamux_block_read(a, idle, in, 1, SEC / 100), YAMUX_ETIMEOUT);
    assert_int_equal(yamux_block_sleep(a, SEC / 100), 0);
    yamux_stream_release(idle);
    yamux_block_close(a, 10 * SEC);
    pthread_join(th, NULL);
    assert_int_equal(e.result, 0);
    yamux_shm_free(a);
    free(e.mem);
}

/* ---- stress: 64 streams of random sizes, echoed and verified ----------------------------- */

#define NSTREAMS 64

typedef struct {
    yamux_stream *st;
    uint64_t size, sent, got;
    int done;
} sstream;

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Echo side: accepts NSTREAMS streams and echoes each until its end; non-blocking API driven
 * by yamux_shm_wait. Returns 0 when all were echoed. */
static int stress_server(void *mem, size_t len) {
    yamux_config c = config();
    c.max_stream_window = 1u << 20;
    c.stream_send_buffer = 1u << 20;
    yamux_shm *b;
    if (yamux_shm_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL, 0, &c, NULL, NULL)) return 1;
    yamux_session *s = yamux_shm_get_session(b);
    yamux_stream *st[NSTREAMS];
    int n = 0, finished = 0, fin[NSTREAMS] = {0};
    while (finished < NSTREAMS) {
        if (yamux_shm_wait(b, 30 * SEC) < 0) break;
        yamux_stream *x;
        while (n < NSTREAMS && (x = yamux_session_accept(s)) != NULL)
            st[n++] = x;
        for (int i = 0; i < n; i++) {
            if (fin[i]) continue;
            const uint8_t *p;
            size_t k;
            while ((k = yamux_stream_peek(st[i], &p)) > 0) {
                ptrdiff_t w = yamux_stream_write(st[i], p, k);
                if (w <= 0) break;
                yamux_stream_consume(st[i], (size_t)w);
            }
            if (yamux_stream_is_eof(st[i])) {
                yamux_stream_close_write(st[i]);
                yamux_stream_release(st[i]);
                fin[i] = 1;
                finished++;
            }
        }
    }
    /* let the client finish reading, then leave */
    while (yamux_shm_wait(b, 30 * SEC) >= 0) {
    }
    yamux_shm_free(b);
    return finished == NSTREAMS ? 0 : 2;
}

static void *stress_server_thread(void *arg) {
    echo_args *e = arg;
    e->result = stress_server(e->mem, e->len);
    return NULL;
}

/* Writer/verifier side. Returns total bytes echoed back and verified. */
static uint64_t stress_client(void *mem, size_t len, uint64_t total, uint64_t seed) {
    yamux_config c = config();
    c.max_stream_window = 1u << 20;
    c.stream_send_buffer = 1u << 20;
    yamux_shm *a;
    assert_int_equal(yamux_shm_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL, 1, &c, NULL, NULL), 0);
    yamux_session *s = yamux_shm_get_session(a);
    static sstream ss[NSTREAMS];
    uint64_t x = seed;
    for (int i = 0; i < NSTREAMS; i++) {
        memset(&ss[i], 0, sizeof ss[i]);
        assert_int_equal(yamux_session_open(s, &ss[i].st), 0);
        ss[i].size = splitmix(&x) % (2 * total / NSTREAMS + 1);
    }
    static uint8_t buf[65536];
    uint64_t verified = 0;
    int done = 0;
    while (done < NSTREAMS) {
        for (int i = 0; i < NSTREAMS; i++) {
            sstream *t = &ss[i];
            if (t->done) continue;
            uint32_t id = yamux_stream_get_id(t->st);
            while (t->sent < t->size) {
                size_t n =
                    t->size - t->sent < sizeof buf ? (size_t)(t->size - t->sent) : sizeof buf;
                size_t space = yamux_stream_get_write_space(t->st);
                if (space == 0) break;
                if (n > space) n = space;
                for (size_t k = 0; k < n; k++)
                    buf[k] = pat(t->sent + k, id);
                ptrdiff_t w = yamux_stream_write(t->st, buf, n);
                assert_true(w > 0);
                t->sent += (uint64_t)w;
                if (t->sent == t->size) yamux_stream_close_write(t->st);
            }
            if (t->size == 0 && t->sent == 0 && yamux_stream_get_error(t->st) == 0)
                yamux_stream_close_write(t->st);
            const uint8_t *p;
            size_t k;
            while ((k = yamux_stream_peek(t->st, &p)) > 0) {
                for (size_t j = 0; j < k; j++)
                    if (p[j] != pat(t->got + j, id))
                        fail_msg("stream %u byte %llu", id, (unsigned long long)(t->got + j));
                t->got += k;
                verified += k;
                yamux_stream_consume(t->st, k);
            }
            if (yamux_stream_is_eof(t->st)) {
                assert_int_equal(t->got, t->size);
                t->done = 1;
                done++;
                yamux_stream_release(t->st);
            }
        }
        if (done < NSTREAMS) assert_true(yamux_shm_wait(a, 30 * SEC) >= 0);
    }
    yamux_block_close(a, 10 * SEC);
    yamux_shm_free(a);
    return verified;
}

static uint64_t stress_total(void) {
    const char *v = getenv("YAMUX_STRESS_BYTES");
    if (v) return strtoull(v, NULL, 10);
    return slow() ? (1ull << 30) : (32ull << 20);
}

static void test_stress_threads(void **state) {
    (void)state;
    size_t len;
    echo_args e = {0};
    e.mem = region_new(1 << 20, 65536, &len, 0);
    e.len = len;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stress_server_thread, &e), 0);
    uint64_t total = stress_total();
    uint64_t got = stress_client(e.mem, len, total, 42);
    pthread_join(th, NULL);
    assert_int_equal(e.result, 0);
    assert_true(got >= total / 2); /* random sizes average total/NSTREAMS each */
    free(e.mem);
}

static void test_stress_processes(void **state) {
    (void)state;
    size_t len;
    void *mem = region_new(1 << 20, 65536, &len, 1);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(stress_server(mem, len));
    uint64_t total = stress_total();
    uint64_t got = stress_client(mem, len, total, 7);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(got >= total / 2);
    munmap(mem, len);
}

/* A peer that floods pings and never reads: our answers fill the ring, the session holds the
 * rest of the input back. Waiting must then be for ring space (armed), not a busy loop. */
static void test_flooded_waits_for_space(void **state) {
    (void)state;
    size_t len;
    void *mem = region_new(4096, 1024, &len, 0);
    yamux_config c = config();
    c.write_timeout = 0;
    yamux_shm *a;
    assert_int_equal(yamux_shm_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL, 0, &c, NULL, NULL), 0);
    yamux_shmq *peer;
    assert_int_equal(yamux_shmq_new(&peer, mem, len, YAMUX_SHMQ_SIDE_B, NULL), YAMUX_OK);
    uint8_t pkt[1020];
    uint32_t op = 0;
    for (int round = 0; round < 1000 && !a->hold_len; round++) {
        for (size_t i = 0; i + 12 <= sizeof pkt; i += 12, op++) {
            yamux_frame f = {0, YAMUX_TYPE_PING, YAMUX_FLAG_SYN, 0, op};
            yamux_frame_encode(pkt + i, &f);
        }
        (void)yamux_shmq_send(peer, pkt, sizeof pkt / 12 * 12);
        yamux_shm_pump(a, yamux_shm_now());
    }
    assert_true(a->hold_len > 0);
    assert_true(a->out_blocked);
    yamux_shmq_waiter w;
    uint64_t deadline;
    assert_int_equal(yamux_shm_arm(a, &w, &deadline), 0); /* armed: sleep until space */
    yamux_shm_disarm(a);
    assert_int_equal(yamux_shm_wait(a, SEC / 50), 0); /* slept the 20 ms out, moved nothing */
    /* the peer reads: space frees, the held input goes in */
    uint8_t buf[1024];
    size_t n;
    while (yamux_shmq_recv(peer, buf, sizeof buf, &n) == YAMUX_OK) {
    }
    assert_true(yamux_shm_wait(a, SEC) > 0);
    yamux_shmq_free(peer);
    yamux_shm_free(a);
    free(mem);
}

/* A peer that publishes its last frames and closes while our output waits for ring space:
 * output closed means our output is discarded, not that input ended. Every packet published
 * before the close is still received (docs/shmq.md 4.5); the end of input comes from the
 * receive ring once it is drained. (Before: the failed send ended the session with EEOF and
 * the last 41 bytes were never read.) */
static yamux_stream *accepted;

static void accept_one(yamux_session *s, void *ud) {
    (void)ud;
    if (!accepted) accepted = yamux_session_accept(s);
}

static void test_input_survives_peer_close(void **state) {
    (void)state;
    size_t len;
    void *mem = region_new(4096, 1024, &len, 0);
    yamux_config c = config();
    c.write_timeout = 0;
    yamux_callbacks cb = {.size = sizeof(yamux_callbacks), .on_incoming = accept_one};
    yamux_shm *a;
    assert_int_equal(yamux_shm_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, NULL, 0, &c, &cb, NULL), 0);
    yamux_shmq *peer;
    assert_int_equal(yamux_shmq_new(&peer, mem, len, YAMUX_SHMQ_SIDE_B, NULL), YAMUX_OK);
    uint8_t pkt[1020];
    uint32_t op = 0;
    for (int round = 0; round < 1000 && !a->hold_len; round++) {
        for (size_t i = 0; i + 12 <= sizeof pkt; i += 12, op++) {
            yamux_frame f = {0, YAMUX_TYPE_PING, YAMUX_FLAG_SYN, 0, op};
            yamux_frame_encode(pkt + i, &f);
        }
        (void)yamux_shmq_send(peer, pkt, sizeof pkt / 12 * 12);
        yamux_shm_pump(a, yamux_shm_now());
    }
    assert_true(a->hold_len > 0 && a->out_blocked); /* our answers wait for ring space */
    /* The peer's last words: a stream with "hello" and FIN, GoAway 0; then it closes. */
    uint8_t last[41];
    yamux_frame syn = {0, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0};
    yamux_frame data = {0, YAMUX_TYPE_DATA, YAMUX_FLAG_FIN, 1, 5};
    yamux_frame bye = {0, YAMUX_TYPE_GOAWAY, 0, 0, YAMUX_GOAWAY_NORMAL};
    yamux_frame_encode(last, &syn);
    yamux_frame_encode(last + 12, &data);
    memcpy(last + 24, "hello", 5);
    yamux_frame_encode(last + 29, &bye);
    int sent = 0;
    for (int i = 0; i < 1000 && !sent; i++) {
        sent = yamux_shmq_send(peer, last, sizeof last) == YAMUX_OK;
        if (!sent) yamux_shm_pump(a, yamux_shm_now()); /* frees ring space as it reads */
    }
    assert_true(sent);
    yamux_shmq_free(peer);
    for (int i = 0; i < 100 && yamux_shm_pump(a, yamux_shm_now()) >= 0; i++) {
    }
    yamux_session *s = yamux_shm_get_session(a);
    assert_int_equal(yamux_session_get_error(s), YAMUX_EEOF);
    assert_true(yamux_session_is_goaway_received(s));
    yamux_stream *st = accepted;
    assert_non_null(st);
    char buf[16];
    assert_int_equal(yamux_stream_read(st, buf, sizeof buf), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(yamux_stream_read(st, buf, sizeof buf), 0); /* FIN: a clean end */
    yamux_shm_free(a);
    free(mem);
}

/* The event-loop path (yamux_shm_pump and yamux_shm_arm, the caller doing the sleeping) never
 * beat nor checked the peer: a silent peer went unnoticed however often it polled, and a side
 * that promised a heartbeat was declared dead by a peer that checks. */
static void test_event_loop_path_keeps_liveness(void **state) {
    (void)state;
    size_t len;
    void *mem = region_new(1 << 16, 4096, &len, 0);
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    o.hb_timeout_ms = 100;
    o.pid = -1;
    yamux_config c = config();
    yamux_shm *a;
    assert_int_equal(yamux_shm_new(&a, mem, len, YAMUX_SHMQ_SIDE_A, &o, 1, &c, NULL, NULL), 0);
    yamux_shmq *peer; /* attaches with a heartbeat promise of 200 ms, then says nothing */
    o.hb_timeout_ms = 200;
    assert_int_equal(yamux_shmq_new(&peer, mem, len, YAMUX_SHMQ_SIDE_B, &o), YAMUX_OK);
    const uint32_t hb_a = YAMUX_SHMQ_OFF_CTRL(0) + YAMUX_SHMQ_CTRL_HEARTBEAT;
    uint32_t last = *(volatile uint32_t *)((char *)mem + hb_a);
    int beats = 0;
    ptrdiff_t r = 0;
    for (int i = 0; i < 1000 && r >= 0; i++) {
        r = yamux_shm_pump(a, yamux_shm_now());
        yamux_shmq_waiter w;
        uint64_t deadline;
        if (r >= 0 && yamux_shm_arm(a, &w, &deadline) == 0) yamux_shm_disarm(a);
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
        uint32_t hb = *(volatile uint32_t *)((char *)mem + hb_a);
        beats += hb != last;
        last = hb;
    }
    assert_int_equal(r, YAMUX_EPEERDEAD);
    assert_int_equal(yamux_session_get_error(yamux_shm_get_session(a)), YAMUX_EPEERDEAD);
    assert_true(beats >= 3); /* a slice is 25 ms; the peer is found dead after 200-300 ms */
    yamux_shm_free(a);
    free(peer); /* it died: no close */
    free(mem);
}

/* A callback that polls from inside a poll: the nested call is refused, the byte stream
 * stays whole. */
static yamux_shm *reenter_a;
static int reenter_nested;

static void poll_on_writable(yamux_session *s, yamux_stream *st, unsigned ev, void *ud) {
    (void)s;
    (void)st;
    (void)ud;
    if (ev & YAMUX_EV_WRITABLE) {
        reenter_nested++;
        assert_int_equal(yamux_shm_pump(reenter_a, yamux_shm_now()), YAMUX_EINVAL);
    }
}

static void test_nested_poll(void **state) {
    (void)state;
    size_t len;
    void *mem = region_new(1 << 16, 4096, &len, 0);
    yamux_callbacks ca = {.size = sizeof(yamux_callbacks), .on_stream = poll_on_writable};
    yamux_config c = config();
    yamux_shm *b;
    assert_int_equal(yamux_shm_new(&reenter_a, mem, len, YAMUX_SHMQ_SIDE_A, NULL, 1, &c, &ca, NULL),
                     0);
    assert_int_equal(yamux_shm_new(&b, mem, len, YAMUX_SHMQ_SIDE_B, NULL, 0, &c, NULL, NULL), 0);
    yamux_stream *st, *bs = NULL;
    assert_int_equal(yamux_session_open(yamux_shm_get_session(reenter_a), &st), 0);
    static uint8_t src[1 << 20], dst[1 << 20];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = pat(i, 1);
    size_t w = 0, r = 0;
    for (int it = 0; it < 200000 && r < sizeof src; it++) {
        if (w < sizeof src) {
            ptrdiff_t n = yamux_stream_write(st, src + w, sizeof src - w);
            if (n > 0) w += (size_t)n;
        }
        yamux_shm_pump(reenter_a, yamux_shm_now());
        yamux_shm_pump(b, yamux_shm_now());
        if (!bs) bs = yamux_session_accept(yamux_shm_get_session(b));
        ptrdiff_t n;
        while (bs && (n = yamux_stream_read(bs, dst + r, sizeof dst - r)) > 0)
            r += (size_t)n;
    }
    assert_true(reenter_nested > 0);
    assert_int_equal(r, sizeof src);
    assert_memory_equal(dst, src, sizeof src);
    assert_int_equal(yamux_session_get_error(yamux_shm_get_session(b)), 0);
    yamux_shm_free(reenter_a);
    yamux_shm_free(b);
    free(mem);
}

/* A ping answered while the same yamux_shm_pump() call still runs (a peer that answers within
 * microseconds) has a round trip > 0: the pump ticks again for each round of input, so the
 * answer is not timed with the clock of the pump's start. */
static void *ping_answerer(void *arg) {
    echo_args *e = arg;
    yamux_config c = config();
    yamux_shm *b;
    e->result = yamux_shm_new(&b, e->mem, e->len, YAMUX_SHMQ_SIDE_B, NULL, 0, &c, NULL, NULL);
    if (e->result) return NULL;
    yamux_shmq_set_spin(yamux_shm_get_queue(b), 1000000); /* answer at once, never sleep */
    while (yamux_shm_wait(b, 10 * SEC) >= 0) {
    }
    yamux_shm_free(b);
    return NULL;
}

static void test_ping_rtt_counts_time_within_a_pump(void **state) {
    (void)state;
    size_t len;
    echo_args e = {0};
    e.mem = region_new(1 << 16, 4096, &len, 0);
    e.len = len;
    yamux_config c = config();
    yamux_shm *a;
    assert_int_equal(yamux_shm_new(&a, e.mem, len, YAMUX_SHMQ_SIDE_A, NULL, 1, &c, NULL, NULL), 0);
    yamux_shmq_set_spin(yamux_shm_get_queue(a), 1000000);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, ping_answerer, &e), 0);
    for (int i = 0; i < 300; i++) {
        uint64_t rtt = 0;
        assert_int_equal(yamux_block_ping(a, 10 * SEC, &rtt), 0);
        assert_true(rtt > 0);
    }
    yamux_block_close(a, SEC);
    yamux_shm_free(a);
    pthread_join(th, NULL);
    assert_int_equal(e.result, 0);
    free(e.mem);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_mtu_transfer),
        cmocka_unit_test(test_peer_vanishes),
        cmocka_unit_test(test_blocking_api),
        cmocka_unit_test(test_ping_rtt_counts_time_within_a_pump),
        cmocka_unit_test(test_flooded_waits_for_space),
        cmocka_unit_test(test_nested_poll),
        cmocka_unit_test(test_input_survives_peer_close),
        cmocka_unit_test(test_event_loop_path_keeps_liveness),
        cmocka_unit_test(test_stress_threads),
        cmocka_unit_test(test_stress_processes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
