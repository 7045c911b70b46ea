/* Stream I/O of the application around one engine: handles, writes of the stream pattern,
 * reads checked against the peer's pattern, answers. Application calls never call back, so the
 * stream passed in stays valid for the call. */
#include <string.h>

#include "fz.h"
#include "fz_side.h"

/* ---- handles ----------------------------------------------------------------------------- */

void fz_handle_add(fz_side *side, yamux_stream *st) {
    if (side->nh == FZ_MAX_HANDLES) {
        side->in_app_call++;
        yamux_stream_release(st);
        side->in_app_call--;
        return;
    }
    yamux_stream_set_user_data(st, side);
    side->h[side->nh].st = st;
    side->h[side->nh].serial = ++side->serial;
    side->nh++;
}

long fz_handle_find(const fz_side *side, const yamux_stream *st) {
    for (size_t i = 0; i < side->nh; i++)
        if (side->h[i].st == st) return (long)i;
    return -1;
}

long fz_handle_by_serial(const fz_side *side, uint64_t serial) {
    for (size_t i = 0; i < side->nh; i++)
        if (side->h[i].serial == serial) return (long)i;
    return -1;
}

void fz_handle_drop(fz_side *side, size_t i) {
    side->h[i] = side->h[--side->nh];
}

/* Half-closes `st` (valid for the duration); remembers it when the stream was live. */
int fz_io_close_write(fz_side *side, yamux_stream *st) {
    uint32_t id = yamux_stream_get_id(st);
    side->in_app_call++;
    int r = yamux_stream_close_write(st);
    side->in_app_call--;
    fz_check_errname(r, "yamux_stream_close_write");
    if (r == 0) fz_ledger_get(&side->led, id)->app_fin = 1;
    return r;
}

void fz_io_release(fz_side *side, yamux_stream *st) {
    long i = fz_handle_find(side, st);
    FZ_CHECK(i >= 0, "releasing a stream the application does not hold");
    fz_handle_drop(side, (size_t)i);
    if (yamux_stream_get_error(st) == 0)
        fz_ledger_get(&side->led, yamux_stream_get_id(st))->app_fin = 1;
    side->in_app_call++;
    yamux_stream_release(st);
    side->in_app_call--;
}

/* ---- stream I/O (valid `st` for the duration) -------------------------------------------- */

/* Writes `len` pattern bytes; returns the engine's result. */
ptrdiff_t fz_io_write(fz_side *side, yamux_stream *st, size_t len) {
    static uint8_t buf[65536];
    uint32_t id = yamux_stream_get_id(st);
    fz_sid *e = fz_ledger_get(&side->led, id);
    if (len > sizeof buf) len = sizeof buf;
    fz_pattern_fill(buf, len, e->wr, fz_seed(id, side->idx));
    size_t space = yamux_stream_get_write_space(st);
    size_t failures = side->alloc.failures;
    uint64_t wr = e->wr;
    side->in_app_call++;
    ptrdiff_t r = yamux_stream_write(st, buf, len);
    side->in_app_call--;
    if (r > 0) {
        FZ_CHECK((size_t)r <= len && (size_t)r <= space, "write took %td of %zu (space %zu)", r,
                 len, space);
        if (side->alloc.failures == failures)
            FZ_CHECK((size_t)r == (len < space ? len : space), "write took %td of %zu (space %zu)",
                     r, len, space);
        e = fz_ledger_get(&side->led, id);
        FZ_CHECK(e->wr == wr, "stream %u written from a callback inside a write", id);
        e->wr += (uint64_t)r;
    } else {
        fz_check_errname((int)r, "yamux_stream_write");
        FZ_CHECK(r != 0 || len == 0, "write returned 0 for %zu bytes", len);
        if (r == YAMUX_EAGAIN) FZ_CHECK(space == 0, "EAGAIN with %zu bytes of space", space);
    }
    return r;
}

