/* shmq internals shared by shmq.c (region, state, liveness), shmq_ring.c (data path),
 * shmq_poll.c (readiness, waits) and shmq_wait.c (platform wait/wake/clock). */
#ifndef YAMUX_SHMQ_INTERNAL_H
#define YAMUX_SHMQ_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "yamux/shmq.h"
#include "yamux/shmq_layout.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "shmq needs lock-free 32-bit atomics");
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "atomic words must be plain words");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "shmq layout version 1 is little-endian only"
#endif

/* Every shared word is accessed through these, never through a plain dereference. */
typedef _Atomic uint32_t shmq_word;
#define SW(p)               ((shmq_word *)(void *)(p))
#define LOAD_RELAXED(p)     atomic_load_explicit(SW(p), memory_order_relaxed)
#define LOAD_ACQUIRE(p)     atomic_load_explicit(SW(p), memory_order_acquire)
#define STORE_RELAXED(p, v) atomic_store_explicit(SW(p), (v), memory_order_relaxed)
#define STORE_RELEASE(p, v) atomic_store_explicit(SW(p), (v), memory_order_release)
#define FENCE_SEQ_CST()     atomic_thread_fence(memory_order_seq_cst)

/* One side's handle. */
struct yamux_shmq {
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
    uint32_t peer_pid_ns, own_pid_ns; /* pid checks only between equal, known namespaces */
    uint32_t live_hb, live_tail, live_head;
    int64_t live_ns;
    int64_t duty_ns; /* when this side last did its liveness duty (beat, check the peer) */
};

/* Attaches `q` (caller-allocated: yamux_shmq_new, or embedded in a binding): see
 * yamux_shmq_new(). On failure `q` is zeroed (every call then returns YAMUX_EINVAL). */
int yx_shmq_init(yamux_shmq *q, void *mem, size_t len, yamux_shmq_side side,
                 const yamux_shmq_options *o);

static inline uint32_t *yx_shmq_word(unsigned char *base, uint32_t off) {
    return (uint32_t *)(void *)(base + off);
}

/* Size of the record holding a payload of `len` bytes (len <= mtu, so no overflow). */
static inline uint32_t yx_shmq_rec_size(uint32_t len) {
    return (YAMUX_SHMQ_REC_HDR + len + (YAMUX_SHMQ_REC_ALIGN - 1)) & ~(YAMUX_SHMQ_REC_ALIGN - 1);
}

static inline void yx_shmq_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* ---- shmq_wait.c: platform ---- */

/* Sleeps while *word == expect, at most timeout_ns (>= 0). Returns after a wake-up, a value
 * change, a timeout or a signal: the caller re-checks its condition either way. */
void yx_shmq_futex_wait(uint32_t *word, uint32_t expect, int64_t timeout_ns);
/* Wakes every thread sleeping on `word` (in any process mapping it). */
void yx_shmq_futex_wake(uint32_t *word);
/* Monotonic clock in nanoseconds. */
int64_t yx_shmq_now_ns(void);
/* This process's id, or 0 where there is none (wasm). */
int32_t yx_shmq_self_pid(void);
/* 0 when process `pid` (> 0) certainly no longer exists, 1 otherwise. */
int yx_shmq_pid_alive(int32_t pid);
/* This process's pid namespace as a nonzero 32-bit id (Linux: the inode of
 * /proc/self/ns/pid), or 0 where it cannot be told. */
uint32_t yx_shmq_pid_ns(void);

/* ---- shmq.c: state and liveness ---- */

/* Records a sticky error (the first one wins) and returns it. */
int yx_shmq_fail(yamux_shmq *q, int err);
/* Handles a change of the peer's state word: latch, close, reset. 0 or a negative error. */
int yx_shmq_peer_changed(yamux_shmq *q, uint32_t st);

/* Synchronises with the peer's state word; cheap when it did not change. Sets q->peer_end
 * on close. Returns 0 or a sticky negative error (reset, corruption). */
static inline int yx_shmq_peer_sync(yamux_shmq *q) {
    uint32_t st = LOAD_ACQUIRE(q->peer_state_w);
    if (st == q->peer_state) return YAMUX_OK;
    return yx_shmq_peer_changed(q, st);
}

/* The first error that forbids using the queue at all (sticky, or this side closed). */
static inline int yx_shmq_usable(const yamux_shmq *q) {
    if (q->err) return q->err;
    if (q->closed) return YAMUX_ECLOSED;
    return YAMUX_OK;
}

/* After publishing an index: if the peer announced it sleeps for `bit`, clear its doorbell and
 * wake it. The fence orders our index store before the doorbell load (Dekker, see spec 4.4). */
static inline void yx_shmq_ring_bell(yamux_shmq *q, uint32_t bit) {
    FENCE_SEQ_CST();
    if ((LOAD_RELAXED(q->peer_bell_w) & bit) == 0) return;
    if (atomic_exchange_explicit(SW(q->peer_bell_w), 0, memory_order_acq_rel) != 0)
        yx_shmq_futex_wake(q->peer_bell_w);
}

/* ---- shmq_poll.c: liveness ---- */

/* How long a wait may sleep between two liveness duties (docs/shmq.md 4.6). */
int64_t yx_shmq_slice_ns(const yamux_shmq *q);
/* The liveness duty (beat, check the peer: yamux_shmq_check_peer()) when a slice has passed
 * since the last one, counted in real time across calls: waits, arms and the binding's pump
 * call it. Returns the check's result, or 0 when not due. */
int yx_shmq_live(yamux_shmq *q, int64_t now);

/* ---- shmq_ring.c: data path ---- */

/* Bytes of ring needed to append a payload of `len` bytes at the current tail. */
uint32_t yx_shmq_tx_need(const yamux_shmq *q, uint32_t len);
/* 1 when `need` bytes are free (re-reading the consumer's head if needed), 0 if not, or a
 * negative error. */
int yx_shmq_tx_has_space(yamux_shmq *q, uint32_t need);
/* 1 when a packet is ready to be received, 0 when the ring is empty and the peer may still
 * send, or a negative error (YAMUX_ECLOSED / YAMUX_EPEERDEAD when drained, corruption). */
int yx_shmq_rx_probe(yamux_shmq *q);

#endif
