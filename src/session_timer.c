/* yamux session timers. Time is only ever passed in. Open and close timeouts have one
 * duration each, so their lists are already sorted by deadline: every check is O(1). */
#include "session_internal.h"

static uint64_t min64(uint64_t a, uint64_t b) {
    return a < b ? a : b;
}

static uint64_t write_deadline(const yamux_session *s) {
    if (!s->cfg.write_timeout || (!s->inflight && !yx_session_out_ready(s))) return UINT64_MAX;
    return s->out_progress + s->cfg.write_timeout;
}

/* Returns an error that ends the session, or 0. */
static int run_timers(yamux_session *s) {
    uint64_t now = s->now;
    /* Nothing was waiting to go out: the write timeout counts from now on. */
    if (!s->inflight && !yx_session_out_ready(s)) s->out_progress = now;
    if (write_deadline(s) <= now) return YAMUX_EWRITE_TIMEOUT;

    for (uint32_t i = 0; i < YX_PING_CAP; i++) {
        yx_ping *p = &s->pings[i];
        if (!p->kind || !p->sent || p->deadline > now) continue;
        if (p->kind == YX_PING_USER) {
            yx_ping_complete(s, p, YAMUX_ETIMEOUT);
        } else if (p->kind == YX_PING_KEEPALIVE) {
            /* The answer may wait behind the peer's own bulk data: anything received since
             * the ping proves the peer alive. */
            if (!s->rx_any) return YAMUX_EKEEPALIVE;
            s->rx_any = 0;
            p->deadline = now + s->cfg.write_timeout;
        } else {
            yx_ping_complete(s, p, YAMUX_ETIMEOUT);
        }
    }
    if (s->next_keepalive <= now) {
        /* With every slot held by the application's pings, try again an interval later:
         * giving up would end keepalive for the rest of the session. */
        s->next_keepalive =
            yx_ping_start(s, YX_PING_KEEPALIVE) ? UINT64_MAX : now + s->cfg.keepalive_interval;
    }
    if (!yx_list_empty(&s->open_timers)) {
        yamux_stream *st = yx_container_of(s->open_timers.next, yamux_stream, open_link);
        if (st->open_deadline <= now) return YAMUX_EOPEN_TIMEOUT;
    }
    while (!yx_list_empty(&s->close_timers)) {
        yamux_stream *st = yx_container_of(s->close_timers.next, yamux_stream, close_link);
        if (st->close_deadline > now) break;
        yx_stream_do_reset(st, YAMUX_ETIMEOUT, 1);
    }
    return YAMUX_OK;
}

void yamux_session_tick(yamux_session *s, uint64_t now_ns) {
    if (now_ns > s->now || !s->clock_started) s->now = now_ns;
    if (!s->clock_started) {
        /* Timers armed before the first tick counted from time 0: move them to now. */
        for (yx_link *l = s->open_timers.next; l != &s->open_timers; l = l->next)
            yx_container_of(l, yamux_stream, open_link)->open_deadline += s->now;
        for (yx_link *l = s->close_timers.next; l != &s->close_timers; l = l->next)
            yx_container_of(l, yamux_stream, close_link)->close_deadline += s->now;
        s->clock_started = 1;
        s->out_progress = s->now;
        if (s->cfg.enable_keepalive) s->next_keepalive = s->now + s->cfg.keepalive_interval;
        if (s->cfg.window_autotune && s->state == YX_ALIVE) (void)yx_ping_start(s, YX_PING_PROBE);
    }
    if (s->state == YX_ALIVE) {
        int r = run_timers(s);
        if (r) yx_session_fail(s, r);
    }
    yx_session_dispatch(s);
}

uint64_t yamux_session_next_deadline(const yamux_session *s) {
    if (s->state == YX_ENDED) return UINT64_MAX;
    if (!s->clock_started) return 0;
    uint64_t d = min64(s->next_keepalive, write_deadline(s));
    for (uint32_t i = 0; i < YX_PING_CAP; i++)
        if (s->pings[i].kind && s->pings[i].sent) d = min64(d, s->pings[i].deadline);
    if (!yx_list_empty(&s->open_timers))
        d = min64(d, yx_container_of(s->open_timers.next, yamux_stream, open_link)->open_deadline);
    if (!yx_list_empty(&s->close_timers))
        d = min64(d,
                  yx_container_of(s->close_timers.next, yamux_stream, close_link)->close_deadline);
    return d;
}
