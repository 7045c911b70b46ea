/* Application calls on one engine, each result checked. They never call back (callbacks run
 * only from the I/O entry points: fz_callbacks.c checks it). */
#include "fz.h"
#include "fz_side.h"

void fz_side_open(fz_side *side) {
    if (!side->s) return;
    yamux_stream *st = (yamux_stream *)1;
    side->in_app_call++;
    int r = yamux_session_open(side->s, &st);
    side->in_app_call--;
    if (r != 0) {
        fz_check_errname(r, "yamux_session_open");
        FZ_CHECK(st == NULL, "failed open returned a stream");
        return;
    }
    uint32_t id = yamux_stream_get_id(st);
    FZ_CHECK(fz_id_is_ours(id, side->is_client), "opened stream %u of the peer's parity", id);
    FZ_CHECK(id > side->last_open, "opened stream %u after stream %u", id, side->last_open);
    side->last_open = id;
    fz_handle_add(side, st);
}

int fz_side_accept(fz_side *side) {
    if (!side->s) return 0;
    size_t before = yamux_session_get_backlog(side->s);
    side->in_app_call++;
    yamux_stream *st = yamux_session_accept(side->s);
    side->in_app_call--;
    if (!st) {
        FZ_CHECK(before == 0 || yamux_session_is_closed(side->s), "accept NULL, backlog %zu",
                 before);
        return 0;
    }
    FZ_CHECK(!fz_id_is_ours(yamux_stream_get_id(st), side->is_client), "accepted our own id");
    fz_handle_add(side, st);
    return 1;
}

/* The stream of handle `hi` modulo the handle count, or NULL. */
static yamux_stream *pick(fz_side *side, size_t hi) {
    if (!side->s || side->nh == 0) return NULL;
    return side->h[hi % side->nh].st;
}

void fz_side_write(fz_side *side, size_t hi, size_t len) {
    yamux_stream *st = pick(side, hi);
    if (st) fz_io_write(side, st, len);
}

void fz_side_read(fz_side *side, size_t hi, size_t len) {
    yamux_stream *st = pick(side, hi);
    if (st) fz_io_read(side, st, len);
}

void fz_side_close_write(fz_side *side, size_t hi) {
    yamux_stream *st = pick(side, hi);
    if (st) fz_io_close_write(side, st);
}

void fz_side_reset(fz_side *side, size_t hi) {
    yamux_stream *st = pick(side, hi);
    if (!st) return;
    side->in_app_call++;
    FZ_CHECK(yamux_stream_reset(st) == 0, "yamux_stream_reset failed");
    side->in_app_call--;
}

void fz_side_release(fz_side *side, size_t hi) {
    yamux_stream *st = pick(side, hi);
    if (st) fz_io_release(side, st);
}

void fz_side_ping(fz_side *side) {
    if (!side->s) return;
    uint32_t opaque;
    side->in_app_call++;
    int r = yamux_session_ping(side->s, &opaque);
    side->in_app_call--;
    FZ_CHECK(r == 0 || r == YAMUX_ELIMIT || r == YAMUX_ESHUTDOWN, "ping: %s", yamux_errname(r));
}

void fz_side_go_away(fz_side *side) {
    if (!side->s) return;
    side->in_app_call++;
    int r = yamux_session_goaway(side->s);
    side->in_app_call--;
    FZ_CHECK(r == 0 || r == YAMUX_ESHUTDOWN, "go_away: %s", yamux_errname(r));
}

void fz_side_close(fz_side *side) {
    if (!side->s) return;
    int closes = side->closes;
    side->in_app_call++;
    yamux_session_close(side->s);
    side->in_app_call--;
    /* on_close comes from the next I/O call, which is due at once */
    FZ_CHECK(yamux_session_is_closed(side->s), "close did not end");
    FZ_CHECK(side->closes == closes, "close called back");
    if (!closes)
        FZ_CHECK(yamux_session_get_next_deadline(side->s) <= side->now,
                 "on_close waits, tick not due");
}

void fz_side_recv_eof(fz_side *side) {
    if (!side->s) return;
    int alive = !yamux_session_is_closed(side->s);
    yamux_session_recv_eof(side->s);
    FZ_CHECK(yamux_session_is_closed(side->s) && side->closes == 1, "recv_eof did not end");
    if (alive) fz_obs_seal(&side->obs);
}

void fz_side_abort(fz_side *side) {
    if (!side->s) return;
    int alive = !yamux_session_is_closed(side->s);
    yamux_session_abort(side->s, YAMUX_ETRANSPORT);
    FZ_CHECK(yamux_session_is_closed(side->s) && side->closes == 1, "abort did not end");
    if (alive) {
        FZ_CHECK(yamux_session_get_error(side->s) == YAMUX_ETRANSPORT, "abort ended with %s",
                 yamux_errname(yamux_session_get_error(side->s)));
        fz_obs_seal(&side->obs);
    }
}

void fz_side_query(fz_side *side, size_t hi) {
    if (!side->s) return;
    yamux_session *s = side->s;
    (void)yamux_session_get_rtt(s);
    (void)yamux_session_is_goaway_received(s);
    (void)yamux_session_is_send_pending(s);
    uint64_t d = yamux_session_get_next_deadline(s);
    /* an ended session runs no timer: at most a tick due at once for events to deliver */
    FZ_CHECK(!yamux_session_is_closed(s) || d == UINT64_MAX || d <= side->now,
             "timer deadline on an ended session");
    yamux_stream *st = pick(side, hi);
    if (!st) return;
    side->in_app_call++;
    FZ_CHECK(yamux_stream_get_user_data(st) == side, "user data");
    (void)yamux_stream_get_send_window(st);
    (void)yamux_stream_get_write_space(st);
    (void)yamux_stream_is_eof(st);
    fz_check_errname(yamux_stream_get_error(st), "yamux_stream_get_error");
    const fz_sid *e = fz_ledger_find(&side->led, yamux_stream_get_id(st));
    size_t unsent = yamux_stream_get_unsent(st);
    FZ_CHECK(unsent <= side->cfg.stream_send_buffer && (!e || unsent <= e->wr),
             "stream %u: %zu bytes unsent", yamux_stream_get_id(st), unsent);
    if (e && !yamux_stream_get_error(st))
        FZ_CHECK(unsent >= e->wr - e->out_data, "stream %u: %zu unsent, %llu never handed out",
                 yamux_stream_get_id(st), unsent, (unsigned long long)(e->wr - e->out_data));
    FZ_CHECK(yamux_stream_read(st, NULL, 0) <= 0, "read of 0 bytes");
    FZ_CHECK(yamux_stream_write(st, "", 0) <= 0, "write of 0 bytes");
    side->in_app_call--;
}

void fz_side_read_all(fz_side *side) {
    for (size_t i = 0; side->s && i < side->nh; i++) {
        uint64_t serial = side->h[i].serial;
        int guard = 0;
        for (;;) {
            long k = fz_handle_by_serial(side, serial);
            if (k < 0) break;
            yamux_stream *st = side->h[k].st;
            if (fz_io_read(side, st, FZ_READ_BUF) <= 0) {
                k = fz_handle_by_serial(side, serial);
                if (k >= 0 && (side->knobs & FZ_ANSWER)) fz_io_answer(side, side->h[k].st);
                break;
            }
            FZ_CHECK(++guard < 100000, "read never ends");
        }
    }
}

void fz_side_release_all(fz_side *side) {
    while (side->s && yamux_session_get_backlog(side->s) > 0 && fz_side_accept(side))
        ;
    while (side->s && side->nh > 0)
        fz_io_release(side, side->h[side->nh - 1].st);
}
