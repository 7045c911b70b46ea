/* yamux over libuv: see include/yamux/uv.h.
 *
 * The session calls back only from its I/O entry points, and the application's own calls only
 * queue work, so the binding needs no re-entrancy bookkeeping: its libuv callbacks feed input
 * (read_cb), report output written (write_cb) and pass the time (the timer); one uv_prepare
 * handle, run by the loop before it sleeps, does the rest in one place: tick when due, write
 * while the session has output, feed input it held back, rearm the timer, tear down at the
 * end. Whatever the application did in between (from a session callback, its own timer or
 * another socket) is seen there. */
#include "yamux/uv.h"

#include <stdlib.h>
#include <string.h>

#include "fwd.h"

#define RBUF_SIZE   (256u * 1024u)
#define WRITE_IOV   64
#define WRITE_MAX   (1u << 20)    /* output handed out per uv_try_write */
#define WRITE_SLICE (64u * 1024u) /* per queued uv_write: its completion is progress */
#define LINGER_MS   2000

struct yamux_uv {
    yx_fwd fwd; /* first: the session's user data points here */
    uv_loop_t *loop;
    uv_stream_t *stream;
    uv_timer_t timer;     /* the session's next deadline, then the bound on the last words */
    uv_prepare_t prepare; /* services the session before the loop sleeps */
    uv_write_t wreq;
    uv_shutdown_t sreq;
    yamux_session *s;
    yamux_uv_close_cb close_cb; /* set by yamux_uv_close() */

    uint8_t *rbuf;
    size_t rpos, rlen;         /* input not yet taken by the session (it was busy answering) */
    uv_buf_t wbufs[WRITE_IOV]; /* output handed out, not yet written: [widx, wcnt) */
    size_t widx, wcnt;
    size_t wbytes;     /* bytes in the uv_write in flight */
    uint64_t timer_at; /* deadline the timer is armed for (UINT64_MAX: none) */
    int reading;
    int writing;
    int ended;         /* the session ended: flush, shut down, close */
    int peer_eof;      /* the input ended (end of file or error) */
    int out_dead;      /* writing failed: output is discarded, input goes on until its end */
    int shutdown_sent; /* uv_shutdown issued */
    int shutdown_done;
    int lingering;      /* the bound on the last output's wait is running */
    int transport_done; /* the end is written and shut down (or given up): handles may close */
    int close_asked;    /* yamux_uv_close() was called */
    int handles_open;   /* handles still to be closed */
    int closing;        /* uv_close issued on every handle */
};

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void write_cb(uv_write_t *req, int status);
static void on_timer(uv_timer_t *h);

/* ---- session callbacks ------------------------------------------------------------------- */

static void on_session_close(yamux_session *s, int err, void *ud) {
    yamux_uv *u = ud;
    u->ended = 1;
    if (u->fwd.app.on_close) u->fwd.app.on_close(s, err, u->fwd.user_data);
}

/* ---- input ------------------------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    yamux_uv *u = h->data;
    *buf = uv_buf_init((char *)u->rbuf, RBUF_SIZE);
}

/* Feeds held input; stops reading while the session cannot take more (its answers wait). */
static void feed(yamux_uv *u) {
    while (u->rpos < u->rlen && !u->ended) {
        ptrdiff_t r = yamux_session_recv(u->s, u->rbuf + u->rpos, u->rlen - u->rpos);
        if (r <= 0) break; /* error (the session ended) or busy */
        u->rpos += (size_t)r;
    }
    if (u->rpos >= u->rlen || u->ended) {
        u->rpos = u->rlen = 0;
        if (!u->reading && !u->peer_eof && uv_read_start(u->stream, alloc_cb, read_cb) == 0)
            u->reading = 1;
    } else if (u->reading) {
        uv_read_stop(u->stream);
        u->reading = 0;
    }
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    yamux_uv *u = stream->data;
    if (nread == 0 || u->closing) return;
    if (nread > 0) {
        if (u->ended) return; /* lingering after the end: discard until the peer closes */
        u->rpos = 0;
        u->rlen = (size_t)nread;
        yamux_session_tick(u->s, uv_hrtime()); /* the clock for round trips measured here */
        feed(u);
        return;
    }
    uv_read_stop(stream);
    u->reading = 0;
    u->peer_eof = 1;
    /* The input ended: after a write failure or a read error the transport failed, else the
     * peer closed. Input received before is kept (streams keep what they got). */
    if (nread != UV_EOF || u->out_dead)
        yamux_session_abort(u->s, YAMUX_ETRANSPORT);
    else
        yamux_session_recv_eof(u->s);
}

/* ---- output ------------------------------------------------------------------------------ */

