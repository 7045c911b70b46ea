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
 * A `shmq` handle belongs to one thread at a time: the producer and consumer halves of one
 * side are not meant to be used concurrently from two threads.
 *
 * Typical use:
 *   size_t n = shmq_region_size(1 << 20, 65536);
 *   shmq_format(mem, n, 1 << 20, 65536);           // once, before sharing
 *   shmq q; shmq_attach(&q, mem, n, SHMQ_SIDE_A);  // each side, in its own thread/process
 *   shmq_send(&q, buf, len);                       // YAMUX_EAGAIN when full
 *   shmq_wait_readable(&q, -1); shmq_recv(&q, buf, sizeof buf, &len);
 *   shmq_close(&q);
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
typedef enum shmq_side { SHMQ_SIDE_A = 0, SHMQ_SIDE_B = 1 } shmq_side;

/** Events for shmq_ready(), shmq_wait() and shmq_arm() (also the doorbell bits). */
enum shmq_event {
    SHMQ_READABLE = 1, /**< a packet can be received */
    SHMQ_WRITABLE = 2  /**< a packet of the given size can be sent */
};

/** shmq_commit() flag: append the record but do not publish it yet (see shmq_flush()). */
#define SHMQ_MORE 1u

/** Defaults of shmq_options. */
#define SHMQ_DEFAULT_SPIN_NS  5000u
#define SHMQ_DEFAULT_CHECK_MS 100u

/** Per-side options, fixed at attach (spin can be changed later with shmq_set_spin()). */
typedef struct shmq_options {
    uint32_t spin_ns;           /**< spin this long (pause loop) before sleeping in a wait */
    uint32_t hb_timeout_ms;     /**< published: the peer may declare this side dead after this
                                     long without a heartbeat or index change; 0 = never. This
                                     side must then call a wait, shmq_check_peer() or
                                     shmq_heartbeat() at least every hb_timeout_ms / 4. */
    uint32_t check_interval_ms; /**< waits wake at least this often to check the peer's liveness */
    int32_t pid;                /**< published process id: 0 = this process (natively; none in
                                     wasm), -1 = publish none, > 0 = this value */
} shmq_options;

/** One packet to send (shmq_send_batch()). */
typedef struct shmq_iov {
    const void *data;
    size_t len;
} shmq_iov;

/** One receive buffer (shmq_recv_batch()): `len` is set to the packet's length. */
typedef struct shmq_msg {
    void *buf;
    size_t cap;
    size_t len;
} shmq_msg;

/** Where an event loop should wait after shmq_arm(): while the 32-bit word equals `value`. */
typedef struct shmq_waiter {
    uint32_t *word;      /**< its address in this address space (wasm: linear memory address) */
    size_t offset;       /**< its byte offset from the region start (JS: Int32Array index
                              offset / 4 over the region) */
    uint32_t value;      /**< the armed value: wait while *word == value */
    uint32_t timeout_ms; /**< wake at least this often and call shmq_check_peer() */
} shmq_waiter;

/** A handle on one side of a region. Caller-allocated; the fields are private. */
typedef struct shmq {
    unsigned char *base;
    uint32_t ring_bytes, mtu;
    int side;
    int err;      /* sticky error: corrupt, peer reset */
    int closed;   /* this side closed */
    int peer_end; /* 0, or YAMUX_ECLOSED / YAMUX_EPEERDEAD once the peer is gone */
    uint32_t spin_ns, check_ms, hb_timeout_ms;
    /* send ring */
    unsigned char *tx_data;
    uint32_t *tx_tail_w, *tx_head_w;
    uint32_t tx_tail, tx_tail_pub, tx_head;
    uint32_t rsv_len, rsv_pad;
    int rsv;
    /* receive ring */
    unsigned char *rx_data;
    uint32_t *rx_tail_w, *rx_head_w;
    uint32_t rx_cursor, rx_head_pub, rx_tail;
    /* this side's words */
    uint32_t *own_state_w, *own_hb_w, *own_bell_w;
    uint32_t own_state, own_hb;
    /* the peer */
    uint32_t *peer_state_w, *peer_hb_w, *peer_bell_w;
    uint32_t peer_state, peer_gen, peer_hb_timeout_ms;
    int32_t peer_pid;
    uint32_t live_hb, live_tail, live_head;
    int64_t live_ns;
} shmq;

