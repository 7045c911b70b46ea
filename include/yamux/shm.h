/* yamux over shmq: a yamux session whose transport is one side of a shared-memory packet
 * queue (yamux/shmq.h, docs/shmq.md).
 *
 * The session's output is cut into packets of up to the MTU, written in place into the ring
 * (many small frames share a packet, large payloads span several) and published in batches;
 * received packets are fed to the session straight from the ring. Two ways to drive it, over
 * the same session:
 *   - non-blocking, for an event loop: yamux_shm_pump() moves whatever can move, then
 *     yamux_shm_arm() says which 32-bit word to wait on and until when (Atomics.waitAsync in
 *     JavaScript, a futex);
 *   - blocking, for a thread or worker that may block: yamux_shm_wait(), and the blocking
 *     stream calls of yamux/block.h built on it.
 * One thread drives a given yamux_shm at a time. Session callbacks run inside yamux_shm_pump()
 * and yamux_shm_wait() (they are the session's I/O calls): they may use every function of
 * yamux/session.h but its I/O entry points, and none of this header's or yamux/block.h's (those
 * return YAMUX_EINVAL from a callback). After the application's own calls (open, write...),
 * poll or wait: that sends what they queued and delivers the events they caused.
 *
 * The queue's two directions end independently: when the peer closes (or dies) the session
 * still receives every packet it published before, and learns the end once the receive ring
 * is drained (YAMUX_EEOF for a close); output that can no longer be sent is dropped. */
#ifndef YAMUX_SHM_H
#define YAMUX_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "yamux/session.h"
#include "yamux/shmq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct yamux_shm yamux_shm;

/** Attaches side `side` of the formatted region `mem` (`len` bytes; see yamux_shmq_format()) with
 * queue options `qopts` (NULL: defaults) and starts a session on it in the client role when
 * `is_client` (odd stream ids), else the server role. `cfg` and `cb` as yamux_session_new();
 * callbacks receive `user_data`. Returns 0 or a yamux_error (YAMUX_EINVAL, YAMUX_ENOMEM, or
 * the attach's YAMUX_EBADMAGIC, YAMUX_EVERSION, YAMUX_ECORRUPT). */
int yamux_shm_new(yamux_shm **out, void *mem, size_t len, yamux_shmq_side side,
                  const yamux_shmq_options *qopts, int is_client, const yamux_config *cfg,
                  const yamux_callbacks *cb, void *user_data);

/** Closes this side of the queue (the peer sees it closed) and frees the session, its
 * streams and the binding. */
void yamux_shm_free(yamux_shm *b);

/** The session, to open, accept and use streams. */
yamux_session *yamux_shm_get_session(const yamux_shm *b);

/** The queue handle (for yamux_shmq_check_peer(), statistics...). */
yamux_shmq *yamux_shm_get_queue(yamux_shm *b);

/** The user_data given to yamux_shm_new(). */
void *yamux_shm_get_user_data(const yamux_shm *b);

/** A monotonic clock in nanoseconds (CLOCK_MONOTONIC, or performance.now() in wasm). */
uint64_t yamux_shm_now(void);

/** Non-blocking: runs the session's timers at `now_ns`, feeds every received packet to the
 * session and writes its output into the ring until neither moves. Returns the number of
 * bytes moved (>= 0), or the session's error once it has ended and its last output is out
 * (YAMUX_ESHUTDOWN for a clean close). A peer that closes or dies ends the session once
 * everything it sent was received: YAMUX_EEOF for a close, else the queue's error
 * (YAMUX_EPEERDEAD, YAMUX_EPEERRESET, YAMUX_ECORRUPT). */
ptrdiff_t yamux_shm_pump(yamux_shm *b, uint64_t now_ns);

/** For an event loop, after yamux_shm_pump() returned 0: announces that this side waits for
 * input (and for ring space, when output waits) and fills `w` with the word to wait on.
 * `*deadline_ns` receives when to call yamux_shm_pump() at the latest (session timers and
 * the queue's liveness checks; UINT64_MAX for none). Returns 0 when armed (wait, then
 * yamux_shm_disarm() and poll), 1 when something is ready already (poll again now), or a
 * negative error. */
int yamux_shm_arm(yamux_shm *b, yamux_shmq_waiter *w, uint64_t *deadline_ns);

/** Withdraws the announcement of yamux_shm_arm(). */
void yamux_shm_disarm(yamux_shm *b);

/** Blocking: polls; when nothing moved, sleeps until input arrives, ring space frees up for
 * waiting output, a session timer is due or `timeout_ns` passes (< 0: no limit), then polls
 * again. Returns bytes moved (>= 0, 0 on timeout) or the error of yamux_shm_pump(). */
ptrdiff_t yamux_shm_wait(yamux_shm *b, int64_t timeout_ns);

#ifdef __cplusplus
}
#endif
#endif
