/* shmq region: format, attach, close, the peer's state and liveness, error strings.
 * See include/yamux/shmq.h and docs/shmq.md. */
#include <stdlib.h>
#include <string.h>

#include "shmq_internal.h"
#include "sized.h"

#define NS_PER_MS 1000000

static int is_pow2(size_t x) {
    return x && (x & (x - 1)) == 0;
}

static int params_valid(size_t ring_bytes, size_t mtu) {
    return is_pow2(ring_bytes) && ring_bytes >= YAMUX_SHMQ_RING_MIN &&
           ring_bytes <= YAMUX_SHMQ_RING_MAX && mtu >= 1 &&
           mtu <= ring_bytes / 2 - YAMUX_SHMQ_REC_HDR;
}

size_t yamux_shmq_region_size(size_t ring_bytes, size_t mtu) {
    if (!params_valid(ring_bytes, mtu)) return 0;
    return YAMUX_SHMQ_DATA_OFFSET + 2 * ring_bytes;
}

int yamux_shmq_format(void *mem, size_t len, size_t ring_bytes, size_t mtu) {
    size_t total = yamux_shmq_region_size(ring_bytes, mtu);
    if (!mem || ((uintptr_t)mem & 7) || total == 0 || len < total) return YAMUX_EINVAL;
    unsigned char *base = mem;
    memset(base, 0, total);
    STORE_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_VERSION), YAMUX_SHMQ_LAYOUT_VERSION);
    STORE_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_DATA_OFFSET), YAMUX_SHMQ_DATA_OFFSET);
    STORE_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_TOTAL_SIZE), (uint32_t)total);
    STORE_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_RING_BYTES), (uint32_t)ring_bytes);
    STORE_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_MTU), (uint32_t)mtu);
    STORE_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_FLAGS), 0);
    STORE_RELEASE(yx_shmq_word(base, YAMUX_SHMQ_OFF_MAGIC), YAMUX_SHMQ_MAGIC);
    return YAMUX_OK;
}

void yamux_shmq_options_init_size(yamux_shmq_options *o, size_t size) {
    yamux_shmq_options d;
    d.size = size;
    d.spin_ns = YAMUX_SHMQ_DEFAULT_SPIN_NS;
    d.hb_timeout_ms = 0;
    d.check_interval_ms = YAMUX_SHMQ_DEFAULT_CHECK_MS;
    d.pid = 0;
    yx_sized_init(o, size, &d, sizeof d);
}

/* Reads and checks the header; fills q->base, ring_bytes, mtu. */
static int read_header(yamux_shmq *q, unsigned char *base, size_t len) {
    if (LOAD_ACQUIRE(yx_shmq_word(base, YAMUX_SHMQ_OFF_MAGIC)) != YAMUX_SHMQ_MAGIC)
        return YAMUX_EBADMAGIC;
    if (LOAD_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_VERSION)) != YAMUX_SHMQ_LAYOUT_VERSION ||
        LOAD_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_FLAGS)) != 0)
        return YAMUX_EVERSION;
    uint32_t data_off = LOAD_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_DATA_OFFSET));
    uint32_t total = LOAD_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_TOTAL_SIZE));
    uint32_t ring = LOAD_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_RING_BYTES));
    uint32_t mtu = LOAD_RELAXED(yx_shmq_word(base, YAMUX_SHMQ_OFF_MTU));
    if (data_off != YAMUX_SHMQ_DATA_OFFSET || !params_valid(ring, mtu) ||
        total != YAMUX_SHMQ_DATA_OFFSET + 2 * (size_t)ring || total > len)
        return YAMUX_ECORRUPT;
    q->base = base;
    q->ring_bytes = ring;
    q->mtu = mtu;
    return YAMUX_OK;
}

/* Takes over this side's indices from the region (validated against the peer's). */
static int take_indices(yamux_shmq *q, int reattach) {
    uint32_t ring = q->ring_bytes;
    uint32_t tail = LOAD_RELAXED(q->tx_tail_w), head = LOAD_ACQUIRE(q->tx_head_w);
    if ((tail | head) % YAMUX_SHMQ_REC_ALIGN || tail - head > ring) return YAMUX_ECORRUPT;
    q->tx_tail = q->tx_tail_pub = tail;
    q->tx_head = head;

    uint32_t rhead = LOAD_RELAXED(q->rx_head_w), rtail = LOAD_ACQUIRE(q->rx_tail_w);
    if ((rtail | rhead) % YAMUX_SHMQ_REC_ALIGN || rtail - rhead > ring) return YAMUX_ECORRUPT;
    if (reattach) { /* what is pending belongs to the conversation this side forgot */
        rhead = rtail;
        STORE_RELEASE(q->rx_head_w, rhead);
    }
    q->rx_cursor = q->rx_head_pub = q->rx_tail = rhead;
    return YAMUX_OK;
}

/* Wakes the peer if it sleeps: clears its doorbell, then notifies (after a seq_cst fence that
 * orders our stores of state or indices before the load of the bell). */
