/* One yamux session of yamux-peer: echo (or sink) what the remote opens; open, write, verify
 * our own streams; pings; idle streams. Event-driven on the libuv binding.
 *
 * Lifetime (as the Go peers): a peer with work of its own (--open, --ping, --idle,
 * --goaway) does it, sends GoAway(0) if asked, waits until no stream is left in the session
 * (so streams the remote opened are not cut), then closes the session. A peer without work
 * serves until the remote ends the session. All our SYNs are queued before any echo data. */
#include <stdlib.h>
#include <string.h>

#include "peer.h"

typedef struct pconn pconn;

typedef struct pstream {
    pconn *c;
    yamux_stream *st;
    struct pstream *prev, *next; /* every live stream of the connection */
    int ours;
    int idle;
    uint64_t size, limit; /* payload size; bytes to write before FIN or reset */
    uint64_t sent, recvd;
    int write_done; /* FIN or RST issued */
    int finished;   /* verified (or failed) */
    int reset_by_us;
    int reset_pending; /* --reset-after: reset once what was written has left */
} pstream;

struct pconn {
    const peer_opts *o;
    peer_stats *st;
    uv_loop_t *loop;
    yamux_uv *u;
    yamux_session *s;
    peer_done_cb done;
    void *ud;
    pstream head; /* list sentinel */
    uint64_t opened, open_done;
    int verify_failed;
    uint64_t pings_left;
    uint64_t idle_opened, idle_established, idle_done;
    int idle_printed;
    int has_work, goaway_sent, closing;
    int err;
    uv_timer_t delay_timer;
    int delay_timer_on;
    uv_idle_t reset_check; /* resets streams whose written bytes have left */
    int resets_pending;
    uv_timer_t drain_timer; /* work done: waiting for the last streams to finish */
    int handles;            /* our uv handles still open */
};

static uint8_t *wbuf; /* one write buffer shared by every stream (single thread) */

static void check_done(pconn *c);
static void on_drain(uv_timer_t *t);

/* ---- stream list --------------------------------------------------------------------------- */

static pstream *ps_new(pconn *c, yamux_stream *st) {
    pstream *ps = calloc(1, sizeof *ps);
    if (!ps) {
        fprintf(stderr, "yamux-peer: out of memory\n");
        exit(EXIT_VERIFY);
    }
    ps->c = c;
    ps->st = st;
    ps->next = c->head.next;
    ps->prev = &c->head;
    c->head.next->prev = ps;
    c->head.next = ps;
    yamux_stream_set_user_data(st, ps);
    return ps;
}

static void ps_release(pstream *ps) {
    ps->prev->next = ps->next;
    ps->next->prev = ps->prev;
    yamux_stream_release(ps->st);
    free(ps);
}

/* ---- our streams --------------------------------------------------------------------------- */

static void finish(pstream *ps, int ok, const char *why) {
    pconn *c = ps->c;
    if (ps->finished) return;
    ps->finished = 1;
    if (ps->idle) {
        c->idle_done++;
    } else {
        c->open_done++;
        if (!ok) {
            c->verify_failed = 1;
            fprintf(stderr, "yamux-peer: stream %u (%llu bytes): %s\n", yamux_stream_get_id(ps->st),
                    (unsigned long long)ps->size, why);
        }
    }
}

static void on_reset_check(uv_idle_t *h);

static void pump_write(pstream *ps) {
    pconn *c = ps->c;
    if (ps->idle && !c->idle_printed) return; /* idle streams wait for the RSS reading */
    while (!ps->write_done && ps->sent < ps->limit) {
        uint64_t n = ps->limit - ps->sent;
        if (n > c->o->write_size) n = c->o->write_size;
        size_t avail;
        const uint8_t *src = peer_pattern_at(yamux_stream_get_id(ps->st), ps->sent, &avail);
        if (n > avail) { /* only for writes larger than the table's period */
            peer_pattern_fill(wbuf, (size_t)n, yamux_stream_get_id(ps->st), ps->sent);
            src = wbuf;
        }
        /* the pattern table is static: hand it over by reference, no copy */
        ptrdiff_t w = src == wbuf ? yamux_stream_write(ps->st, src, (size_t)n)
                                  : yamux_stream_write_ref(ps->st, src, (size_t)n, NULL, NULL);
        if (w == YAMUX_EAGAIN) return;
        if (w < 0) {
            ps->write_done = 1;
            finish(ps, 0, yamux_strerror((int)w));
            return;
        }
        ps->sent += (uint64_t)w;
        c->st->bytes_sent += (uint64_t)w;
    }
    if (ps->write_done) return;
    ps->write_done = 1;
    if (c->o->reset_after >= 0 && !ps->idle) {
        /* "reset after writing BYTES": let them leave first, the reset would drop them */
        ps->reset_pending = 1;
        if (c->resets_pending++ == 0) uv_idle_start(&c->reset_check, on_reset_check);
    } else {
        yamux_stream_close_write(ps->st);
    }
}

