/* yamux session output: the frame scheduler and the iovec hand-out.
 *
 * Frames are built lazily, when the caller asks for output, into a bounded ring. Order of
 * priority when building the next frame: GoAway, session control frames (ping answers,
 * refusals), our pings, per-stream control frames (SYN, ACK, window updates, FIN,
 * RST), then data frames from the streams round-robin, at most max_frame_payload each.
 * So pings and window updates never wait behind more than one data frame per stream. */
#include <string.h>

#include "session_internal.h"

static yx_out_frame *out_at(yamux_session *s, uint32_t i) {
    return &s->out[(s->out_head + i) % YX_OUT_CAP];
}

static yx_out_frame *out_push(yamux_session *s, uint8_t type, uint16_t flags, uint32_t id,
                              uint32_t len) {
    yx_out_frame *f = out_at(s, s->out_count++);
    yamux_frame h = {YAMUX_PROTO_VERSION, type, flags, id, len};
    yamux_frame_encode(f->hdr, &h);
    f->payload = 0;
    f->st = NULL;
    f->abs_off = 0;
    return f;
}

uint32_t yx_ctrl_space(const yamux_session *s) {
    return YX_CTRL_CAP - s->ctrl_count;
}

void yx_ctrl_push(yamux_session *s, uint8_t type, uint16_t flags, uint32_t id, uint32_t len) {
    yamux_frame h = {YAMUX_PROTO_VERSION, type, flags, id, len};
    yamux_frame_encode(s->ctrl[(s->ctrl_head + s->ctrl_count++) % YX_CTRL_CAP], &h);
}

int yx_session_out_ready(const yamux_session *s) {
    if (s->hand_idx < s->out_count) return 1;
    if (s->out_count == YX_OUT_CAP) return 0;
    if (s->goaway_pending >= 0) return 1;
    if (s->state == YX_ENDED) return 0;
    return s->ctrl_count || s->pings_unsent || !yx_list_empty(&s->ctrl_list) ||
           !yx_list_empty(&s->data_list);
}

/* A control frame for one stream: RST, or SYN/ACK/FIN flags with the window delta due. */
static int produce_stream_ctrl(yamux_session *s, yamux_stream *st) {
    if (st->rst_pending) {
        st->rst_pending = 0;
        out_push(s, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST, st->id, 0);
        s->stats.resets_out++;
        yx_stream_maybe_free(st);
        return 1;
    }
    if (st->reset) return 0;
    /* An outbound stream says nothing before its SYN slot is granted. */
    if (st->outbound && !st->syn_sent && !(st->pending_flags & YAMUX_FLAG_SYN)) return 0;
    uint16_t flags = st->pending_flags;
    st->pending_flags = 0;
    uint32_t delta = 0;
    if (flags || !st->remote_fin) delta = yx_stream_window_delta(st, flags != 0);
    if (st->fin_requested && !st->fin_sent && st->sendq.len == st->send_committed) {
        flags |= YAMUX_FLAG_FIN;
        st->fin_sent = 1;
        /* hashicorp's close timeout: the peer has this long, from our FIN, to send its own */
        if (s->cfg.stream_close_timeout && !st->remote_fin) {
            st->close_deadline = YX_DEADLINE_NEXT_TICK;
            yx_list_push_back(&s->close_timers, &st->close_link);
        }
    }
    if (!flags && !delta) return 0;
    out_push(s, YAMUX_TYPE_WINDOW_UPDATE, flags, st->id, delta);
    if (delta) s->stats.window_updates_out++;
    if (flags & YAMUX_FLAG_SYN) st->syn_sent = 1;
    if (flags & YAMUX_FLAG_ACK) st->established = 1;
    yx_stream_update_data(st);
    if (flags & YAMUX_FLAG_FIN) yx_stream_finish_check(st);
    return 1;
}

