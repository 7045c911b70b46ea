/* yamux streams: lifecycle, flow-control windows and the stream API. */
#include <stdint.h>
#include <string.h>

#include "session_internal.h"

/* ---- lifecycle --------------------------------------------------------------------------- */

int yx_stream_reserve(yamux_session *s, uint64_t bytes) {
    if (s->recv_reserved + bytes > s->cfg.max_recv_memory) return 0;
    s->recv_reserved += bytes;
    return 1;
}

/* The caller has reserved YAMUX_INITIAL_WINDOW of receive memory for the stream. */
yamux_stream *yx_stream_new(yamux_session *s, uint32_t id, int outbound) {
    yamux_stream *st = s->alloc.malloc(sizeof *st, s->alloc.ud);
    if (!st) return NULL;
    memset(st, 0, sizeof *st);
    st->session = s;
    st->id = id;
    st->outbound = outbound ? 1 : 0;
    st->send_window = YAMUX_INITIAL_WINDOW;
    st->recv_window = YAMUX_INITIAL_WINDOW;
    st->recv_target = YAMUX_INITIAL_WINDOW;
    st->epoch_start = s->now;
    yx_list_push_back(&s->all, &st->all_link);
    s->num_streams++;
    return st;
}

static void unlink_if(yx_link *l) {
    if (yx_linked(l)) yx_list_remove(l);
}

void yx_stream_syn_release(yamux_stream *st) {
    if (!st->syn_slot) return;
    st->syn_slot = 0;
    st->session->inflight_opens--;
    yx_syn_promote(st->session);
}

static void leave_map(yamux_stream *st) {
    if (!st->in_map) return;
    yx_idmap_del(&st->session->streams, st->id);
    st->in_map = 0;
}

void yx_stream_free(yamux_stream *st) {
    yamux_session *s = st->session;
    leave_map(st);
    if (st->syn_slot) {
        st->syn_slot = 0;
        s->inflight_opens--;
    }
    if (st->in_backlog) s->backlog_len--;
    unlink_if(&st->ctrl_link);
    unlink_if(&st->data_link);
    unlink_if(&st->queue_link);
    unlink_if(&st->open_link);
    unlink_if(&st->close_link);
    unlink_if(&st->notify_link);
    unlink_if(&st->all_link);
    if (s->rx_st == st) s->rx_st = NULL;
    if (s->rx_flag_st == st) s->rx_flag_st = NULL;
    yx_bufq_clear(&st->recvq, &s->pool);
    yx_bufq_clear(&st->sendq, &s->pool);
    s->recv_reserved -= st->recv_target;
    s->num_streams--;
    s->alloc.free(st, sizeof *st, s->alloc.ud);
}

int yx_stream_finished(const yamux_stream *st) {
    return st->reset || st->session->state == YX_ENDED || (st->fin_sent && st->remote_fin);
}

void yx_stream_maybe_free(yamux_stream *st) {
    int app_done = st->released || (!st->owned && !st->in_backlog);
    if (app_done && yx_stream_finished(st) && st->send_committed == 0 && !st->rst_pending)
        yx_stream_free(st);
}

/* Both directions ended with FIN: forget the id, tell the application, maybe free. */
void yx_stream_finish_check(yamux_stream *st) {
    if (!st->fin_sent || !st->remote_fin || st->reset) return;
    leave_map(st);
    unlink_if(&st->close_link);
    unlink_if(&st->ctrl_link);
    yx_stream_syn_release(st);
    yx_stream_notify(st, YAMUX_EV_CLOSED);
    yx_stream_maybe_free(st);
}

