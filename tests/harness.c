/* Test harness: see harness.h. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- counting allocator ------------------------------------------------------------------ */

static size_t allocated;
static long fail_after = -1;

static void *count_malloc(size_t size, void *ud) {
    (void)ud;
    if (fail_after == 0) return NULL;
    if (fail_after > 0) fail_after--;
    void *p = malloc(size);
    if (p) allocated += size;
    return p;
}

static void count_free(void *ptr, size_t size, void *ud) {
    (void)ud;
    assert_true(allocated >= size);
    allocated -= size;
    free(ptr);
}

yamux_allocator th_allocator = {count_malloc, count_free, NULL};

size_t th_allocated(void) {
    return allocated;
}
void th_alloc_fail_after(long n) {
    fail_after = n;
}

int th_slow(void) {
    const char *v = getenv("YAMUX_TEST_SLOW");
    return !v || strcmp(v, "0") != 0;
}

/* ---- stream records ---------------------------------------------------------------------- */

#define TH_TRACK_MAX 70000
static th_stream tracks[TH_TRACK_MAX];
static size_t ntracks;

th_stream *th_track(yamux_stream *st) {
    th_stream *t = yamux_stream_get_user_data(st);
    if (t) return t;
    assert_true(ntracks < TH_TRACK_MAX);
    t = &tracks[ntracks++];
    memset(t, 0, sizeof *t);
    yamux_stream_set_user_data(st, t);
    return t;
}

/* ---- callbacks --------------------------------------------------------------------------- */

static void on_incoming(yamux_session *s, void *ud) {
    (void)s;
    ((th_side *)ud)->incoming++;
}

static void on_stream(yamux_session *s, yamux_stream *st, unsigned events, void *ud) {
    (void)s;
    (void)ud;
    th_stream *t = th_track(st);
    t->events |= events;
    t->count++;
}

static void on_ping(yamux_session *s, uint32_t opaque, int status, uint64_t rtt, void *ud) {
    (void)s;
    th_side *side = ud;
    side->pings++;
    side->last_ping_opaque = opaque;
    side->last_ping_status = status;
    side->last_ping_rtt = rtt;
}

static void on_goaway(yamux_session *s, void *ud) {
    (void)s;
    ((th_side *)ud)->goaways++;
}

static void on_close(yamux_session *s, int err, void *ud) {
    (void)s;
    th_side *side = ud;
    side->closed++;
    side->close_err = err;
}

static size_t on_data(yamux_session *s, yamux_stream *st, const uint8_t *data, size_t len,
                      void *ud) {
    (void)s;
    th_side *side = ud;
    return side->data_fn ? side->data_fn(side, st, data, len) : 0;
}

static const yamux_callbacks callbacks = {.size = sizeof(yamux_callbacks),
                                          .on_incoming = on_incoming,
                                          .on_stream = on_stream,
                                          .on_ping = on_ping,
                                          .on_goaway = on_goaway,
                                          .on_close = on_close,
                                          .on_data = on_data};

/* ---- wire -------------------------------------------------------------------------------- */

static void log_bytes(th_frame_log *log, const uint8_t *p, size_t n) {
    while (n > 0) {
        if (log->skip) {
            size_t k = n < log->skip ? n : (size_t)log->skip;
            log->skip -= k;
            p += k;
            n -= k;
            continue;
        }
        size_t k = YAMUX_HEADER_SIZE - log->have;
        if (k > n) k = n;
        memcpy(log->hdr + log->have, p, k);
        log->have += k;
        p += k;
        n -= k;
        if (log->have == YAMUX_HEADER_SIZE) {
            yamux_frame f;
            yamux_frame_decode(&f, log->hdr);
            log->have = 0;
            if (f.type == YAMUX_TYPE_DATA) log->skip = f.length;
            if (log->count < TH_MAX_FRAMES) log->frames[log->count++] = f;
            log->total++;
        }
    }
}

static void side_init(th_side *side, th_pair *p, int client, const yamux_config *cfg) {
    memset(side, 0, sizeof *side);
    side->pair = p;
    yamux_config c;
    if (cfg) {
        c = *cfg;
    } else {
        yamux_config_init(&c);
        c.enable_keepalive = 0;
    }
    c.allocator = &th_allocator;
    assert_int_equal(yamux_session_new(&side->s, client, &c, &callbacks, side), YAMUX_OK);
    yamux_session_tick(side->s, p->now);
}