/* Reads and verifies what came back, at most `max` bytes (0: all). */
/* Checks `n` echoed bytes at the stream's read position and counts them. */
static void verify_bytes(pstream *ps, const uint8_t *p, size_t n) {
    pconn *c = ps->c;
    size_t bad;
    c->st->bytes_received += n;
    if (c->o->sink || ps->idle) {
        finish(ps, 0, "the remote sent data back");
    } else if (ps->recvd + n > ps->size) {
        finish(ps, 0, "echo longer than what was sent");
    } else if (!peer_pattern_check(p, n, yamux_stream_get_id(ps->st), ps->recvd, &bad)) {
        fprintf(stderr, "yamux-peer: echo differs at offset %llu\n",
                (unsigned long long)(ps->recvd + bad));
        finish(ps, 0, "echo differs");
    }
    ps->recvd += n;
}

/* Takes received bytes of a stream: ours are checked against what we sent, the remote's are
 * echoed (or discarded by a sink). Returns how many were taken: fewer when the echo finds the
 * send buffer full (the rest waits for YAMUX_EV_WRITABLE). */
static size_t take(pstream *ps, const uint8_t *p, size_t n) {
    pconn *c = ps->c;
    if (ps->ours) {
        verify_bytes(ps, p, n);
        return n;
    }
    if (!c->o->sink_mode) {
        ptrdiff_t w = yamux_stream_write(ps->st, p, n);
        if (w <= 0) return 0; /* full: resume on WRITABLE; dead: the end event follows */
        n = (size_t)w;
        c->st->bytes_sent += n;
    }
    c->st->bytes_received += n;
    return n;
}

/* Takes what the stream buffered, at most `max` bytes (0: all). Returns 1 when it stopped at
 * `max` (a slow reader's share for this tick), 0 when the buffer is empty or the echo waits. */
static int drain(pstream *ps, uint64_t max) {
    uint64_t took = 0;
    for (;;) {
        const uint8_t *p;
        size_t n = yamux_stream_peek(ps->st, &p);
        if (n == 0) return 0;
        if (max && n > max - took) n = (size_t)(max - took);
        size_t k = take(ps, p, n);
        if (k == 0) return 0;
        yamux_stream_consume(ps->st, k);
        took += k;
        if (max && took >= max) return 1;
    }
}

static void pump_verify(pstream *ps, uint64_t max) {
    pconn *c = ps->c;
    if (drain(ps, max)) return;
    if (ps->finished) return;
    if (yamux_stream_is_eof(ps->st)) {
        if (c->o->reset_after >= 0 && !ps->idle)
            finish(ps, 0, "stream ended before it was reset");
        else if (!c->o->sink && !ps->idle && ps->recvd != ps->size)
            finish(ps, 0, "echo ended early");
        else
            finish(ps, 1, NULL);
        return;
    }
    int e = yamux_stream_get_error(ps->st);
    if (e && e != YAMUX_ECLOSED) {
        if (ps->reset_by_us)
            finish(ps, 1, NULL); /* the reset ended the stream, as expected */
        else
            finish(ps, 0, yamux_strerror(e));
    }
}

/* ---- streams the remote opened ------------------------------------------------------------- */

/* Echoes (or discards) what arrived, at most `max` bytes (0: all); half-closes after the
 * remote did and everything was echoed. */
static void pump_serve(pstream *ps, uint64_t max) {
    if (drain(ps, max)) return;
    if (yamux_stream_is_eof(ps->st) && !ps->write_done) {
        ps->write_done = 1;
        yamux_stream_close_write(ps->st);
    }
}

/* Zero-copy receive: payload in place, before it is buffered. A slow reader (--read-delay)
 * takes nothing here and reads on its timer. */
static size_t on_data(yamux_session *s, yamux_stream *st, const uint8_t *data, size_t len,
                      void *ud) {
    (void)s;
    pconn *c = ud;
    pstream *ps = yamux_stream_get_user_data(st);
    if (!ps || c->o->read_delay_ms) return 0;
    return take(ps, data, len);
}

/* ---- events -------------------------------------------------------------------------------- */

static void step(pstream *ps, uint64_t max) {
    if (ps->ours)
        pump_verify(ps, max);
    else
        pump_serve(ps, max);
}