static void produce_data(yamux_session *s, yamux_stream *st) {
    size_t pending = st->sendq.len - st->send_committed;
    uint32_t n = st->send_window;
    if (n > s->cfg.max_frame_payload) n = s->cfg.max_frame_payload;
    if (n > pending) n = (uint32_t)pending;
    yx_out_frame *f = out_push(s, YAMUX_TYPE_DATA, 0, st->id, n);
    f->payload = n;
    f->st = st;
    f->abs_off = st->sendq_base + st->send_committed;
    st->send_committed += n;
    st->send_window -= n;
    /* FIN goes in a window update of its own after the last data, as hashicorp and go-yamux
     * send it: both apply a FIN before the payload it rides on, so their readers can see the
     * end of stream before the data. */
    if (st->fin_requested && n == pending) yx_stream_queue_ctrl(st);
    /* Round robin: go to the back of the list if there is more to send. */
    yx_list_remove(&st->data_link);
    yx_stream_update_data(st);
}

/* Builds the next frame into the ring; returns 0 when there is nothing to build. */
static int produce_frame(yamux_session *s) {
    if (s->out_count == YX_OUT_CAP) return 0;
    if (s->goaway_pending >= 0) {
        out_push(s, YAMUX_TYPE_GOAWAY, 0, 0, (uint32_t)s->goaway_pending);
        s->goaway_pending = -1;
        s->goaway_sent = 1;
        return 1;
    }
    if (s->state == YX_ENDED) return 0;
    if (s->ctrl_count) {
        yx_out_frame *f = out_at(s, s->out_count++);
        memcpy(f->hdr, s->ctrl[s->ctrl_head], YAMUX_HEADER_SIZE);
        f->payload = 0;
        f->st = NULL;
        s->ctrl_head = (s->ctrl_head + 1) % YX_CTRL_CAP;
        s->ctrl_count--;
        return 1;
    }
    if (s->pings_unsent) {
        for (uint32_t i = 0; i < YX_PING_CAP; i++) {
            yx_ping *p = &s->pings[i];
            if (!p->kind || p->sent) continue;
            p->sent = 1;
            p->sent_at = s->now;
            p->deadline = YX_DEADLINE_NEXT_TICK; /* counts from the next tick */
            s->pings_unsent--;
            if (p->kind == YX_PING_KEEPALIVE) s->rx_any = 0;
            out_push(s, YAMUX_TYPE_PING, YAMUX_FLAG_SYN, 0, p->opaque);
            s->stats.pings_out++;
            return 1;
        }
    }
    yx_link *l;
    while ((l = yx_list_pop_front(&s->ctrl_list)) != NULL) {
        if (produce_stream_ctrl(s, yx_container_of(l, yamux_stream, ctrl_link))) return 1;
    }
    if (!yx_list_empty(&s->data_list)) {
        produce_data(s, yx_container_of(s->data_list.next, yamux_stream, data_link));
        return 1;
    }
    return 0;
}

static int produce_one(yamux_session *s) {
    int r = produce_frame(s);
    s->stats.frames_out += (uint64_t)r;
    return r;
}

/* A frame is built only when there is room to hand out at least its first header byte, so the
 * ring never holds a frame nobody has started writing: when the session ends, everything in
 * it must be finished on the wire, and nothing is dropped. */
