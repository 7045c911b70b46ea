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

int yamux_shm_new(yamux_shm **out, void *mem, size_t len, yamux_shmq_side side,
                  const yamux_shmq_options *qopts, int is_client, const yamux_config *cfg,
                  const yamux_callbacks *cb, void *user_data) {
    if (!out) return YAMUX_EINVAL;
    *out = NULL;
    yamux_shm *b = calloc(1, sizeof *b);
    if (!b) return YAMUX_ENOMEM;
    yamux_callbacks mine;
    int r = yx_fwd_init(&b->fwd, cb, user_data, &mine);
    if (r == YAMUX_OK && cfg) r = yamux_config_validate(cfg); /* before the peer sees us */
    if (r == YAMUX_OK) r = yx_shmq_init(&b->q, mem, len, side, qopts);
    if (r != YAMUX_OK) {
        free(b);
        return r;
    }
    b->mtu = yamux_shmq_get_mtu(&b->q);
    b->hold = malloc(b->mtu ? b->mtu : 1);
    if (!b->hold) {
        yamux_shmq_close(&b->q);
        free(b);
        return YAMUX_ENOMEM;
    }
    mine.on_ping = on_ping;
    r = yamux_session_new(&b->s, is_client, cfg, &mine, b);
    if (r != YAMUX_OK) {
        yamux_shmq_close(&b->q);
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
    yamux_shmq_close(&b->q);
    yamux_session_free(b->s);
    free(b->hold);
    free(b);
}

yamux_session *yamux_shm_get_session(const yamux_shm *b) {
    return b->s;
}

yamux_shmq *yamux_shm_get_queue(yamux_shm *b) {
    return &b->q;
}

void *yamux_shm_get_user_data(const yamux_shm *b) {
    return b->fwd.user_data;
}

/* ---- moving packets ---------------------------------------------------------------------- */

/* The two directions of the queue end independently. The receive ring ends only once drained
 * (the peer closed: end of input; or died, reset, corrupted the region): the session learns it
 * then. Sending may fail earlier (the peer closed or died with packets still on their way to
 * us): from then on output is dropped, nobody would read it, and input goes on. */
static void input_end(yamux_shm *b, int qerr) {
    b->in_ended = 1;
    b->out_closed = 1;
    if (qerr == YAMUX_ECLOSED)
        yamux_session_recv_eof(b->s);
    else
        yamux_session_abort(b->s, qerr); /* YAMUX_EPEERDEAD, YAMUX_ECORRUPT... */
}

static void output_end(yamux_shm *b, int qerr) {
    b->out_closed = 1;
    /* A region that can no longer be trusted, or our own close, ends input too. */
    if (qerr != YAMUX_ECLOSED && qerr != YAMUX_EPEERDEAD) input_end(b, qerr);
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
    while (!b->in_ended && !yamux_session_is_closed(b->s)) {
        const void *p;
        size_t len;
        int r = yamux_shmq_peek(&b->q, &p, &len);
        if (r == YAMUX_EAGAIN) break;
        if (r != YAMUX_OK) {
            if (peeked) yamux_shmq_consume(&b->q);
            peeked = 0;
            input_end(b, r);
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
    if (peeked) yamux_shmq_consume(&b->q);
    return moved;
}

/* Writes the session's output into the ring, a packet of up to the MTU at a time, published
 * with one index update; once output is closed, drops it. */
static size_t pump_out(yamux_shm *b) {
    size_t moved = 0;
    int committed = 0;
    b->out_blocked = 0;
    while (yamux_session_is_send_pending(b->s)) {
        if (b->out_closed) {
            yamux_iovec iov[16];
            size_t cnt = 16, n = yamux_session_send_iov(b->s, iov, &cnt, 0);
            if (n == 0) break;
            yamux_session_send_done(b->s, n);
            moved += n;
            continue;
        }
        void *p;
        int r = yamux_shmq_reserve(&b->q, b->mtu, &p);
        if (r == YAMUX_EAGAIN) {
            b->out_blocked = 1;
            break;
        }
        if (r != YAMUX_OK) {
            output_end(b, r);
            continue;
        }
        size_t n = yamux_session_send(b->s, p, b->mtu);
        if (n == 0) break; /* the reservation is abandoned by the next one */
        r = yamux_shmq_commit(&b->q, n, YAMUX_SHMQ_MORE);
        if (r != YAMUX_OK) { /* our close or a sticky error: the queue is over */
            output_end(b, r);
            continue;
        }
        committed = 1;
        moved += n;
    }
    if (committed && yamux_shmq_flush(&b->q) != YAMUX_OK) output_end(b, YAMUX_ECORRUPT);
    return moved;
}

ptrdiff_t yamux_shm_pump(yamux_shm *b, uint64_t now_ns) {
    if (b->running) return YAMUX_EINVAL; /* from a session callback */
    b->running = 1;
    /* The queue's liveness duty on the event-loop path: a peer found dead is reported by the
     * receive ring once drained (and the send side), below. */
    (void)yx_shmq_live(&b->q, yx_shmq_now_ns());
    yamux_session_tick(b->s, now_ns);
    size_t total = 0;
    uint64_t real0 = yamux_shm_now();
    for (int round = 0;; round++) {
        /* Input of a later round may answer output of an earlier one (a ping): its time is
         * the caller's `now_ns` plus what has passed since, not the pump's start. */
        if (round) yamux_session_tick(b->s, now_ns + (yamux_shm_now() - real0));
        size_t moved = pump_in(b);
        moved += pump_out(b);
        total += moved;
        if (moved == 0) break;
    }
    b->running = 0;
    if (yamux_session_is_closed(b->s) && (b->out_closed || !yamux_session_is_send_pending(b->s))) {
        yamux_shmq_close(&b->q); /* our last words are out: the peer sees the close after them */
        b->out_closed = b->in_ended = 1;
        if (total == 0) {
            int e = yamux_session_get_error(b->s);
            return e ? e : YAMUX_ESHUTDOWN;
        }
    }
    return (ptrdiff_t)total;
}

/* What a wait is for: input, and ring space for output that waits. While the session holds
 * input back (its answers wait for space), the ring's input is no news: only space is. */
static unsigned wait_events(const yamux_shm *b) {
    if (b->hold_len) return YAMUX_SHMQ_WRITABLE;
    return b->out_blocked ? YAMUX_SHMQ_READABLE | YAMUX_SHMQ_WRITABLE : YAMUX_SHMQ_READABLE;
}

/* Whether a poll would move something now. */
static int work_waits(const yamux_shm *b) {
    if (b->out_blocked && !b->out_closed) return 0;
    return b->hold_len || yamux_session_is_send_pending(b->s) ||
           yamux_session_get_next_deadline(b->s) <= yamux_shm_now();
}

static uint64_t deadline_of(yamux_shm *b, uint32_t check_ms) {
    uint64_t d = yamux_session_get_next_deadline(b->s);
    uint64_t check = yamux_shm_now() + (uint64_t)check_ms * 1000000ull;
    return check_ms && check < d ? check : d;
}

int yamux_shm_arm(yamux_shm *b, yamux_shmq_waiter *w, uint64_t *deadline_ns) {
    if (b->running) return YAMUX_EINVAL;
    if (b->in_ended && yamux_session_is_closed(b->s)) {
        int e = yamux_session_get_error(b->s);
        return e ? e : YAMUX_ESHUTDOWN;
    }
    if (work_waits(b)) return 1;
    int r = yamux_shmq_arm(&b->q, wait_events(b), b->mtu, w);
    if (r != 0) return 1; /* ready, or the queue is ending: a poll finds out which */
    *deadline_ns = deadline_of(b, w->timeout_ms);
    return 0;
}

void yamux_shm_disarm(yamux_shm *b) {
    yamux_shmq_disarm(&b->q);
}

ptrdiff_t yamux_shm_wait(yamux_shm *b, int64_t timeout_ns) {
    uint64_t start = yamux_shm_now();
    ptrdiff_t moved = yamux_shm_pump(b, start);
    if (moved != 0) return moved;
    uint64_t until = timeout_ns < 0 ? UINT64_MAX : start + (uint64_t)timeout_ns;
    uint64_t d = yamux_session_get_next_deadline(b->s);
    if (d < until) until = d;
    if (work_waits(b)) return 0; /* poll again at once */
    int64_t wait = until == UINT64_MAX ? -1 : (until > start ? (int64_t)(until - start) : 0);
    /* An error here (the peer closed, died...) is found by the poll: the receive ring is read
     * to its end first. */
    (void)yamux_shmq_wait(&b->q, wait_events(b), b->mtu, wait);
    return yamux_shm_pump(b, yamux_shm_now());
}
