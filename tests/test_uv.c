/* The libuv binding: two sessions over a socketpair in one loop (echo, verified, then a clean
 * close on both sides), a close whose last output a peer never reads (bounded, not hung), a
 * slow link whose progress is reported, and a write error that keeps the input. */
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "yamux/uv.h"

#define TOTAL (8u << 20)

static uint8_t pat(uint64_t k) {
    return (uint8_t)(k * 31 + (k >> 8));
}

typedef struct side {
    yamux_uv *u;
    yamux_stream *st;
    uint64_t sent, got;
    int closed, close_err, is_client;
    struct side *other;
} side;

static void on_closed(yamux_uv *u, int err, void *ud);

/* The session ended (by itself or by our close): release the binding. */
static void on_end(yamux_session *s, int err, void *ud) {
    (void)err;
    (void)ud;
    yamux_uv_close(yamux_uv_from_session(s), on_closed);
}

static void pump(side *x) {
    /* client: write the pattern; server: echo; both: read what comes */
    if (x->is_client) {
        static uint8_t buf[65536];
        while (x->sent < TOTAL) {
            size_t n = TOTAL - x->sent < sizeof buf ? TOTAL - x->sent : sizeof buf;
            for (size_t i = 0; i < n; i++)
                buf[i] = pat(x->sent + i);
            ptrdiff_t w = yamux_stream_write(x->st, buf, n);
            if (w <= 0) break;
            x->sent += (uint64_t)w;
            if (x->sent == TOTAL) yamux_stream_close_write(x->st);
        }
        const uint8_t *p;
        size_t k;
        while ((k = yamux_stream_peek(x->st, &p)) > 0) {
            for (size_t i = 0; i < k; i++)
                assert_int_equal(p[i], pat(x->got + i));
            x->got += k;
            yamux_stream_consume(x->st, k);
        }
        if (yamux_stream_is_eof(x->st)) {
            yamux_stream_release(x->st);
            x->st = NULL;
            yamux_uv_close(x->u, on_closed);
        }
        return;
    }
    const uint8_t *p;
    size_t k;
    while ((k = yamux_stream_peek(x->st, &p)) > 0) {
        ptrdiff_t w = yamux_stream_write(x->st, p, k);
        if (w <= 0) break;
        x->got += (uint64_t)w;
        yamux_stream_consume(x->st, (size_t)w);
    }
    if (yamux_stream_is_eof(x->st)) yamux_stream_close_write(x->st);
}

static void on_stream(yamux_session *s, yamux_stream *st, unsigned ev, void *ud) {
    (void)s;
    side *x = ud;
    if (st != x->st) return;
    if (ev & YAMUX_EV_CLOSED && !x->is_client) {
        yamux_stream_release(st);
        x->st = NULL;
        return;
    }
    pump(x);
}

static void on_incoming(yamux_session *s, void *ud) {
    side *x = ud;
    x->st = yamux_session_accept(s);
    if (x->st) pump(x);
}

static void on_closed(yamux_uv *u, int err, void *ud) {
    (void)u;
    side *x = ud;
    x->closed = 1;
    x->close_err = err;
}

static uv_pipe_t *pipe_on(uv_loop_t *loop, int fd) {
    uv_pipe_t *p = malloc(sizeof *p);
    assert_int_equal(uv_pipe_init(loop, p, 0), 0);
    assert_int_equal(uv_pipe_open(p, fd), 0);
    return p;
}

