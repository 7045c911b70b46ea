/* shmq driver: both sides of a shmq region in one process, driven by a script that mixes
 * every call of include/yamux/shmq.h with writes of arbitrary values over the shared region
 * (indices, lengths, flags, state words, payload), as a buggy or hostile worker would make.
 *
 * Checks: no access outside the region (sanitizers; the region is exactly its length of
 * heap), each call writes only what docs/shmq.md lets its side write, pointers handed out
 * (peek, reserve) lie in the right ring, lengths within the MTU and the buffers, every
 * result a count, an event mask within what was asked, or a named yamux_error; and while
 * nothing was overwritten, every packet arrives intact and in order.
 *
 * Input:  byte 0   bits 0-1: ring bytes 256, 512, 1024, 4096; bits 2-3: MTU 1, 8, ring / 4,
 *                  ring / 2 - 8; bits 4-5: region length exact, + 64, - 8, the control area
 *                  only; bit 6: attach both sides first; bit 7: then overwrite the region
 *                  (header line excepted) with the next bytes
 *         then operations: op bit 0 picks the side, op >> 1 modulo 20 the call:
 *   0 attach (again)  1 send(u16)  2 send_batch(u8 packets of u16)  3 reserve(u16) and
 *   commit(u16, flags u8)  4 flush  5 recv(cap u16)  6 recv_batch(u8 buffers of cap u16)
 *   7 peek  8 release  9 ready(events u8, len u16)  10 wait(events u8, len u16, timeout 0)
 *   11 arm(events u8, len u16), disarm if u8 odd  12 check_peer  13 heartbeat  14 close
 *   15 write u32 at word u16  16 write u8 bytes at u16  17 move an index (u8) by u16 * 8
 *   18 set_spin(0)  19 wait_readable / wait_writable(u16) with timeout 0 */
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "fz.h"
#include "fz_region.h"
#include "shmq_internal.h"
#include "yamux/shmq.h"
#include "yamux/shmq_layout.h"

#define MAX_MODEL 4096 /* packets remembered per direction */
#define MAX_BATCH 6

typedef struct pkt {
    uint32_t len, seq;
} pkt;

/* The packets one side sent and the other has not yet released, in order. */
typedef struct fifo {
    pkt p[MAX_MODEL];
    size_t head, count, peeked;
} fifo;

typedef struct shmq_run {
    fz_region r;
    uint32_t ring, mtu; /* as formatted (an attach may find others, written over the header) */
    yamux_shmq *q[2];
    int attached[2];
    int model;    /* 0 once anything made the packet model unreliable */
    fifo dir[2];  /* dir[s]: sent by side s */
    uint32_t seq; /* payloads: fz_pattern(k, seq) */
    uint8_t *buf; /* scratch, 2 * ring */
} shmq_run;

static void check_err(int r, const char *call) {
    FZ_CHECK(strcmp(yamux_errname(r), "YAMUX_E?") != 0 && r <= 0, "%s returned %d", call, r);
    FZ_CHECK(yamux_strerror(r) != NULL, "strerror");
}

static void fifo_push(shmq_run *t, int s, uint32_t len, uint32_t seq) {
    fifo *f = &t->dir[s];
    if (f->count == MAX_MODEL) {
        t->model = 0;
        return;
    }
    f->p[(f->head + f->count++) % MAX_MODEL] = (pkt){len, seq};
}

/* A packet received by side s (sent by 1 - s), `nth` after those peeked. */
static void fifo_check(shmq_run *t, int s, size_t nth, const uint8_t *p, size_t len) {
    fifo *f = &t->dir[1 - s];
    if (!t->model) return;
    FZ_CHECK(f->peeked + nth < f->count, "side %c received a packet nobody sent", "AB"[s]);
    const pkt *e = &f->p[(f->head + f->peeked + nth) % MAX_MODEL];
    FZ_CHECK(e->len == len, "side %c received %zu bytes, %u were sent", "AB"[s], len, e -> len);
    FZ_CHECK(fz_pattern_mismatch(p, len, 0, e->seq) == len, "side %c: packet corrupted", "AB"[s]);
}

static void fifo_pop(shmq_run *t, int s, size_t n) {
    fifo *f = &t->dir[1 - s];
    if (n > f->count) n = f->count;
    f->head = (f->head + n) % MAX_MODEL;
    f->count -= n;
    f->peeked = 0;
}

/* ---- calls ------------------------------------------------------------------------------- */

