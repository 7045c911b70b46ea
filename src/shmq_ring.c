/* shmq data path: the Lamport queue with cached indices, records, padding, batching,
 * zero-copy. Every index and length read from the region is validated before use. */
#include <limits.h>
#include <string.h>

#include "shmq_internal.h"

/* ---- producer ---- */

uint32_t yx_shmq_tx_need(const yamux_shmq *q, uint32_t len) {
    uint32_t rec = yx_shmq_rec_size(len);
    uint32_t to_end = q->ring_bytes - (q->tx_tail & (q->ring_bytes - 1));
    return rec <= to_end ? rec : to_end + rec;
}

/* Re-reads the consumer's head (acquire: its reads of the bytes before head are done). It may
 * only move forward, and not past what was published. */
static int refresh_head(yamux_shmq *q) {
    uint32_t h = LOAD_ACQUIRE(q->tx_head_w);
    if (h % YAMUX_SHMQ_REC_ALIGN || h - q->tx_head > q->tx_tail_pub - q->tx_head)
        return yx_shmq_fail(q, YAMUX_ECORRUPT);
    q->tx_head = h;
    return YAMUX_OK;
}

int yx_shmq_tx_has_space(yamux_shmq *q, uint32_t need) {
    if (q->ring_bytes - (q->tx_tail - q->tx_head) >= need) return 1;
    int r = refresh_head(q);
    if (r) return r;
    return q->ring_bytes - (q->tx_tail - q->tx_head) >= need;
}

/* Everything that forbids sending: sticky errors, our close, the peer gone. */
static int tx_check(yamux_shmq *q) {
    int r = yx_shmq_usable(q);
    if (r) return r;
    r = yx_shmq_peer_sync(q);
    if (r) return r;
    return q->peer_end;
}

static int tx_reserve(yamux_shmq *q, size_t len, unsigned char **payload) {
    if (len > q->mtu) return YAMUX_EMSGSIZE;
    uint32_t rec = yx_shmq_rec_size((uint32_t)len), need = yx_shmq_tx_need(q, (uint32_t)len);
    int r = yx_shmq_tx_has_space(q, need);
    if (r <= 0) return r ? r : YAMUX_EAGAIN;
    q->rsv = 1;
    q->rsv_len = (uint32_t)len;
    q->rsv_pad = need - rec;
    *payload = q->tx_data + ((q->tx_tail + q->rsv_pad) & (q->ring_bytes - 1)) + YAMUX_SHMQ_REC_HDR;
    return YAMUX_OK;
}

/* Appends the reserved record with its final length (not yet published). */
static void tx_append(yamux_shmq *q, uint32_t len) {
    uint32_t mask = q->ring_bytes - 1;
    if (q->rsv_pad) {
        STORE_RELAXED(q->tx_data + (q->tx_tail & mask), YAMUX_SHMQ_REC_PAD);
        q->tx_tail += q->rsv_pad;
    }
    unsigned char *rec = q->tx_data + (q->tx_tail & mask);
    STORE_RELAXED(rec, len);
    STORE_RELAXED(rec + 4, 0);
    q->tx_tail += yx_shmq_rec_size(len);
    q->rsv = 0;
}

/* Release-stores the tail (the records become visible), then rings the peer if it sleeps. */
static void tx_publish(yamux_shmq *q) {
    if (q->tx_tail == q->tx_tail_pub) return;
    STORE_RELEASE(q->tx_tail_w, q->tx_tail);
    q->tx_tail_pub = q->tx_tail;
    yx_shmq_ring_bell(q, YAMUX_SHMQ_READABLE);
}

int yamux_shmq_send(yamux_shmq *q, const void *data, size_t len) {
    if (!q || !q->base || (!data && len)) return YAMUX_EINVAL;
    int r = tx_check(q);
    if (r) return r;
    unsigned char *p;
    r = tx_reserve(q, len, &p);
    if (r) return r;
    if (len) memcpy(p, data, len);
    tx_append(q, (uint32_t)len);
    tx_publish(q);
    return YAMUX_OK;
}

int yamux_shmq_send_batch(yamux_shmq *q, const yamux_shmq_iov *pkts, size_t n) {
    if (!q || !q->base || (!pkts && n) || n > INT_MAX) return YAMUX_EINVAL;
    int r = tx_check(q);
    if (r) return r;
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char *p;
        if (!pkts[i].data && pkts[i].len) {
            r = YAMUX_EINVAL;
            break;
        }
        r = tx_reserve(q, pkts[i].len, &p);
        if (r) break;
        if (pkts[i].len) memcpy(p, pkts[i].data, pkts[i].len);
        tx_append(q, (uint32_t)pkts[i].len);
    }
    if (i == 0) return r;
    tx_publish(q);
    return (int)i;
}

int yamux_shmq_reserve(yamux_shmq *q, size_t len, void **data) {
    if (!q || !q->base || !data) return YAMUX_EINVAL;
    int r = tx_check(q);
    if (r) return r;
    unsigned char *p;
    r = tx_reserve(q, len, &p);
    if (r) return r;
    *data = p;
    return YAMUX_OK;
}

int yamux_shmq_commit(yamux_shmq *q, size_t len, unsigned flags) {
    if (!q || !q->base || !q->rsv || len > q->rsv_len || (flags & ~YAMUX_SHMQ_MORE))
        return YAMUX_EINVAL;
    int r = yx_shmq_usable(q);
    if (r) return r;
    tx_append(q, (uint32_t)len);
    if (!(flags & YAMUX_SHMQ_MORE)) tx_publish(q);
    return YAMUX_OK;
}