/* Writes what the application owes the peer on `st`, then FIN once it saw the end. */
void fz_io_answer(fz_side *side, yamux_stream *st) {
    uint32_t id = yamux_stream_get_id(st);
    fz_sid *e = fz_ledger_get(&side->led, id);
    while (e->owed > 0) {
        size_t n = e->owed < 65536 ? (size_t)e->owed : 65536;
        ptrdiff_t r = fz_io_write(side, st, n);
        e = fz_ledger_get(&side->led, id);
        if (r <= 0) break;
        e->owed -= (uint64_t)r;
    }
    if (e->app_eof && e->owed == 0) fz_io_close_write(side, st);
}

/* Checks `n` received bytes against what the peer wrote. */
static void account_read(fz_side *side, yamux_stream *st, const uint8_t *p, size_t n) {
    uint32_t id = yamux_stream_get_id(st);
    fz_sid *e = fz_ledger_get(&side->led, id);
    FZ_CHECK(!e->app_eof, "stream %u: %zu bytes after the end of stream", id, n);
    if ((side->knobs & FZ_VERIFY_READS) && side->peer) {
        uint32_t seed = fz_seed(id, side->peer->idx);
        size_t i = fz_pattern_mismatch(p, n, e->rd, seed);
        FZ_CHECK(i == n, "stream %u: read byte %llu is %#x, the peer wrote %#x", id,
                 (unsigned long long)(e->rd + i), p[i], fz_pattern(e->rd + i, seed));
        const fz_sid *w = fz_ledger_find(&side->peer->led, id);
        FZ_CHECK(w && w->wr >= e->rd + n, "stream %u: read %llu bytes, the peer wrote %llu", id,
                 (unsigned long long)(e->rd + n), (unsigned long long)(w ? w->wr : 0));
    }
    e->rd += n;
    /* An echo server: answers on the streams the peer opened (both sides answering would
     * never end). */
    if ((side->knobs & FZ_ANSWER) && !fz_id_is_ours(id, side->is_client)) e->owed += n;
}

static void account_eof(fz_side *side, yamux_stream *st) {
    uint32_t id = yamux_stream_get_id(st);
    fz_sid *e = fz_ledger_get(&side->led, id);
    FZ_CHECK(yamux_stream_is_eof(st), "read returned 0 but at_eof is false");
    e->app_eof = 1;
    if ((side->knobs & FZ_VERIFY_READS) && side->peer) {
        const fz_sid *w = fz_ledger_find(&side->peer->led, id);
        FZ_CHECK(w && w->wr == e->rd, "stream %u: end of stream after %llu bytes, peer wrote %llu",
                 id, (unsigned long long)e->rd, (unsigned long long)(w ? w->wr : 0));
    }
}

/* One read of up to `len` bytes (read or peek/consume); returns the engine's result. */
ptrdiff_t fz_io_read(fz_side *side, yamux_stream *st, size_t len) {
    uint8_t buf[FZ_READ_BUF];
    if (len > sizeof buf) len = sizeof buf;
    if (side->knobs & FZ_PEEK) {
        const uint8_t *p;
        size_t avail = yamux_stream_get_read_available(st);
        size_t n = yamux_stream_peek(st, &p);
        FZ_CHECK(n <= avail && (n > 0) == (avail > 0), "peek %zu of %zu available", n, avail);
        if (n > 0) {
            if (n > len) n = len;
            account_read(side, st, p, n);
            side->in_app_call++;
            yamux_stream_consume(st, n);
            side->in_app_call--;
            return (ptrdiff_t)n;
        }
    }
    side->in_app_call++;
    ptrdiff_t r = yamux_stream_read(st, buf, len);
    side->in_app_call--;
    if (r > 0) {
        FZ_CHECK((size_t)r <= len, "read returned %td > %zu", r, len);
        account_read(side, st, buf, (size_t)r);
    } else if (r == 0 && len > 0) {
        account_eof(side, st);
    } else if (r < 0) {
        fz_check_errname((int)r, "yamux_stream_read");
    }
    return r;
}

/* Reads until the engine has nothing more (from a callback: `st` stays valid). */
void fz_io_read_all(fz_side *side, yamux_stream *st) {
    ptrdiff_t r;
    int guard = 0;
    while ((r = fz_io_read(side, st, FZ_READ_BUF)) > 0)
        FZ_CHECK(++guard < 100000, "read never ends");
}
