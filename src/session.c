/* yamux session: configuration, lifecycle, event dispatch and the session-level API.
 * Input parsing lives in session_recv.c, output in session_send.c, timers in
 * session_timer.c and streams in stream.c. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "random.h"
#include "session_internal.h"
#include "sized.h"

#define MIB (1024u * 1024u)
#define SEC 1000000000ull

static void *default_malloc(size_t size, void *ud) {
    (void)ud;
    return malloc(size);
}

static void default_free(void *ptr, size_t size, void *ud) {
    (void)size;
    (void)ud;
    free(ptr);
}

static const yamux_allocator default_allocator = {default_malloc, default_free, NULL};

/* The fields of the first release: a config or callbacks struct must have at least these. */
#define CONFIG_V1_SIZE    (offsetof(yamux_config, allocator) + sizeof(void *))
#define CALLBACKS_V1_SIZE (offsetof(yamux_callbacks, on_data) + sizeof(void (*)(void)))

static void config_defaults(yamux_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
    cfg->accept_backlog = 256;
    cfg->max_inflight_opens = 256;
    cfg->max_streams = 65536;
    cfg->max_stream_window = YAMUX_INITIAL_WINDOW;
    cfg->window_autotune = 0;
    cfg->max_recv_memory = 4ull * 1024 * MIB;
    cfg->stream_send_buffer = 256u * 1024u;
    cfg->max_frame_payload = 16u * 1024u;
    cfg->enable_keepalive = 1;
    cfg->keepalive_interval = 30 * SEC;
    cfg->write_timeout = 10 * SEC;
    cfg->stream_open_timeout = 75 * SEC;
    cfg->stream_close_timeout = 300 * SEC;
    cfg->allocator = NULL;
}

void yamux_config_init_size(yamux_config *cfg, size_t size) {
    yamux_config d;
    config_defaults(&d);
    yx_sized_init(cfg, size, &d, sizeof d);
}

void yamux_callbacks_init_size(yamux_callbacks *cb, size_t size) {
    yamux_callbacks d;
    memset(&d, 0, sizeof d);
    yx_sized_init(cb, size, &d, sizeof d);
}

/* The caller's config over the defaults; YAMUX_EINVAL without a valid size. */
static int config_read(yamux_config *out, const yamux_config *cfg) {
    config_defaults(out);
    return cfg ? yx_sized_copy(out, sizeof *out, cfg, CONFIG_V1_SIZE - sizeof(size_t)) : YAMUX_OK;
}

static int check_config(const yamux_config *cfg) {
    if (cfg->accept_backlog == 0 || cfg->max_inflight_opens == 0 || cfg->max_streams == 0)
        return YAMUX_EINVAL;
    if (cfg->max_stream_window < YAMUX_INITIAL_WINDOW || cfg->max_stream_window > 16 * MIB)
        return YAMUX_EINVAL;
    if (cfg->max_recv_memory < YAMUX_INITIAL_WINDOW) return YAMUX_EINVAL;
    if (cfg->stream_send_buffer == 0) return YAMUX_EINVAL;
    if (cfg->max_frame_payload == 0 || cfg->max_frame_payload > 16 * MIB) return YAMUX_EINVAL;
    if (cfg->enable_keepalive && cfg->keepalive_interval == 0) return YAMUX_EINVAL;
    if (cfg->enable_keepalive && cfg->write_timeout == 0) return YAMUX_EINVAL;
    if (cfg->allocator && (!cfg->allocator->malloc || !cfg->allocator->free)) return YAMUX_EINVAL;
    return YAMUX_OK;
}

int yamux_config_validate(const yamux_config *cfg) {
    yamux_config c;
    if (!cfg || config_read(&c, cfg) != YAMUX_OK) return YAMUX_EINVAL;
    return check_config(&c);
}

int yx_callbacks_read(yamux_callbacks *out, const yamux_callbacks *cb) {
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    return cb ? yx_sized_copy(out, sizeof *out, cb, CALLBACKS_V1_SIZE - sizeof(size_t)) : YAMUX_OK;
}

