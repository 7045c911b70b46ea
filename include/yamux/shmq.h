/* shmq: a shared-memory packet queue between two sides, A and B.
 *
 * One region of memory (malloc'ed, a MAP_SHARED mapping shared by two processes, or a
 * SharedArrayBuffer / wasm linear memory shared by two workers) holds two single-producer /
 * single-consumer rings, one per direction. Packets of at most `mtu` bytes are copied in or
 * written in place, batched under one index update, and read out or in place. The byte layout
 * is specified in docs/shmq.md (constants in yamux/shmq_layout.h) so that other languages can
 * speak it. Nothing read from the region is trusted: a buggy or hostile peer causes
 * YAMUX_ECORRUPT, never an access outside the region.
 *
 * A yamux_shmq handle is one side's view of a region, allocated by yamux_shmq_new() and
 * freed by yamux_shmq_free(); it belongs to one thread at a time (the producer and consumer
 * halves of one side are not meant to be used concurrently from two threads).
 *
 * Typical use:
 *   size_t n = yamux_shmq_region_size(1 << 20, 65536);
 *   yamux_shmq_format(mem, n, 1 << 20, 65536);               // once, before sharing
 *   yamux_shmq *q;
 *   yamux_shmq_new(&q, mem, n, YAMUX_SHMQ_SIDE_A, NULL);     // each side, its thread/process
 *   yamux_shmq_send(q, buf, len);                             // YAMUX_EAGAIN when full
 *   yamux_shmq_wait_readable(q, -1);
 *   yamux_shmq_recv(q, buf, sizeof buf, &len);
 *   yamux_shmq_free(q);                                       // closes this side first
 */
#ifndef YAMUX_SHMQ_H
#define YAMUX_SHMQ_H

#include <stddef.h>
#include <stdint.h>

#include "yamux/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The two sides. A sends on ring 0 and receives on ring 1; B the reverse. */
typedef enum yamux_shmq_side { YAMUX_SHMQ_SIDE_A = 0, YAMUX_SHMQ_SIDE_B = 1 } yamux_shmq_side;

/** Events for yamux_shmq_poll(), yamux_shmq_wait() and yamux_shmq_arm() (also the doorbell bits).
 */
enum yamux_shmq_event {
    YAMUX_SHMQ_READABLE = 1, /**< a packet can be received */
    YAMUX_SHMQ_WRITABLE = 2  /**< a packet of the given size can be sent */
};

/** yamux_shmq_commit() flag: append the record but do not publish it yet (see yamux_shmq_flush()).
 */
#define YAMUX_SHMQ_MORE 1u

/** Defaults of yamux_shmq_options. */
#define YAMUX_SHMQ_DEFAULT_SPIN_NS  5000u
#define YAMUX_SHMQ_DEFAULT_CHECK_MS 100u

/** Per-side options, fixed at attach (spin can be changed later with yamux_shmq_set_spin()).
 * Initialise with yamux_shmq_options_init(): it sets `size`, so that fields added later take
 * their defaults for binaries built against this header. */
typedef struct yamux_shmq_options {
    size_t size;                /**< sizeof(yamux_shmq_options) as the caller compiled it */
    uint32_t spin_ns;           /**< spin this long (pause loop) before sleeping in a wait */
    uint32_t hb_timeout_ms;     /**< published: the peer may declare this side dead after this
                                     long without a heartbeat or index change; 0 = never. This
                                     side must then call a wait, arm, yamux_shmq_check_peer() or
                                     yamux_shmq_heartbeat() at least every hb_timeout_ms / 4. */
    uint32_t check_interval_ms; /**< liveness checks at least this often while waiting or
                                     arming (fewer when a heartbeat timeout asks for more) */
    int32_t pid;                /**< published process id: 0 = this process (natively; none in
                                     wasm), -1 = publish none, > 0 = this value */
} yamux_shmq_options;

/** One packet to send (yamux_shmq_send_batch()). */
typedef struct yamux_shmq_iov {
    const void *data;
    size_t len;
} yamux_shmq_iov;

/** One receive buffer (yamux_shmq_recv_batch()): `len` is set to the packet's length. */
typedef struct yamux_shmq_msg {
    void *buf;
    size_t cap;
    size_t len;
} yamux_shmq_msg;

/** Where an event loop should wait after yamux_shmq_arm(): while the 32-bit word equals `value`. */
typedef struct yamux_shmq_waiter {
    uint32_t *word;      /**< its address in this address space (wasm: linear memory address) */
    size_t offset;       /**< its byte offset from the region start (JS: Int32Array index
                              offset / 4 over the region) */
    uint32_t value;      /**< the armed value: wait while *word == value */
    uint32_t timeout_ms; /**< the liveness slice: come back (arm again) at least this often */
} yamux_shmq_waiter;

