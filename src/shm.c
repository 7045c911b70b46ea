/* yamux over shmq: see include/yamux/shm.h. */
#define _POSIX_C_SOURCE 200809L
#include "yamux/shm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif

#include "shm_internal.h"

uint64_t yamux_shm_now(void) {
#ifdef __EMSCRIPTEN__
    return (uint64_t)(emscripten_get_now() * 1e6);
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

/* ---- session callbacks ------------------------------------------------------------------- */

/* Records ping answers for yamux_block_ping(), then forwards them. */
static void on_ping(yamux_session *s, uint32_t opaque, int status, uint64_t rtt, void *ud) {
    yamux_shm *b = ud;
    yx_shm_ping_record(b, opaque, status, rtt);
    if (b->fwd.app.on_ping) b->fwd.app.on_ping(s, opaque, status, rtt, b->fwd.user_data);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

int yamux_shm_new(yamux_shm **out, void *mem, size_t len, shmq_side side, const shmq_options *qopts,
                  int is_client, const yamux_config *cfg, const yamux_callbacks *cb,
                  void *user_data) {
    if (!out) return YAMUX_EINVAL;
    *out = NULL;
    yamux_shm *b = calloc(1, sizeof *b);
    if (!b) return YAMUX_ENOMEM;
    int r = shmq_attach_ex(&b->q, mem, len, side, qopts);
    if (r != SHMQ_OK) {
        free(b);
        return r;
    }
    b->mtu = shmq_mtu(&b->q);
    b->hold = malloc(b->mtu ? b->mtu : 1);
    if (!b->hold) {
        shmq_close(&b->q);
        free(b);
        return YAMUX_ENOMEM;
    }
    if (cb) b->fwd.app = *cb;
    b->fwd.user_data = user_data;
    yamux_callbacks mine;
    yx_fwd_callbacks(&mine, &b->fwd);
    mine.on_ping = on_ping;
    r = yamux_session_new(&b->s, is_client, cfg, &mine, b);
    if (r != YAMUX_OK) {
        shmq_close(&b->q);
        free(b->hold);
        free(b);
        return r;
    }
    yamux_session_tick(b->s, yamux_shm_now());
    *out = b;
    return YAMUX_OK;
}

void yamux_shm_free(yamux_shm *b) {
    if (!b) return;
    shmq_close(&b->q);
    yamux_session_free(b->s);
    free(b->hold);
    free(b);
}

yamux_session *yamux_shm_session(const yamux_shm *b) {
    return b->s;
}

shmq *yamux_shm_queue(yamux_shm *b) {
    return &b->q;
}

void *yamux_shm_user_data(const yamux_shm *b) {
    return b->fwd.user_data;
}

/* ---- moving packets ---------------------------------------------------------------------- */

/* The queue ended under the session: the peer closed (EOF) or died / reset / corrupted. */
static void transport_end(yamux_shm *b, int qerr) {
    b->queue_dead = 1;
    if (qerr == SHMQ_ECLOSED)
        yamux_session_recv_eof(b->s);
    else
        yamux_session_abort(b->s, YAMUX_ETRANSPORT);
    b->qerr = qerr;
}

/* Feeds held bytes, then received packets, until the session stops taking them. */
static size_t pump_in(yamux_shm *b) {
    size_t moved = 0;
    if (b->hold_len) {
        ptrdiff_t n = yamux_session_recv(b->s, b->hold + b->hold_off, b->hold_len - b->hold_off);
        if (n < 0) {
            b->hold_len = b->hold_off = 0;
            return moved;
        }
        b->hold_off += (size_t)n;
        moved += (size_t)n;
        if (b->hold_off < b->hold_len) return moved; /* still busy */
        b->hold_len = b->hold_off = 0;
    }
    int peeked = 0;
    while (!b->queue_dead && !yamux_session_is_closed(b->s)) {
        const void *p;
        size_t len;
        int r = shmq_peek(&b->q, &p, &len);
        if (r == SHMQ_EAGAIN) break;
        if (r != SHMQ_OK) {
            if (peeked) shmq_release(&b->q);
            peeked = 0;
            transport_end(b, r);
            break;
        }
        peeked = 1;
        ptrdiff_t n = len ? yamux_session_recv(b->s, p, len) : 0;
        if (n < 0) break; /* the session ended on this input */
        moved += len;
        if ((size_t)n < len) {
            /* The session is busy answering: keep the rest and release the packet. */
            memcpy(b->hold, (const uint8_t *)p + n, len - (size_t)n);
            b->hold_len = len - (size_t)n;
            b->hold_off = 0;
            moved -= b->hold_len;
            break;
        }
    }
    if (peeked) shmq_release(&b->q);
    return moved;
}

/* Writes the session's output into the ring, a packet of up to the MTU at a time, published
 * with one index update. */
static size_t pump_out(yamux_shm *b) {
    size_t moved = 0;
    int committed = 0;
    b->out_blocked = 0;
    while (!b->queue_dead && yamux_session_want_send(b->s)) {
        void *p;
        int r = shmq_reserve(&b->q, b->mtu, &p);
        if (r == SHMQ_EAGAIN) {
            b->out_blocked = 1;
            break;
        }
        if (r != SHMQ_OK) {
            transport_end(b, r);
            break;
        }
        size_t n = yamux_session_send(b->s, p, b->mtu);
        if (n == 0) break; /* the reservation is abandoned by the next one */
        r = shmq_commit(&b->q, n, SHMQ_MORE);
        if (r != SHMQ_OK) { /* the session counted these bytes as written: the stream is torn */
            transport_end(b, r);
            break;
        }
        committed = 1;
        moved += n;
    }
    if (committed) shmq_flush(&b->q);
    return moved;
}

ptrdiff_t yamux_shm_poll(yamux_shm *b, uint64_t now_ns) {
    /* Callbacks run inside the session calls below; one that polls again must not reserve
     * ring space under the reservation being filled: the running loop does the work. */
    if (b->in_poll) return 0;
    b->in_poll = 1;
    yamux_session_tick(b->s, now_ns);
    size_t total = 0;
    for (;;) {
        size_t moved = pump_in(b);
        moved += pump_out(b);
        total += moved;
        if (moved == 0) break;
    }
    b->in_poll = 0;
    if (yamux_session_is_closed(b->s) && (b->queue_dead || !yamux_session_want_send(b->s))) {
        if (!b->queue_dead) {
            /* Our last words are out: the peer sees the queue closed after them. */
            shmq_close(&b->q);
            b->queue_dead = 1;
        }
        if (total == 0) {
            int e = yamux_session_error(b->s);
            return e ? e : YAMUX_ESHUTDOWN;
        }
    }
    return (ptrdiff_t)total;
}

/* What a wait is for: input, and ring space for output that waits. While the session holds
 * input back (its answers wait for space), the ring's input is no news: only space is. */
static unsigned wait_events(const yamux_shm *b) {
    if (b->hold_len) return SHMQ_WRITABLE;
    return b->out_blocked ? SHMQ_READABLE | SHMQ_WRITABLE : SHMQ_READABLE;
}

static uint64_t deadline_of(yamux_shm *b, uint32_t check_ms) {
    uint64_t d = yamux_session_next_deadline(b->s);
    uint64_t check = yamux_shm_now() + (uint64_t)check_ms * 1000000ull;
    return check_ms && check < d ? check : d;
}

int yamux_shm_arm(yamux_shm *b, shmq_waiter *w, uint64_t *deadline_ns) {
    if (b->queue_dead) {
        int e = yamux_session_error(b->s);
        return e ? e : YAMUX_ESHUTDOWN;
    }
    if (!b->out_blocked && (b->hold_len || yamux_session_want_send(b->s))) return 1;
    int r = shmq_arm(&b->q, wait_events(b), b->mtu, w);
    if (r > 0) return 1;
    if (r < 0) {
        transport_end(b, r);
        return 1; /* poll to deliver the end */
    }
    *deadline_ns = deadline_of(b, w->timeout_ms);
    return 0;
}

void yamux_shm_disarm(yamux_shm *b) {
    shmq_disarm(&b->q);
}

ptrdiff_t yamux_shm_wait(yamux_shm *b, int64_t timeout_ns) {
    uint64_t start = yamux_shm_now();
    ptrdiff_t moved = yamux_shm_poll(b, start);
    if (moved != 0) return moved;
    uint64_t until = timeout_ns < 0 ? UINT64_MAX : start + (uint64_t)timeout_ns;
    uint64_t d = yamux_session_next_deadline(b->s);
    if (d < until) until = d;
    if (b->hold_len && !b->out_blocked) return 0; /* it can take the input now: poll again */
    int64_t wait = until == UINT64_MAX ? -1 : (until > start ? (int64_t)(until - start) : 0);
    int r = shmq_wait(&b->q, wait_events(b), b->mtu, wait);
    if (r < 0 && r != SHMQ_ETIMEDOUT) transport_end(b, r);
    return yamux_shm_poll(b, yamux_shm_now());
}