int yamux_session_new(yamux_session **out, int is_client, const yamux_config *cfg,
                      const yamux_callbacks *cb, void *user_data) {
    yamux_config c;
    yamux_callbacks callbacks;
    if (!out) return YAMUX_EINVAL;
    *out = NULL;
    if (config_read(&c, cfg) != YAMUX_OK || check_config(&c) != YAMUX_OK ||
        yx_callbacks_read(&callbacks, cb) != YAMUX_OK)
        return YAMUX_EINVAL;
    cfg = &c;
    const yamux_allocator *alloc = cfg->allocator ? cfg->allocator : &default_allocator;
    yamux_session *s = alloc->malloc(sizeof *s, alloc->ud);
    if (!s) return YAMUX_ENOMEM;
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->alloc = *alloc;
    s->cfg.allocator = NULL; /* the copy in s->alloc is authoritative */
    s->cb = callbacks;
    s->user_data = user_data;
    s->is_client = is_client ? 1 : 0;
    s->state = YX_ALIVE;
    s->next_id = s->is_client ? 1 : 2;
    yx_pool_init(&s->pool, &s->alloc, YX_POOL_SPARE);
    yx_idmap_init(&s->streams, &s->alloc, yx_random_key(s));
    yx_list_init(&s->ctrl_list);
    yx_list_init(&s->data_list);
    yx_list_init(&s->backlog);
    yx_list_init(&s->syn_wait);
    yx_list_init(&s->open_timers);
    yx_list_init(&s->close_timers);
    yx_list_init(&s->notify);
    yx_list_init(&s->all);
    s->goaway_pending = -1;
    s->next_keepalive = UINT64_MAX;
    *out = s;
    return YAMUX_OK;
}

static void session_destroy(yamux_session *s) {
    yx_link *l;
    while ((l = yx_list_pop_front(&s->all)) != NULL) {
        yamux_stream *st = yx_container_of(l, yamux_stream, all_link);
        st->all_link.next = st->all_link.prev = NULL;
        yx_stream_free(st);
    }
    yx_idmap_destroy(&s->streams);
    yx_pool_destroy(&s->pool);
    yamux_allocator alloc = s->alloc;
    alloc.free(s, sizeof *s, alloc.ud);
}

void yamux_session_free(yamux_session *s) {
    if (!s) return;
    if (s->in_callback) {
        s->free_deferred = 1;
        return;
    }
    session_destroy(s);
}

void *yamux_session_get_user_data(const yamux_session *s) {
    return s->user_data;
}

/* ---- events ------------------------------------------------------------------------------ */

void yx_stream_notify(yamux_stream *st, unsigned events) {
    if (!st->owned || st->released) return;
    st->events |= events;
    if (!yx_linked(&st->notify_link)) yx_list_push_back(&st->session->notify, &st->notify_link);
}

void yx_ping_complete(yamux_session *s, yx_ping *p, int status) {
    if (!p->sent) s->pings_unsent--;
    if (p->kind == YX_PING_USER && s->pings_done_count < YX_PING_CAP) {
        yx_ping_done *d = &s->pings_done[s->pings_done_count++];
        d->opaque = p->opaque;
        d->status = status;
        d->rtt = status == 0 ? s->now - p->sent_at : 0;
    }
    memset(p, 0, sizeof *p);
}

int yx_session_events_pending(const yamux_session *s) {
    return !yx_list_empty(&s->notify) || (s->incoming_pending && s->backlog_len) ||
           s->pings_done_count || s->goaway_event || s->close_event;
}

/* Runs the callbacks for everything that happened since the last dispatch. Only the I/O entry
 * points call it; the calls callbacks make only queue events, which this loop delivers too. */