void th_init(th_pair *p, const yamux_config *client_cfg, const yamux_config *server_cfg) {
    memset(p, 0, sizeof *p);
    ntracks = 0;
    fail_after = -1;
    p->now = 1000 * TH_SEC;
    side_init(&p->c, p, 1, client_cfg);
    side_init(&p->sv, p, 0, server_cfg);
}

void th_destroy(th_pair *p) {
    yamux_session_free(p->c.s);
    yamux_session_free(p->sv.s);
    free(p->c.pending);
    free(p->sv.pending);
    p->c.pending = p->sv.pending = NULL;
    p->c.s = p->sv.s = NULL;
    assert_int_equal(th_allocated(), 0);
}

/* Takes output from `from` into its pending buffer (at most `limit` bytes, 0 = all). */
static size_t collect(th_side *from, size_t limit) {
    size_t got = 0;
    for (;;) {
        if (limit && got >= limit) break;
        size_t want = 65536;
        if (limit && limit - got < want) want = limit - got;
        if (from->pending_len + want > from->pending_cap) {
            size_t cap = from->pending_cap ? from->pending_cap * 2 : 131072;
            while (cap < from->pending_len + want)
                cap *= 2;
            from->pending = realloc(from->pending, cap);
            assert_non_null(from->pending);
            from->pending_cap = cap;
        }
        size_t n = yamux_session_send(from->s, from->pending + from->pending_len, want);
        if (n == 0) break;
        log_bytes(&from->log, from->pending + from->pending_len, n);
        from->pending_len += n;
        got += n;
    }
    return got;
}

/* Feeds `from`'s pending bytes to `to`; returns bytes consumed. */
static size_t deliver(th_side *from, th_side *to, size_t chunk) {
    size_t off = 0;
    while (off < from->pending_len && !yamux_session_is_closed(to->s)) {
        size_t n = from->pending_len - off;
        if (chunk && n > chunk) n = chunk;
        ptrdiff_t r = yamux_session_recv(to->s, from->pending + off, n);
        if (r <= 0) break;
        off += (size_t)r;
    }
    if (yamux_session_is_closed(to->s)) off = from->pending_len; /* the rest is lost */
    memmove(from->pending, from->pending + off, from->pending_len - off);
    from->pending_len -= off;
    return off;
}

static size_t move(th_side *from, th_side *to, size_t chunk) {
    size_t moved = 0;
    if (!from->blocked) moved += collect(from, 4u << 20);
    if (!from->blocked) moved += deliver(from, to, chunk);
    return moved;
}

size_t th_move(th_side *from, th_side *to) {
    return move(from, to, from->pair->chunk);
}

/* Like an event loop: ticks a session whose next deadline has come (timers armed since its
 * last tick ask for one at once). */
static void tick_due(th_pair *p, th_side *side) {
    if (yamux_session_get_next_deadline(side->s) <= p->now) yamux_session_tick(side->s, p->now);
}

size_t th_step(th_pair *p) {
    size_t moved = move(&p->c, &p->sv, p->chunk) + move(&p->sv, &p->c, p->chunk);
    tick_due(p, &p->c);
    tick_due(p, &p->sv);
    return moved;
}

size_t th_pump(th_pair *p) {
    size_t total = 0, n;
    for (int i = 0; i < 1000000 && (n = th_step(p)) > 0; i++)
        total += n;
    return total;
}

void th_advance(th_pair *p, uint64_t ns) {
    p->now += ns;
    yamux_session_tick(p->c.s, p->now);
    yamux_session_tick(p->sv.s, p->now);
}

ptrdiff_t th_inject(th_side *side, const uint8_t *data, size_t len) {
    return yamux_session_recv(side->s, data, len);
}

void th_hdr(uint8_t *buf, uint8_t type, uint16_t flags, uint32_t id, uint32_t len) {
    yamux_frame f = {0, type, flags, id, len};
    yamux_frame_encode(buf, &f);
}

void th_drain(th_side *side) {
    uint8_t buf[65536];
    size_t n;
    while ((n = yamux_session_send(side->s, buf, sizeof buf)) > 0)
        log_bytes(&side->log, buf, n);
}

size_t th_count(const th_side *side, int type, int flags) {
    size_t n = 0;
    for (size_t i = 0; i < side->log.count; i++) {
        const yamux_frame *f = &side->log.frames[i];
        if (type >= 0 && f->type != type) continue;
        if (flags >= 0 && (f->flags & flags) != flags) continue;
        n++;
    }
    return n;
}

const yamux_frame *th_last(const th_side *side, int type) {
    for (size_t i = side->log.count; i-- > 0;)
        if (side->log.frames[i].type == type) return &side->log.frames[i];
    return NULL;
}
