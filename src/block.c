/* Blocking stream calls over a yamux_shm session: see include/yamux/block.h. */
#include "yamux/block.h"

#include "shm_internal.h"

static uint64_t deadline_after(int64_t timeout_ns) {
    return timeout_ns < 0 ? UINT64_MAX : yamux_shm_now() + (uint64_t)timeout_ns;
}

/* The session's end as an error for a call that cannot complete. */
static int session_err(const yamux_shm *b) {
    int e = yamux_session_get_error(b->s);
    return e ? e : YAMUX_ESHUTDOWN;
}

/* Serves the session once, sleeping at most until `deadline`. Returns 0, YAMUX_ETIMEOUT once
 * the deadline has passed, or the session's error once it has ended. */
static int serve(yamux_shm *b, uint64_t deadline) {
    uint64_t now = yamux_shm_now();
    ptrdiff_t r;
    if (now >= deadline) {
        r = yamux_shm_pump(b, now);
        return r < 0 ? (int)r : YAMUX_ETIMEOUT;
    }
    r = yamux_shm_wait(b, deadline == UINT64_MAX ? -1 : (int64_t)(deadline - now));
    return r < 0 ? (int)r : 0;
}

/* Pushes what the session has to say (window updates after a read, data after a write). */
static void push(yamux_shm *b) {
    if (yamux_session_is_send_pending(b->s)) yamux_shm_pump(b, yamux_shm_now());
}

void yx_shm_ping_record(yamux_shm *b, uint32_t opaque, int status, uint64_t rtt) {
    for (int i = 0; i < YX_SHM_PINGS; i++) {
        yx_shm_ping *p = &b->pings[i];
        if (p->status == 1 && p->opaque == opaque) {
            p->status = status;
            p->rtt = rtt;
            return;
        }
    }
}

yamux_stream *yamux_block_accept(yamux_shm *b, int64_t timeout_ns, int *err) {
    uint64_t deadline = deadline_after(timeout_ns);
    for (;;) {
        yamux_stream *st = yamux_session_accept(b->s);
        if (st) {
            push(b);
            return st;
        }
        int e = yamux_session_is_closed(b->s) ? session_err(b) : serve(b, deadline);
        if (e) {
            if (err) *err = e;
            return NULL;
        }
    }
}

int yamux_block_open(yamux_shm *b, yamux_stream **out) {
    int r = yamux_session_open(b->s, out);
    if (r == YAMUX_OK) push(b);
    return r;
}

ptrdiff_t yamux_block_read(yamux_shm *b, yamux_stream *st, void *buf, size_t len,
                           int64_t timeout_ns) {
    uint64_t deadline = deadline_after(timeout_ns);
    for (;;) {
        ptrdiff_t n = yamux_stream_read(st, buf, len);
        if (n != YAMUX_EAGAIN) {
            if (n > 0) push(b);
            return n;
        }
        int e = serve(b, deadline);
        if (e) {
            n = yamux_stream_read(st, buf, len); /* what arrived with the last poll */
            if (n > 0) push(b);
            return n == YAMUX_EAGAIN ? e : n;
        }
    }
}

ptrdiff_t yamux_block_write(yamux_shm *b, yamux_stream *st, const void *buf, size_t len,
                            int64_t timeout_ns) {
    uint64_t deadline = deadline_after(timeout_ns);
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ptrdiff_t n = yamux_stream_write(st, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            push(b);
            continue;
        }
        if (n != YAMUX_EAGAIN) return done ? (ptrdiff_t)done : n;
        int e = serve(b, deadline);
        if (e) return done ? (ptrdiff_t)done : e;
    }
    return (ptrdiff_t)done;
}

int yamux_block_close_write(yamux_shm *b, yamux_stream *st) {
    int r = yamux_stream_close_write(st);
    push(b);
    return r;
}

int yamux_block_flush(yamux_shm *b, int64_t timeout_ns) {
    uint64_t deadline = deadline_after(timeout_ns);
    while (yamux_session_is_send_pending(b->s)) {
        if (yamux_session_is_closed(b->s) && b->in_ended) return session_err(b);
        int e = serve(b, deadline);
        if (e) return e;
    }
    return YAMUX_OK;
}

int yamux_block_ping(yamux_shm *b, int64_t timeout_ns, uint64_t *rtt_ns) {
    uint64_t deadline = deadline_after(timeout_ns);
    yx_shm_ping *slot = NULL;
    for (int i = 0; i < YX_SHM_PINGS && !slot; i++)
        if (b->pings[i].status != 1) slot = &b->pings[i];
    if (!slot) return YAMUX_ELIMIT;
    int r = yamux_session_ping(b->s, &slot->opaque);
    if (r) return r;
    slot->status = 1;
    push(b);
    while (slot->status == 1) {
        int e = serve(b, deadline);
        if (e && slot->status == 1) {
            slot->status = 0; /* a late answer is ignored */
            return e;
        }
    }
    if (rtt_ns) *rtt_ns = slot->rtt;
    r = slot->status;
    slot->status = 0;
    return r;
}

int yamux_block_sleep(yamux_shm *b, int64_t ns) {
    uint64_t deadline = deadline_after(ns < 0 ? 0 : ns);
    for (;;) {
        int e = serve(b, deadline);
        if (e == YAMUX_ETIMEOUT) return YAMUX_OK;
        if (e) return e;
    }
}

void yamux_block_close(yamux_shm *b, int64_t timeout_ns) {
    uint64_t deadline = deadline_after(timeout_ns);
    yamux_session_close(b->s);
    while (serve(b, deadline) == 0) {
    }
    yamux_shmq_close(&b->q);
    b->out_closed = b->in_ended = 1;
}