static void do_attach(shmq_run *t, int s) {
    yamux_shmq_options o;
    yamux_shmq_options_init(&o);
    o.pid = -1; /* no process id: liveness by heartbeat only */
    o.spin_ns = 0;
    int again = t->attached[s];
    free(t->q[s]); /* a restart: the old handle is dropped without a close, as by a crash */
    int r = yamux_shmq_new(&t->q[s], t->r.mem, t->r.len, (yamux_shmq_side)s, &o);
    check_err(r, "yamux_shmq_new");
    t->attached[s] = r == YAMUX_OK;
    /* A first attach receives what the peer sent before; a re-attach discards it and resets
     * the peer. */
    if (again || r) t->model = 0;
    if (r == YAMUX_OK) {
        /* The header may have been overwritten before this attach: it was validated. */
        uint32_t ring = t->q[s]->ring_bytes;
        FZ_CHECK(ring >= YAMUX_SHMQ_RING_MIN && (ring & (ring - 1)) == 0 &&
                     YAMUX_SHMQ_DATA_OFFSET + 2 * (size_t)ring <= t->r.len,
                 "attached with rings of %u bytes in %zu", ring, t->r.len);
        FZ_CHECK(yamux_shmq_get_mtu(t->q[s]) >= 1 &&
                     yamux_shmq_get_mtu(t->q[s]) <= ring / 2 - YAMUX_SHMQ_REC_HDR,
                 "attached with MTU %zu", yamux_shmq_get_mtu(t->q[s]));
    }
}

static void do_send(shmq_run *t, int s, size_t len) {
    uint32_t seq = ++t->seq;
    fz_pattern_fill(t->buf, len, 0, seq);
    int r = yamux_shmq_send(t->q[s], t->buf, len);
    check_err(r, "yamux_shmq_send");
    if (r == YAMUX_OK) fifo_push(t, s, (uint32_t)len, seq);
    if (len > yamux_shmq_get_mtu(t->q[s])) FZ_CHECK(r != YAMUX_OK, "sent %zu bytes > MTU", len);
}

static void do_send_batch(shmq_run *t, int s, fz_in *in) {
    yamux_shmq_iov iov[MAX_BATCH];
    uint32_t seqs[MAX_BATCH];
    size_t n = fz_u8(in) % (MAX_BATCH + 1), off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = fz_u16(in) % (t->mtu + 2);
        if (off + len > 2 * (size_t)t->ring) len = 0;
        seqs[i] = ++t->seq;
        fz_pattern_fill(t->buf + off, len, 0, seqs[i]);
        iov[i].data = t->buf + off;
        iov[i].len = len;
        off += len;
    }
    int r = yamux_shmq_send_batch(t->q[s], iov, n);
    if (r > 0) {
        FZ_CHECK((size_t)r <= n, "send_batch sent %d of %zu", r, n);
        for (int i = 0; i < r; i++)
            fifo_push(t, s, (uint32_t)iov[i].len, seqs[i]);
    } else {
        check_err(r, "yamux_shmq_send_batch");
    }
}

static void do_reserve_commit(shmq_run *t, int s, fz_in *in) {
    size_t len = fz_u16(in) % (t->mtu + 2), fin = fz_u16(in) % (t->mtu + 2);
    unsigned flags = fz_u8(in) & 3u;
    void *p;
    int r = yamux_shmq_reserve(t->q[s], len, &p);
    check_err(r, "yamux_shmq_reserve");
    if (r != YAMUX_OK) return;
    FZ_CHECK(len <= yamux_shmq_get_mtu(t->q[s]) &&
                 fz_region_in_ring(&t->r, t->q[s]->ring_bytes, s, p, len),
             "reserve handed out %zu bytes outside side %c's send ring", len, "AB"[s]);
    uint32_t seq = ++t->seq;
    fz_pattern_fill(p, fin < len ? fin : len, 0, seq);
    r = yamux_shmq_commit(t->q[s], fin, flags);
    check_err(r, "yamux_shmq_commit");
    if (r == YAMUX_OK) {
        FZ_CHECK(fin <= len && !(flags & ~YAMUX_SHMQ_MORE), "commit accepted %zu > %zu", fin, len);
        fifo_push(t, s, (uint32_t)fin, seq);
    }
}

static void do_recv(shmq_run *t, int s, size_t cap) {
    size_t len = (size_t)-1;
    int r = yamux_shmq_recv(t->q[s], t->buf, cap, &len);
    check_err(r, "yamux_shmq_recv");
    if (r == YAMUX_OK || r == YAMUX_EMSGSIZE)
        FZ_CHECK(len <= yamux_shmq_get_mtu(t->q[s]) && (r == YAMUX_EMSGSIZE) == (len > cap),
                 "recv: %zu (cap %zu)", len, cap);
    if (r == YAMUX_OK) {
        fifo_check(t, s, 0, t->buf, len);
        fifo_pop(t, s, t->dir[1 - s].peeked + 1);
    }
}

