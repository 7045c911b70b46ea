/* shmq region: format, attach, close, the peer's state and liveness, error strings.
 * See include/yamux/shmq.h and docs/shmq.md. */
#include <string.h>

#include "shmq_internal.h"

#define NS_PER_MS 1000000

static int is_pow2(size_t x) {
    return x && (x & (x - 1)) == 0;
}

static int params_valid(size_t ring_bytes, size_t mtu) {
    return is_pow2(ring_bytes) && ring_bytes >= SHMQ_RING_MIN && ring_bytes <= SHMQ_RING_MAX &&
           mtu >= 1 && mtu <= ring_bytes / 2 - SHMQ_REC_HDR;
}

size_t shmq_region_size(size_t ring_bytes, size_t mtu) {
    if (!params_valid(ring_bytes, mtu)) return 0;
    return SHMQ_DATA_OFFSET + 2 * ring_bytes;
}

int shmq_format(void *mem, size_t len, size_t ring_bytes, size_t mtu) {
    size_t total = shmq_region_size(ring_bytes, mtu);
    if (!mem || ((uintptr_t)mem & 7) || total == 0 || len < total) return YAMUX_EINVAL;
    unsigned char *base = mem;
    memset(base, 0, total);
    STORE_RELAXED(shmq__word(base, SHMQ_OFF_VERSION), SHMQ_LAYOUT_VERSION);
    STORE_RELAXED(shmq__word(base, SHMQ_OFF_DATA_OFFSET), SHMQ_DATA_OFFSET);
    STORE_RELAXED(shmq__word(base, SHMQ_OFF_TOTAL_SIZE), (uint32_t)total);
    STORE_RELAXED(shmq__word(base, SHMQ_OFF_RING_BYTES), (uint32_t)ring_bytes);
    STORE_RELAXED(shmq__word(base, SHMQ_OFF_MTU), (uint32_t)mtu);
    STORE_RELAXED(shmq__word(base, SHMQ_OFF_FLAGS), 0);
    STORE_RELEASE(shmq__word(base, SHMQ_OFF_MAGIC), SHMQ_MAGIC);
    return YAMUX_OK;
}

void shmq_options_init(shmq_options *o) {
    o->spin_ns = SHMQ_DEFAULT_SPIN_NS;
    o->hb_timeout_ms = 0;
    o->check_interval_ms = SHMQ_DEFAULT_CHECK_MS;
    o->pid = 0;
}

/* Reads and checks the header; fills q->base, ring_bytes, mtu. */
static int read_header(shmq *q, unsigned char *base, size_t len) {
    if (LOAD_ACQUIRE(shmq__word(base, SHMQ_OFF_MAGIC)) != SHMQ_MAGIC) return YAMUX_EBADMAGIC;
    if (LOAD_RELAXED(shmq__word(base, SHMQ_OFF_VERSION)) != SHMQ_LAYOUT_VERSION ||
        LOAD_RELAXED(shmq__word(base, SHMQ_OFF_FLAGS)) != 0)
        return YAMUX_EVERSION;
    uint32_t data_off = LOAD_RELAXED(shmq__word(base, SHMQ_OFF_DATA_OFFSET));
    uint32_t total = LOAD_RELAXED(shmq__word(base, SHMQ_OFF_TOTAL_SIZE));
    uint32_t ring = LOAD_RELAXED(shmq__word(base, SHMQ_OFF_RING_BYTES));
    uint32_t mtu = LOAD_RELAXED(shmq__word(base, SHMQ_OFF_MTU));
    if (data_off != SHMQ_DATA_OFFSET || !params_valid(ring, mtu) ||
        total != SHMQ_DATA_OFFSET + 2 * (size_t)ring || total > len)
        return YAMUX_ECORRUPT;
    q->base = base;
    q->ring_bytes = ring;
    q->mtu = mtu;
    return YAMUX_OK;
}

