/* One engine under test: lifecycle, input, output and the checks after every step. The
 * application's calls and callbacks are in fz_app.c. */
#include "fz_side.h"

#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "fz_invariants.h"

int fz_side_init(fz_side *side, int is_client, uint32_t idx, const yamux_config *cfg,
                 unsigned knobs, long fail_after, uint64_t now) {
    memset(side, 0, sizeof *side);
    side->cfg = *cfg;
    fz_alloc_init(&side->alloc, fail_after);
    side->cfg.allocator = &side->alloc.a;
    side->is_client = is_client;
    side->idx = idx;
    side->knobs = knobs;
    side->now = now;
    fz_ledger_init(&side->led);
    fz_obs_init(&side->obs, &side->led, is_client, idx, &side->cfg);
    FZ_CHECK(yamux_config_validate(&side->cfg) == 0, "driver built an invalid configuration");
    int r = yamux_session_new(&side->s, is_client, &side->cfg, &fz_side_callbacks, side);
    if (r != 0) {
        FZ_CHECK(r == YAMUX_ENOMEM && side->alloc.failures, "yamux_session_new: %s",
                 yamux_errname(r));
        FZ_CHECK(side->s == NULL, "yamux_session_new failed but set a session");
        return r;
    }
    FZ_CHECK(yamux_session_get_user_data(side->s) == side, "user_data");
    FZ_CHECK(yamux_session_get_next_deadline(side->s) == 0, "deadline before the first tick");
    if (now) yamux_session_tick(side->s, now); /* 0: the clock starts at the first tick */
    fz_side_check(side);
    return 0;
}

void fz_side_destroy(fz_side *side) {
    if (side->s) {
        fz_side_check(side);
        yamux_session_free(side->s);
        side->s = NULL;
    }
    fz_alloc_check_empty(&side->alloc);
    fz_ledger_free(&side->led);
    free(side->held_copy);
    side->held_copy = NULL;
}

void fz_side_check(fz_side *side) {
    yamux_session *s = side->s;
    if (!s) return;
    fz_check_session(s, &side->cfg);
    FZ_CHECK(yamux_session_get_send_inflight(s) == side->held, "inflight %zu, held %zu",
             yamux_session_get_send_inflight(s), side->held);
    /* on_close comes with the I/O call after the end (a tick is due until then) */
    if (yamux_session_is_closed(s) && side->closes == 0)
        FZ_CHECK(yamux_session_get_next_deadline(s) != UINT64_MAX, "on_close pending, no tick due");
    else
        FZ_CHECK(side->closes == (yamux_session_is_closed(s) ? 1 : 0), "on_close called %d times",
                 side->closes);
    for (size_t i = 0; i < side->nh; i++) {
        yamux_stream *st = side->h[i].st;
        FZ_CHECK(yamux_stream_get_session(st) == s, "handle of another session");
        FZ_CHECK(yamux_stream_get_read_available(st) <= side->cfg.max_stream_window,
                 "stream %u: %zu bytes buffered", yamux_stream_get_id(st),
                 yamux_stream_get_read_available(st));
        FZ_CHECK(yamux_stream_get_recv_window(st) <= side->cfg.max_stream_window,
                 "stream %u: receive window %u", yamux_stream_get_id(st),
                 yamux_stream_get_recv_window(st));
    }
}

/* ---- input ------------------------------------------------------------------------------- */

size_t fz_side_feed(fz_side *side, const uint8_t *p, size_t n) {
    if (!side->s || n == 0) return n;
    /* The observer sees the bytes before the engine acts on them: callbacks run inside recv
     * may already emit the answers. Seeing input early only makes the checks more lenient. */
    fz_obs_input(&side->obs, p, n);
    size_t done = 0;
    int drained = 0;
    while (done < n) {
        ptrdiff_t r = yamux_session_recv(side->s, p + done, n - done);
        if (r < 0) {
            fz_check_errname((int)r, "yamux_session_recv");
            FZ_CHECK(yamux_session_is_closed(side->s), "recv failed on a live session");
            return n; /* the rest is lost with the session */
        }
        FZ_CHECK((size_t)r <= n - done, "recv consumed %td of %zu bytes", r, n - done);
        done += (size_t)r;
        if (done == n) break;
        FZ_CHECK(r > 0 || !drained, "recv takes nothing although its output was drained");
        fz_side_drain(side);
        drained = r == 0;
    }
    return n;
}

/* ---- output ------------------------------------------------------------------------------ */

static void held_push(fz_side *side, const uint8_t *p, size_t len) {
    if (side->held + len > side->held_cap) {
        size_t cap = side->held_cap ? side->held_cap : 4096;
        while (cap < side->held + len)
            cap *= 2;
        side->held_copy = realloc(side->held_copy, cap);
        FZ_CHECK(side->held_copy != NULL, "out of host memory");
        side->held_cap = cap;
    }
    memcpy(side->held_copy + side->held, p, len);
    side->held_iov[side->nheld].p = p;
    side->held_iov[side->nheld].len = len;
    side->nheld++;
    side->held += len;
}