void yx_stream_do_reset(yamux_stream *st, int err, int send_rst) {
    yamux_session *s = st->session;
    if (st->reset) return;
    /* A SYN still pending has not gone out: the peer never hears of the stream, and a RST
     * for an id it never saw would be a protocol error there. */
    int peer_knows = !st->outbound || st->syn_sent;
    st->reset = 1;
    st->err = err;
    st->pending_flags = 0;
    leave_map(st);
    yx_bufq_truncate(&st->sendq, &s->pool, st->send_committed);
    yx_bufq_clear(&st->recvq, &s->pool);
    if (s->rx_st == st) s->rx_st = NULL;
    unlink_if(&st->data_link);
    unlink_if(&st->open_link);
    unlink_if(&st->close_link);
    if (yx_linked(&st->queue_link)) {
        yx_list_remove(&st->queue_link);
        if (st->in_backlog) {
            st->in_backlog = 0;
            s->backlog_len--;
        }
    }
    yx_stream_syn_release(st);
    if (send_rst && peer_knows) {
        st->rst_pending = 1;
        yx_stream_queue_ctrl(st);
    } else {
        unlink_if(&st->ctrl_link);
    }
    yx_stream_notify(st, YAMUX_EV_READABLE | YAMUX_EV_WRITABLE | YAMUX_EV_RESET | YAMUX_EV_CLOSED);
    yx_stream_maybe_free(st);
}

/* The session ended: the stream keeps what it received, nothing more moves. */
void yx_stream_kill(yamux_stream *st, int err) {
    yamux_session *s = st->session;
    leave_map(st);
    if (!st->err && !st->reset && !(st->fin_sent && st->remote_fin)) st->err = err;
    st->rst_pending = 0;
    st->pending_flags = 0;
    if (st->syn_slot) {
        st->syn_slot = 0;
        s->inflight_opens--;
    }
    yx_bufq_truncate(&st->sendq, &s->pool, st->send_committed);
    unlink_if(&st->ctrl_link);
    unlink_if(&st->data_link);
    unlink_if(&st->open_link);
    unlink_if(&st->close_link);
    /* A stream in the accept backlog stays there: it can still be accepted and read. */
    if (!st->in_backlog) unlink_if(&st->queue_link);
    if (!st->reset) yx_stream_notify(st, YAMUX_EV_READABLE | YAMUX_EV_WRITABLE | YAMUX_EV_CLOSED);
    yx_stream_maybe_free(st);
}

void yx_stream_established(yamux_stream *st) {
    st->established = 1;
    unlink_if(&st->open_link);
    yx_stream_syn_release(st);
    yx_stream_notify(st, YAMUX_EV_ESTABLISHED);
}

/* Grants SYN slots to streams waiting for one, oldest first. */
void yx_syn_promote(yamux_session *s) {
    while (s->state == YX_ALIVE && s->inflight_opens < s->cfg.max_inflight_opens &&
           !yx_list_empty(&s->syn_wait)) {
        yamux_stream *st =
            yx_container_of(yx_list_pop_front(&s->syn_wait), yamux_stream, queue_link);
        st->syn_slot = 1;
        s->inflight_opens++;
        st->pending_flags |= YAMUX_FLAG_SYN;
        yx_stream_queue_ctrl(st);
        if (s->cfg.stream_open_timeout) {
            st->open_deadline = YX_DEADLINE_NEXT_TICK; /* counts from the next tick */
            yx_list_push_back(&s->open_timers, &st->open_link);
        }
    }
}

/* ---- scheduling -------------------------------------------------------------------------- */

void yx_stream_queue_ctrl(yamux_stream *st) {
    if (!yx_linked(&st->ctrl_link)) yx_list_push_back(&st->session->ctrl_list, &st->ctrl_link);
}

/* Puts the stream on the data list when it has data, window and the right to send. */
void yx_stream_update_data(yamux_stream *st) {
    int ok = !st->reset && st->session->state == YX_ALIVE &&
             (st->outbound ? st->syn_sent : st->established) && st->send_window > 0 &&
             st->sendq.len > st->send_committed;
    if (ok && !yx_linked(&st->data_link))
        yx_list_push_back(&st->session->data_list, &st->data_link);
    else if (!ok)
        unlink_if(&st->data_link);
}

/* ---- flow control ------------------------------------------------------------------------ */