static void test_echo_and_close(void **state) {
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    uv_pipe_t *pc = pipe_on(&loop, fds[0]), *ps = pipe_on(&loop, fds[1]);
    side c = {.is_client = 1}, sv = {0};
    c.other = &sv;
    sv.other = &c;
    yamux_callbacks cb = {.size = sizeof(yamux_callbacks),
                          .on_incoming = on_incoming,
                          .on_stream = on_stream,
                          .on_close = on_end};
    yamux_config cfg;
    yamux_config_init(&cfg);
    assert_int_equal(yamux_uv_new(&c.u, &loop, (uv_stream_t *)pc, 1, &cfg, &cb, &c), 0);
    assert_int_equal(yamux_uv_new(&sv.u, &loop, (uv_stream_t *)ps, 0, &cfg, &cb, &sv), 0);
    assert_int_equal(yamux_session_open(yamux_uv_get_session(c.u), &c.st), 0);
    pump(&c);
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once both sides closed every handle */
    assert_int_equal(c.got, TOTAL);
    assert_true(c.closed && sv.closed);
    assert_int_equal(c.close_err, 0);
    assert_true(sv.close_err == YAMUX_EEOF || sv.close_err == 0);
    free(pc);
    free(ps);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* The peer is a plain socket nobody reads: the close cannot flush, and must still end. */
static void test_close_with_unread_output(void **state) {
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    uv_pipe_t *pc = pipe_on(&loop, fds[0]);
    side c = {.is_client = 1};
    yamux_config cfg;
    yamux_config_init(&cfg);
    cfg.stream_send_buffer = 4u << 20;
    assert_int_equal(yamux_uv_new(&c.u, &loop, (uv_stream_t *)pc, 1, &cfg, NULL, &c), 0);
    yamux_stream *st;
    assert_int_equal(yamux_session_open(yamux_uv_get_session(c.u), &st), 0);
    static uint8_t big[256 << 10];
    assert_int_equal(yamux_stream_write(st, big, sizeof big), (ptrdiff_t)sizeof big);
    /* let the socket buffers fill */
    for (int i = 0; i < 100; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    yamux_uv_close(c.u, on_closed);
    uv_run(&loop, UV_RUN_DEFAULT); /* ends once the bounded linger gave up on the peer */
    assert_true(c.closed);
    close(fds[1]);
    free(pc); /* the binding closed the handle; its memory is ours */
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- a raw peer: frames written by hand ---------------------------------------------------- */

static size_t frame(uint8_t *p, uint8_t type, uint16_t flags, uint32_t id, uint32_t len) {
    yamux_frame f = {0, type, flags, id, len};
    yamux_frame_encode(p, &f);
    return YAMUX_HEADER_SIZE;
}

/* Reads what the raw peer has (non-blocking), at most `max` bytes; returns the count. */
static size_t drain_peer(int fd, size_t max) {
    static uint8_t buf[16384];
    size_t got = 0;
    while (got < max) {
        ssize_t n = read(fd, buf, max - got < sizeof buf ? max - got : sizeof buf);
        if (n <= 0) break;
        got += (size_t)n;
    }
    return got;
}

static uint64_t bytes_out(yamux_uv *u) {
    yamux_stats st;
    yamux_session_get_stats(yamux_uv_get_session(u), &st);
    return st.bytes_out;
}

/* The write timeout counts progress when the transport reports output written. Output the
 * socket did not take at once went into one uv_write of up to 1 MiB, reported only when all
 * of it was written: a link slower than 1 MiB per write timeout (100 KiB/s with the default
 * 10 s) was failed although bytes kept moving. Queued output now goes in 64 KiB slices, each
 * reported when written. Checked without a clock: after the peer has read a quarter of a
 * large hand-out, progress must have been reported. */
static void test_slow_link_reports_progress(void **state) {
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    int small = 32 << 10;
    assert_int_equal(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
    assert_int_equal(fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK), 0);
    uv_pipe_t *pc = pipe_on(&loop, fds[0]);
    side c = {.is_client = 1};
    yamux_config cfg;
    yamux_config_init(&cfg);
    cfg.enable_keepalive = 0;
    cfg.stream_send_buffer = 4u << 20;
    assert_int_equal(yamux_uv_new(&c.u, &loop, (uv_stream_t *)pc, 1, &cfg, NULL, &c), 0);
    yamux_stream *st;
    assert_int_equal(yamux_session_open(yamux_uv_get_session(c.u), &st), 0);
    for (int i = 0; i < 10; i++) /* the SYN goes out */
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(drain_peer(fds[1], 1 << 20), YAMUX_HEADER_SIZE);
    uint8_t grant[YAMUX_HEADER_SIZE]; /* the peer accepts, with a window of 8 MiB more */
    frame(grant, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_ACK, 1, 8u << 20);
    assert_int_equal(write(fds[1], grant, sizeof grant), (ssize_t)sizeof grant);
    for (int i = 0; i < 10; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    static uint8_t data[2u << 20];
    assert_int_equal(yamux_stream_write(st, data, sizeof data), (ptrdiff_t)sizeof data);
    for (int i = 0; i < 10; i++) /* a 1 MiB hand-out; the socket takes a little of it */
        uv_run(&loop, UV_RUN_NOWAIT);
    uint64_t before = bytes_out(c.u);
    assert_true(yamux_session_get_send_inflight(yamux_uv_get_session(c.u)) >= (384u << 10));
    size_t read_by_peer = 0;
    for (int i = 0; i < 1000 && read_by_peer < (256u << 10); i++) {
        read_by_peer += drain_peer(fds[1], 16 << 10);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    assert_true(read_by_peer >= (256u << 10));
    for (int i = 0; i < 10; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_true(bytes_out(c.u) >= before + (128u << 10)); /* slices written, reported */
    yamux_stream_release(st);
    yamux_uv_close(c.u, on_closed);
    close(fds[1]);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(c.closed);
    free(pc);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A write error used to end the session at once and discard what was still to be read: the
 * last frames the peer sent before it went. Now output is dropped, input is read to its end. */
static char kept[16];
static size_t kept_len;
static int kept_eof;

static void keep_incoming(yamux_session *s, void *ud) {
    (void)ud;
    yamux_stream *st;
    while ((st = yamux_session_accept(s)) != NULL) {
    }
}

static void keep_stream(yamux_session *s, yamux_stream *st, unsigned ev, void *ud) {
    (void)s;
    (void)ev;
    (void)ud;
    ptrdiff_t n;
    while ((n = yamux_stream_read(st, kept + kept_len, sizeof kept - kept_len)) > 0)
        kept_len += (size_t)n;
    if (n == 0) kept_eof = 1;
}

static void test_write_error_keeps_input(void **state) {
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    uv_pipe_t *ps = pipe_on(&loop, fds[0]);
    side sv = {0};
    yamux_callbacks cb = {.size = sizeof(yamux_callbacks),
                          .on_incoming = keep_incoming,
                          .on_stream = keep_stream,
                          .on_close = on_end};
    yamux_config cfg;
    yamux_config_init(&cfg);
    cfg.enable_keepalive = 0;
    assert_int_equal(yamux_uv_new(&sv.u, &loop, (uv_stream_t *)ps, 0, &cfg, &cb, &sv), 0);
    /* The peer stops reading: our writes fail (EPIPE). */
    assert_int_equal(shutdown(fds[1], SHUT_RD), 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    yamux_stream *st;
    assert_int_equal(yamux_session_open(yamux_uv_get_session(sv.u), &st), 0);
    assert_int_equal(yamux_stream_write(st, "x", 1), 1);
    for (int i = 0; i < 10; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    /* Then its last words: a stream with "hello" and FIN; then it is gone. */
    uint8_t last[64];
    size_t n = frame(last, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0);
    n += frame(last + n, YAMUX_TYPE_DATA, YAMUX_FLAG_FIN, 1, 5);
    memcpy(last + n, "hello", 5);
    n += 5;
    assert_int_equal(write(fds[1], last, n), (ssize_t)n);
    close(fds[1]);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(sv.closed);
    assert_int_equal(sv.close_err, YAMUX_ETRANSPORT);
    assert_int_equal(kept_len, 5);
    assert_memory_equal(kept, "hello", 5);
    assert_true(kept_eof);
    free(ps);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);         /* writes to a closed peer fail with EPIPE instead */
    setvbuf(stdout, NULL, _IONBF, 0); /* a test that hangs shows where */
    alarm(300);                       /* and is stopped, whatever ctest's timeout */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_and_close),
        cmocka_unit_test(test_close_with_unread_output),
        cmocka_unit_test(test_slow_link_reports_progress),
        cmocka_unit_test(test_write_error_keeps_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
