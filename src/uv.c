/* yamux over libuv: see include/yamux/uv.h. */
#include "yamux/uv.h"

#include <stdlib.h>
#include <string.h>

#include "fwd.h"

#define RBUF_SIZE (256u * 1024u)
#define WRITE_IOV 64
#define WRITE_MAX (1u << 20)
#define LINGER_MS 2000

struct yamux_uv {
    yx_fwd fwd; /* first: the session's user data points here */
    uv_loop_t *loop;
    uv_stream_t *stream;
    uv_timer_t timer;
    uv_idle_t idle;
    uv_check_t check; /* rearms the timer after loop iterations the binding did not see */
    uv_write_t wreq;
    uv_shutdown_t sreq;
    yamux_session *s;
    yamux_uv_closed_cb on_closed;

    uint8_t *rbuf;
    size_t rpos, rlen; /* input not yet taken by the session (it was busy answering) */
    size_t wbytes;     /* bytes in the uv_write in flight */
    int reading;
    int writing;
    int in_cb;         /* inside one of our callbacks: flush at its end */
    int flushing;      /* inside flush(): callbacks it triggers must not write around it */
    int flush_again;   /* output appeared while flushing */
    int ended;         /* the session ended: flush, shut down, close */
    int peer_eof;      /* the peer closed its side (or the transport failed) */
    int dead;          /* the transport failed: nothing more can be written */
    int shutdown_sent; /* uv_shutdown issued */
    int shutdown_done;
    int final_linger; /* the bound on the last output's wait is running */
    int handles_open; /* handles still to be closed */
    int closing;      /* uv_close issued on every handle */
    int err;
};

static void flush(yamux_uv *u);
static void flush_once(yamux_uv *u);
static void teardown(yamux_uv *u);

static void on_idle(uv_idle_t *h);

/* ---- session callbacks ------------------------------------------------------------------- */

static void on_session_close(yamux_session *s, int err, void *ud) {
    yamux_uv *u = ud;
    u->ended = 1;
    u->err = err;
    if (u->fwd.app.on_close) u->fwd.app.on_close(s, err, u->fwd.user_data);
    if (!u->in_cb && !u->closing) uv_idle_start(&u->idle, on_idle);
}

static void enter(yamux_uv *u) {
    u->in_cb++;
    yamux_session_tick(u->s, uv_hrtime());
}

static void on_timer(uv_timer_t *h);

static void rearm_timer(yamux_uv *u) {
    if (u->closing) return;
    uint64_t d = yamux_session_next_deadline(u->s);
    if (d == UINT64_MAX || u->ended) {
        uv_timer_stop(&u->timer);
        return;
    }
    uint64_t now = uv_hrtime();
    uint64_t ms = d > now ? (d - now + 999999) / 1000000 : 0;
    uv_timer_start(&u->timer, on_timer, ms, 0);
}

/* Common end of every callback of ours: feed held input, write, rearm, maybe tear down. */
static void feed(yamux_uv *u);

static void leave(yamux_uv *u) {
    if (--u->in_cb > 0) return;
    /* Writing our answers may let the session take the input it held back. */
    for (;;) {
        flush(u);
        size_t before = u->rpos;
        if (u->rpos >= u->rlen || u->ended || u->writing) break;
        feed(u);
        if (u->rpos == before) break;
    }
    if (u->ended)
        teardown(u);
    else
        rearm_timer(u);
}

static void on_timer(uv_timer_t *h) {
    yamux_uv *u = h->data;
    enter(u);
    leave(u);
}

static void on_idle(uv_idle_t *h) {
    yamux_uv *u = h->data;
    uv_idle_stop(h);
    enter(u);
    leave(u);
}

/* After every loop iteration: the application may have called the session from its own
 * callbacks (a timer, another socket), arming a timer without producing output. */
static void on_check(uv_check_t *h) {
    yamux_uv *u = h->data;
    if (!u->in_cb && !u->ended && !u->closing) rearm_timer(u);
}

