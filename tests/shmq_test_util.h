/* Helpers for the shmq tests: a deterministic PRNG, self-checking packets whose length and
 * contents derive from a sequence number, and test-volume scaling. Header-only. */
#ifndef SHMQ_TEST_UTIL_H
#define SHMQ_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamux/shmq.h"

static inline uint64_t tu_mix(uint64_t x) { /* splitmix64 finaliser */
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

typedef struct {
    uint64_t s;
} tu_rng;

static inline uint64_t tu_next(tu_rng *r) {
    return tu_mix(r->s++);
}

/* Uniform-ish in [0, n) for n > 0. */
static inline uint32_t tu_below(tu_rng *r, uint32_t n) {
    return (uint32_t)(tu_next(r) % n);
}

/* Length of packet `seq` of a stream: mostly uniform in [0, mtu], often an edge size. */
static inline size_t tu_pkt_len(uint64_t stream, uint64_t seq, size_t mtu) {
    uint64_t h = tu_mix(stream * 0x100000001B3ull ^ seq);
    switch (h & 15) {
    case 0:
        return 0;
    case 1:
        return 1;
    case 2:
        return mtu;
    case 3:
        return mtu - 1;
    case 4:
        return (h >> 8) % 16;
    default:
        return (size_t)((h >> 8) % (mtu + 1));
    }
}

/* Contents of packet `seq`: 64-bit words derived from (stream, seq) and their index. */
static inline void tu_fill(unsigned char *p, size_t len, uint64_t stream, uint64_t seq) {
    uint64_t x = tu_mix(stream ^ (seq << 20) ^ 0xA5A5);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w = x ^ (i * 0x9E3779B97F4A7C15ull);
        memcpy(p + i, &w, 8);
    }
    if (i < len) {
        uint64_t w = x ^ (i * 0x9E3779B97F4A7C15ull);
        memcpy(p + i, &w, len - i);
    }
}

/* 1 when `p` holds exactly packet `seq` of `stream`. */
static inline int tu_check(const unsigned char *p, size_t len, uint64_t stream, uint64_t seq,
                           size_t mtu) {
    if (len != tu_pkt_len(stream, seq, mtu)) return 0;
    uint64_t x = tu_mix(stream ^ (seq << 20) ^ 0xA5A5);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w = x ^ (i * 0x9E3779B97F4A7C15ull), g;
        memcpy(&g, p + i, 8);
        if (g != w) return 0;
    }
    if (i < len) {
        uint64_t w = x ^ (i * 0x9E3779B97F4A7C15ull);
        if (memcmp(p + i, &w, len - i) != 0) return 0;
    }
    return 1;
}

#if defined(__SANITIZE_THREAD__)
#define TU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TU_TSAN 1
#endif
#endif

/* Scales a test volume: full size normally, /4 under valgrind (YAMUX_TEST_SLOW=0),
 * /8 under ThreadSanitizer. */
static inline uint64_t tu_volume(uint64_t full) {
    const char *slow = getenv("YAMUX_TEST_SLOW");
    if (slow && strcmp(slow, "0") == 0) return full / 4;
#ifdef TU_TSAN
    return full / 8;
#else
    return full;
#endif
}

/* A region on the heap, formatted, with both sides attached (spin off unless asked). */
typedef struct {
    void *mem;
    size_t len;
    yamux_shmq *a, *b;
} tu_pair;

static inline int tu_pair_open(tu_pair *p, size_t ring, size_t mtu) {
    p->a = p->b = NULL;
    p->len = yamux_shmq_region_size(ring, mtu);
    if (!p->len) return YAMUX_EINVAL;
    p->mem = aligned_alloc(64, (p->len + 63) & ~(size_t)63);
    if (!p->mem) return YAMUX_EINVAL;
    int r = yamux_shmq_format(p->mem, p->len, ring, mtu);
    if (!r) r = yamux_shmq_new(&p->a, p->mem, p->len, YAMUX_SHMQ_SIDE_A, NULL);
    if (!r) r = yamux_shmq_new(&p->b, p->mem, p->len, YAMUX_SHMQ_SIDE_B, NULL);
    return r;
}

static inline void tu_pair_free(tu_pair *p) {
    yamux_shmq_free(p->a);
    yamux_shmq_free(p->b);
    p->a = p->b = NULL;
    free(p->mem);
    p->mem = NULL;
}

#endif
