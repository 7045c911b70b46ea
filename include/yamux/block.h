/* Blocking stream calls over a yamux_shm session, for a thread or a wasm worker that may
 * block (Atomics.wait) and wants plain calls: a read that waits, a write that waits for
 * window. Each call drives the whole session while it waits (other streams' data is received
 * and buffered within their windows), so one thread can serve many streams in turn.
 * Timeouts are in nanoseconds; a negative timeout waits without limit. A call that times out
 * returns YAMUX_ETIMEOUT and leaves the stream usable. Not for use inside session callbacks. */
#ifndef YAMUX_BLOCK_H
#define YAMUX_BLOCK_H

#include "yamux/shm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Waits for the next stream the peer opens and accepts it. Returns it, or NULL with `*err`
 * set (YAMUX_ETIMEOUT, or the session's error). `err` may be NULL. */
yamux_stream *yamux_block_accept(yamux_shm *b, int64_t timeout_ns, int *err);

/** Opens a stream (its SYN is written to the queue before returning). 0 or a yamux_error. */
int yamux_block_open(yamux_shm *b, yamux_stream **out);

/** Reads up to `len` bytes, waiting until at least one arrives. Returns the count, 0 at the
 * end of the stream, YAMUX_ETIMEOUT, YAMUX_ERESET or the session's error. */
ptrdiff_t yamux_block_read(yamux_shm *b, yamux_stream *st, void *buf, size_t len,
                           int64_t timeout_ns);

/** Writes all `len` bytes, waiting for window and buffer space as needed, and pushes them
 * into the queue. Returns `len`, or the bytes written before YAMUX_ETIMEOUT / an error
 * stopped it when some were (else the error). */
ptrdiff_t yamux_block_write(yamux_shm *b, yamux_stream *st, const void *buf, size_t len,
                            int64_t timeout_ns);

/** Half-closes the stream and pushes the FIN out. */
int yamux_block_close_write(yamux_shm *b, yamux_stream *st);

/** Waits until every byte queued on the session is in the queue (not necessarily read by the
 * peer). 0, YAMUX_ETIMEOUT or the session's error. */
int yamux_block_flush(yamux_shm *b, int64_t timeout_ns);

/** Pings the peer and waits for the answer; `*rtt_ns` (may be NULL) receives the round trip.
 * 0, YAMUX_ETIMEOUT or the session's error. */
int yamux_block_ping(yamux_shm *b, int64_t timeout_ns, uint64_t *rtt_ns);

/** Sleeps for `ns` while keeping the session served (keepalive, window updates, pings). 0, or
 * the session's error if it ended meanwhile. */
int yamux_block_sleep(yamux_shm *b, int64_t ns);

/** Ends the session (GoAway 0), waits up to `timeout_ns` for its last output to reach the
 * queue, and closes this side of the queue. */
void yamux_block_close(yamux_shm *b, int64_t timeout_ns);

#ifdef __cplusplus
}
#endif
#endif
