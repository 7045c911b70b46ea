/* One engine and the application around it, as the session and pair drivers run it: a
 * counting allocator, the stream handles the application holds, callbacks that behave like a
 * real application (per `knobs`), a ledger and a wire observer on everything fed and emitted,
 * and fz_side_check() for the invariants after every step. */
#ifndef FZ_SIDE_H
#define FZ_SIDE_H

#include <stddef.h>
#include <stdint.h>

#include "fz_alloc.h"
#include "fz_ledger.h"
#include "fz_observe.h"
#include "yamux/session.h"

#define FZ_MAX_HANDLES 48
#define FZ_READ_BUF    8192 /* bytes per read */

/* Application behaviours (fz_side.knobs). */
enum fz_knob {
    FZ_AUTO_ACCEPT = 1 << 0,  /* accept every incoming stream from on_incoming */
    FZ_AUTO_READ = 1 << 1,    /* read everything from on_stream(READABLE) */
    FZ_ANSWER = 1 << 2,       /* on streams the peer opened, write back as many bytes as were
                                 read, and FIN after the end of stream */
    FZ_AUTO_RELEASE = 1 << 3, /* release a stream once on_stream reports it closed */
    FZ_PEEK = 1 << 4,         /* read with peek/consume instead of read */
    FZ_IO_IN_CB = 1 << 5,     /* callbacks try the I/O entry points, which must refuse */
    FZ_VERIFY_READS = 1 << 6  /* received bytes are the peer's pattern (pair) */
};

typedef struct fz_side fz_side;

/* Where emitted bytes go (after the observer saw them). */
typedef void (*fz_sink_fn)(fz_side *side, const uint8_t *p, size_t n);

/* A stream handle the application holds; `serial` tells handles apart across reuse of
 * addresses, since a callback may release a stream during any call. */
typedef struct fz_handle {
    yamux_stream *st;
    uint64_t serial;
} fz_handle;

/* Output handed out and not yet reported written, with a copy to check it stays intact. */
typedef struct fz_held {
    const uint8_t *p;
    size_t len;
} fz_held;

#define FZ_MAX_HELD 64

struct fz_side {
    yamux_session *s; /* NULL once freed */
    yamux_config cfg;
    fz_alloc alloc;
    int is_client;
    uint32_t idx; /* 0 or 1: payload seed side */
    unsigned knobs;
    fz_handle h[FZ_MAX_HANDLES];
    size_t nh;
    uint64_t serial;    /* of the last handle taken */
    uint32_t last_open; /* id of the last stream opened */
    fz_ledger led;
    fz_observer obs;
    fz_side *peer; /* pair: the other side (whose ledger holds what it wrote) */
    fz_sink_fn sink;
    uint64_t now;
    size_t held; /* bytes handed out by send_iov and not yet reported written */
    fz_held held_iov[FZ_MAX_HELD];
    size_t nheld;
    uint8_t *held_copy; /* the held bytes as handed out */
    size_t held_cap;
    int closes, close_err;
    int in_app_call; /* inside an application call: a callback now would break the rule */
    unsigned long incoming, pings, goaways;
};

/* Creates the session and ticks it at `now` (0: no tick yet). Returns 0, or the error of
 * yamux_session_new (YAMUX_ENOMEM when the allocator is told to fail at once). `cfg` is
 * copied; its allocator is replaced. */
int fz_side_init(fz_side *side, int is_client, uint32_t idx, const yamux_config *cfg,
                 unsigned knobs, long fail_after, uint64_t now);

/* Frees the session and checks that nothing leaked. */
void fz_side_destroy(fz_side *side);

/* Runs every invariant: engine internals and the application's view. */
void fz_side_check(fz_side *side);

/* Feeds bytes as received from the transport; returns `n` (what an ended session does not
 * take is lost with it). When the engine takes less, drains output and retries: a session
 * that takes nothing after its output was drained is a bug. */
size_t fz_side_feed(fz_side *side, const uint8_t *p, size_t n);

/* Takes output: with `max_bytes` / `max_iov` limits (0 = none), holding `hold` of the bytes
 * handed out as not yet written. Returns the bytes handed out. */
size_t fz_side_pull(fz_side *side, size_t max_bytes, size_t max_iov, size_t hold);

/* Reports `n` held bytes written. */
void fz_side_done(fz_side *side, size_t n);

/* Takes all output and reports it written. */
size_t fz_side_drain(fz_side *side);

/* The same through yamux_session_send() (copies, `cap` bytes at a time). */
size_t fz_side_drain_copy(fz_side *side, size_t cap);

/* Moves the clock to `now` (never back) and ticks: no deadline may be left due. */
void fz_side_tick(fz_side *side, uint64_t now);

/* ---- application calls, each checked ---- */
void fz_side_open(fz_side *side);
/* Accepts one stream; returns 1, or 0 when the backlog was empty. */
int fz_side_accept(fz_side *side);
void fz_side_write(fz_side *side, size_t hi, size_t len);
void fz_side_read(fz_side *side, size_t hi, size_t len);
void fz_side_close_write(fz_side *side, size_t hi);
void fz_side_reset(fz_side *side, size_t hi);
void fz_side_release(fz_side *side, size_t hi);
void fz_side_ping(fz_side *side);
void fz_side_go_away(fz_side *side);
void fz_side_close(fz_side *side);
/* The transport ended (EOF) or failed (abort with YAMUX_ETRANSPORT): nothing more may go out
 * but the rest of a frame already begun. */
void fz_side_recv_eof(fz_side *side);
void fz_side_abort(fz_side *side);
/* Calls every query function on handle `hi` and the session. */
void fz_side_query(fz_side *side, size_t hi);
/* Reads what every handle has (and answers, per knobs). */
void fz_side_read_all(fz_side *side);
/* Accepts the whole backlog and releases every handle. */
void fz_side_release_all(fz_side *side);

/* ---- shared by fz_side.c, fz_app.c, fz_callbacks.c and fz_stream_io.c ---- */
extern const yamux_callbacks fz_side_callbacks;
/* Takes a handle for `st` (releases it at once when the table is full). */
void fz_handle_add(fz_side *side, yamux_stream *st);
/* The index of the handle holding `st`, or -1. */
long fz_handle_find(const fz_side *side, const yamux_stream *st);
/* The index of the handle with `serial`, or -1. */
long fz_handle_by_serial(const fz_side *side, uint64_t serial);
/* Forgets handle `i` (after the stream was released). */
void fz_handle_drop(fz_side *side, size_t i);
/* Stream I/O (fz_stream_io.c); `st` must stay valid during the call. */
int fz_io_close_write(fz_side *side, yamux_stream *st);
void fz_io_release(fz_side *side, yamux_stream *st);
ptrdiff_t fz_io_write(fz_side *side, yamux_stream *st, size_t len);
void fz_io_answer(fz_side *side, yamux_stream *st);
ptrdiff_t fz_io_read(fz_side *side, yamux_stream *st, size_t len);
void fz_io_read_all(fz_side *side, yamux_stream *st);
/* What the application does about stream events (fz_callbacks.c). */
void fz_io_event(fz_side *side, yamux_stream *st, unsigned ev);

#endif