static void on_send_ready(yamux_session *s, void *ud) {
    (void)s;
    yamux_uv *u = ud;
    if (u->flushing)
        u->flush_again = 1;
    else if (!u->in_cb && !u->closing)
        uv_idle_start(&u->idle, on_idle);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    yamux_uv *u = h->data;
    buf->base = (char *)u->rbuf;
    buf->len = RBUF_SIZE;
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/* Feeds held input; stops reading while the session cannot take more. */
static void feed(yamux_uv *u) {
    while (u->rpos < u->rlen && !u->ended) {
        ptrdiff_t r = yamux_session_recv(u->s, u->rbuf + u->rpos, u->rlen - u->rpos);
        if (r <= 0) break; /* error (the session ended) or busy */
        u->rpos += (size_t)r;
    }
    if (u->rpos >= u->rlen || u->ended) {
        u->rpos = u->rlen = 0;
        if (!u->reading && !u->ended && !u->closing &&
            uv_read_start(u->stream, alloc_cb, read_cb) == 0)
            u->reading = 1;
    } else if (u->reading) {
        uv_read_stop(u->stream);
        u->reading = 0;
    }
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    yamux_uv *u = stream->data;
    if (nread == 0) return;
    enter(u);
    if (nread > 0) {
        if (u->ended) {
            /* lingering after the end: discard until the peer closes */
        } else {
            u->rpos = 0;
            u->rlen = (size_t)nread;
            feed(u);
        }
    } else {
        if (u->reading) uv_read_stop(stream);
        u->reading = 0;
        u->peer_eof = 1;
        if (nread != UV_EOF) u->dead = 1;
        if (!u->ended) yamux_session_recv_eof(u->s);
        u->ended = 1;
    }
    leave(u);
}

/* The transport failed: the session ends and nothing more is written. */
static void transport_dead(yamux_uv *u) {
    u->dead = 1;
    u->peer_eof = 1;
    if (!u->ended) yamux_session_recv_eof(u->s);
    u->ended = 1;
}

static void write_cb(uv_write_t *req, int status) {
    yamux_uv *u = req->data;
    enter(u);
    u->writing = 0;
    yamux_session_send_done(u->s, u->wbytes);
    u->wbytes = 0;
    if (status < 0) transport_dead(u);
    feed(u);
    leave(u);
}

/* Writes the session's output. Handing output out runs callbacks, which may call back into
 * the binding (close, write): a nested flush would put newer bytes on the wire before the
 * ones already handed out, so it only leaves the work to the running loop. */
static void flush(yamux_uv *u) {
    if (u->flushing) {
        u->flush_again = 1;
        return;
    }
    u->flushing = 1;
    u->flush_again = 1;
    while (u->flush_again && !u->writing && !u->closing && !u->dead) {
        u->flush_again = 0;
        flush_once(u);
    }
    u->flushing = 0;
}

static void flush_once(yamux_uv *u) {
    while (!u->writing && !u->closing && !u->dead) {
        yamux_iovec iov[WRITE_IOV];
        size_t cnt = WRITE_IOV;
        size_t n = yamux_session_send_iov(u->s, iov, &cnt, WRITE_MAX);
        if (n == 0) break;
        uv_buf_t *bufs = (uv_buf_t *)(void *)iov;
        int w = uv_try_write(u->stream, bufs, (unsigned)cnt);
        if (w == (int)n) {
            yamux_session_send_done(u->s, n);
            continue;
        }
        if (w < 0 && w != UV_EAGAIN && w != UV_ENOSYS) {
            yamux_session_send_done(u->s, n);
            transport_dead(u);
            break;
        }
        size_t done = w > 0 ? (size_t)w : 0, skip = done;
        yamux_session_send_done(u->s, done);
        size_t first = 0;
        while (skip >= iov[first].len)
            skip -= iov[first++].len;
        iov[first].base += skip;
        iov[first].len -= skip;
        u->wbytes = n - done;
        u->wreq.data = u;
        if (uv_write(&u->wreq, u->stream, bufs + first, (unsigned)(cnt - first), write_cb) != 0) {
            yamux_session_send_done(u->s, u->wbytes);
            u->wbytes = 0;
            transport_dead(u);
            break;
        }
        u->writing = 1;
    }
}

/* ---- teardown ---------------------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h) {
    yamux_uv *u = h->data;
    if (--u->handles_open > 0) return;
    if (u->on_closed) u->on_closed(u, u->err, u->fwd.user_data);
    yamux_session_free(u->s);
    free(u->rbuf);
    free(u);
}

static void close_all(yamux_uv *u) {
    if (u->closing) return;
    u->closing = 1;
    uv_timer_stop(&u->timer);
    uv_idle_stop(&u->idle);
    uv_check_stop(&u->check);
    uv_close((uv_handle_t *)u->stream, on_handle_closed);
    uv_close((uv_handle_t *)&u->timer, on_handle_closed);
    uv_close((uv_handle_t *)&u->idle, on_handle_closed);
    uv_close((uv_handle_t *)&u->check, on_handle_closed);
}

static void on_linger(uv_timer_t *h) {
    close_all(h->data);
}

static void shutdown_cb(uv_shutdown_t *req, int status) {
    yamux_uv *u = req->data;
    u->shutdown_done = 1;
    if (status < 0 || u->peer_eof || u->closing) {
        close_all(u);
        return;
    }
    /* Keep reading (and discarding) until the peer closes, so that unread input does not
     * turn our close into a reset that could destroy the GoAway in flight. */
    uv_timer_start(&u->timer, on_linger, LINGER_MS, 0);
}