size_t fz_side_pull(fz_side *side, size_t max_bytes, size_t max_iov, size_t hold) {
    if (!side->s) return 0;
    /* Room to remember the iovecs handed out: report older output written first. */
    if (side->nheld + 16 > FZ_MAX_HELD) fz_side_done(side, side->held);
    if (!side->s) return 0;
    yamux_iovec iov[16];
    size_t want = max_iov && max_iov < 16 ? max_iov : 16, cnt = want;
    size_t got = yamux_session_send_iov(side->s, iov, &cnt, max_bytes);
    FZ_CHECK(cnt <= want, "send_iov filled %zu of %zu iovecs", cnt, want);
    FZ_CHECK(max_bytes == 0 || got <= max_bytes, "send_iov handed out %zu > %zu", got, max_bytes);
    size_t sum = 0;
    for (size_t i = 0; i < cnt; i++) {
        FZ_CHECK(iov[i].len > 0 && iov[i].base != NULL, "empty iovec %zu", i);
        sum += iov[i].len;
        fz_obs_output(&side->obs, iov[i].base, iov[i].len);
        if (side->sink) side->sink(side, iov[i].base, iov[i].len);
        held_push(side, iov[i].base, iov[i].len);
    }
    FZ_CHECK(sum == got, "send_iov returned %zu, iovecs hold %zu", got, sum);
    if (side->held > hold) fz_side_done(side, side->held - hold);
    return got;
}

void fz_side_done(fz_side *side, size_t n) {
    if (n > side->held) n = side->held;
    if (!side->s || n == 0) return;
    /* Everything handed out must still be there, unchanged, until reported written. */
    size_t off = 0;
    for (size_t i = 0; i < side->nheld; i++) {
        FZ_CHECK(memcmp(side->held_iov[i].p, side->held_copy + off, side->held_iov[i].len) == 0,
                 "output handed out changed before it was reported written");
        off += side->held_iov[i].len;
    }
    size_t left = n, k = 0;
    while (left > 0) {
        fz_held *h = &side->held_iov[k];
        if (h->len > left) {
            h->p += left;
            h->len -= left;
            left = 0;
        } else {
            left -= h->len;
            k++;
        }
    }
    memmove(side->held_iov, side->held_iov + k, (side->nheld - k) * sizeof side->held_iov[0]);
    side->nheld -= k;
    memmove(side->held_copy, side->held_copy + n, side->held - n);
    side->held -= n;
    yamux_session_send_done(side->s, n);
}

size_t fz_side_drain(fz_side *side) {
    size_t total = 0, got;
    if (!side->s) return 0;
    fz_side_done(side, side->held);
    while (side->s && (got = fz_side_pull(side, 0, 0, 0)) > 0)
        total += got;
    if (!side->s) return total;
    FZ_CHECK(!yamux_session_is_send_pending(side->s), "output left after a full drain");
    if (yamux_session_is_closed(side->s))
        fz_obs_check_end(&side->obs, yamux_session_get_error(side->s));
    return total;
}

size_t fz_side_drain_copy(fz_side *side, size_t cap) {
    static uint8_t buf[65536];
    size_t total = 0, got;
    if (!side->s) return 0;
    fz_side_done(side, side->held); /* send() reports what it copies written: nothing held */
    if (cap == 0 || cap > sizeof buf) cap = sizeof buf;
    for (;;) {
        got = yamux_session_send(side->s, buf, cap);
        if (!got) break;
        FZ_CHECK(got <= cap, "send copied %zu > %zu", got, cap);
        fz_obs_output(&side->obs, buf, got);
        if (side->sink) side->sink(side, buf, got);
        total += got;
    }
    FZ_CHECK(!yamux_session_is_send_pending(side->s), "output left after a full drain");
    if (yamux_session_is_closed(side->s))
        fz_obs_check_end(&side->obs, yamux_session_get_error(side->s));
    return total;
}

/* ---- time -------------------------------------------------------------------------------- */

void fz_side_tick(fz_side *side, uint64_t now) {
    if (!side->s) return;
    FZ_CHECK(now >= side->now, "clock went backwards");
    side->now = now;
    yamux_session_tick(side->s, now);
    if (side->s && !yamux_session_is_closed(side->s))
        FZ_CHECK(yamux_session_get_next_deadline(side->s) > now,
                 "after tick(%llu) the next deadline %llu is already due", (unsigned long long)now,
                 (unsigned long long)yamux_session_get_next_deadline(side->s));
}