static size_t hand_out(yamux_session *s, yamux_iovec *iov, size_t *iovcnt, size_t max_bytes) {
    size_t max_iov = *iovcnt, n = 0, bytes = 0;
    if (max_bytes == 0) max_bytes = SIZE_MAX;
    while (n < max_iov && bytes < max_bytes) {
        if (s->hand_idx == s->out_count && !produce_one(s)) break;
        yx_out_frame *f = out_at(s, s->hand_idx);
        uint32_t total = YAMUX_HEADER_SIZE + f->payload;
        if (s->hand_off < YAMUX_HEADER_SIZE) {
            size_t len = YAMUX_HEADER_SIZE - s->hand_off;
            if (len > max_bytes - bytes) len = max_bytes - bytes;
            iov[n].base = f->hdr + s->hand_off;
            iov[n].len = len;
            n++;
            bytes += len;
            s->hand_off += (uint32_t)len;
        }
        if (s->hand_off >= YAMUX_HEADER_SIZE && s->hand_off < total && n < max_iov) {
            yamux_stream *st = f->st;
            size_t off = (size_t)(f->abs_off - st->sendq_base) + (s->hand_off - YAMUX_HEADER_SIZE);
            size_t want = total - s->hand_off, got = 0;
            if (want > max_bytes - bytes) want = max_bytes - bytes;
            n += yx_bufq_peek(&st->sendq, off, iov + n, max_iov - n, want, &got);
            bytes += got;
            s->hand_off += (uint32_t)got;
        }
        if (s->hand_off < total) break;
        s->hand_idx++;
        s->hand_off = 0;
    }
    *iovcnt = n;
    s->inflight += bytes;
    return bytes;
}

static void mark_done(yamux_session *s, size_t n) {
    if (n > s->inflight) n = s->inflight;
    s->inflight -= n;
    s->stats.bytes_out += n;
    while (n > 0) {
        yx_out_frame *f = out_at(s, 0);
        uint32_t total = YAMUX_HEADER_SIZE + f->payload;
        size_t k = total - s->done_off;
        if (k > n) k = n;
        size_t pstart = s->done_off > YAMUX_HEADER_SIZE ? s->done_off : YAMUX_HEADER_SIZE;
        size_t pend = s->done_off + k;
        if (pend > pstart) {
            yamux_stream *st = f->st;
            size_t m = pend - pstart;
            yx_bufq_consume(&st->sendq, &s->pool, m);
            s->stats.data_out += m;
            st->sendq_base += m;
            st->send_committed -= m;
            if (st->want_writable && st->sendq.len <= s->cfg.stream_send_buffer / 2) {
                st->want_writable = 0;
                yx_stream_notify(st, YAMUX_EV_WRITABLE);
            }
        }
        s->done_off += (uint32_t)k;
        n -= k;
        if (s->done_off == total) {
            yamux_stream *st = f->st;
            s->out_head = (s->out_head + 1) % YX_OUT_CAP;
            s->out_count--;
            s->hand_idx--;
            s->done_off = 0;
            if (st && st->send_committed == 0) yx_stream_maybe_free(st);
        }
    }
}

/* Output is handed out after the events are delivered: what the callbacks queue goes out with
 * it, and no callback runs while the caller holds the memory handed out. */
size_t yamux_session_send_iov(yamux_session *s, yamux_iovec *iov, size_t *iovcnt,
                              size_t max_bytes) {
    if (s->in_callback || !yx_session_dispatch(s)) {
        *iovcnt = 0;
        return 0;
    }
    return hand_out(s, iov, iovcnt, max_bytes);
}

void yamux_session_send_done(yamux_session *s, size_t n) {
    if (s->in_callback) return;
    mark_done(s, n);
    yx_session_dispatch(s);
}

size_t yamux_session_send(yamux_session *s, uint8_t *buf, size_t cap) {
    size_t total = 0;
    if (s->in_callback || !yx_session_dispatch(s)) return 0;
    while (total < cap) {
        yamux_iovec iov[16];
        size_t cnt = 16;
        size_t got = hand_out(s, iov, &cnt, cap - total);
        if (got == 0) break;
        for (size_t i = 0; i < cnt; i++) {
            memcpy(buf + total, iov[i].base, iov[i].len);
            total += iov[i].len;
        }
        mark_done(s, got);
    }
    yx_session_dispatch(s); /* the bytes are copied: the session may go now */
    return total;
}

int yamux_session_is_send_pending(const yamux_session *s) {
    return yx_session_out_ready(s);
}

size_t yamux_session_get_send_inflight(const yamux_session *s) {
    return s->inflight;
}
