/* yamux session: the protocol engine, sans-I/O.
 *
 * A session does no I/O, keeps no clock and starts no thread. The caller
 *   - feeds the bytes received from the transport with yamux_session_recv();
 *   - takes the bytes to send with yamux_session_send_iov() (pointers into the session's own
 *     buffers: payloads are never copied twice) and reports them written with
 *     yamux_session_send_done(), or copies them out with yamux_session_send();
 *   - passes the time in with yamux_session_tick() and asks for the next deadline with
 *     yamux_session_get_next_deadline();
 *   - is told what happened through the callbacks in yamux_callbacks.
 *
 * When callbacks run (nghttp2's rule): only from the I/O entry points, yamux_session_recv(),
 * _recv_eof(), _abort(), _send_iov(), _send_done(), _send() and _tick(), when the session is
 * consistent (on_data: mid-frame, see there). Every other call (open, accept, ping, goaway,
 * close, and the stream calls) only changes state and queues what it causes: output (see
 * yamux_session_is_send_pending()) and events, which the next I/O call delivers
 * (yamux_session_get_next_deadline() is then due at once). So a binding, after its application
 * made calls, sends while yamux_session_is_send_pending() and arms its timer for
 * yamux_session_get_next_deadline() before it sleeps. Callbacks may call every function except
 * the I/O entry points (refused: recv returns YAMUX_EINVAL, the others do nothing);
 * yamux_session_free() from a callback is deferred until the I/O call returns.
 *
 * Streams are handles owned by the application from yamux_session_open() or
 * yamux_session_accept() until yamux_stream_release(); after release the engine finishes the
 * stream on its own (sends queued data and FIN, then forgets it). Wire behaviour follows
 * hashicorp/yamux (spec.md); see README.md for where this engine is stricter or better.
 *
 * Not thread-safe: one session is driven by one thread at a time. */
#ifndef YAMUX_SESSION_H
#define YAMUX_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "yamux/error.h"
#include "yamux/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct yamux_session yamux_session;
typedef struct yamux_stream yamux_stream;

/** A byte range to send; layout-compatible with struct iovec and uv_buf_t on Unix. */
typedef struct yamux_iovec {
    const uint8_t *base;
    size_t len;
} yamux_iovec;

/** A pluggable allocator. `free` receives the size that was allocated. */
typedef struct yamux_allocator {
    void *(*malloc)(size_t size, void *ud);
    void (*free)(void *ptr, size_t size, void *ud);
    void *ud;
} yamux_allocator;

/** Durations are in nanoseconds; a zero duration disables the timer it configures.
 * Initialise with yamux_config_init() (it sets `size`), then change fields. */
typedef struct yamux_config {
    /** sizeof(yamux_config) as the caller compiled it: the library reads only that many bytes
     * and takes the defaults for fields added since (binaries keep working as this struct
     * grows). Set by yamux_config_init(); a config without it is refused (YAMUX_EINVAL). */
    size_t size;
    /** Inbound streams waiting for yamux_session_accept(); beyond it new streams get RST.
     * Default 256. */
    uint32_t accept_backlog;
    /** Outbound streams awaiting the peer's ACK; further opens queue their SYN locally until
     * one is acknowledged. Default 256. */
    uint32_t max_inflight_opens;
    /** Hard bound on streams alive in the session (both directions, including streams the
     * application has not released). Inbound streams beyond it are refused with RST and
     * yamux_session_open() returns YAMUX_ELIMIT. Default 65536. */
    uint32_t max_streams;
    /** Largest receive window of a stream, 256 KiB .. 16 MiB. Announced to the peer in the
     * SYN/ACK as a delta added to the implicit 256 KiB. Default 256 KiB. */
    uint32_t max_stream_window;
    /** When set, each stream starts at 256 KiB and its window doubles (up to
     * max_stream_window) whenever the application consumes a window in less than a few
     * round trips. Default 0 (windows are max_stream_window from the start, as hashicorp). */
    int window_autotune;
    /** Hard bound on receive memory: the sum over streams of buffered bytes plus the window
     * still granted to the peer. Streams that would exceed it are refused (inbound: RST,
     * outbound: YAMUX_ELIMIT) and windows grow only within it. Default 4 GiB. */
    uint64_t max_recv_memory;
    /** Bytes yamux_stream_write() queues per stream before it returns YAMUX_EAGAIN.
     * Default 256 KiB. */
    uint32_t stream_send_buffer;
    /** Largest data frame payload sent; smaller frames let pings, window updates and other
     * streams through sooner. Default 16 KiB. */
    uint32_t max_frame_payload;
    /** Send a ping every keepalive_interval; fail the session with YAMUX_EKEEPALIVE when it
     * stays unanswered and nothing at all arrives for write_timeout. Default on, 30 s. */
    int enable_keepalive;
    uint64_t keepalive_interval;
    /** How long a ping may wait for its answer, and how long pending output may wait for the
     * transport to take it before the session fails with YAMUX_EWRITE_TIMEOUT. 10 s. */
    uint64_t write_timeout;
    /** An opened stream not acknowledged in this time fails the session (as hashicorp).
     * Default 75 s. */
    uint64_t stream_open_timeout;
    /** After a local half-close, the time the peer has to half-close too before the stream
     * is reset. Default 5 min. */
    uint64_t stream_close_timeout;
    /** NULL for malloc/free. Copied by pointer: must outlive the session. */
    const yamux_allocator *allocator;
} yamux_config;