/* Drops `n` bytes from the front of the pending output. */
static void pending_advance(yamux_uv *u, size_t n) {
    while (n > 0) {
        uv_buf_t *b = &u->wbufs[u->widx];
        if (b->len > n) {
            b->base += n;
            b->len -= n;
            return;
        }
        n -= b->len;
        u->widx++;
    }
    if (u->widx == u->wcnt) u->widx = u->wcnt = 0;
}

/* Writing failed: from now on output is discarded (nobody will receive it); input goes on
 * until the transport reports its end. */
static void write_failed(yamux_uv *u) {
    size_t n = 0;
    for (size_t i = u->widx; i < u->wcnt; i++)
        n += u->wbufs[i].len;
    u->widx = u->wcnt = 0;
    u->out_dead = 1;
    yamux_session_send_done(u->s, n);
}

/* Queues a uv_write of at most WRITE_SLICE bytes of the pending output. Its completion is
 * what the session's write timeout counts as progress, so a slow link that keeps taking
 * bytes is never mistaken for a stalled one. */
static void write_slice(yamux_uv *u) {
    uv_buf_t bufs[WRITE_IOV];
    unsigned n = 0;
    size_t bytes = 0;
    for (size_t i = u->widx; i < u->wcnt && bytes < WRITE_SLICE; i++, n++) {
        bufs[n] = u->wbufs[i];
        if (bufs[n].len > WRITE_SLICE - bytes) bufs[n].len = WRITE_SLICE - bytes;
        bytes += bufs[n].len;
    }
    u->wbytes = bytes;
    u->wreq.data = u;
    if (uv_write(&u->wreq, u->stream, bufs, n, write_cb) != 0) {
        write_failed(u);
        return;
    }
    u->writing = 1;
}

static void write_cb(uv_write_t *req, int status) {
    yamux_uv *u = req->data;
    u->writing = 0;
    if (status < 0) {
        write_failed(u);
        return;
    }
    pending_advance(u, u->wbytes);
    yamux_session_send_done(u->s, u->wbytes);
}

/* Writes the session's output: straight from its buffers with uv_try_write while the socket
 * takes it, the rest in slices (one uv_write in flight at a time, so the engine stops
 * producing while the socket is saturated). After a write failure, output is discarded. */
static void flush(yamux_uv *u) {
    while (!u->writing && !u->closing) {
        if (u->wcnt > u->widx) {
            write_slice(u);
            continue;
        }
        yamux_iovec iov[WRITE_IOV];
        size_t cnt = WRITE_IOV;
        size_t n = yamux_session_send_iov(u->s, iov, &cnt, WRITE_MAX);
        if (n == 0) return;
        if (u->out_dead) {
            yamux_session_send_done(u->s, n);
            continue;
        }
        for (size_t i = 0; i < cnt; i++)
            u->wbufs[i] = uv_buf_init((char *)(uintptr_t)iov[i].base, (unsigned)iov[i].len);
        u->widx = 0;
        u->wcnt = cnt;
        int w = uv_try_write(u->stream, u->wbufs, (unsigned)cnt);
        if (w < 0 && w != UV_EAGAIN && w != UV_ENOSYS) {
            write_failed(u);
            continue;
        }
        size_t done = w > 0 ? (size_t)w : 0;
        pending_advance(u, done);
        yamux_session_send_done(u->s, done);
    }
}

/* ---- teardown ---------------------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h) {
    yamux_uv *u = h->data;
    if (--u->handles_open > 0) return;
    if (u->close_cb) u->close_cb(u, yamux_session_get_error(u->s), u->fwd.user_data);
    yamux_session_free(u->s);
    free(u->rbuf);
    free(u);
}

/* The transport is finished: close the handles once the application asked (as libuv, a handle
 * is never freed behind its owner's back). */
static void close_all(yamux_uv *u) {
    u->transport_done = 1;
    uv_timer_stop(&u->timer);
    if (u->reading) uv_read_stop(u->stream);
    u->reading = 0;
    if (u->closing || !u->close_asked) return;
    u->closing = 1;
    uv_close((uv_handle_t *)u->stream, on_handle_closed);
    uv_close((uv_handle_t *)&u->timer, on_handle_closed);
    uv_close((uv_handle_t *)&u->prepare, on_handle_closed);
}

static void on_linger(uv_timer_t *h) {
    close_all(h->data);
}

static void linger(yamux_uv *u) {
    u->lingering = 1;
    uv_timer_start(&u->timer, on_linger, LINGER_MS, 0);
}