int yx_session_dispatch(yamux_session *s) {
    if (s->in_callback) return 1;
    s->in_callback = 1;
    void *ud = s->user_data;
    while (!s->free_deferred) {
        yx_link *l = yx_list_pop_front(&s->notify);
        if (l) {
            yamux_stream *st = yx_container_of(l, yamux_stream, notify_link);
            unsigned ev = st->events;
            st->events = 0;
            if (ev && s->cb.on_stream) s->cb.on_stream(s, st, ev, ud);
            continue;
        }
        if (s->incoming_pending) {
            s->incoming_pending = 0;
            if (s->backlog_len && s->cb.on_incoming) s->cb.on_incoming(s, ud);
            continue;
        }
        if (s->pings_done_count) {
            yx_ping_done d = s->pings_done[0];
            memmove(&s->pings_done[0], &s->pings_done[1],
                    (--s->pings_done_count) * sizeof s->pings_done[0]);
            if (s->cb.on_ping) s->cb.on_ping(s, d.opaque, d.status, d.rtt, ud);
            continue;
        }
        if (s->goaway_event) {
            s->goaway_event = 0;
            if (s->cb.on_goaway) s->cb.on_goaway(s, ud);
            continue;
        }
        if (s->close_event) {
            s->close_event = 0;
            if (s->cb.on_close) s->cb.on_close(s, s->err, ud);
            continue;
        }
        break;
    }
    s->in_callback = 0;
    if (!s->free_deferred) return 1;
    session_destroy(s);
    return 0;
}

/* ---- ending ------------------------------------------------------------------------------ */

void yx_session_end(yamux_session *s, int err, int goaway_code) {
    if (s->state == YX_ENDED) return;
    s->state = YX_ENDED;
    s->err = err;
    s->ctrl_count = 0;
    if (goaway_code >= 0 && !(goaway_code == YAMUX_GOAWAY_NORMAL && s->goaway_sent))
        s->goaway_pending = goaway_code;
    else
        s->goaway_pending = -1;
    for (uint32_t i = 0; i < YX_PING_CAP; i++)
        if (s->pings[i].kind) yx_ping_complete(s, &s->pings[i], YAMUX_ESHUTDOWN);
    s->next_keepalive = UINT64_MAX;
    int stream_err = err ? err : YAMUX_ESHUTDOWN;
    /* Killing may free streams: walk a snapshot of the list by always taking the first one
     * not yet visited (killed streams move to the back). */
    size_t n = s->num_streams;
    for (size_t i = 0; i < n && !yx_list_empty(&s->all); i++) {
        yamux_stream *st = yx_container_of(s->all.next, yamux_stream, all_link);
        yx_list_remove(&st->all_link);
        yx_list_push_back(&s->all, &st->all_link);
        yx_stream_kill(st, stream_err);
    }
    s->close_event = 1;
}

void yx_session_fail(yamux_session *s, int err) {
    int code;
    if (yamux_error_is_protocol(err))
        code = YAMUX_GOAWAY_PROTOCOL_ERROR;
    else if (err == YAMUX_ENOMEM || err == YAMUX_EINTERNAL)
        code = YAMUX_GOAWAY_INTERNAL_ERROR;
    else if (err == YAMUX_EEOF || err == YAMUX_ETRANSPORT || err == YAMUX_EREMOTE_PROTOCOL ||
             err == YAMUX_EREMOTE_INTERNAL || err == YAMUX_EREMOTE_GOAWAY)
        code = -1; /* the peer is gone or already said goodbye */
    else
        code = YAMUX_GOAWAY_NORMAL; /* local timeouts: tell the peer we leave */
    yx_session_end(s, err, code);
}

void yamux_session_close(yamux_session *s) {
    if (s->state != YX_ENDED) yx_session_end(s, 0, YAMUX_GOAWAY_NORMAL);
}

int yamux_session_goaway(yamux_session *s) {
    if (s->state == YX_ENDED) return YAMUX_ESHUTDOWN;
    if (!s->local_goaway) {
        s->local_goaway = 1;
        s->goaway_pending = YAMUX_GOAWAY_NORMAL;
    }
    return YAMUX_OK;
}

/* ---- streams and pings ------------------------------------------------------------------- */