static uint32_t grow_target(yamux_stream *st, uint32_t want) {
    yamux_session *s = st->session;
    if (want <= st->recv_target) return 0;
    uint64_t room = s->cfg.max_recv_memory - s->recv_reserved;
    uint64_t grow = want - st->recv_target;
    if (grow > room) grow = room;
    st->recv_target += (uint32_t)grow;
    s->recv_reserved += grow;
    return (uint32_t)grow;
}

/* Receive memory the stream already answers for: window still granted, bytes buffered, and
 * bytes of the frame being received that are counted out of the window but not buffered yet
 * (granting them again would let the peer overrun the target). */
static uint64_t recv_credit(const yamux_stream *st) {
    const yamux_session *s = st->session;
    return (uint64_t)st->recv_window + st->recvq.len + (s->rx_st == st ? s->rx_left : 0);
}

/* The window delta to announce now (hashicorp's rule: once the application has consumed at
 * least half the window), or 0. `force` announces whatever is due, for SYN/ACK frames. */
uint32_t yx_stream_window_delta(yamux_stream *st, int force) {
    yamux_session *s = st->session;
    if (!s->cfg.window_autotune) grow_target(st, s->cfg.max_stream_window);
    uint64_t credit = recv_credit(st);
    uint32_t delta = credit < st->recv_target ? (uint32_t)(st->recv_target - credit) : 0;
    if (!force && delta < st->recv_target / 2) return 0;
    /* Autotune: a window consumed in under a few round trips limits throughput: double it. */
    if (s->cfg.window_autotune && !force && s->rtt && s->now - st->epoch_start < 4 * s->rtt) {
        uint64_t want = (uint64_t)st->recv_target * 2;
        if (want > s->cfg.max_stream_window) want = s->cfg.max_stream_window;
        delta += grow_target(st, (uint32_t)want);
    }
    st->epoch_start = s->now;
    st->recv_window += delta;
    return delta;
}

/* Data left the receive buffer (read, or discarded): announce the window when due. */
void yx_stream_recv_consumed(yamux_stream *st) {
    if (st->remote_fin || st->reset || st->session->state != YX_ALIVE) return;
    uint64_t credit = recv_credit(st);
    if (credit < st->recv_target && st->recv_target - credit >= st->recv_target / 2)
        yx_stream_queue_ctrl(st);
}

/* ---- API --------------------------------------------------------------------------------- */

static int stream_dead_err(const yamux_stream *st) {
    if (st->reset) return st->err ? st->err : YAMUX_ERESET;
    if (st->session->state == YX_ENDED) {
        int e = st->err ? st->err : st->session->err;
        return e ? e : YAMUX_ESHUTDOWN;
    }
    return 0;
}

uint32_t yamux_stream_get_id(const yamux_stream *st) {
    return st->id;
}

yamux_session *yamux_stream_get_session(const yamux_stream *st) {
    return st->session;
}

void yamux_stream_set_user_data(yamux_stream *st, void *ud) {
    st->user_data = ud;
}

void *yamux_stream_get_user_data(const yamux_stream *st) {
    return st->user_data;
}

size_t yamux_stream_get_write_space(const yamux_stream *st) {
    if (stream_dead_err(st) || st->fin_requested) return 0;
    size_t cap = st->session->cfg.stream_send_buffer;
    return st->sendq.len < cap ? cap - st->sendq.len : 0;
}

ptrdiff_t yamux_stream_write(yamux_stream *st, const void *buf, size_t len) {
    yamux_session *s = st->session;
    int e = stream_dead_err(st);
    if (e) return e;
    if (st->fin_requested) return YAMUX_ECLOSED;
    if (len == 0) return 0;
    size_t space = yamux_stream_get_write_space(st);
    if (space == 0) {
        st->want_writable = 1;
        return YAMUX_EAGAIN;
    }
    size_t n = len < space ? len : space;
    size_t got = yx_bufq_append(&st->sendq, &s->pool, buf, n);
    if (got < len) st->want_writable = 1;
    if (got == 0) return YAMUX_ENOMEM;
    yx_stream_update_data(st);
    return (ptrdiff_t)got;
}