/* Takes over this side's indices from the region (validated against the peer's). */
static int take_indices(shmq *q, int reattach) {
    uint32_t ring = q->ring_bytes;
    uint32_t tail = LOAD_RELAXED(q->tx_tail_w), head = LOAD_ACQUIRE(q->tx_head_w);
    if ((tail | head) % SHMQ_REC_ALIGN || tail - head > ring) return YAMUX_ECORRUPT;
    q->tx_tail = q->tx_tail_pub = tail;
    q->tx_head = head;

    uint32_t rhead = LOAD_RELAXED(q->rx_head_w), rtail = LOAD_ACQUIRE(q->rx_tail_w);
    if ((rtail | rhead) % SHMQ_REC_ALIGN || rtail - rhead > ring) return YAMUX_ECORRUPT;
    if (reattach) { /* what is pending belongs to the conversation this side forgot */
        rhead = rtail;
        STORE_RELEASE(q->rx_head_w, rhead);
    }
    q->rx_cursor = q->rx_head_pub = q->rx_tail = rhead;
    return YAMUX_OK;
}

/* Everything of shmq_attach_ex() after the argument checks. */
static int attach(shmq *q, unsigned char *mem, size_t len, shmq_side side, const shmq_options *o) {
    int r = read_header(q, mem, len);
    if (r) return r;
    unsigned char *b = q->base;
    unsigned s = (unsigned)side, p = 1u - s; /* we send on ring s, receive on ring p */
    q->side = (int)side;
    q->spin_ns = o->spin_ns;
    q->check_ms = o->check_interval_ms ? o->check_interval_ms : SHMQ_DEFAULT_CHECK_MS;
    q->hb_timeout_ms = o->hb_timeout_ms;
    q->tx_data = b + SHMQ_OFF_DATA(s, q->ring_bytes);
    q->tx_tail_w = shmq__word(b, SHMQ_OFF_TAIL(s));
    q->tx_head_w = shmq__word(b, SHMQ_OFF_HEAD(s));
    q->rx_data = b + SHMQ_OFF_DATA(p, q->ring_bytes);
    q->rx_tail_w = shmq__word(b, SHMQ_OFF_TAIL(p));
    q->rx_head_w = shmq__word(b, SHMQ_OFF_HEAD(p));
    q->own_state_w = shmq__word(b, SHMQ_OFF_CTRL(s) + SHMQ_CTRL_STATE);
    q->own_hb_w = shmq__word(b, SHMQ_OFF_CTRL(s) + SHMQ_CTRL_HEARTBEAT);
    q->own_bell_w = shmq__word(b, SHMQ_OFF_BELL(s));
    q->peer_state_w = shmq__word(b, SHMQ_OFF_CTRL(p) + SHMQ_CTRL_STATE);
    q->peer_hb_w = shmq__word(b, SHMQ_OFF_CTRL(p) + SHMQ_CTRL_HEARTBEAT);
    q->peer_bell_w = shmq__word(b, SHMQ_OFF_BELL(p));

    uint32_t old_gen = LOAD_RELAXED(q->own_state_w) >> SHMQ_STATE_GEN_SHIFT;
    r = take_indices(q, old_gen != 0);
    if (r) return r;

    int32_t pid = o->pid > 0 ? o->pid : o->pid == 0 ? shmq__self_pid() : 0;
    uint32_t gen = (old_gen + 1) & 0x7FFFFFFFu;
    if (gen == 0) gen = 1;
    q->own_hb = LOAD_RELAXED(q->own_hb_w) + 1;
    q->own_state = gen << SHMQ_STATE_GEN_SHIFT;
    STORE_RELAXED(q->own_bell_w, 0);
    STORE_RELAXED(shmq__word(b, SHMQ_OFF_CTRL(s) + SHMQ_CTRL_PID), (uint32_t)pid);
    STORE_RELAXED(shmq__word(b, SHMQ_OFF_CTRL(s) + SHMQ_CTRL_HB_TIMEOUT), o->hb_timeout_ms);
    STORE_RELAXED(q->own_hb_w, q->own_hb);
    STORE_RELEASE(q->own_state_w, q->own_state);
    return shmq__peer_sync(q);
}

int shmq_attach(shmq *q, void *mem, size_t len, shmq_side side) {
    return shmq_attach_ex(q, mem, len, side, NULL);
}