/** A handle on one side of a region (opaque). */
typedef struct yamux_shmq yamux_shmq;

/* ---- Region ---------------------------------------------------------------------------- */

/** Bytes a region needs for two rings of `ring_bytes` (a power of two, 256..2^30) carrying
 * packets up to `mtu` bytes (1..ring_bytes/2-8); 0 when the parameters are invalid. */
size_t yamux_shmq_region_size(size_t ring_bytes, size_t mtu);

/** Formats `len` bytes at `mem` (8-byte aligned, 64 recommended) as an empty region: zeroes
 * it, writes the header, magic last. Call before anybody attaches. YAMUX_EINVAL on bad sizes. */
int yamux_shmq_format(void *mem, size_t len, size_t ring_bytes, size_t mtu);

/** Fills `o` (of `size` bytes: sizeof as the caller compiled it) with the defaults: spin
 * YAMUX_SHMQ_DEFAULT_SPIN_NS, no heartbeat timeout, liveness checks every
 * YAMUX_SHMQ_DEFAULT_CHECK_MS, pid 0 (publish this process's id natively). Use
 * yamux_shmq_options_init(). */
void yamux_shmq_options_init_size(yamux_shmq_options *o, size_t size);

/** Fills `o` with the defaults (see yamux_shmq_options_init_size()). */
static inline void yamux_shmq_options_init(yamux_shmq_options *o) {
    yamux_shmq_options_init_size(o, sizeof *o);
}

/** Attaches side `side` of the formatted region `mem` (`len` bytes as mapped here; the address
 * may differ between processes) and returns its handle in `*out`. Validates the header
 * (YAMUX_EBADMAGIC, YAMUX_EVERSION, YAMUX_ECORRUPT), bumps this side's generation, publishes
 * its options (`o`: NULL for defaults; YAMUX_EINVAL without a valid `size`) and rings the
 * peer's doorbell. A re-attach of a side discards the packets pending for it. Returns 0,
 * YAMUX_EINVAL or YAMUX_ENOMEM too. */
int yamux_shmq_new(yamux_shmq **out, void *mem, size_t len, yamux_shmq_side side,
                   const yamux_shmq_options *o);

/** Closes this side (yamux_shmq_close()) unless it is, and frees the handle. NULL is a no-op. */
void yamux_shmq_free(yamux_shmq *q);

/** Publishes pending packets, marks this side closed and wakes the peer, which receives what
 * was sent and then YAMUX_ECLOSED. Further calls on `q` return YAMUX_ECLOSED. Idempotent. */
int yamux_shmq_close(yamux_shmq *q);

/** The region's MTU: the largest packet payload in bytes. */
size_t yamux_shmq_get_mtu(const yamux_shmq *q);

/** Changes how long waits spin before sleeping (0: sleep at once). */
void yamux_shmq_set_spin(yamux_shmq *q, uint32_t spin_ns);

/* ---- Sending ----------------------------------------------------------------------------- */

/** Copies one packet of `len` (0..mtu) bytes into the ring and publishes it, waking the peer
 * if it sleeps. YAMUX_EAGAIN when full, YAMUX_EMSGSIZE above the MTU, YAMUX_ECLOSED /
 * YAMUX_EPEERDEAD / YAMUX_EPEERRESET when the peer is gone. */
int yamux_shmq_send(yamux_shmq *q, const void *data, size_t len);

/** Copies as many of the `n` packets as fit, in order, and publishes them with one index
 * update. Returns the number sent (>= 1), or a negative error when none was (YAMUX_EAGAIN,
 * YAMUX_EMSGSIZE if pkts[0] is too large, ...). An oversized packet later in the array stops
 * the batch before it. */
int yamux_shmq_send_batch(yamux_shmq *q, const yamux_shmq_iov *pkts, size_t n);

/** Zero-copy send: reserves a contiguous record for up to `len` bytes and points `*data` at
 * its payload in the shared region. Complete it with yamux_shmq_commit(); a reservation that is
 * not committed is abandoned by the next reserve or send. Errors as yamux_shmq_send(). */
int yamux_shmq_reserve(yamux_shmq *q, size_t len, void **data);

/** Commits the reserved record with its final length (<= the reserved length) and publishes
 * it, unless `flags` has YAMUX_SHMQ_MORE (then yamux_shmq_flush() or a later commit/send
 * publishes). YAMUX_EINVAL without a reservation or with a longer `len`. */
int yamux_shmq_commit(yamux_shmq *q, size_t len, unsigned flags);

/** Publishes every record committed with YAMUX_SHMQ_MORE (one index update) and wakes the peer. */
int yamux_shmq_flush(yamux_shmq *q);

