/* yamux over libuv: runs a yamux session on any uv_stream_t (TCP, pipe, tty).
 *
 * Reads drive the engine; its output is written with uv_try_write straight from the session's
 * buffers, and what the socket does not take at once with uv_write in 64 KiB slices, one in
 * flight at a time (the engine stops producing while the socket is saturated, and every slice
 * written counts as progress for the write timeout, however slow the link). A uv_timer follows
 * yamux_session_get_next_deadline(). A uv_prepare handle services the session before the loop
 * sleeps, so the application may call the session from anywhere on the loop's thread (its
 * own timers, other sockets, session callbacks): what those calls queue goes out in the same
 * loop iteration. A write error discards further output but input is read until it ends.
 *
 * Lifecycle, as a libuv handle: yamux_uv_new() starts it; yamux_uv_close(u, cb) ends the
 * session if it runs (GoAway 0), writes its last output, shuts the transport down, waits
 * (bounded) for the peer's end, closes every handle and then calls `cb`; after `cb` returns
 * the session, its streams and the binding are freed. A session that ends by itself (the peer
 * closing, an error: on_close) gets its transport finished the same way, but the binding and
 * its handles stay until the application calls yamux_uv_close() (usually from on_close).
 *
 * Session callbacks are forwarded with the `user_data` given here. Call everything from the
 * loop's thread. */
#ifndef YAMUX_UV_H
#define YAMUX_UV_H

#include <uv.h>

#include "yamux/session.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct yamux_uv yamux_uv;

/** Called by yamux_uv_close() once every handle is closed; `err` is the session's end (0:
 * clean). The binding is freed when it returns. */
typedef void (*yamux_uv_close_cb)(yamux_uv *u, int err, void *user_data);

/** Starts a session over `stream`, which must be open and readable; the binding owns it from
 * now on and closes it in yamux_uv_close(). Returns 0, YAMUX_EINVAL, YAMUX_ENOMEM or
 * YAMUX_ETRANSPORT (reading could not start). On failure the stream is left to the caller. */
int yamux_uv_new(yamux_uv **out, uv_loop_t *loop, uv_stream_t *stream, int is_client,
                 const yamux_config *cfg, const yamux_callbacks *cb, void *user_data);

/** The session, to open, accept and use streams. */
yamux_session *yamux_uv_get_session(const yamux_uv *u);

/** The binding driving a session created by yamux_uv_new(). */
yamux_uv *yamux_uv_from_session(const yamux_session *s);

/** The user_data given to yamux_uv_new(). */
void *yamux_uv_get_user_data(const yamux_uv *u);

/** Ends the session (GoAway 0) unless it ended, closes the transport once the last output is
 * written (or after a bounded wait for a peer that does not read), closes every handle, then
 * calls `cb` (may be NULL) and frees the binding. Call it once; later calls do nothing. */
void yamux_uv_close(yamux_uv *u, yamux_uv_close_cb cb);

#ifdef __cplusplus
}
#endif
#endif
