/* yamux session input: an incremental parser (input may be split anywhere, down to single
 * bytes) and the frame handlers. Every rule broken by the peer ends the session with a named
 * protocol error and GoAway 1; nothing the peer sends can make memory grow beyond the
 * configured bounds. */
#include <string.h>

#include "session_internal.h"

/* ---- remote stream ids -------------------------------------------------------------------
 *
 * The peer opens ids of its parity in increasing order, but not necessarily in order on the
 * wire: hashicorp's Open() takes its id atomically and sends the SYN later, so under load a
 * low id may arrive long after higher ones. A reused id is a protocol error; a fresh one must
 * never be refused. The session remembers the highest id opened and, below it, the ranges of
 * ids never opened (gaps), in a fixed table. When the table is full the two lowest gaps merge
 * into one uncertain range (it covers ids that were opened too): a SYN there is accepted and
 * other frames there are ignored, so a fresh id is never refused and a late frame of a closed
 * stream never fails the session; only the detection of reuse loses precision, and only for a
 * peer that leaves more than YX_GAPS gaps open at once. */

enum { ID_FRESH, ID_SEEN, ID_UNCERTAIN };

static int is_remote_id(const yamux_session *s, uint32_t id) {
    return (id & 1u) == (s->is_client ? 0u : 1u);
}

/* The gap holding `id`, or -1 (binary search: gaps are sorted and disjoint). */
static long gap_find(const yamux_session *s, uint32_t id) {
    size_t lo = 0, hi = s->ngaps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->gaps[mid].hi < id)
            lo = mid + 1;
        else if (s->gaps[mid].lo > id)
            hi = mid;
        else
            return (long)mid;
    }
    return -1;
}

/* What is known of remote id `id` (of the peer's parity). */
static int remote_state(const yamux_session *s, uint32_t id) {
    if (s->remote_max == 0 || id > s->remote_max) return ID_FRESH;
    long g = gap_find(s, id);
    if (g < 0) return ID_SEEN;
    return s->gaps[g].uncertain ? ID_UNCERTAIN : ID_FRESH;
}

/* Frees a slot when the table is full: the two lowest gaps become one uncertain range. */
static void gaps_make_room(yamux_session *s) {
    if (s->ngaps < YX_GAPS) return;
    s->gaps[1].lo = s->gaps[0].lo;
    s->gaps[1].uncertain = 1;
    memmove(&s->gaps[0], &s->gaps[1], (--s->ngaps) * sizeof s->gaps[0]);
}

static void gap_insert(yamux_session *s, size_t at, uint32_t lo, uint32_t hi, uint32_t uncertain) {
    memmove(&s->gaps[at + 1], &s->gaps[at], (s->ngaps - at) * sizeof s->gaps[0]);
    s->gaps[at] = (yx_gap){lo, hi, uncertain};
    s->ngaps++;
}

/* Records that the peer opened `id` (fresh or uncertain). */
static void remote_mark(yamux_session *s, uint32_t id) {
    if (id > s->remote_max) {
        uint32_t first = s->remote_max ? s->remote_max + 2 : (s->is_client ? 2u : 1u);
        if (first < id) {
            gaps_make_room(s);
            gap_insert(s, s->ngaps, first, id - 2, 0);
        }
        s->remote_max = id;
        return;
    }
    long g = gap_find(s, id);
    if (g < 0 || s->gaps[g].uncertain) return;
    yx_gap *p = &s->gaps[g];
    if (p->lo == p->hi) {
        memmove(p, p + 1, (s->ngaps - (size_t)g - 1) * sizeof *p);
        s->ngaps--;
    } else if (id == p->lo) {
        p->lo += 2;
    } else if (id == p->hi) {
        p->hi -= 2;
    } else { /* split in two */
        if (s->ngaps == YX_GAPS) {
            gaps_make_room(s);
            remote_mark(s, id); /* the gap moved, or became uncertain */
            return;
        }
        uint32_t hi = p->hi;
        p->hi = id - 2;
        gap_insert(s, (size_t)g + 1, id + 2, hi, 0);
    }
}