static void do_recv_batch(shmq_run *t, int s, fz_in *in) {
    yamux_shmq_msg m[MAX_BATCH];
    size_t n = fz_u8(in) % (MAX_BATCH + 1), off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t cap = fz_u16(in) % (t->mtu + 2);
        if (off + cap > 2 * (size_t)t->ring) cap = 0;
        m[i] = (yamux_shmq_msg){t->buf + off, cap, (size_t)-1};
        off += cap;
    }
    int r = yamux_shmq_recv_batch(t->q[s], m, n);
    if (r <= 0) {
        check_err(r, "yamux_shmq_recv_batch");
        return;
    }
    FZ_CHECK((size_t)r <= n, "recv_batch received %d of %zu", r, n);
    for (int i = 0; i < r; i++) {
        FZ_CHECK(m[i].len <= m[i].cap && m[i].len <= yamux_shmq_get_mtu(t->q[s]),
                 "recv_batch length %zu", m[i].len);
        fifo_check(t, s, (size_t)i, m[i].buf, m[i].len);
    }
    fifo_pop(t, s, t->dir[1 - s].peeked + (size_t)r);
}

static void do_peek(shmq_run *t, int s) {
    const void *p;
    size_t len;
    int r = yamux_shmq_peek(t->q[s], &p, &len);
    check_err(r, "yamux_shmq_peek");
    if (r != YAMUX_OK) return;
    FZ_CHECK(len <= yamux_shmq_get_mtu(t->q[s]) &&
                 fz_region_in_ring(&t->r, t->q[s]->ring_bytes, 1 - s, p, len),
             "peek handed out %zu bytes outside side %c's receive ring", len, "AB"[s]);
    fifo_check(t, s, 0, p, len);
    t->dir[1 - s].peeked++;
}

static void do_release(shmq_run *t, int s) {
    int usable = t->q[s]->base && !t->q[s]->err && !t->q[s]->closed;
    yamux_shmq_consume(t->q[s]);
    if (usable) fifo_pop(t, s, t->dir[1 - s].peeked);
}

static void check_mask(int r, unsigned events, const char *call) {
    if (r > 0)
        FZ_CHECK(((unsigned)r & ~events) == 0, "%s: mask %#x for events %#x", call, r, events);
    else
        check_err(r, call);
}

static void do_arm(shmq_run *t, int s, unsigned events, size_t len, int disarm) {
    yamux_shmq_waiter w;
    int r = yamux_shmq_arm(t->q[s], events, len, &w);
    check_mask(r, events, "yamux_shmq_arm");
    if (r == 0) {
        FZ_CHECK(w.offset == YAMUX_SHMQ_OFF_BELL((unsigned)s) && w.value == events &&
                     (unsigned char *)w.word == t->r.mem + w.offset,
                 "arm: waiter at %zu", w.offset);
        if (disarm) yamux_shmq_disarm(t->q[s]);
    }
}

/* ---- the region, written by the "other worker" -------------------------------------------- */

static void poke_word(shmq_run *t, fz_in *in) {
    size_t words = t->r.len / 4;
    size_t off = (fz_u16(in) % (words ? words : 1)) * 4;
    uint8_t v[4];
    for (int i = 0; i < 4; i++)
        v[i] = fz_u8(in);
    if (off + 4 <= t->r.len) memcpy(t->r.mem + off, v, 4);
    t->model = 0;
}

static void poke_bytes(shmq_run *t, fz_in *in) {
    size_t off = fz_u16(in) % (t->r.len ? t->r.len : 1), n = fz_u8(in);
    const uint8_t *p;
    n = fz_take(in, n, &p);
    if (n > t->r.len - off) n = t->r.len - off;
    memcpy(t->r.mem + off, p, n);
    t->model = 0;
}

static void move_index(shmq_run *t, fz_in *in) {
    static const uint32_t offs[4] = {YAMUX_SHMQ_OFF_TAIL(0), YAMUX_SHMQ_OFF_HEAD(0),
                                     YAMUX_SHMQ_OFF_TAIL(1), YAMUX_SHMQ_OFF_HEAD(1)};
    uint32_t off = offs[fz_u8(in) & 3u];
    uint32_t delta = (uint32_t)fz_u16(in) * 8u;
    if (off + 4 > t->r.len) return;
    uint32_t v;
    memcpy(&v, t->r.mem + off, 4);
    v += delta;
    memcpy(t->r.mem + off, &v, 4);
    t->model = 0;
}

/* ---- driver ------------------------------------------------------------------------------ */