/** Stream events, delivered as a bit set to yamux_callbacks.on_stream. */
enum yamux_stream_event {
    YAMUX_EV_READABLE = 1 << 0,    /**< data, end of stream or an error can be read */
    YAMUX_EV_WRITABLE = 1 << 1,    /**< room in the send buffer again after YAMUX_EAGAIN */
    YAMUX_EV_ESTABLISHED = 1 << 2, /**< the peer acknowledged the stream we opened */
    YAMUX_EV_RESET = 1 << 3,       /**< the stream was reset (by the peer, or refused) */
    YAMUX_EV_CLOSED = 1 << 4       /**< both directions are finished (or the session ended) */
};

/** Initialise with yamux_callbacks_init() (or `.size = sizeof(yamux_callbacks)` in an
 * initializer): `size` lets the struct grow as yamux_config does. NULL members are not called. */
typedef struct yamux_callbacks {
    size_t size; /**< sizeof(yamux_callbacks) as the caller compiled it */
    /** Streams opened by the peer wait in the accept backlog: one call may stand for several,
     * so call yamux_session_accept() until it returns NULL. */
    void (*on_incoming)(yamux_session *s, void *ud);
    /** Stream `st` has the events `events` (a set of yamux_stream_event). */
    void (*on_stream)(yamux_session *s, yamux_stream *st, unsigned events, void *ud);
    /** A ping sent with yamux_session_ping() was answered (`status` 0, `rtt_ns` set) or
     * timed out (`status` YAMUX_ETIMEOUT) or was cut short (YAMUX_ESHUTDOWN). */
    void (*on_ping)(yamux_session *s, uint32_t opaque, int status, uint64_t rtt_ns, void *ud);
    /** The peer sent GoAway 0: it accepts no new streams; existing streams go on. */
    void (*on_goaway)(yamux_session *s, void *ud);
    /** The session ended: `err` is 0 after yamux_session_close() or a yamux_error. Called
     * once. Output may still hold a final GoAway: keep sending until send returns 0. */
    void (*on_close)(yamux_session *s, int err, void *ud);
    /** Optional zero-copy receive: called during yamux_session_recv() with payload bytes of
     * stream `st` in place, as they arrive, whenever nothing is buffered for the stream
     * before them. Returns how many the application took (0..len); the rest is buffered and
     * reported with YAMUX_EV_READABLE as usual, and taken bytes reopen the window like a
     * read. Like every callback it may call any function but the I/O entry points, free
     * included (deferred); the other callbacks wait until yamux_session_recv() ends. */
    size_t (*on_data)(yamux_session *s, yamux_stream *st, const uint8_t *data, size_t len,
                      void *ud);
} yamux_callbacks;

/** Counters of a session's life, for monitoring and tests (yamux_session_get_stats()). New
 * counters are added at the end. */