static void shutdown_cb(uv_shutdown_t *req, int status) {
    yamux_uv *u = req->data;
    u->shutdown_done = 1;
    /* Else keep reading (and discarding) until the peer closes, so that unread input does not
     * turn our close into a reset that could destroy the GoAway in flight; bounded. */
    if (status < 0 || u->peer_eof) close_all(u);
}

/* The session ended: once its last output is written, shut the transport down, wait for the
 * peer's end (bounded), close every handle. */
static void teardown(yamux_uv *u) {
    if (u->out_dead) { /* nothing more can be said */
        close_all(u);
        return;
    }
    if (u->writing || u->wcnt > u->widx || yamux_session_is_send_pending(u->s)) {
        /* The last output waits for a peer that may never read it: bound the wait. */
        if (!u->lingering) linger(u);
        return;
    }
    if (!u->shutdown_sent) {
        u->shutdown_sent = 1;
        if (!u->reading && !u->peer_eof && uv_read_start(u->stream, alloc_cb, read_cb) == 0)
            u->reading = 1;
        u->sreq.data = u;
        if (uv_shutdown(&u->sreq, u->stream, shutdown_cb) != 0) {
            close_all(u);
            return;
        }
        if (!u->lingering) linger(u);
        return;
    }
    if (u->shutdown_done && u->peer_eof) close_all(u);
}

/* ---- servicing --------------------------------------------------------------------------- */

static void rearm_timer(yamux_uv *u) {
    uint64_t d = yamux_session_get_next_deadline(u->s);
    if (d == u->timer_at && (d == UINT64_MAX || uv_is_active((uv_handle_t *)&u->timer))) return;
    u->timer_at = d;
    if (d == UINT64_MAX) {
        uv_timer_stop(&u->timer);
        return;
    }
    uint64_t now = uv_hrtime();
    uv_timer_start(&u->timer, on_timer, d > now ? (d - now + 999999) / 1000000 : 0, 0);
}

static void on_timer(uv_timer_t *h) {
    yamux_uv *u = h->data;
    u->timer_at = UINT64_MAX;
    yamux_session_tick(u->s, uv_hrtime());
}

/* Before the loop sleeps: everything the session and the application left to do. */
static void on_prepare(uv_prepare_t *h) {
    yamux_uv *u = h->data;
    if (u->closing || u->transport_done) return;
    uint64_t now = uv_hrtime();
    if (yamux_session_get_next_deadline(u->s) <= now) yamux_session_tick(u->s, now);
    for (;;) {
        flush(u);
        size_t before = u->rpos;
        if (u->rpos >= u->rlen || u->ended) break;
        feed(u); /* our answers went out: the session may take the input it held back */
        if (u->rpos == before) break;
    }
    if (u->ended)
        teardown(u);
    else
        rearm_timer(u);
}

/* ---- API --------------------------------------------------------------------------------- */

int yamux_uv_new(yamux_uv **out, uv_loop_t *loop, uv_stream_t *stream, int is_client,
                 const yamux_config *cfg, const yamux_callbacks *cb, void *user_data) {
    if (!out || !loop || !stream) return YAMUX_EINVAL;
    *out = NULL;
    yamux_uv *u = calloc(1, sizeof *u);
    if (!u) return YAMUX_ENOMEM;
    u->rbuf = malloc(RBUF_SIZE);
    yamux_callbacks mine;
    int r = u->rbuf ? yx_fwd_init(&u->fwd, cb, user_data, &mine) : YAMUX_ENOMEM;
    if (r != YAMUX_OK) {
        free(u->rbuf);
        free(u);
        return r;
    }
    u->loop = loop;
    u->stream = stream;
    u->timer_at = UINT64_MAX;
    mine.on_close = on_session_close;
    r = yamux_session_new(&u->s, is_client, cfg, &mine, u);
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
    uv_prepare_init(loop, &u->prepare);
    u->timer.data = u;
    u->prepare.data = u;
    uv_prepare_start(&u->prepare, on_prepare);
    uv_unref((uv_handle_t *)&u->prepare); /* never keeps the loop alive by itself */
    u->handles_open = 3;
    *out = u;
    return YAMUX_OK;
}

yamux_session *yamux_uv_get_session(const yamux_uv *u) {
    return u->s;
}

yamux_uv *yamux_uv_from_session(const yamux_session *s) {
    return yamux_session_get_user_data(s);
}

void *yamux_uv_get_user_data(const yamux_uv *u) {
    return u->fwd.user_data;
}

void yamux_uv_close(yamux_uv *u, yamux_uv_close_cb cb) {
    if (u->close_asked) return;
    u->close_asked = 1;
    u->close_cb = cb;
    yamux_session_close(u->s); /* the prepare handle takes it from here */
    if (u->transport_done) close_all(u);
}
