/* Test harness: two yamux sessions wired back to back in memory, a fake clock, recorded
 * callbacks and a frame log of everything that crossed the wire. */
#ifndef TEST_HARNESS_H
#define TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "yamux/session.h"

#define TH_SEC        1000000000ull
#define TH_MAX_FRAMES 65536

typedef struct th_frame_log {
    yamux_frame frames[TH_MAX_FRAMES];
    size_t count; /* frames recorded (capped at TH_MAX_FRAMES) */
    size_t total; /* frames seen */
    uint8_t hdr[YAMUX_HEADER_SIZE];
    size_t have;   /* header bytes collected */
    uint64_t skip; /* payload bytes still to skip */
} th_frame_log;

typedef struct th_side {
    yamux_session *s;
    struct th_pair *pair;
    int closed; /* on_close calls */
    int close_err;
    int goaways;  /* on_goaway calls */
    int incoming; /* on_incoming calls */
    int pings;    /* on_ping calls */
    uint32_t last_ping_opaque;
    int last_ping_status;
    uint64_t last_ping_rtt;
    /* bytes produced but not yet taken by the other side */
    uint8_t *pending;
    size_t pending_len, pending_cap;
    int blocked;      /* when set, output stays queued (a stalled transport) */
    th_frame_log log; /* frames this side sent */
    /* zero-copy receive (on_data), when set: returns the bytes it took */
    size_t (*data_fn)(struct th_side *side, yamux_stream *st, const uint8_t *data, size_t len);
} th_side;

typedef struct th_pair {
    th_side c;  /* client (odd ids) */
    th_side sv; /* server (even ids) */
    uint64_t now;
    size_t chunk; /* bytes moved per feed call, 0 for unlimited */
} th_pair;

/* Per-stream event record, hung on yamux_stream user_data by th_track(). */
typedef struct th_stream {
    unsigned events; /* OR of every event seen */
    int count;       /* on_stream calls */
} th_stream;

/* Starts two sessions (NULL configs mean defaults, keepalive off). */
void th_init(th_pair *p, const yamux_config *client_cfg, const yamux_config *server_cfg);
/* Frees both sessions and checks nothing leaked through the counting allocator. */
void th_destroy(th_pair *p);
/* Moves bytes both ways until neither side has output; returns bytes moved. */
size_t th_pump(th_pair *p);
/* Moves one batch from one side to the other; returns bytes moved. */
size_t th_move(th_side *from, th_side *to);
/* Moves at most one batch each way; returns bytes moved. */
size_t th_step(th_pair *p);
/* Advances the fake clock and ticks both sessions. */
void th_advance(th_pair *p, uint64_t ns);
/* Feeds raw bytes to one side as if from its peer; returns yamux_session_recv's result. */
ptrdiff_t th_inject(th_side *side, const uint8_t *data, size_t len);
/* Encodes one header into buf (12 bytes). */
void th_hdr(uint8_t *buf, uint8_t type, uint16_t flags, uint32_t id, uint32_t len);
/* Drains a side's output into its frame log without delivering it. */
void th_drain(th_side *side);
/* Counts logged frames of a side matching type and (all of) flags, -1 for any. */
size_t th_count(const th_side *side, int type, int flags);
/* The last logged frame of the given type, or NULL. */
const yamux_frame *th_last(const th_side *side, int type);
/* Attaches an event record to a stream. */
th_stream *th_track(yamux_stream *st);
/* Bytes currently allocated through the counting allocator. */
size_t th_allocated(void);
/* Deterministic payload byte k of a stream with the given seed. */
static inline uint8_t th_byte(uint64_t k, uint32_t seed) {
    return (uint8_t)((k * 31 + seed * 7 + (k >> 8)) & 0xFF);
}
/* Whether the slow (large-volume) variants run: YAMUX_TEST_SLOW unset or not "0". */
int th_slow(void);
/* The allocator tests use: counts bytes, can fail after a number of allocations. */
extern yamux_allocator th_allocator;
void th_alloc_fail_after(long n); /* -1 never */

#endif