/* ---- Region ---------------------------------------------------------------------------- */

/** Bytes a region needs for two rings of `ring_bytes` (a power of two, 256..2^30) carrying
 * packets up to `mtu` bytes (1..ring_bytes/2-8); 0 when the parameters are invalid. */
size_t shmq_region_size(size_t ring_bytes, size_t mtu);

/** Formats `len` bytes at `mem` (8-byte aligned, 64 recommended) as an empty region: zeroes
 * it, writes the header, magic last. Call before anybody attaches. YAMUX_EINVAL on bad sizes. */
int shmq_format(void *mem, size_t len, size_t ring_bytes, size_t mtu);

/** Fills `o` with the defaults: spin SHMQ_DEFAULT_SPIN_NS, no heartbeat timeout, liveness
 * checks every SHMQ_DEFAULT_CHECK_MS, pid 0 (publish this process's id natively). */
void shmq_options_init(shmq_options *o);

/** shmq_attach_ex() with default options. */
int shmq_attach(shmq *q, void *mem, size_t len, shmq_side side);

/** Attaches `q` as `side` of the formatted region `mem` (`len` bytes as mapped here; the
 * address may differ between processes). Validates the header (YAMUX_EBADMAGIC,
 * YAMUX_EVERSION, YAMUX_ECORRUPT), bumps this side's generation and publishes its options.
 * A re-attach of a side discards the packets pending for it. `o` may be NULL. */
int shmq_attach_ex(shmq *q, void *mem, size_t len, shmq_side side, const shmq_options *o);

/** Publishes pending packets, marks this side closed and wakes the peer, which receives what
 * was sent and then YAMUX_ECLOSED. Further calls on `q` return YAMUX_ECLOSED. Idempotent. */
int shmq_close(shmq *q);

/** The region's MTU: the largest packet payload in bytes. */
size_t shmq_mtu(const shmq *q);

/** Changes how long waits spin before sleeping (0: sleep at once). */
void shmq_set_spin(shmq *q, uint32_t spin_ns);

/* ---- Sending ----------------------------------------------------------------------------- */

/** Copies one packet of `len` (0..mtu) bytes into the ring and publishes it, waking the peer
 * if it sleeps. YAMUX_EAGAIN when full, YAMUX_EMSGSIZE above the MTU, YAMUX_ECLOSED /
 * YAMUX_EPEERDEAD / YAMUX_EPEERRESET when the peer is gone. */
int shmq_send(shmq *q, const void *data, size_t len);

/** Copies as many of the `n` packets as fit, in order, and publishes them with one index
 * update. Returns the number sent (>= 1), or a negative error when none was (YAMUX_EAGAIN,
 * YAMUX_EMSGSIZE if pkts[0] is too large, ...). An oversized packet later in the array stops
 * the batch before it. */
int shmq_send_batch(shmq *q, const shmq_iov *pkts, size_t n);

/** Zero-copy send: reserves a contiguous record for up to `len` bytes and points `*data` at
 * its payload in the shared region. Complete it with shmq_commit(); a reservation that is
 * not committed is abandoned by the next reserve or send. Errors as shmq_send(). */
int shmq_reserve(shmq *q, size_t len, void **data);

/** Commits the reserved record with its final length (<= the reserved length) and publishes
 * it, unless `flags` has SHMQ_MORE (then shmq_flush() or a later commit/send publishes).
 * YAMUX_EINVAL without a reservation or with a longer `len`. */
int shmq_commit(shmq *q, size_t len, unsigned flags);

/** Publishes every record committed with SHMQ_MORE (one index update) and wakes the peer. */
int shmq_flush(shmq *q);