static void ring_peer(yamux_shmq *q) {
    FENCE_SEQ_CST();
    if (atomic_exchange_explicit(SW(q->peer_bell_w), 0, memory_order_acq_rel) != 0)
        yx_shmq_futex_wake(q->peer_bell_w);
}

/* Marks this side closed (its state's bit 0) and wakes the peer. */
static void mark_closed(yamux_shmq *q) {
    q->closed = 1;
    q->own_state |= YAMUX_SHMQ_STATE_CLOSED;
    STORE_RELEASE(q->own_state_w, q->own_state);
    STORE_RELAXED(q->own_bell_w, 0);
    ring_peer(q);
}

/* Everything of yamux_shmq_new() after the argument checks. */
static int attach(yamux_shmq *q, unsigned char *mem, size_t len, yamux_shmq_side side,
                  const yamux_shmq_options *o) {
    int r = read_header(q, mem, len);
    if (r) return r;
    unsigned char *b = q->base;
    unsigned s = (unsigned)side, p = 1u - s; /* we send on ring s, receive on ring p */
    q->side = (int)side;
    q->spin_ns = o->spin_ns;
    q->check_ms = o->check_interval_ms ? o->check_interval_ms : YAMUX_SHMQ_DEFAULT_CHECK_MS;
    q->hb_timeout_ms = o->hb_timeout_ms;
    q->tx_data = b + YAMUX_SHMQ_OFF_DATA(s, q->ring_bytes);
    q->tx_tail_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_TAIL(s));
    q->tx_head_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_HEAD(s));
    q->rx_data = b + YAMUX_SHMQ_OFF_DATA(p, q->ring_bytes);
    q->rx_tail_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_TAIL(p));
    q->rx_head_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_HEAD(p));
    q->own_state_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_CTRL(s) + YAMUX_SHMQ_CTRL_STATE);
    q->own_hb_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_CTRL(s) + YAMUX_SHMQ_CTRL_HEARTBEAT);
    q->own_bell_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_BELL(s));
    q->peer_state_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_CTRL(p) + YAMUX_SHMQ_CTRL_STATE);
    q->peer_hb_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_CTRL(p) + YAMUX_SHMQ_CTRL_HEARTBEAT);
    q->peer_bell_w = yx_shmq_word(b, YAMUX_SHMQ_OFF_BELL(p));

    uint32_t old_gen = LOAD_RELAXED(q->own_state_w) >> YAMUX_SHMQ_STATE_GEN_SHIFT;
    r = take_indices(q, old_gen != 0);
    if (r) return r;

    int32_t pid = o->pid > 0 ? o->pid : o->pid == 0 ? yx_shmq_self_pid() : 0;
    q->own_pid_ns = yx_shmq_pid_ns();
    uint32_t gen = (old_gen + 1) & 0x7FFFFFFFu;
    if (gen == 0) gen = 1;
    q->own_hb = LOAD_RELAXED(q->own_hb_w) + 1;
    q->own_state = gen << YAMUX_SHMQ_STATE_GEN_SHIFT;
    STORE_RELAXED(q->own_bell_w, 0);
    STORE_RELAXED(yx_shmq_word(b, YAMUX_SHMQ_OFF_CTRL(s) + YAMUX_SHMQ_CTRL_PID), (uint32_t)pid);
    STORE_RELAXED(yx_shmq_word(b, YAMUX_SHMQ_OFF_CTRL(s) + YAMUX_SHMQ_CTRL_PID_NS),
                  pid > 0 ? q->own_pid_ns : 0);
    STORE_RELAXED(yx_shmq_word(b, YAMUX_SHMQ_OFF_CTRL(s) + YAMUX_SHMQ_CTRL_HB_TIMEOUT),
                  o->hb_timeout_ms);
    STORE_RELAXED(q->own_hb_w, q->own_hb);
    STORE_RELEASE(q->own_state_w, q->own_state);
    q->duty_ns = yx_shmq_now_ns();
    ring_peer(q); /* a waiting peer re-checks at once: it sees a restart without delay */
    return yx_shmq_peer_sync(q);
}

int yx_shmq_init(yamux_shmq *q, void *mem, size_t len, yamux_shmq_side side,
                 const yamux_shmq_options *opts) {
    if (!q) return YAMUX_EINVAL;
    memset(q, 0, sizeof *q);
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    if (!mem || ((uintptr_t)mem & 7) || len < YAMUX_SHMQ_DATA_OFFSET ||
        (side != YAMUX_SHMQ_SIDE_A && side != YAMUX_SHMQ_SIDE_B) ||
        (opts && yx_sized_copy(&o, sizeof o, opts, sizeof(uint32_t) * 4) != YAMUX_OK))
        return YAMUX_EINVAL;
    int r = attach(q, mem, len, side, &o);
    if (r) memset(q, 0, sizeof *q); /* unusable: every call returns YAMUX_EINVAL */
    return r;
}