typedef struct yamux_stats {
    uint64_t bytes_in, bytes_out;   /**< transport bytes received / written */
    uint64_t frames_in, frames_out; /**< frames parsed / built */
    uint64_t data_in, data_out;     /**< payload bytes received / written */
    uint64_t streams_opened;        /**< by us */
    uint64_t streams_accepted;      /**< opened by the peer and accepted */
    uint64_t streams_refused;       /**< opened by the peer and refused with RST: backlog full,
                                         max_streams, max_recv_memory or our GoAway */
    uint64_t resets_in, resets_out; /**< RST received / sent */
    uint64_t pings_in, pings_out;   /**< ping requests received (and answered) / sent */
    uint64_t window_updates_in, window_updates_out; /**< non-zero window deltas */
    uint64_t input_throttled; /**< yamux_session_recv() stopped early: the peer sends
                                   pings or SYNs faster than it takes our answers */
} yamux_stats;

/** Fills `cfg` (`size` bytes: sizeof as the caller compiled it) with hashicorp/yamux's
 * defaults (see the field comments). Use yamux_config_init(). */
void yamux_config_init_size(yamux_config *cfg, size_t size);

/** Fills `cfg` with the defaults and sets its `size`. */
static inline void yamux_config_init(yamux_config *cfg) {
    yamux_config_init_size(cfg, sizeof *cfg);
}

/** Checks a configuration; returns 0 or YAMUX_EINVAL (a bad value, or no `size`). */
int yamux_config_validate(const yamux_config *cfg);

/** Clears `cb` (`size` bytes as the caller compiled it: no callback set) and sets its size.
 * Use yamux_callbacks_init(). */
void yamux_callbacks_init_size(yamux_callbacks *cb, size_t size);

/** Clears `cb` and sets its `size`. */
static inline void yamux_callbacks_init(yamux_callbacks *cb) {
    yamux_callbacks_init_size(cb, sizeof *cb);
}

/** Creates a session in the client role (odd stream ids) when `is_client`, else the server
 * role (even ids). `cfg` NULL means defaults; `cb` may be NULL or have NULL members; both are
 * copied (the first `size` bytes of each). Returns 0 or YAMUX_EINVAL/YAMUX_ENOMEM. */
int yamux_session_new(yamux_session **out, int is_client, const yamux_config *cfg,
                      const yamux_callbacks *cb, void *user_data);

/** Frees the session, every stream (released or not) and all buffers. Inside a callback the
 * free is deferred until the I/O call that runs it returns. */
void yamux_session_free(yamux_session *s);

/** The user_data given to yamux_session_new(). */
void *yamux_session_get_user_data(const yamux_session *s);

/** Feeds `len` bytes received from the transport, split anywhere. Returns the number of bytes
 * consumed (all of them, unless answers to the peer's pings pile up unsent: then send, and
 * feed the rest again), or a negative yamux_error when the session has ended (a protocol
 * error in the input ends it: GoAway 1 is queued and on_close reports the error). */
ptrdiff_t yamux_session_recv(yamux_session *s, const uint8_t *data, size_t len);

/** Tells the session the transport's input ended. The session ends with YAMUX_EEOF unless it
 * was already closing. Streams keep what they received. */
void yamux_session_recv_eof(yamux_session *s);

/** Tells the session its transport failed with `err` (a yamux_error such as
 * YAMUX_ETRANSPORT): the session ends with it, sending nothing more. Streams keep what they
 * received. No effect once the session ended. */
void yamux_session_abort(yamux_session *s, int err);

/** Hands out the next output: fills up to `*iovcnt` entries of `iov`, sets `*iovcnt` to the
 * number filled and returns the byte count (0 when there is nothing to send now). At most
 * `max_bytes` are handed out (0 means no limit). Each byte is handed out once; the memory
 * stays valid until yamux_session_send_done() reports it written. */
size_t yamux_session_send_iov(yamux_session *s, yamux_iovec *iov, size_t *iovcnt, size_t max_bytes);

/** Reports `n` more handed-out bytes written (in order). Frees what they covered. */
void yamux_session_send_done(yamux_session *s, size_t n);

/** Copies up to `cap` bytes of output into `buf` and counts them written. Returns the count. */
size_t yamux_session_send(yamux_session *s, uint8_t *buf, size_t cap);