int shmq_attach_ex(shmq *q, void *mem, size_t len, shmq_side side, const shmq_options *o) {
    if (!q || !mem || ((uintptr_t)mem & 7) || len < SHMQ_DATA_OFFSET ||
        (side != SHMQ_SIDE_A && side != SHMQ_SIDE_B))
        return YAMUX_EINVAL;
    shmq_options def;
    if (!o) {
        shmq_options_init(&def);
        o = &def;
    }
    memset(q, 0, sizeof *q);
    int r = attach(q, mem, len, side, o);
    if (r) memset(q, 0, sizeof *q); /* unusable: every call returns YAMUX_EINVAL */
    return r;
}

int shmq_close(shmq *q) {
    if (!q || !q->base) return YAMUX_EINVAL;
    if (q->closed) return YAMUX_OK;
    if (!q->err) shmq_flush(q);
    q->closed = 1;
    q->own_state |= SHMQ_STATE_CLOSED;
    STORE_RELEASE(q->own_state_w, q->own_state);
    STORE_RELAXED(q->own_bell_w, 0);
    FENCE_SEQ_CST();
    if (atomic_exchange_explicit(SW(q->peer_bell_w), 0, memory_order_acq_rel) != 0)
        shmq__futex_wake(q->peer_bell_w);
    return YAMUX_OK;
}

size_t shmq_mtu(const shmq *q) {
    return q->mtu;
}

void shmq_set_spin(shmq *q, uint32_t spin_ns) {
    q->spin_ns = spin_ns;
}

int shmq__fail(shmq *q, int err) {
    if (!q->err) q->err = err;
    return q->err;
}

/* Samples everything that moves while the peer lives. */
static void live_sample(shmq *q, int64_t now) {
    q->live_hb = LOAD_RELAXED(q->peer_hb_w);
    q->live_tail = LOAD_RELAXED(q->rx_tail_w);
    q->live_head = LOAD_RELAXED(q->tx_head_w);
    q->live_ns = now;
}

int shmq__peer_changed(shmq *q, uint32_t st) {
    if (q->err) return q->err;
    uint32_t gen = st >> SHMQ_STATE_GEN_SHIFT;
    if (gen == 0) return shmq__fail(q, YAMUX_ECORRUPT); /* "closed" before ever attaching */
    if (q->peer_gen == 0) { /* first sight: latch what the peer published before its state */
        unsigned char *ctrl = q->base + SHMQ_OFF_CTRL(1 - q->side);
        q->peer_gen = gen;
        q->peer_pid = (int32_t)LOAD_RELAXED(shmq__word(ctrl, SHMQ_CTRL_PID));
        q->peer_hb_timeout_ms = LOAD_RELAXED(shmq__word(ctrl, SHMQ_CTRL_HB_TIMEOUT));
        live_sample(q, shmq__now_ns());
    } else if (gen != q->peer_gen) {
        return shmq__fail(q, YAMUX_EPEERRESET);
    }
    q->peer_state = st;
    if ((st & SHMQ_STATE_CLOSED) && !q->peer_end) q->peer_end = YAMUX_ECLOSED;
    return YAMUX_OK;
}

void shmq_heartbeat(shmq *q) {
    if (!q->base || q->closed) return;
    STORE_RELAXED(q->own_hb_w, ++q->own_hb);
}

int shmq_check_peer(shmq *q) {
    if (!q->base) return YAMUX_EINVAL;
    shmq_heartbeat(q);
    int r = shmq__peer_sync(q);
    if (r) return r;
    if (q->err) return q->err;
    if (q->peer_end) return q->peer_end == YAMUX_EPEERDEAD ? YAMUX_EPEERDEAD : YAMUX_OK;
    if (q->peer_gen == 0) return YAMUX_OK; /* not attached yet */
    if (q->peer_pid > 0 && !shmq__pid_alive(q->peer_pid)) {
        q->peer_end = YAMUX_EPEERDEAD;
        return YAMUX_EPEERDEAD;
    }
    int64_t now = shmq__now_ns();
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
