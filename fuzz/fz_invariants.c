/* Engine invariants: see fz_invariants.h. */
#include "fz_invariants.h"

#include <string.h>

#include "fz.h"
#include "session_internal.h"

/* Chunks of a queue; checks its byte count and that no chunk is empty. */
static size_t check_bufq(const yx_bufq *q, const char *what, uint32_t id) {
    size_t chunks = 0, bytes = 0;
    const yx_chunk *last = NULL;
    for (const yx_chunk *c = q->head; c; c = c->next) {
        FZ_CHECK(c->begin < c->end && c->end <= YX_CHUNK_CAP, "stream %u %s: chunk [%u, %u) of %u",
                 id, what, c->begin, c->end, YX_CHUNK_CAP);
        bytes += c->end - c->begin;
        chunks++;
        last = c;
    }
    FZ_CHECK(bytes == q->len, "stream %u %s: %zu bytes in chunks, len %zu", id, what, bytes,
             q->len);
    FZ_CHECK(last == q->tail, "stream %u %s: tail is not the last chunk", id, what);
    FZ_CHECK(chunks <= q->len / YX_CHUNK_CAP + 2, "stream %u %s: %zu chunks for %zu bytes", id,
             what, chunks, q->len);
    return chunks;
}

static size_t list_len(const yx_link *head) {
    size_t n = 0;
    for (const yx_link *l = head->next; l != head; l = l->next)
        n++;
    return n;
}

/* Payload bytes per stream in built, not yet written frames: one pass over the ring into a
 * small table keyed by stream (the ring holds at most YX_OUT_CAP frames). */
typedef struct ring_use {
    const yamux_stream *st[2 * YX_OUT_CAP];
    uint64_t bytes[2 * YX_OUT_CAP];
} ring_use;

static size_t ring_slot(const ring_use *u, const yamux_stream *st) {
    size_t i = ((uintptr_t)st >> 4) % (2 * YX_OUT_CAP);
    while (u->st[i] && u->st[i] != st)
        i = (i + 1) % (2 * YX_OUT_CAP);
    return i;
}

static void ring_tally(const yamux_session *s, ring_use *u) {
    memset(u, 0, sizeof *u);
    for (uint32_t i = 0; i < s->out_count; i++) {
        const yx_out_frame *f = &s->out[(s->out_head + i) % YX_OUT_CAP];
        if (!f->st) continue;
        size_t k = ring_slot(u, f->st);
        u->st[k] = f->st;
        u->bytes[k] += f->payload;
        /* The head frame's payload already reported written has left the queue. */
        if (i == 0 && s->done_off > YAMUX_HEADER_SIZE)
            u->bytes[k] -= s->done_off - YAMUX_HEADER_SIZE;
    }
}

static uint64_t ring_payload(const ring_use *u, const yamux_stream *st) {
    size_t k = ring_slot(u, st);
    return u->st[k] ? u->bytes[k] : 0;
}

/* The map holds exactly the streams flagged in_map, each under its own id (read directly: the
 * checker must not run, and so feed coverage of, the engine's own lookups). */
static void check_idmap(const yx_idmap *m, size_t in_map) {
    size_t n = 0;
    for (size_t i = 0; i < m->cap; i++) {
        const yx_idmap_slot *sl = &m->slots[i];
        if (!sl->id) continue;
        const yamux_stream *st = sl->value;
        FZ_CHECK(st && st->id == sl->id && st->in_map, "map slot %zu: id %u", i, sl->id);
        n++;
    }
    FZ_CHECK(n == m->count && n == in_map, "map: %zu slots used, count %zu, %zu streams in_map", n,
             m->count, in_map);
}

static void check_stream(const yamux_session *s, const yamux_config *cfg, const ring_use *u,
                         const yamux_stream *st) {
    uint32_t id = st->id;
    FZ_CHECK(st->session == s, "stream %u: wrong session", id);
    FZ_CHECK(id != 0, "stream with id 0");
    FZ_CHECK(st->recv_target >= YAMUX_INITIAL_WINDOW && st->recv_target <= cfg->max_stream_window,
             "stream %u: receive window target %u outside [256 KiB, %u]", id, st->recv_target,
             cfg->max_stream_window);
    /* Payload of the frame being received, already counted out of the window (once the
     * session ended, e.g. on ENOMEM halfway through a payload, nothing more arrives). */
    uint32_t arriving = s->state == YX_ALIVE && s->rx_st == st ? s->rx_left : 0;
    FZ_CHECK((uint64_t)st->recv_window + st->recvq.len + arriving <= st->recv_target,
             "stream %u: window %u + buffered %zu + arriving %u > target %u", id, st->recv_window,
             st->recvq.len, arriving, st->recv_target);
    FZ_CHECK(st->sendq.len <= cfg->stream_send_buffer, "stream %u: %zu bytes queued > buffer %u",
             id, st->sendq.len, cfg->stream_send_buffer);
    FZ_CHECK(st->send_committed <= st->sendq.len, "stream %u: committed %zu > queued %zu", id,
             st->send_committed, st->sendq.len);
    FZ_CHECK(ring_payload(u, st) == st->send_committed,
             "stream %u: %llu payload bytes in the output ring, committed %zu", id,
             (unsigned long long)ring_payload(u, st), st->send_committed);
    if (st->released) FZ_CHECK(!yx_linked(&st->notify_link), "released stream %u notified", id);
    if (st->reset) FZ_CHECK(!st->in_map && st->recvq.len == 0, "reset stream %u live", id);
    if (st->in_backlog) FZ_CHECK(!st->owned && yx_linked(&st->queue_link), "backlog %u", id);
    fz_check_errname(st->err, "stream error");
}

