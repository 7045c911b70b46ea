/* yamux session timers. Time is only ever passed in, by yamux_session_tick(): the session's
 * notion of "now" is the time of the last tick. A timer armed between two ticks (a stream
 * opened, a FIN or a ping sent) therefore starts counting at the next tick, never from a
 * stale time: its deadline is left at YX_DEADLINE_NEXT_TICK until then, and
 * yamux_session_get_next_deadline() asks for that tick at once. The write timeout likewise
 * watches, tick by tick, whether output is pending and whether any of it moved.
 * Open and close timeouts have one duration each, so their lists stay sorted by deadline:
 * every check is O(1). */
#include "session_internal.h"

static uint64_t min64(uint64_t a, uint64_t b) {
    return a < b ? a : b;
}

static int output_pending(const yamux_session *s) {
    return s->inflight || yx_session_out_ready(s);
}

/* Gives a deadline to the timers armed since the last tick. They were appended last, so they
 * sit at the tails of the lists. */
static void start_fresh_timers(yamux_session *s, uint64_t now) {
    for (yx_link *l = s->open_timers.prev; l != &s->open_timers; l = l->prev) {
        yamux_stream *st = yx_container_of(l, yamux_stream, open_link);
        if (st->open_deadline != YX_DEADLINE_NEXT_TICK) break;
        st->open_deadline = now + s->cfg.stream_open_timeout;
    }
    for (yx_link *l = s->close_timers.prev; l != &s->close_timers; l = l->prev) {
        yamux_stream *st = yx_container_of(l, yamux_stream, close_link);
        if (st->close_deadline != YX_DEADLINE_NEXT_TICK) break;
        st->close_deadline = now + s->cfg.stream_close_timeout;
    }
    for (uint32_t i = 0; i < YX_PING_CAP; i++) {
        yx_ping *p = &s->pings[i];
        if (p->kind && p->sent && p->deadline == YX_DEADLINE_NEXT_TICK)
            p->deadline = s->cfg.write_timeout ? now + s->cfg.write_timeout : UINT64_MAX - 1;
    }
}

/* The write timeout: output pending at successive ticks without a byte written. */
static int check_write_stall(yamux_session *s, uint64_t now) {
    if (!output_pending(s)) {
        s->stall_watch = 0;
        return YAMUX_OK;
    }
    if (!s->stall_watch || s->stats.bytes_out != s->stall_bytes) {
        s->stall_watch = 1;
        s->stall_since = now;
        s->stall_bytes = s->stats.bytes_out;
        return YAMUX_OK;
    }
    if (s->cfg.write_timeout && now - s->stall_since >= s->cfg.write_timeout)
        return YAMUX_EWRITE_TIMEOUT;
    return YAMUX_OK;
}

/* Returns an error that ends the session, or 0. */
static int run_timers(yamux_session *s) {
    uint64_t now = s->now;
    start_fresh_timers(s, now);
    int r = check_write_stall(s, now);
    if (r) return r;

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
    if (s->in_callback) return;
    if (now_ns > s->now || !s->clock_started) s->now = now_ns;
    if (!s->clock_started) {
        s->clock_started = 1;
        if (s->cfg.enable_keepalive) s->next_keepalive = s->now + s->cfg.keepalive_interval;
        if (s->cfg.window_autotune && s->state == YX_ALIVE) (void)yx_ping_start(s, YX_PING_PROBE);
    }
    if (s->state == YX_ALIVE) {
        int r = run_timers(s);
        if (r) yx_session_fail(s, r);
    }
    if (!yx_session_dispatch(s)) return;
    /* What the callbacks just armed (opens, pings, output) starts counting at this tick. */
    if (s->state == YX_ALIVE) {
        start_fresh_timers(s, s->now);
        if (!s->stall_watch) (void)check_write_stall(s, s->now);
    }
}

uint64_t yamux_session_get_next_deadline(const yamux_session *s) {
    if (!s->clock_started) return 0;
    /* Events caused by application calls wait for an I/O call: tick now. */
    if (yx_session_events_pending(s)) return s->now;
    if (s->state == YX_ENDED) return UINT64_MAX;
    /* Timers armed since the last tick, and output that became pending since: tick now. */
    uint64_t d = s->next_keepalive;
    if (output_pending(s) && s->cfg.write_timeout)
        d = min64(d, s->stall_watch ? s->stall_since + s->cfg.write_timeout : s->now);
    for (uint32_t i = 0; i < YX_PING_CAP; i++)
        if (s->pings[i].kind && s->pings[i].sent)
            d = min64(d, s->pings[i].deadline == YX_DEADLINE_NEXT_TICK ? s->now
                                                                       : s->pings[i].deadline);
    if (!yx_list_empty(&s->open_timers)) {
        const yamux_stream *last = yx_container_of(s->open_timers.prev, yamux_stream, open_link);
        const yamux_stream *first = yx_container_of(s->open_timers.next, yamux_stream, open_link);
        d = min64(d, last->open_deadline == YX_DEADLINE_NEXT_TICK ? s->now : first->open_deadline);
    }
    if (!yx_list_empty(&s->close_timers)) {
        const yamux_stream *last = yx_container_of(s->close_timers.prev, yamux_stream, close_link);
        const yamux_stream *first = yx_container_of(s->close_timers.next, yamux_stream, close_link);
        d = min64(d,
                  last->close_deadline == YX_DEADLINE_NEXT_TICK ? s->now : first->close_deadline);
    }
    return d;
}