/* ---- frame handlers ---------------------------------------------------------------------- */

static void discard_payload(yamux_session *s, uint32_t len) {
    s->rx_left = len;
    s->rx_st = NULL;
    s->rx_flag_st = NULL;
    s->rx_flags = 0;
}

/* The largest data frame any stream could legitimately carry. */
static uint32_t max_data_len(const yamux_session *s) {
    return s->cfg.max_stream_window;
}

/* A SYN: registers the new stream, or refuses it with RST. *out is NULL when refused. */
static int on_syn(yamux_session *s, const yamux_frame *f, yamux_stream **out) {
    uint32_t id = f->stream_id;
    *out = NULL;
    if (!is_remote_id(s, id)) return YAMUX_EPROTO_STREAM_ID;
    if (yx_idmap_get(&s->streams, id) || remote_state(s, id) == ID_SEEN)
        return YAMUX_EPROTO_DUPLICATE_STREAM;
    remote_mark(s, id);
    int refuse = s->local_goaway || s->backlog_len >= s->cfg.accept_backlog ||
                 s->num_streams >= s->cfg.max_streams;
    yamux_stream *st = NULL;
    if (!refuse && yx_stream_reserve(s, YAMUX_INITIAL_WINDOW)) {
        st = yx_stream_new(s, id, 0);
        if (!st) {
            s->recv_reserved -= YAMUX_INITIAL_WINDOW;
        } else if (yx_idmap_put(&s->streams, id, st) != YAMUX_OK) {
            yx_stream_free(st);
            st = NULL;
        }
    }
    if (!st) {
        /* Refused: the peer learns it from RST (space was checked before the frame). */
        yx_ctrl_push(s, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST, id, 0);
        s->stats.streams_refused++;
        s->stats.resets_out++;
        return YAMUX_OK;
    }
    st->in_map = 1;
    st->in_backlog = 1;
    yx_list_push_back(&s->backlog, &st->queue_link);
    s->backlog_len++;
    s->incoming_pending = 1;
    *out = st;
    return YAMUX_OK;
}

/* A frame for an id with no live stream: fine for a stream that ended (late frames), a
 * protocol error for an id that was never opened. */
static int on_unknown(yamux_session *s, const yamux_frame *f) {
    uint32_t id = f->stream_id;
    if (is_remote_id(s, id) ? remote_state(s, id) == ID_FRESH : id >= s->next_id)
        return YAMUX_EPROTO_STREAM_ID;
    if (f->type == YAMUX_TYPE_DATA) {
        if (f->length > max_data_len(s)) return YAMUX_EPROTO_LENGTH;
        discard_payload(s, f->length);
    }
    return YAMUX_OK;
}

/* FIN and RST take effect after the frame's payload. */
static int apply_flags(yamux_session *s, yamux_stream *st, uint16_t flags) {
    if (flags & YAMUX_FLAG_RST) {
        s->stats.resets_in++;
        yx_stream_do_reset(st, YAMUX_ERESET, 0);
        return YAMUX_OK;
    }
    if (flags & YAMUX_FLAG_FIN) {
        if (st->remote_fin) return YAMUX_EPROTO_STREAM_STATE;
        st->remote_fin = 1;
        if (st->fin_requested && yx_linked(&st->close_link)) yx_list_remove(&st->close_link);
        yx_stream_notify(st, YAMUX_EV_READABLE);
        yx_stream_finish_check(st);
    }
    return YAMUX_OK;
}