/** True when output is waiting to be handed out: check it after I/O calls and after the
 * application's calls, which queue output without calling back. */
int yamux_session_is_send_pending(const yamux_session *s);

/** Bytes handed out by yamux_session_send_iov() and not yet reported written. */
size_t yamux_session_get_send_inflight(const yamux_session *s);

/** Passes the current time (monotonic, nanoseconds) and runs the timers that are due:
 * keepalive, ping, open, close and write timeouts. The first call starts the session's clock;
 * later calls must not go backwards. The session's "now" is the last tick's time: it stamps
 * pings when they are handed out and their answers when they are received (round trips,
 * window auto-tuning), so tick when you receive and before you send after being idle (the
 * bindings do: the deadline is due at once when output is queued after a quiet spell). */
void yamux_session_tick(yamux_session *s, uint64_t now_ns);

/** The time at which yamux_session_tick() must next be called, or UINT64_MAX if no timer
 * runs. It is due at once (the last tick's time) when timers were armed or events queued
 * since the last I/O call. */
uint64_t yamux_session_get_next_deadline(const yamux_session *s);

/** Opens a stream. The SYN goes out at once or, with max_inflight_opens streams awaiting an
 * ACK, as soon as one is acknowledged; data may be written before the ACK. Returns 0 or
 * YAMUX_EGOAWAY, YAMUX_ESHUTDOWN, YAMUX_ELIMIT, YAMUX_ESTREAMS_EXHAUSTED, YAMUX_ENOMEM. */
int yamux_session_open(yamux_session *s, yamux_stream **out);

/** Takes the oldest stream from the accept backlog and queues its ACK (with our window), or
 * returns NULL when the backlog is empty. Data (or FIN) that arrived before can be read at
 * once; the next I/O call also reports it with YAMUX_EV_READABLE. Streams that arrived before
 * the session ended can still be accepted after it (as a listening socket returns a
 * connection whose client is gone): they hold what they received, then report the end. */
yamux_stream *yamux_session_accept(yamux_session *s);

/** Number of inbound streams waiting in the accept backlog. */
size_t yamux_session_get_backlog(const yamux_session *s);

/** Sends a ping; on_ping reports the answer. `opaque_out` (may be NULL) receives its value.
 * Returns 0, YAMUX_ELIMIT (too many pings in flight) or YAMUX_ESHUTDOWN. */
int yamux_session_ping(yamux_session *s, uint32_t *opaque_out);

/** Sends GoAway 0: the peer may open no new streams (they are refused); existing streams go
 * on. Returns 0 or YAMUX_ESHUTDOWN. */
int yamux_session_goaway(yamux_session *s);

/** Ends the session now: queues GoAway 0 (if not sent), ends every stream with
 * YAMUX_ESHUTDOWN after what it has already received, and reports on_close(0). Keep sending
 * output until it is empty, then close the transport. Idempotent. */
void yamux_session_close(yamux_session *s);

/** 0 while the session runs; after it ended, 0 for a clean close or the yamux_error. */
int yamux_session_get_error(const yamux_session *s);

/** True once the session ended (closed, failed or transport ended). */
int yamux_session_is_closed(const yamux_session *s);

/** True when the peer sent GoAway 0. */
int yamux_session_is_goaway_received(const yamux_session *s);

/** Streams alive (not yet freed), both directions. */
size_t yamux_session_get_num_streams(const yamux_session *s);

/** Copies the session's counters into `out` (`size` bytes as the caller compiled it; counters
 * beyond it are left out). Use yamux_session_get_stats(). */
void yamux_session_get_stats_size(const yamux_session *s, yamux_stats *out, size_t size);

/** Copies the session's counters into `out`. */
static inline void yamux_session_get_stats(const yamux_session *s, yamux_stats *out) {
    yamux_session_get_stats_size(s, out, sizeof *out);
}

/** Smoothed ping round trip in nanoseconds (0 before the first answer), measured with the
 * times of the ticks around the ping (see yamux_session_tick()). */
uint64_t yamux_session_get_rtt(const yamux_session *s);

/** Bytes currently held for reception: buffered data plus window granted to the peer. */
uint64_t yamux_session_get_recv_memory(const yamux_session *s);

