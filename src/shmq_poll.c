/* shmq readiness and waiting: non-blocking checks, spin-then-sleep waits on this side's
 * doorbell, and arm/disarm for event loops. See docs/shmq.md section 4.4. */
#include "shmq_internal.h"

#define NS_PER_MS  1000000
#define SPIN_CLOCK 16 /* ring checks (one pause each) between two reads of the clock */

int shmq_ready(shmq *q, unsigned events, size_t write_len) {
    if (!q || !q->base || !events || (events & ~(unsigned)(SHMQ_READABLE | SHMQ_WRITABLE)))
        return YAMUX_EINVAL;
    if ((events & SHMQ_WRITABLE) && write_len > q->mtu) return YAMUX_EMSGSIZE;
    int r = shmq__usable(q);
    if (r) return r;
    int mask = 0, err = 0;
    if (events & SHMQ_READABLE) {
        r = shmq__rx_probe(q);
        if (r > 0) mask |= SHMQ_READABLE;
        if (r < 0) err = r;
    }
    if (events & SHMQ_WRITABLE) {
        r = shmq__peer_sync(q);
        if (!r) r = q->peer_end;
        if (!r) r = shmq__tx_has_space(q, shmq__tx_need(q, (uint32_t)write_len));
        if (r > 0) mask |= SHMQ_WRITABLE;
        if (r < 0 && !err) err = r;
    }
    return mask ? mask : err;
}

/* How long one sleep may last: the liveness check interval, shortened so that this side's
 * heartbeat changes 4 times per its published timeout and the peer's is sampled twice. */
static int64_t slice_ns(const shmq *q) {
    uint32_t ms = q->check_ms;
    if (q->hb_timeout_ms && q->hb_timeout_ms / 4 < ms) ms = q->hb_timeout_ms / 4;
    if (q->peer_hb_timeout_ms && q->peer_hb_timeout_ms / 2 < ms) ms = q->peer_hb_timeout_ms / 2;
    if (ms == 0) ms = 1;
    return (int64_t)ms * NS_PER_MS;
}

/* Polls readiness for up to spin_ns (bounded by the deadline) with pause instructions. */
static int spin(shmq *q, unsigned events, size_t write_len, int64_t now, int64_t deadline) {
    int64_t end = now + (int64_t)q->spin_ns;
    if (end > deadline) end = deadline;
    do {
        for (int i = 0; i < SPIN_CLOCK; i++) {
            shmq__cpu_relax();
            int r = shmq_ready(q, events, write_len);
            if (r) return r;
        }
    } while (shmq__now_ns() < end);
    return 0;
}

/* Arms the doorbell, then re-checks (store bell; seq_cst fence; load indices and state): a
 * peer that published before seeing the bell is seen here. Disarms when something is ready. */
static int arm_and_check(shmq *q, unsigned events, size_t write_len) {
    STORE_RELAXED(q->own_bell_w, events);
    FENCE_SEQ_CST();
    int r = shmq_ready(q, events, write_len);
    if (r) STORE_RELAXED(q->own_bell_w, 0);
    return r;
}

int shmq_wait(shmq *q, unsigned events, size_t write_len, int64_t timeout_ns) {
    int r = shmq_ready(q, events, write_len);
    if (r) return r;
    shmq_flush(q); /* never sleep on records the peer cannot see */
    if (timeout_ns == 0) return YAMUX_ETIMEOUT;
    int64_t now = shmq__now_ns();
    int64_t deadline =
        timeout_ns < 0 || timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
    if (q->spin_ns) {
        r = spin(q, events, write_len, now, deadline);
        if (r) return r;
    }
    int64_t checked = shmq__now_ns();
    for (;;) {
        r = arm_and_check(q, events, write_len);
        if (r) return r;
        now = shmq__now_ns();
        int64_t slice = slice_ns(q);
        if (now - checked >= slice) { /* a full slice without progress: is the peer alive? */
            checked = now;
            r = shmq_check_peer(q);
        }
        if (!r && now >= deadline) r = YAMUX_ETIMEOUT;
        if (r) {
            STORE_RELAXED(q->own_bell_w, 0);
            return r;
        }
        int64_t sleep = checked + slice - now; /* until the next liveness check */
        if (sleep > deadline - now) sleep = deadline - now;
        shmq__futex_wait(q->own_bell_w, events, sleep);
    }
}

int shmq_wait_readable(shmq *q, int64_t timeout_ns) {
    int r = shmq_wait(q, SHMQ_READABLE, 0, timeout_ns);
    return r > 0 ? YAMUX_OK : r;
}

int shmq_wait_writable(shmq *q, size_t len, int64_t timeout_ns) {
    int r = shmq_wait(q, SHMQ_WRITABLE, len, timeout_ns);
    return r > 0 ? YAMUX_OK : r;
}

int shmq_arm(shmq *q, unsigned events, size_t write_len, shmq_waiter *w) {
    if (!w) return YAMUX_EINVAL;
    int r = shmq_ready(q, events, write_len); /* also validates the arguments */
    if (r) return r;
    shmq_flush(q);
    r = arm_and_check(q, events, write_len);
    if (r) return r;
    w->word = q->own_bell_w;
    w->offset = SHMQ_OFF_BELL(q->side);
    w->value = events;
    w->timeout_ms = (uint32_t)(slice_ns(q) / NS_PER_MS);
    return 0;
}

void shmq_disarm(shmq *q) {
    if (q && q->base) STORE_RELAXED(q->own_bell_w, 0);
}
