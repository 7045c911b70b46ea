/* The libuv binding: two sessions over a socketpair in one loop (echo, verified, then a clean
 * close on both sides), and a close whose last output a peer never reads (bounded, not hung). */
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
        if (yamux_stream_at_eof(x->st)) {
            yamux_stream_release(x->st);
            x->st = NULL;
            yamux_uv_close(x->u);
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
    if (yamux_stream_at_eof(x->st)) yamux_stream_close_write(x->st);
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
    yamux_callbacks cb = {.on_incoming = on_incoming, .on_stream = on_stream};
    yamux_config cfg;
    yamux_config_init(&cfg);
    assert_int_equal(yamux_uv_new(&c.u, &loop, (uv_stream_t *)pc, 1, &cfg, &cb, on_closed, &c), 0);
    assert_int_equal(yamux_uv_new(&sv.u, &loop, (uv_stream_t *)ps, 0, &cfg, &cb, on_closed, &sv),
                     0);
    assert_int_equal(yamux_session_open(yamux_uv_session(c.u), &c.st), 0);
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
    assert_int_equal(yamux_uv_new(&c.u, &loop, (uv_stream_t *)pc, 1, &cfg, NULL, on_closed, &c), 0);
    yamux_stream *st;
    assert_int_equal(yamux_session_open(yamux_uv_session(c.u), &st), 0);
    static uint8_t big[256 << 10];
    assert_int_equal(yamux_stream_write(st, big, sizeof big), (ptrdiff_t)sizeof big);
    /* let the socket buffers fill */
    for (int i = 0; i < 100; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    yamux_uv_close(c.u);
    uv_run(&loop, UV_RUN_DEFAULT); /* ends once the bounded linger gave up on the peer */
    assert_true(c.closed);
    close(fds[1]);
    free(pc); /* the binding closed the handle; its memory is ours */
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_and_close),
        cmocka_unit_test(test_close_with_unread_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
