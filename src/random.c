/* Per-object random keys: see random.h. */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* getrandom() */
#endif
#include "random.h"

#include <stdatomic.h>
#include <time.h>

#if defined(__EMSCRIPTEN__) || defined(__wasi__)
#include <unistd.h> /* getentropy: crypto.getRandomValues / WASI random_get */
#elif defined(__linux__)
#include <sys/random.h>
#endif

static _Atomic uint64_t counter;

/* splitmix64's finalizer: every input bit reaches every output bit. */
static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static int system_random(uint64_t *out) {
#if defined(__EMSCRIPTEN__) || defined(__wasi__)
    return getentropy(out, sizeof *out) == 0;
#elif defined(__linux__)
    return getrandom(out, sizeof *out, GRND_NONBLOCK) == (ssize_t)sizeof *out;
#else
    (void)out;
    return 0;
#endif
}

uint64_t yx_random_key(const void *salt) {
    uint64_t r = 0;
    if (!system_random(&r)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    }
    uint64_t n = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    return mix(r ^ mix((uint64_t)(uintptr_t)salt + 0x9e3779b97f4a7c15ull * (n + 1)));
}
