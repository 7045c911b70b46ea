/* Callbacks of the application around one engine: accept, read, answer and release as the
 * knobs say, checking what the engine reports, and that it calls back only from the I/O
 * entry points (never from inside an application call). */
#include "fz.h"
#include "fz_side.h"

/* Every callback: not from inside an application call; with FZ_IO_IN_CB, the I/O entry points
 * called from here must refuse to run. */
static void enter(fz_side *side, yamux_session *s, const char *what) {
    FZ_CHECK(s == side->s, "%s: wrong session", what);
    FZ_CHECK(side->in_app_call == 0, "%s called back from inside an application call", what);
    if (!(side->knobs & FZ_IO_IN_CB)) return;
    uint8_t b[16] = {0};
    FZ_CHECK(yamux_session_recv(s, b, sizeof b) == YAMUX_EINVAL, "%s: recv ran in a callback",
             what);
    yamux_iovec iov[2];
    size_t cnt = 2;
    FZ_CHECK(yamux_session_send_iov(s, iov, &cnt, 0) == 0 && cnt == 0,
             "%s: send_iov ran in a callback", what);
    FZ_CHECK(yamux_session_send(s, b, sizeof b) == 0, "%s: send ran in a callback", what);
    int closed = yamux_session_is_closed(s);
    yamux_session_abort(s, YAMUX_ETRANSPORT);
    yamux_session_recv_eof(s);
    FZ_CHECK(yamux_session_is_closed(s) == closed, "%s: abort/recv_eof ran in a callback", what);
}

static void on_incoming(yamux_session *s, void *ud) {
    fz_side *side = ud;
    enter(side, s, "on_incoming");
    side->incoming++;
    FZ_CHECK(yamux_session_get_backlog(s) > 0, "on_incoming with an empty backlog");
    if (!(side->knobs & FZ_AUTO_ACCEPT)) return;
    yamux_stream *st;
    while ((st = yamux_session_accept(s)) != NULL) {
        FZ_CHECK(!fz_id_is_ours(yamux_stream_get_id(st), side->is_client), "accepted our own id");
        fz_handle_add(side, st);
    }
}

static void on_stream(yamux_session *s, yamux_stream *st, unsigned ev, void *ud) {
    fz_side *side = ud;
    enter(side, s, "on_stream");
    FZ_CHECK(yamux_stream_get_session(st) == s, "on_stream: wrong session");
    FZ_CHECK(ev != 0 && (ev & ~0x1Fu) == 0, "on_stream events %#x", ev);
    FZ_CHECK(fz_handle_find(side, st) >= 0, "event %#x for stream %u the application does not hold",
             ev, yamux_stream_get_id(st));
    if (ev & YAMUX_EV_ESTABLISHED)
        FZ_CHECK(fz_id_is_ours(yamux_stream_get_id(st), side->is_client), "ESTABLISHED inbound");
    fz_check_errname(yamux_stream_get_error(st), "yamux_stream_get_error");
    fz_io_event(side, st, ev);
}

/* What the application does about events (from a callback: `st` stays valid). */
void fz_io_event(fz_side *side, yamux_stream *st, unsigned ev) {
    if ((ev & YAMUX_EV_READABLE) && (side->knobs & FZ_AUTO_READ)) fz_io_read_all(side, st);
    if (side->knobs & FZ_ANSWER) fz_io_answer(side, st);
    if ((ev & (YAMUX_EV_CLOSED | YAMUX_EV_RESET)) && (side->knobs & FZ_AUTO_RELEASE))
        fz_io_release(side, st);
}

static void on_ping(yamux_session *s, uint32_t opaque, int status, uint64_t rtt, void *ud) {
    fz_side *side = ud;
    (void)opaque;
    (void)rtt;
    enter(side, s, "on_ping");
    fz_check_errname(status, "on_ping status");
    FZ_CHECK(status == 0 || status == YAMUX_ETIMEOUT || status == YAMUX_ESHUTDOWN,
             "on_ping status %s", yamux_errname(status));
    side->pings++;
}

static void on_goaway(yamux_session *s, void *ud) {
    fz_side *side = ud;
    enter(side, s, "on_goaway");
    FZ_CHECK(yamux_session_is_goaway_received(s), "on_goaway");
    FZ_CHECK(++side->goaways == 1, "on_goaway called twice");
}

static void on_close(yamux_session *s, int err, void *ud) {
    fz_side *side = ud;
    enter(side, s, "on_close");
    FZ_CHECK(yamux_session_is_closed(s), "on_close on a live session");
    fz_check_errname(err, "on_close");
    FZ_CHECK(err == yamux_session_get_error(s), "on_close %s, session error %s", yamux_errname(err),
             yamux_errname(yamux_session_get_error(s)));
    FZ_CHECK(++side->closes == 1, "on_close called twice");
    side->close_err = err;
}

const yamux_callbacks fz_side_callbacks = {.size = sizeof(yamux_callbacks),
                                           .on_incoming = on_incoming,
                                           .on_stream = on_stream,
                                           .on_ping = on_ping,
                                           .on_goaway = on_goaway,
                                           .on_close = on_close};