static void on_stream(yamux_session *s, yamux_stream *st, unsigned ev, void *ud) {
    (void)s;
    pconn *c = ud;
    pstream *ps = yamux_stream_get_user_data(st);
    if (!ps) return;
    if (ps->idle && (ev & YAMUX_EV_ESTABLISHED)) c->idle_established++;
    if ((ev & YAMUX_EV_WRITABLE) && ps->ours) pump_write(ps);
    if (!c->o->read_delay_ms || (ev & (YAMUX_EV_RESET | YAMUX_EV_CLOSED))) step(ps, 0);
    if ((ev & YAMUX_EV_WRITABLE) && !ps->ours) step(ps, 0);
    /* Both directions over (or reset, or the session ended): let the stream go. */
    if (ev & (YAMUX_EV_CLOSED | YAMUX_EV_RESET)) {
        if (ps->ours && !ps->finished) step(ps, 0);
        if (ps->ours && !ps->finished) finish(ps, 0, yamux_strerror(yamux_stream_get_error(st)));
        ps_release(ps);
    }
    check_done(c);
}

static void on_incoming(yamux_session *s, void *ud) {
    pconn *c = ud;
    yamux_stream *st;
    while ((st = yamux_session_accept(s)) != NULL) {
        c->st->streams_accepted++;
        ps_new(c, st);
    }
}

static void next_ping(pconn *c) {
    if (c->pings_left == 0) return;
    if (yamux_session_ping(c->s, NULL) != YAMUX_OK) {
        c->pings_left = 0;
        c->verify_failed = 1;
    }
}

static void on_ping(yamux_session *s, uint32_t opaque, int status, uint64_t rtt, void *ud) {
    (void)s;
    (void)opaque;
    pconn *c = ud;
    if (status != YAMUX_OK) {
        fprintf(stderr, "yamux-peer: ping: %s\n", yamux_strerror(status));
        c->verify_failed = 1;
        c->pings_left = 0;
    } else {
        printf("ping %llu\n", (unsigned long long)rtt);
        fflush(stdout);
        c->st->pings++;
        c->pings_left--;
        next_ping(c);
    }
    check_done(c);
}

static void on_closed(yamux_uv *u, int err, void *ud);

static void on_close(yamux_session *s, int err, void *ud) {
    (void)s;
    pconn *c = ud;
    c->err = err;
    if (err) fprintf(stderr, "yamux-peer: session ended: %s\n", yamux_strerror(err));
    yamux_uv_close(c->u, on_closed); /* the binding goes once its transport is finished */
}

static void on_handle_closed(uv_handle_t *h) {
    pconn *c = h->data;
    if (--c->handles == 0) free(c);
}

static int protocol_error(int err) {
    return yamux_error_is_protocol(err) || err == YAMUX_EREMOTE_PROTOCOL ||
           err == YAMUX_EREMOTE_INTERNAL || err == YAMUX_EREMOTE_GOAWAY || err == YAMUX_EINTERNAL ||
           err == YAMUX_ENOMEM;
}

static void on_closed(yamux_uv *u, int err, void *ud) {
    (void)u;
    pconn *c = ud;
    /* the session frees every stream: drop our records */
    while (c->head.next != &c->head) {
        pstream *ps = c->head.next;
        ps->prev->next = ps->next;
        ps->next->prev = ps->prev;
        free(ps);
    }
    int status = EXIT_OK;
    int unfinished = c->opened != c->open_done || c->pings_left > 0 || c->idle_done != c->o->idle;
    if (protocol_error(err))
        status = EXIT_PROTOCOL;
    else if (c->verify_failed || (c->has_work && unfinished))
        status = EXIT_VERIFY;
    c->done(status, c->ud);
    c->handles = 3;
    uv_close((uv_handle_t *)&c->delay_timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->drain_timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->reset_check, on_handle_closed);
}

/* Our work is over once every stream we opened is verified, every ping answered and the idle
 * streams are done; then GoAway if asked, and close when no stream is left. */
static void check_done(pconn *c) {
    const peer_opts *o = c->o;
    if (c->closing || !c->has_work || yamux_session_is_closed(c->s)) return;
    if (o->idle && !c->idle_printed && c->idle_established == c->idle_opened) {
        c->idle_printed = 1;
        printf("idle %llu %llu\n", (unsigned long long)c->idle_opened,
               (unsigned long long)peer_rss_bytes());
        fflush(stdout);
        for (pstream *ps = c->head.next; ps != &c->head; ps = ps->next)
            if (ps->idle) pump_write(ps); /* half-close them all */
    }
    if (c->open_done != c->opened || c->pings_left || c->idle_done != c->idle_opened ||
        (o->idle && !c->idle_printed))
        return;
    if (o->goaway && !c->goaway_sent) {
        c->goaway_sent = 1;
        yamux_session_goaway(c->s);
    }
    if (yamux_session_get_num_streams(c->s) > 0) {
        /* Released streams finish on their own (data, FIN, RST still to go out) and tell
         * nobody: look again shortly, as the Go peers poll NumStreams. */
        if (!uv_is_active((uv_handle_t *)&c->drain_timer))
            uv_timer_start(&c->drain_timer, on_drain, 2, 2);
        return;
    }
    uv_timer_stop(&c->drain_timer);
    c->closing = 1;
    yamux_uv_close(c->u, on_closed);
}