int yamux_shmq_flush(yamux_shmq *q) {
    if (!q || !q->base) return YAMUX_EINVAL;
    int r = yx_shmq_usable(q);
    if (r) return r;
    tx_publish(q);
    return YAMUX_OK;
}

/* ---- consumer ---- */

/* Re-reads the producer's tail (acquire: the records before it are visible). It may only move
 * forward, and not beyond one ring's worth past what we released. Then checks the peer's
 * state: a re-attached peer is detected before its new records are read. */
static int refresh_tail(yamux_shmq *q) {
    uint32_t t = LOAD_ACQUIRE(q->rx_tail_w);
    if (t % YAMUX_SHMQ_REC_ALIGN || t - q->rx_tail > q->rx_head_pub + q->ring_bytes - q->rx_tail)
        return yx_shmq_fail(q, YAMUX_ECORRUPT);
    q->rx_tail = t;
    return yx_shmq_peer_sync(q);
}

/* Finds the record at the cursor, skipping padding, and moves the cursor past it.
 * 1: found; 0: empty and the peer may still send; < 0: error (YAMUX_ECLOSED / YAMUX_EPEERDEAD
 * once drained, or corruption). */
static int rx_next(yamux_shmq *q, const unsigned char **payload, uint32_t *len) {
    uint32_t ring = q->ring_bytes;
    for (;;) {
        if (q->rx_cursor == q->rx_tail) {
            int r = refresh_tail(q);
            if (r) return r;
            if (q->rx_cursor == q->rx_tail) {
                if (!q->peer_end) return 0;
                /* The peer is gone: it published its last records before its state changed,
                 * and we acquired that state after the tail above: read the tail once more. */
                r = refresh_tail(q);
                if (r) return r;
                if (q->rx_cursor == q->rx_tail) return q->peer_end;
            }
        }
        uint32_t off = q->rx_cursor & (ring - 1);
        uint32_t to_end = ring - off, avail = q->rx_tail - q->rx_cursor;
        uint32_t w = LOAD_RELAXED(q->rx_data + off); /* read once, then only the copy */
        if (w == YAMUX_SHMQ_REC_PAD) {
            if (to_end > avail) return yx_shmq_fail(q, YAMUX_ECORRUPT);
            q->rx_cursor += to_end;
            continue;
        }
        if (w > q->mtu) return yx_shmq_fail(q, YAMUX_ECORRUPT);
        uint32_t rec = yx_shmq_rec_size(w);
        if (rec > to_end || rec > avail) return yx_shmq_fail(q, YAMUX_ECORRUPT);
        *payload = q->rx_data + off + YAMUX_SHMQ_REC_HDR;
        *len = w;
        q->rx_cursor += rec;
        return 1;
    }
}

int yx_shmq_rx_probe(yamux_shmq *q) {
    const unsigned char *p;
    uint32_t len;
    int r = rx_next(q, &p, &len);
    if (r == 1) q->rx_cursor -= yx_shmq_rec_size(len);
    return r;
}

int yamux_shmq_recv(yamux_shmq *q, void *buf, size_t cap, size_t *len) {
    if (!q || !q->base || !len || (!buf && cap)) return YAMUX_EINVAL;
    int r = yx_shmq_usable(q);
    if (r) return r;
    const unsigned char *p;
    uint32_t n;
    r = rx_next(q, &p, &n);
    if (r <= 0) return r ? r : YAMUX_EAGAIN;
    *len = n;
    if (n > cap) {
        q->rx_cursor -= yx_shmq_rec_size(n);
        return YAMUX_EMSGSIZE;
    }
    if (n) memcpy(buf, p, n);
    yamux_shmq_consume(q);
    return YAMUX_OK;
}

int yamux_shmq_recv_batch(yamux_shmq *q, yamux_shmq_msg *msgs, size_t n) {
    if (!q || !q->base || (!msgs && n) || n > INT_MAX) return YAMUX_EINVAL;
    int r = yx_shmq_usable(q);
    if (r) return r;
    size_t i;
    for (i = 0; i < n; i++) {
        const unsigned char *p;
        uint32_t len;
        r = rx_next(q, &p, &len);
        if (r <= 0) {
            if (r == 0) r = YAMUX_EAGAIN;
            break;
        }
        msgs[i].len = len;
        if (len > msgs[i].cap || (!msgs[i].buf && len)) {
            q->rx_cursor -= yx_shmq_rec_size(len);
            r = msgs[i].buf ? YAMUX_EMSGSIZE : YAMUX_EINVAL;
            break;
        }
        if (len) memcpy(msgs[i].buf, p, len);
    }
    if (i == 0) return r;
    yamux_shmq_consume(q);
    return (int)i;
}

int yamux_shmq_peek(yamux_shmq *q, const void **data, size_t *len) {
    if (!q || !q->base || !data || !len) return YAMUX_EINVAL;
    int r = yx_shmq_usable(q);
    if (r) return r;
    const unsigned char *p;
    uint32_t n;
    r = rx_next(q, &p, &n);
    if (r <= 0) return r ? r : YAMUX_EAGAIN;
    *data = p;
    *len = n;
    return YAMUX_OK;
}

/* Release-stores the head (our reads are done), then rings the peer if it waits for space. */
void yamux_shmq_consume(yamux_shmq *q) {
    if (!q || !q->base || yx_shmq_usable(q) || q->rx_cursor == q->rx_head_pub) return;
    STORE_RELEASE(q->rx_head_w, q->rx_cursor);
    q->rx_head_pub = q->rx_cursor;
    yx_shmq_ring_bell(q, YAMUX_SHMQ_WRITABLE);
}