int yamux_shmq_new(yamux_shmq **out, void *mem, size_t len, yamux_shmq_side side,
                   const yamux_shmq_options *o) {
    if (!out) return YAMUX_EINVAL;
    *out = NULL;
    yamux_shmq *q = malloc(sizeof *q);
    if (!q) return YAMUX_ENOMEM;
    int r = yx_shmq_init(q, mem, len, side, o);
    if (r) {
        free(q);
        return r;
    }
    *out = q;
    return YAMUX_OK;
}

void yamux_shmq_free(yamux_shmq *q) {
    if (!q) return;
    yamux_shmq_close(q);
    free(q);
}

int yamux_shmq_close(yamux_shmq *q) {
    if (!q || !q->base) return YAMUX_EINVAL;
    if (q->closed) return YAMUX_OK;
    if (!q->err) yamux_shmq_flush(q);
    mark_closed(q);
    return YAMUX_OK;
}

size_t yamux_shmq_get_mtu(const yamux_shmq *q) {
    return q->mtu;
}

void yamux_shmq_set_spin(yamux_shmq *q, uint32_t spin_ns) {
    q->spin_ns = spin_ns;
}

int yx_shmq_fail(yamux_shmq *q, int err) {
    if (!q->err) q->err = err;
    return q->err;
}

/* Samples everything that moves while the peer lives. */
static void live_sample(yamux_shmq *q, int64_t now) {
    q->live_hb = LOAD_RELAXED(q->peer_hb_w);
    q->live_tail = LOAD_RELAXED(q->rx_tail_w);
    q->live_head = LOAD_RELAXED(q->tx_head_w);
    q->live_ns = now;
}

int yx_shmq_peer_changed(yamux_shmq *q, uint32_t st) {
    if (q->err) return q->err;
    uint32_t gen = st >> YAMUX_SHMQ_STATE_GEN_SHIFT;
    if (gen == 0) return yx_shmq_fail(q, YAMUX_ECORRUPT); /* "closed" before ever attaching */
    if (q->peer_gen == 0) { /* first sight: latch what the peer published before its state */
        unsigned char *ctrl = q->base + YAMUX_SHMQ_OFF_CTRL(1 - q->side);
        q->peer_gen = gen;
        q->peer_pid = (int32_t)LOAD_RELAXED(yx_shmq_word(ctrl, YAMUX_SHMQ_CTRL_PID));
        q->peer_pid_ns = LOAD_RELAXED(yx_shmq_word(ctrl, YAMUX_SHMQ_CTRL_PID_NS));
        q->peer_hb_timeout_ms = LOAD_RELAXED(yx_shmq_word(ctrl, YAMUX_SHMQ_CTRL_HB_TIMEOUT));
        live_sample(q, yx_shmq_now_ns());
    } else if (gen != q->peer_gen) {
        /* The peer restarted: the conversation is over. Closing our side is how the new
         * incarnation learns it (it reads our close once it looks; spec 4.1). */
        int r = yx_shmq_fail(q, YAMUX_EPEERRESET);
        if (!q->closed) mark_closed(q);
        return r;
    }
    q->peer_state = st;
    if ((st & YAMUX_SHMQ_STATE_CLOSED) && !q->peer_end) q->peer_end = YAMUX_ECLOSED;
    return YAMUX_OK;
}

void yamux_shmq_heartbeat(yamux_shmq *q) {
    if (!q->base || q->closed) return;
    STORE_RELAXED(q->own_hb_w, ++q->own_hb);
}

int yamux_shmq_check_peer(yamux_shmq *q) {
    if (!q->base) return YAMUX_EINVAL;
    yamux_shmq_heartbeat(q);
    int r = yx_shmq_peer_sync(q);
    if (r) return r;
    if (q->err) return q->err;
    if (q->peer_end) return q->peer_end == YAMUX_EPEERDEAD ? YAMUX_EPEERDEAD : YAMUX_OK;
    if (q->peer_gen == 0) return YAMUX_OK; /* not attached yet */
    /* A process id tells death only within one pid namespace; it never proves life (a zombie,
     * a reused pid): the heartbeat decides then. */
    if (q->peer_pid > 0 && q->peer_pid_ns && q->peer_pid_ns == q->own_pid_ns &&
        !yx_shmq_pid_alive(q->peer_pid)) {
        q->peer_end = YAMUX_EPEERDEAD;
        return YAMUX_EPEERDEAD;
    }
    int64_t now = yx_shmq_now_ns();
    if (LOAD_RELAXED(q->peer_hb_w) != q->live_hb || LOAD_RELAXED(q->rx_tail_w) != q->live_tail ||
        LOAD_RELAXED(q->tx_head_w) != q->live_head) {
        live_sample(q, now);
    } else if (q->peer_hb_timeout_ms &&
               now - q->live_ns > (int64_t)q->peer_hb_timeout_ms * NS_PER_MS) {
        q->peer_end = YAMUX_EPEERDEAD;
        return YAMUX_EPEERDEAD;
    }
    return YAMUX_OK;
}