static int on_stream_frame(yamux_session *s, const yamux_frame *f) {
    yamux_stream *st;
    uint16_t flags = f->flags;
    if (flags & YAMUX_FLAG_SYN) {
        int r = on_syn(s, f, &st);
        if (r) return r;
        if (!st) {
            if (f->type == YAMUX_TYPE_DATA) {
                if (f->length > YAMUX_INITIAL_WINDOW) return YAMUX_EPROTO_RECV_WINDOW;
                discard_payload(s, f->length);
            }
            return YAMUX_OK;
        }
    } else {
        st = yx_idmap_get(&s->streams, f->stream_id);
        if (!st) return on_unknown(s, f);
        if (st->outbound && !st->syn_sent) return YAMUX_EPROTO_STREAM_ID;
    }
    if (flags & YAMUX_FLAG_ACK) {
        if (!st->outbound) return YAMUX_EPROTO_STREAM_STATE;
        if (!st->established) yx_stream_established(st);
    }
    if (f->type == YAMUX_TYPE_WINDOW_UPDATE) {
        if (f->length) {
            if ((uint64_t)st->send_window + f->length > UINT32_MAX) return YAMUX_EPROTO_SEND_WINDOW;
            st->send_window += f->length;
            s->stats.window_updates_in++;
            yx_stream_update_data(st);
        }
        return apply_flags(s, st, flags);
    }
    /* Data. */
    if (st->remote_fin && (f->length || (flags & YAMUX_FLAG_FIN))) return YAMUX_EPROTO_STREAM_STATE;
    if (f->length > st->recv_window) return YAMUX_EPROTO_RECV_WINDOW;
    if (f->length == 0) return apply_flags(s, st, flags);
    st->recv_window -= f->length;
    s->rx_left = f->length;
    s->rx_flag_st = st;
    s->rx_flags = flags & (YAMUX_FLAG_FIN | YAMUX_FLAG_RST);
    if (st->released) {
        /* Nobody will read it: drop it and give the window back at once. */
        s->rx_st = NULL;
        yx_stream_recv_consumed(st);
    } else {
        s->rx_st = st;
    }
    return YAMUX_OK;
}

static int on_ping(yamux_session *s, const yamux_frame *f) {
    if (f->flags & YAMUX_FLAG_SYN) {
        yx_ctrl_push(s, YAMUX_TYPE_PING, YAMUX_FLAG_ACK, 0, f->length);
        s->stats.pings_in++;
        return YAMUX_OK;
    }
    for (uint32_t i = 0; i < YX_PING_CAP; i++) {
        yx_ping *p = &s->pings[i];
        if (!p->kind || !p->sent || p->opaque != f->length) continue;
        uint64_t rtt = s->now - p->sent_at;
        s->rtt = s->rtt ? (s->rtt * 7 + rtt) / 8 : (rtt ? rtt : 1);
        if (p->kind == YX_PING_KEEPALIVE && s->cfg.enable_keepalive)
            s->next_keepalive = s->now + s->cfg.keepalive_interval;
        yx_ping_complete(s, p, YAMUX_OK);
        break;
    }
    return YAMUX_OK; /* an answer nobody waits for any more is ignored */
}

static int on_goaway(yamux_session *s, const yamux_frame *f) {
    switch (f->length) {
    case YAMUX_GOAWAY_NORMAL:
        if (!s->remote_goaway) {
            s->remote_goaway = 1;
            s->goaway_event = 1;
            /* Streams whose SYN has not left yet would only be refused: fail them here. */
            yx_link *l;
            while ((l = yx_list_pop_front(&s->syn_wait)) != NULL)
                yx_stream_do_reset(yx_container_of(l, yamux_stream, queue_link), YAMUX_EGOAWAY, 0);
        }
        return YAMUX_OK;
    case YAMUX_GOAWAY_PROTOCOL_ERROR:
        return YAMUX_EREMOTE_PROTOCOL;
    case YAMUX_GOAWAY_INTERNAL_ERROR:
        return YAMUX_EREMOTE_INTERNAL;
    default:
        return YAMUX_EREMOTE_GOAWAY;
    }
}

static int on_header(yamux_session *s) {
    yamux_frame f;
    yamux_frame_decode(&f, s->rx_hdr);
    int r = yamux_frame_validate(&f);
    if (r) return r;
    s->stats.frames_in++;
    switch (f.type) {
    case YAMUX_TYPE_DATA:
    case YAMUX_TYPE_WINDOW_UPDATE:
        return on_stream_frame(s, &f);
    case YAMUX_TYPE_PING:
        return on_ping(s, &f);
    default:
        return on_goaway(s, &f);
    }
}