static void call(shmq_run *t, int s, unsigned kind, fz_in *in) {
    yamux_shmq *q = t->q[s];
    switch (kind) {
    case 0:
        do_attach(t, s);
        break;
    case 1:
        do_send(t, s, fz_u16(in) % (t->mtu + 2));
        break;
    case 2:
        do_send_batch(t, s, in);
        break;
    case 3:
        do_reserve_commit(t, s, in);
        break;
    case 4:
        check_err(yamux_shmq_flush(q), "yamux_shmq_flush");
        break;
    case 5:
        do_recv(t, s, fz_u16(in) % (t->mtu + 2));
        break;
    case 6:
        do_recv_batch(t, s, in);
        break;
    case 7:
        do_peek(t, s);
        break;
    case 8:
        do_release(t, s);
        break;
    case 9: {
        unsigned ev = fz_u8(in) & 7u;
        check_mask(yamux_shmq_poll(q, ev, fz_u16(in)), ev, "yamux_shmq_poll");
        break;
    }
    case 10: {
        unsigned ev = fz_u8(in) & 7u;
        check_mask(yamux_shmq_wait(q, ev, fz_u16(in), 0), ev, "yamux_shmq_wait");
        break;
    }
    case 11: {
        unsigned ev = fz_u8(in) & 7u;
        size_t len = fz_u16(in);
        do_arm(t, s, ev, len, fz_u8(in) & 1);
        break;
    }
    case 12:
        check_err(yamux_shmq_check_peer(q), "yamux_shmq_check_peer");
        break;
    case 13:
        yamux_shmq_heartbeat(q);
        break;
    case 14:
        check_err(yamux_shmq_close(q), "yamux_shmq_close");
        t->model = 0;
        break;
    case 18:
        yamux_shmq_set_spin(q, 0);
        break;
    default: {
        int r = kind == 19 && (fz_u8(in) & 1) ? yamux_shmq_wait_writable(q, fz_u16(in), 0)
                                              : yamux_shmq_wait_readable(q, 0);
        check_err(r, "yamux_shmq_wait_readable/writable");
        break;
    }
    }
}

static void step(shmq_run *t, fz_in *in) {
    uint8_t op = fz_u8(in);
    int s = op & 1;
    unsigned kind = (op >> 1) % 20u;
    if (kind == 15) return poke_word(t, in);
    if (kind == 16) return poke_bytes(t, in);
    if (kind == 17) return move_index(t, in);
    if (!t->attached[s] && kind != 0) return; /* calls need an attached handle */
    fz_region_snap(&t->r);
    call(t, s, kind, in);
    if (!t->q[s]) return; /* a failed attach */
    fz_region_check_writes(&t->r, s, t->q[s]->ring_bytes, "call");
    if (t->q[s]->err) t->model = 0;
}

int fz_shmq_run(const uint8_t *data, size_t size) {
    static const uint32_t rings[4] = {256, 512, 1024, 4096};
    fz_in in = {data, size};
    uint8_t b = fz_u8(&in);
    shmq_run *t = calloc(1, sizeof *t);
    FZ_CHECK(t != NULL, "out of host memory");
    uint32_t ring = t->ring = rings[b & 3u];
    uint32_t mtus[4] = {1, 8, ring / 4, ring / 2 - YAMUX_SHMQ_REC_HDR};
    t->mtu = mtus[(b >> 2) & 3u];
    size_t total = yamux_shmq_region_size(ring, t->mtu);
    size_t lens[4] = {total, total + 64, total - 8, YAMUX_SHMQ_DATA_OFFSET};
    fz_region_init(&t->r, lens[(b >> 4) & 3u], ring, t->mtu);
    t->buf = malloc(2 * (size_t)ring);
    FZ_CHECK(t->buf != NULL, "out of host memory");
    t->model = 1;
    if (b & 0x40) {
        do_attach(t, 0);
        do_attach(t, 1);
    }
    if (b & 0x80) { /* everything but the header line, as the other worker left it */
        const uint8_t *p;
        size_t n = fz_take(&in, t->r.len > YAMUX_SHMQ_LINE ? t->r.len - YAMUX_SHMQ_LINE : 0, &p);
        memcpy(t->r.mem + YAMUX_SHMQ_LINE, p, n);
        t->model = 0;
    }
    while (in.n > 0)
        step(t, &in);
    for (int s = 0; s < 2; s++) {
        if (t->attached[s]) check_err(yamux_shmq_close(t->q[s]), "yamux_shmq_close");
        yamux_shmq_free(t->q[s]);
    }
    fz_region_free(&t->r);
    free(t->buf);
    free(t);
    return 0;
}