/* ---- Receiving --------------------------------------------------------------------------- */

/** Copies the next packet into `buf` (`cap` bytes), sets `*len` and frees its space.
 * YAMUX_EAGAIN when empty; YAMUX_EMSGSIZE (packet kept, `*len` = its size) when `cap` is too
 * small; YAMUX_ECLOSED / YAMUX_EPEERDEAD once empty and the peer is gone. Releases any packets
 * held by yamux_shmq_peek() too. */
int yamux_shmq_recv(yamux_shmq *q, void *buf, size_t cap, size_t *len);

/** Receives up to `n` packets into `msgs` (each `cap` >= its packet, else the batch stops
 * there) and frees their space with one index update. Returns the number received (>= 1) or
 * a negative error as yamux_shmq_recv(). */
int yamux_shmq_recv_batch(yamux_shmq *q, yamux_shmq_msg *msgs, size_t n);

/** Zero-copy receive: points `*data` at the next packet in the shared region (after the ones
 * already peeked) and sets `*len`. The packet stays in the ring, and the pointer valid, until
 * yamux_shmq_consume() (or a yamux_shmq_recv*). The producer may be hostile: copy a field before
 * checking it. Errors as yamux_shmq_recv(). */
int yamux_shmq_peek(yamux_shmq *q, const void **data, size_t *len);

/** Frees every packet returned by yamux_shmq_peek() so far (one index update), waking the peer if
 * it waits for space. */
void yamux_shmq_consume(yamux_shmq *q);

/* ---- Waiting ----------------------------------------------------------------------------- */

/** Non-blocking readiness: returns the subset of `events` that is ready now (YAMUX_SHMQ_READABLE:
 * a packet can be received; YAMUX_SHMQ_WRITABLE: a packet of `write_len` bytes fits), 0 for none,
 * or a negative error when nothing is ready and the queue cannot become ready (YAMUX_ECLOSED,
 * YAMUX_EPEERDEAD, ...). */
int yamux_shmq_poll(yamux_shmq *q, unsigned events, size_t write_len);

/** Blocks until one of `events` is ready, spinning first for the configured time, then
 * sleeping on this side's doorbell (futex natively, memory.atomic.wait32 in wasm). Once per
 * liveness slice, counted in real time across calls (however short each wait), it beats and
 * checks the peer (docs/shmq.md 4.6). Records committed with YAMUX_SHMQ_MORE are published
 * before sleeping. `timeout_ns` < 0 waits forever. Returns the ready events (> 0) or
 * YAMUX_ETIMEOUT, YAMUX_ECLOSED, YAMUX_EPEERDEAD, YAMUX_EPEERRESET, YAMUX_ECORRUPT. */
int yamux_shmq_wait(yamux_shmq *q, unsigned events, size_t write_len, int64_t timeout_ns);

/** Waits until a packet can be received: YAMUX_OK or an error as yamux_shmq_wait(). */
int yamux_shmq_wait_readable(yamux_shmq *q, int64_t timeout_ns);

/** Waits until a packet of `len` bytes can be sent: YAMUX_OK or an error as yamux_shmq_wait(). */
int yamux_shmq_wait_writable(yamux_shmq *q, size_t len, int64_t timeout_ns);

/** For an event loop that must not block: does the liveness duty when a slice has passed (as
 * yamux_shmq_wait()), publishes pending records (YAMUX_SHMQ_MORE), announces that this side
 * waits for `events` and re-checks them. Returns 0 when armed: wait (Atomics.waitAsync /
 * futex / poll) on `w->word` while it equals `w->value`, at most `w->timeout_ms` (one slice),
 * then call yamux_shmq_disarm() and retry. Returns the ready events (> 0, not armed) or an
 * error. */
int yamux_shmq_arm(yamux_shmq *q, unsigned events, size_t write_len, yamux_shmq_waiter *w);

/** Withdraws the waiting announcement of yamux_shmq_arm() (harmless when not armed). */
void yamux_shmq_disarm(yamux_shmq *q);

/** Liveness check, now: bumps this side's heartbeat, then checks the peer (generation, process
 * id when both sides share a pid namespace, heartbeat/index progress against its published
 * timeout). YAMUX_OK (alive, or not attached yet, or closed), YAMUX_EPEERDEAD or
 * YAMUX_EPEERRESET. Waits and arms do it on their own once per slice. */
int yamux_shmq_check_peer(yamux_shmq *q);

/** Bumps this side's heartbeat word (for a side that computes long without waiting). */
void yamux_shmq_heartbeat(yamux_shmq *q);

#ifdef __cplusplus
}
#endif
#endif