int yamux_session_open(yamux_session *s, yamux_stream **out) {
    if (!out) return YAMUX_EINVAL;
    *out = NULL;
    if (s->state == YX_ENDED) return s->err ? s->err : YAMUX_ESHUTDOWN;
    if (s->remote_goaway) return YAMUX_EGOAWAY;
    if (s->next_id >= UINT32_MAX - 1) return YAMUX_ESTREAMS_EXHAUSTED;
    if (s->num_streams >= s->cfg.max_streams) return YAMUX_ELIMIT;
    if (!yx_stream_reserve(s, YAMUX_INITIAL_WINDOW)) return YAMUX_ELIMIT;
    yamux_stream *st = yx_stream_new(s, s->next_id, 1);
    if (!st) {
        s->recv_reserved -= YAMUX_INITIAL_WINDOW;
        return YAMUX_ENOMEM;
    }
    if (yx_idmap_put(&s->streams, st->id, st) != YAMUX_OK) {
        yx_stream_free(st);
        return YAMUX_ENOMEM;
    }
    st->in_map = 1;
    st->owned = 1;
    s->next_id += 2;
    s->stats.streams_opened++;
    yx_list_push_back(&s->syn_wait, &st->queue_link);
    yx_syn_promote(s);
    *out = st;
    return YAMUX_OK;
}

yamux_stream *yamux_session_accept(yamux_session *s) {
    yx_link *l = yx_list_pop_front(&s->backlog);
    if (!l) return NULL;
    yamux_stream *st = yx_container_of(l, yamux_stream, queue_link);
    st->in_backlog = 0;
    s->backlog_len--;
    st->owned = 1;
    s->stats.streams_accepted++;
    if (s->state == YX_ENDED) {
        /* Accepted after the end, like a connection whose client is gone: it holds what it
         * received before. */
        yx_stream_notify(st, YAMUX_EV_READABLE | YAMUX_EV_WRITABLE | YAMUX_EV_CLOSED);
        return st;
    }
    st->pending_flags |= YAMUX_FLAG_ACK;
    yx_stream_queue_ctrl(st);
    /* Data or FIN that arrived before the accept is there to read: the next I/O call says so
     * (it can also be read at once). */
    if (st->recvq.len || st->remote_fin) yx_stream_notify(st, YAMUX_EV_READABLE);
    return st;
}

size_t yamux_session_get_backlog(const yamux_session *s) {
    return s->backlog_len;
}

yx_ping *yx_ping_start(yamux_session *s, uint8_t kind) {
    for (uint32_t i = 0; i < YX_PING_CAP; i++) {
        yx_ping *p = &s->pings[i];
        if (p->kind) continue;
        p->kind = kind;
        p->opaque = ++s->ping_seq;
        s->pings_unsent++;
        return p;
    }
    return NULL;
}

int yamux_session_ping(yamux_session *s, uint32_t *opaque_out) {
    if (s->state == YX_ENDED) return YAMUX_ESHUTDOWN;
    yx_ping *p = yx_ping_start(s, YX_PING_USER);
    if (!p) return YAMUX_ELIMIT;
    if (opaque_out) *opaque_out = p->opaque;
    return YAMUX_OK;
}

/* ---- queries ----------------------------------------------------------------------------- */

int yamux_session_get_error(const yamux_session *s) {
    return s->err;
}

int yamux_session_is_closed(const yamux_session *s) {
    return s->state == YX_ENDED;
}

int yamux_session_is_goaway_received(const yamux_session *s) {
    return s->remote_goaway;
}

size_t yamux_session_get_num_streams(const yamux_session *s) {
    return s->num_streams;
}

uint64_t yamux_session_get_rtt(const yamux_session *s) {
    return s->rtt;
}

void yamux_session_get_stats_size(const yamux_session *s, yamux_stats *out, size_t size) {
    memcpy(out, &s->stats, size < sizeof s->stats ? size : sizeof s->stats);
}

uint64_t yamux_session_get_recv_memory(const yamux_session *s) {
    return s->recv_reserved;
}
