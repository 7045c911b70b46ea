/* shmq readiness and waiting: non-blocking checks, spin-then-sleep waits on this side's
 * doorbell, and arm/disarm for event loops. See docs/shmq.md section 4.4. */
#include "shmq_internal.h"

#define NS_PER_MS  1000000
#define SPIN_CLOCK 16 /* ring checks (one pause each) between two reads of the clock */

int yamux_shmq_poll(yamux_shmq *q, unsigned events, size_t write_len) {
    if (!q || !q->base || !events ||
        (events & ~(unsigned)(YAMUX_SHMQ_READABLE | YAMUX_SHMQ_WRITABLE)))
        return YAMUX_EINVAL;
    if ((events & YAMUX_SHMQ_WRITABLE) && write_len > q->mtu) return YAMUX_EMSGSIZE;
    int r = yx_shmq_usable(q);
    if (r) return r;
    int mask = 0, err = 0;
    if (events & YAMUX_SHMQ_READABLE) {
        r = yx_shmq_rx_probe(q);
        if (r > 0) mask |= YAMUX_SHMQ_READABLE;
        if (r < 0) err = r;
    }
    if (events & YAMUX_SHMQ_WRITABLE) {
        r = yx_shmq_peer_sync(q);
        if (!r) r = q->peer_end;
        if (!r) r = yx_shmq_tx_has_space(q, yx_shmq_tx_need(q, (uint32_t)write_len));
        if (r > 0) mask |= YAMUX_SHMQ_WRITABLE;
        if (r < 0 && !err) err = r;
    }
    return mask ? mask : err;
}

/* How long one sleep may last: the liveness check interval, shortened so that this side's
 * heartbeat changes 4 times per its published timeout and the peer's is sampled twice. */
int64_t yx_shmq_slice_ns(const yamux_shmq *q) {
    uint32_t ms = q->check_ms;
    if (q->hb_timeout_ms && q->hb_timeout_ms / 4 < ms) ms = q->hb_timeout_ms / 4;
    if (q->peer_hb_timeout_ms && q->peer_hb_timeout_ms / 2 < ms) ms = q->peer_hb_timeout_ms / 2;
    if (ms == 0) ms = 1;
    return (int64_t)ms * NS_PER_MS;
}

int yx_shmq_live(yamux_shmq *q, int64_t now) {
    if (now - q->duty_ns < yx_shmq_slice_ns(q)) return YAMUX_OK;
    q->duty_ns = now;
    return yamux_shmq_check_peer(q);
}

/* Polls readiness for up to spin_ns (bounded by the deadline) with pause instructions. */
static int spin(yamux_shmq *q, unsigned events, size_t write_len, int64_t now, int64_t deadline) {
    int64_t end = now + (int64_t)q->spin_ns;
    if (end > deadline) end = deadline;
    do {
        for (int i = 0; i < SPIN_CLOCK; i++) {
            yx_shmq_cpu_relax();
            int r = yamux_shmq_poll(q, events, write_len);
            if (r) return r;
        }
    } while (yx_shmq_now_ns() < end);
    return 0;
}

/* Arms the doorbell, then re-checks (store bell; seq_cst fence; load indices and state): a
 * peer that published before seeing the bell is seen here. Disarms when something is ready. */
static int arm_and_check(yamux_shmq *q, unsigned events, size_t write_len) {
    STORE_RELAXED(q->own_bell_w, events);
    FENCE_SEQ_CST();
    int r = yamux_shmq_poll(q, events, write_len);
    if (r) STORE_RELAXED(q->own_bell_w, 0);
    return r;
}

int yamux_shmq_wait(yamux_shmq *q, unsigned events, size_t write_len, int64_t timeout_ns) {
    int r = yamux_shmq_poll(q, events, write_len);
    if (r) return r;
    yamux_shmq_flush(q); /* never sleep on records the peer cannot see */
    int64_t now = yx_shmq_now_ns();
    r = yx_shmq_live(q, now); /* however short the waits, the duty comes every slice */
    if (r) return r;
    if (timeout_ns == 0) return YAMUX_ETIMEOUT;
    int64_t deadline =
        timeout_ns < 0 || timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
    if (q->spin_ns) {
        r = spin(q, events, write_len, now, deadline);
        if (r) return r;
    }
    for (;;) {
        r = arm_and_check(q, events, write_len);
        if (r) return r;
        now = yx_shmq_now_ns();
        r = yx_shmq_live(q, now);
        if (!r && now >= deadline) r = YAMUX_ETIMEOUT;
        if (r) {
            STORE_RELAXED(q->own_bell_w, 0);
            return r;
        }
        int64_t sleep = q->duty_ns + yx_shmq_slice_ns(q) - now; /* until the next duty */
        if (sleep > deadline - now) sleep = deadline - now;
        yx_shmq_futex_wait(q->own_bell_w, events, sleep);
    }
}

int yamux_shmq_wait_readable(yamux_shmq *q, int64_t timeout_ns) {
    int r = yamux_shmq_wait(q, YAMUX_SHMQ_READABLE, 0, timeout_ns);
    return r > 0 ? YAMUX_OK : r;
}

int yamux_shmq_wait_writable(yamux_shmq *q, size_t len, int64_t timeout_ns) {
    int r = yamux_shmq_wait(q, YAMUX_SHMQ_WRITABLE, len, timeout_ns);
    return r > 0 ? YAMUX_OK : r;
}

int yamux_shmq_arm(yamux_shmq *q, unsigned events, size_t write_len, yamux_shmq_waiter *w) {
    if (!w) return YAMUX_EINVAL;
    int r = yamux_shmq_poll(q, events, write_len); /* also validates the arguments */
    if (r) return r;
    r = yx_shmq_live(q, yx_shmq_now_ns()); /* an event loop's liveness duty, when due */
    if (r) return r;
    yamux_shmq_flush(q);
    r = arm_and_check(q, events, write_len);
    if (r) return r;
    w->word = q->own_bell_w;
    w->offset = YAMUX_SHMQ_OFF_BELL(q->side);
    w->value = events;
    w->timeout_ms = (uint32_t)(yx_shmq_slice_ns(q) / NS_PER_MS);
    return 0;
}

void yamux_shmq_disarm(yamux_shmq *q) {
    if (q && q->base) STORE_RELAXED(q->own_bell_w, 0);
}