/* ---- Receiving --------------------------------------------------------------------------- */

/** Copies the next packet into `buf` (`cap` bytes), sets `*len` and frees its space.
 * YAMUX_EAGAIN when empty; YAMUX_EMSGSIZE (packet kept, `*len` = its size) when `cap` is too
 * small; YAMUX_ECLOSED / YAMUX_EPEERDEAD once empty and the peer is gone. Releases any packets
 * held by shmq_peek() too. */
int shmq_recv(shmq *q, void *buf, size_t cap, size_t *len);

/** Receives up to `n` packets into `msgs` (each `cap` >= its packet, else the batch stops
 * there) and frees their space with one index update. Returns the number received (>= 1) or
 * a negative error as shmq_recv(). */
int shmq_recv_batch(shmq *q, shmq_msg *msgs, size_t n);

/** Zero-copy receive: points `*data` at the next packet in the shared region (after the ones
 * already peeked) and sets `*len`. The packet stays in the ring, and the pointer valid, until
 * shmq_release() (or a shmq_recv*). The producer may be hostile: copy a field before checking
 * it. Errors as shmq_recv(). */
int shmq_peek(shmq *q, const void **data, size_t *len);

/** Frees every packet returned by shmq_peek() so far (one index update), waking the peer if
 * it waits for space. */
void shmq_release(shmq *q);

/* ---- Waiting ----------------------------------------------------------------------------- */

/** Non-blocking readiness: returns the subset of `events` that is ready now (SHMQ_READABLE:
 * a packet can be received; SHMQ_WRITABLE: a packet of `write_len` bytes fits), 0 for none,
 * or a negative error when nothing is ready and the queue cannot become ready (YAMUX_ECLOSED,
 * YAMUX_EPEERDEAD, ...). */
int shmq_ready(shmq *q, unsigned events, size_t write_len);

/** Blocks until one of `events` is ready, spinning first for the configured time, then
 * sleeping on this side's doorbell (futex natively, memory.atomic.wait32 in wasm) in slices
 * that check the peer's liveness. Records committed with SHMQ_MORE are published before
 * sleeping. `timeout_ns` < 0 waits forever. Returns the ready events
 * (> 0) or YAMUX_ETIMEOUT, YAMUX_ECLOSED, YAMUX_EPEERDEAD, YAMUX_EPEERRESET, YAMUX_ECORRUPT. */
int shmq_wait(shmq *q, unsigned events, size_t write_len, int64_t timeout_ns);

/** Waits until a packet can be received: YAMUX_OK or an error as shmq_wait(). */
int shmq_wait_readable(shmq *q, int64_t timeout_ns);

/** Waits until a packet of `len` bytes can be sent: YAMUX_OK or an error as shmq_wait(). */
int shmq_wait_writable(shmq *q, size_t len, int64_t timeout_ns);

/** For an event loop that must not block: publishes pending records (SHMQ_MORE), announces
 * that this side waits for `events` and re-checks them. Returns 0 when armed: wait
 * (Atomics.waitAsync / futex / poll) on `w->word` while it equals `w->value`, at most
 * `w->timeout_ms`, then call shmq_disarm() and shmq_check_peer() and retry. Returns the ready
 * events (> 0, not armed) or an error. */
int shmq_arm(shmq *q, unsigned events, size_t write_len, shmq_waiter *w);

/** Withdraws the waiting announcement of shmq_arm() (harmless when not armed). */
void shmq_disarm(shmq *q);

/** Liveness check for event loops: bumps this side's heartbeat, then checks the peer
 * (generation, process id, heartbeat/index progress against its published timeout).
 * YAMUX_OK (alive, or not attached yet, or closed), YAMUX_EPEERDEAD or YAMUX_EPEERRESET. */
int shmq_check_peer(shmq *q);

/** Bumps this side's heartbeat word (for a side that computes long without waiting). */
void shmq_heartbeat(shmq *q);

#ifdef __cplusplus
}
#endif
#endif