/* ---- streams ----------------------------------------------------------------------------- */

/** The stream's id (odd: opened by the client, even: by the server). */
uint32_t yamux_stream_get_id(const yamux_stream *st);

/** The session the stream belongs to. */
yamux_session *yamux_stream_get_session(const yamux_stream *st);

/** Attaches and reads an application pointer. */
void yamux_stream_set_user_data(yamux_stream *st, void *ud);
void *yamux_stream_get_user_data(const yamux_stream *st);

/** Queues up to `len` bytes for sending. Returns the number queued (> 0), or YAMUX_EAGAIN
 * when the send buffer is full (wait for YAMUX_EV_WRITABLE), YAMUX_ECLOSED after
 * yamux_stream_close_write(), YAMUX_ERESET, or the session's error. `len` 0 returns 0. */
ptrdiff_t yamux_stream_write(yamux_stream *st, const void *buf, size_t len);

/** Zero-copy write: queues all `len` bytes of `buf` by reference, without copying them,
 * whenever the send buffer is not full (so one call may queue more than
 * yamux_stream_get_write_space()). `buf` must stay valid and unchanged until `release(arg)` (may
 * be NULL) is called: once every byte was written to the transport, or dropped by a reset or
 * the session's end, or when the session is freed. release must not call into the session.
 * Returns `len`, or YAMUX_EAGAIN (full: wait for YAMUX_EV_WRITABLE; release is not called),
 * YAMUX_EINVAL (`len` of 4 GiB or more), YAMUX_ECLOSED, YAMUX_ERESET, YAMUX_ENOMEM or the
 * session's error. */
ptrdiff_t yamux_stream_write_ref(yamux_stream *st, const void *buf, size_t len,
                                 void (*release)(void *arg), void *arg);

/** Bytes written and not yet taken by the transport (queued, or handed out and not reported
 * written). */
size_t yamux_stream_get_unsent(const yamux_stream *st);

/** Bytes yamux_stream_write() would accept now. */
size_t yamux_stream_get_write_space(const yamux_stream *st);

/** Copies up to `len` received bytes into `buf`. Returns the count (> 0, or 0 when `len` is
 * 0), 0 at the end of the stream (the peer half-closed and everything was read), YAMUX_EAGAIN when
 * nothing has arrived yet (wait for YAMUX_EV_READABLE), YAMUX_ERESET, or the session's error once
 * the bytes received before it are read. Reading re-opens the peer's window. */
ptrdiff_t yamux_stream_read(yamux_stream *st, void *buf, size_t len);

/** Zero-copy read: points `*data` at the next contiguous received bytes and returns their
 * count (0 when none); yamux_stream_consume() then releases them. */
size_t yamux_stream_peek(const yamux_stream *st, const uint8_t **data);

/** Releases `n` bytes seen with yamux_stream_peek() (n <= the peeked count). */
void yamux_stream_consume(yamux_stream *st, size_t n);

/** Bytes received and not yet read. */
size_t yamux_stream_get_read_available(const yamux_stream *st);

/** True when the peer half-closed and every byte it sent was read. */
int yamux_stream_is_eof(const yamux_stream *st);

/** Half-closes: FIN goes out after the queued data. Reading goes on. Idempotent. */
int yamux_stream_close_write(yamux_stream *st);

/** Resets the stream: queued data is dropped and RST is sent. Idempotent. */
int yamux_stream_reset(yamux_stream *st);

/** Gives the handle back: the engine half-closes after the queued data, discards what the
 * peer still sends, and frees the stream when it is finished. `st` is invalid after. */
void yamux_stream_release(yamux_stream *st);

/** 0 while the stream can still carry data; else why not: YAMUX_ERESET, the session's error,
 * or YAMUX_ECLOSED when both directions finished normally. */
int yamux_stream_get_error(const yamux_stream *st);

/** The peer's receive window as we know it: bytes we may send before its next update. */
uint32_t yamux_stream_get_send_window(const yamux_stream *st);

/** The window we granted the peer and it has not used yet. */
uint32_t yamux_stream_get_recv_window(const yamux_stream *st);

#ifdef __cplusplus
}
#endif
#endif