/* Offers payload to the application in place (on_data) when nothing is buffered before it;
 * returns how many bytes it took. */
static size_t deliver(yamux_session *s, yamux_stream *st, const uint8_t *data, size_t n) {
    if (!s->cb.on_data || st->recvq.len || !st->owned || st->released) return 0;
    s->in_callback = 1;
    size_t took = s->cb.on_data(s, st, data, n, s->user_data);
    s->in_callback = 0;
    if (took > n) took = n;
    /* Taken bytes are consumed like a read (the stream may be gone or reset meanwhile). */
    if (took && s->rx_st == st) yx_stream_recv_consumed(st);
    return took;
}

/* The current data frame's payload is complete: apply its FIN/RST. */
static int end_frame(yamux_session *s) {
    yamux_stream *st = s->rx_flag_st;
    uint16_t flags = s->rx_flags;
    s->rx_st = NULL;
    s->rx_flag_st = NULL;
    s->rx_flags = 0;
    return st && flags ? apply_flags(s, st, flags) : YAMUX_OK;
}

ptrdiff_t yamux_session_recv(yamux_session *s, const uint8_t *data, size_t len) {
    if (s->in_callback) return YAMUX_EINVAL;
    if (s->state == YX_ENDED) {
        ptrdiff_t e = s->err ? s->err : YAMUX_ESHUTDOWN;
        yx_session_dispatch(s); /* what application calls caused */
        return e;
    }
    size_t i = 0;
    int r = YAMUX_OK;
    /* The session may end inside on_data (the application closed it): stop parsing then. */
    while (i < len && r == YAMUX_OK && s->state == YX_ALIVE) {
        if (s->rx_left) {
            size_t n = len - i < s->rx_left ? len - i : s->rx_left;
            yamux_stream *st = s->rx_st;
            s->rx_left -= (uint32_t)n;
            s->stats.data_in += n;
            size_t took = st ? deliver(s, st, data + i, n) : n;
            if (s->free_deferred) { /* the application freed the session in on_data */
                i += n;
                break;
            }
            if (took < n && s->rx_st == st) {
                if (yx_bufq_append(&st->recvq, &s->pool, data + i + took, n - took) != n - took) {
                    r = YAMUX_ENOMEM;
                    break;
                }
                yx_stream_notify(st, YAMUX_EV_READABLE);
            }
            i += n;
            if (s->rx_left == 0) r = end_frame(s);
            continue;
        }
        /* Each frame may need one session control frame in answer: stop reading while the
         * peer does not take our answers. */
        if (s->rx_have == 0 && yx_ctrl_space(s) == 0) {
            s->stats.input_throttled++;
            break;
        }
        size_t n = YAMUX_HEADER_SIZE - s->rx_have;
        if (n > len - i) n = len - i;
        memcpy(s->rx_hdr + s->rx_have, data + i, n);
        s->rx_have += (uint32_t)n;
        i += n;
        if (s->rx_have == YAMUX_HEADER_SIZE) {
            s->rx_have = 0;
            r = on_header(s);
        }
    }
    s->stats.bytes_in += i;
    if (i) s->rx_any = 1;
    if (r != YAMUX_OK) yx_session_fail(s, r);
    ptrdiff_t ret = s->state == YX_ENDED ? (s->err ? s->err : YAMUX_ESHUTDOWN) : (ptrdiff_t)i;
    yx_session_dispatch(s);
    return ret;
}

void yamux_session_abort(yamux_session *s, int err) {
    if (s->in_callback) return;
    if (s->state != YX_ENDED) yx_session_end(s, err < 0 ? err : YAMUX_ETRANSPORT, -1);
    yx_session_dispatch(s);
}

void yamux_session_recv_eof(yamux_session *s) {
    if (s->in_callback) return;
    if (s->state != YX_ENDED) yx_session_fail(s, YAMUX_EEOF);
    yx_session_dispatch(s);
}