/* The session ended: once its last output is written, shut the transport down, wait for the
 * peer's end (bounded), close every handle. */
static void teardown(yamux_uv *u) {
    if (u->closing) return;
    if (u->dead) {
        close_all(u);
        return;
    }
    if (u->writing || yamux_session_want_send(u->s)) {
        /* The last output waits for a peer that may never read it: bound the wait. */
        if (!u->final_linger) {
            u->final_linger = 1;
            uv_timer_start(&u->timer, on_linger, LINGER_MS, 0);
        }
        return;
    }
    if (!u->shutdown_sent) {
        u->shutdown_sent = 1;
        uv_timer_stop(&u->timer);
        if (!u->reading && !u->peer_eof && uv_read_start(u->stream, alloc_cb, read_cb) == 0)
            u->reading = 1;
        u->sreq.data = u;
        if (uv_shutdown(&u->sreq, u->stream, shutdown_cb) != 0) close_all(u);
        return;
    }
    if (u->shutdown_done && u->peer_eof) close_all(u);
}

/* ---- API --------------------------------------------------------------------------------- */

int yamux_uv_new(yamux_uv **out, uv_loop_t *loop, uv_stream_t *stream, int is_client,
                 const yamux_config *cfg, const yamux_callbacks *cb, yamux_uv_closed_cb on_closed,
                 void *user_data) {
    if (!out || !loop || !stream) return YAMUX_EINVAL;
    *out = NULL;
    yamux_uv *u = calloc(1, sizeof *u);
    if (!u) return YAMUX_ENOMEM;
    u->rbuf = malloc(RBUF_SIZE);
    if (!u->rbuf) {
        free(u);
        return YAMUX_ENOMEM;
    }
    if (cb) u->fwd.app = *cb;
    u->loop = loop;
    u->stream = stream;
    u->fwd.user_data = user_data;
    u->on_closed = on_closed;
    yamux_callbacks mine;
    yx_fwd_callbacks(&mine, &u->fwd);
    mine.on_close = on_session_close;
    mine.on_send_ready = on_send_ready;
    int r = yamux_session_new(&u->s, is_client, cfg, &mine, u);
    if (r != YAMUX_OK) {
        free(u->rbuf);
        free(u);
        return r;
    }
    void *prev_data = stream->data;
    stream->data = u;
    if (uv_read_start(stream, alloc_cb, read_cb) != 0) {
        stream->data = prev_data;
        yamux_session_free(u->s);
        free(u->rbuf);
        free(u);
        return YAMUX_ETRANSPORT;
    }
    u->reading = 1;
    uv_timer_init(loop, &u->timer);
    uv_idle_init(loop, &u->idle);
    uv_check_init(loop, &u->check);
    u->timer.data = u;
    u->idle.data = u;
    u->check.data = u;
    uv_check_start(&u->check, on_check);
    uv_unref((uv_handle_t *)&u->check); /* never keeps the loop alive by itself */
    u->handles_open = 4;
    enter(u);
    leave(u);
    *out = u;
    return YAMUX_OK;
}

yamux_session *yamux_uv_session(const yamux_uv *u) {
    return u->s;
}

yamux_uv *yamux_uv_from_session(const yamux_session *s) {
    return yamux_session_user_data(s);
}

void *yamux_uv_user_data(const yamux_uv *u) {
    return u->fwd.user_data;
}

void yamux_uv_close(yamux_uv *u) {
    if (u->closing) return;
    enter(u);
    yamux_session_close(u->s);
    leave(u);
}