ptrdiff_t yamux_stream_write_ref(yamux_stream *st, const void *buf, size_t len,
                                 void (*release)(void *arg), void *arg) {
    yamux_session *s = st->session;
    int e = stream_dead_err(st);
    if (!e && st->fin_requested) e = YAMUX_ECLOSED;
    if (!e && len > UINT32_MAX) e = YAMUX_EINVAL; /* one by-reference chunk */
    if (!e && yamux_stream_get_write_space(st) == 0) {
        st->want_writable = 1;
        e = YAMUX_EAGAIN;
    }
    if (e) return e;
    if (len == 0) {
        if (release) release(arg);
        return 0;
    }
    if (yx_bufq_append_ref(&st->sendq, &s->pool, buf, len, release, arg) != YAMUX_OK)
        return YAMUX_ENOMEM;
    if (st->sendq.len >= s->cfg.stream_send_buffer) st->want_writable = 1;
    yx_stream_update_data(st);
    return (ptrdiff_t)len;
}

ptrdiff_t yamux_stream_read(yamux_stream *st, void *buf, size_t len) {
    yamux_session *s = st->session;
    if (st->recvq.len && len) {
        size_t n = yx_bufq_read(&st->recvq, &s->pool, buf, len);
        yx_stream_recv_consumed(st);
        return (ptrdiff_t)n;
    }
    if (st->reset) return stream_dead_err(st);
    if (st->remote_fin) return 0;
    int e = stream_dead_err(st);
    if (e) return e;
    return len ? YAMUX_EAGAIN : 0;
}

size_t yamux_stream_peek(const yamux_stream *st, const uint8_t **data) {
    const yx_chunk *c = st->recvq.head;
    if (!c) {
        *data = NULL;
        return 0;
    }
    *data = yx_chunk_bytes(c) + c->begin;
    return c->end - c->begin;
}

void yamux_stream_consume(yamux_stream *st, size_t n) {
    yamux_session *s = st->session;
    if (n > st->recvq.len) n = st->recvq.len;
    if (!n) return;
    yx_bufq_consume(&st->recvq, &s->pool, n);
    yx_stream_recv_consumed(st);
}

size_t yamux_stream_get_read_available(const yamux_stream *st) {
    return st->recvq.len;
}

size_t yamux_stream_get_unsent(const yamux_stream *st) {
    return st->sendq.len;
}

int yamux_stream_is_eof(const yamux_stream *st) {
    return st->remote_fin && st->recvq.len == 0;
}

int yamux_stream_close_write(yamux_stream *st) {
    int e = stream_dead_err(st);
    if (e) return e;
    if (st->fin_requested) return YAMUX_OK;
    st->fin_requested = 1;
    if (st->sendq.len == st->send_committed) yx_stream_queue_ctrl(st);
    yx_stream_update_data(st);
    return YAMUX_OK;
}

int yamux_stream_reset(yamux_stream *st) {
    yamux_session *s = st->session;
    if (st->reset || s->state == YX_ENDED) return YAMUX_OK;
    yx_stream_do_reset(st, YAMUX_ERESET, 1);
    return YAMUX_OK;
}

void yamux_stream_release(yamux_stream *st) {
    yamux_session *s = st->session;
    if (st->released) return;
    st->released = 1;
    st->events = 0;
    unlink_if(&st->notify_link);
    if (!stream_dead_err(st)) {
        yamux_stream_close_write(st);
        /* Whatever arrived unread is dropped, and its window given back; so is the rest of a
         * frame still arriving. */
        if (s->rx_st == st) s->rx_st = NULL;
        yx_bufq_clear(&st->recvq, &s->pool);
        yx_stream_recv_consumed(st);
    }
    yx_stream_maybe_free(st);
}

int yamux_stream_get_error(const yamux_stream *st) {
    int e = stream_dead_err(st);
    if (e) return e;
    if (st->fin_sent && st->remote_fin) return YAMUX_ECLOSED;
    return 0;
}

uint32_t yamux_stream_get_send_window(const yamux_stream *st) {
    return st->send_window;
}

uint32_t yamux_stream_get_recv_window(const yamux_stream *st) {
    return st->recv_window;
}