void fz_check_session(const yamux_session *s, const yamux_config *cfg) {
    size_t n = 0, in_map = 0, chunks = 0, syn_slots = 0, backlog = 0;
    uint64_t reserved = 0;
    static ring_use u;
    ring_tally(s, &u);
    for (const yx_link *l = s->all.next; l != &s->all; l = l->next) {
        const yamux_stream *st = yx_container_of(l, yamux_stream, all_link);
        check_stream(s, cfg, &u, st);
        n++;
        in_map += st->in_map;
        syn_slots += st->syn_slot;
        backlog += st->in_backlog;
        reserved += st->recv_target;
        chunks += check_bufq(&st->recvq, "recvq", st->id);
        chunks += check_bufq(&st->sendq, "sendq", st->id);
    }
    FZ_CHECK(n == s->num_streams, "%zu streams listed, num_streams %zu", n, s->num_streams);
    FZ_CHECK(n <= cfg->max_streams, "%zu streams > max_streams %u", n, cfg->max_streams);
    check_idmap(&s->streams, in_map);
    FZ_CHECK(reserved == s->recv_reserved, "receive memory: streams hold %llu, session %llu",
             (unsigned long long)reserved, (unsigned long long)s->recv_reserved);
    FZ_CHECK(s->recv_reserved <= cfg->max_recv_memory, "receive memory %llu > max %llu",
             (unsigned long long)s->recv_reserved, (unsigned long long)cfg->max_recv_memory);
    FZ_CHECK(yamux_session_get_recv_memory(s) == s->recv_reserved, "yamux_session_get_recv_memory");
    FZ_CHECK(chunks == s->pool.live, "%zu chunks in queues, pool says %zu live", chunks,
             s->pool.live);
    FZ_CHECK(s->pool.nfree <= s->pool.max_free, "pool keeps %zu spare chunks", s->pool.nfree);
    FZ_CHECK(backlog == s->backlog_len && list_len(&s->backlog) == s->backlog_len,
             "backlog: %zu flagged, %zu listed, backlog_len %zu", backlog, list_len(&s->backlog),
             s->backlog_len);
    FZ_CHECK(s->backlog_len <= cfg->accept_backlog, "backlog %zu > %u", s->backlog_len,
             cfg->accept_backlog);
    if (s->state == YX_ALIVE)
        FZ_CHECK(syn_slots == s->inflight_opens, "%zu SYN slots held, inflight_opens %u", syn_slots,
                 s->inflight_opens);
    FZ_CHECK(s->inflight_opens <= cfg->max_inflight_opens, "inflight opens %u > %u",
             s->inflight_opens, cfg->max_inflight_opens);
    FZ_CHECK(s->out_count <= YX_OUT_CAP && s->hand_idx <= s->out_count, "output ring %u/%u",
             s->hand_idx, s->out_count);
    FZ_CHECK(s->ctrl_count <= YX_CTRL_CAP, "control queue %u", s->ctrl_count);
    FZ_CHECK(s->pings_done_count <= YX_PING_CAP, "pings done %u", s->pings_done_count);
    if (cfg->enable_keepalive && s->state == YX_ALIVE && s->clock_started) {
        int keepalive_ping = 0;
        for (uint32_t i = 0; i < YX_PING_CAP; i++)
            keepalive_ping |= s->pings[i].kind == YX_PING_KEEPALIVE;
        FZ_CHECK(keepalive_ping || s->next_keepalive != UINT64_MAX,
                 "keepalive on, but no keepalive ping in flight and none scheduled");
    }
    fz_check_errname(s->err, "session error");
    fz_check_errname(yamux_session_get_error(s), "yamux_session_get_error");
    FZ_CHECK(!!yamux_session_is_closed(s) == (s->state == YX_ENDED), "is_closed");
    FZ_CHECK(yamux_session_get_num_streams(s) == s->num_streams, "num_streams");
    FZ_CHECK(yamux_session_get_backlog(s) == s->backlog_len, "backlog");
}