static void on_reset_check(uv_idle_t *h) {
    pconn *c = h->data;
    for (pstream *ps = c->head.next, *nx; ps != &c->head; ps = nx) {
        nx = ps->next;
        if (!ps->reset_pending || yamux_stream_get_unsent(ps->st) > 0) continue;
        ps->reset_pending = 0;
        ps->reset_by_us = 1;
        if (--c->resets_pending == 0) uv_idle_stop(&c->reset_check);
        yamux_stream_reset(ps->st); /* on_stream(RESET) releases ps later */
    }
}

static void on_drain(uv_timer_t *t) {
    check_done(t->data);
}

static void on_delay(uv_timer_t *t) {
    pconn *c = t->data;
    /* a slow reader: one read of at most --write-size per stream and tick */
    for (pstream *ps = c->head.next, *nx; ps != &c->head; ps = nx) {
        nx = ps->next;
        step(ps, c->o->write_size);
    }
    check_done(c);
}

int peer_session_start(uv_loop_t *loop, uv_stream_t *conn, int is_client, const peer_opts *o,
                       peer_stats *st, peer_done_cb done, void *ud) {
    if (!wbuf) {
        wbuf = malloc(o->write_size);
        if (!wbuf) return YAMUX_ENOMEM;
    }
    pconn *c = calloc(1, sizeof *c);
    if (!c) return YAMUX_ENOMEM;
    c->o = o;
    c->st = st;
    c->loop = loop;
    c->done = done;
    c->ud = ud;
    c->head.next = c->head.prev = &c->head;
    c->has_work = o->open || o->ping || o->idle || o->goaway;
    c->pings_left = o->ping;

    yamux_config cfg;
    yamux_config_init(&cfg);
    cfg.max_stream_window = o->window;
    cfg.enable_keepalive = o->keepalive > 0;
    if (o->keepalive) cfg.keepalive_interval = (uint64_t)o->keepalive * 1000000000ull;
    if (cfg.stream_send_buffer < o->window) cfg.stream_send_buffer = o->window;
    yamux_callbacks cb = {.size = sizeof(yamux_callbacks),
                          .on_incoming = on_incoming,
                          .on_stream = on_stream,
                          .on_ping = on_ping,
                          .on_close = on_close,
                          .on_data = on_data};
    int r = yamux_uv_new(&c->u, loop, conn, is_client, &cfg, &cb, c);
    if (r != YAMUX_OK) {
        free(c);
        return r;
    }
    c->s = yamux_uv_get_session(c->u);
    uv_timer_init(loop, &c->delay_timer);
    c->delay_timer.data = c;
    uv_idle_init(loop, &c->reset_check);
    c->reset_check.data = c;
    uv_timer_init(loop, &c->drain_timer);
    c->drain_timer.data = c;
    if (o->read_delay_ms) {
        uv_timer_start(&c->delay_timer, on_delay, o->read_delay_ms, o->read_delay_ms);
        c->delay_timer_on = 1;
    }

    /* Opening calls back nothing: the events come once the loop runs. */
    uint64_t rng = o->random_seed;
    for (uint64_t i = 0; i < o->open; i++) {
        yamux_stream *s;
        r = yamux_session_open(c->s, &s);
        if (r != YAMUX_OK) {
            fprintf(stderr, "yamux-peer: open stream %llu: %s\n", (unsigned long long)i,
                    yamux_strerror(r));
            c->verify_failed = 1;
            break;
        }
        pstream *ps = ps_new(c, s);
        ps->ours = 1;
        ps->size = o->random_set ? (o->bytes == UINT64_MAX ? peer_splitmix64(&rng)
                                                           : peer_splitmix64(&rng) % (o->bytes + 1))
                                 : o->bytes;
        ps->limit = o->reset_after >= 0 && (uint64_t)o->reset_after < ps->size
                        ? (uint64_t)o->reset_after
                        : ps->size;
        c->opened++;
        st->streams_opened++;
        pump_write(ps);
    }
    for (uint64_t i = 0; i < o->idle; i++) {
        yamux_stream *s;
        if (yamux_session_open(c->s, &s) != YAMUX_OK) {
            c->verify_failed = 1;
            break;
        }
        pstream *ps = ps_new(c, s);
        ps->ours = 1;
        ps->idle = 1;
        c->idle_opened++;
        st->streams_opened++;
    }
    next_ping(c);
    check_done(c);
    return YAMUX_OK;
}
