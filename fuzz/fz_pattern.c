/* Payload patterns: see fz.h. These loops run over every payload byte, so they are kept out
 * of the coverage and address instrumentation (the harness's own buffers; the comparison
 * hooks would dominate the run time and only add noise to the fuzzer's feedback), and use
 * that byte k of block q = k / 256 is (k % 256 * 31 + seed * 7 + q) mod 256. */
#include "fz.h"

#if defined(__clang__)
#define FZ_HOT __attribute__((no_sanitize("coverage", "address", "undefined")))
#else
#define FZ_HOT
#endif

FZ_HOT static uint8_t block_add(uint64_t k, uint32_t seed) {
    return (uint8_t)(seed * 7 + (k >> 8));
}

FZ_HOT void fz_pattern_fill(uint8_t *buf, size_t n, uint64_t off, uint32_t seed) {
    size_t i = 0;
    while (i < n) {
        uint64_t k = off + i;
        uint8_t add = block_add(k, seed);
        size_t r = (size_t)(k & 255), run = 256 - r;
        if (run > n - i) run = n - i;
        for (size_t j = 0; j < run; j++)
            buf[i + j] = (uint8_t)((r + j) * 31 + add);
        i += run;
    }
}

FZ_HOT size_t fz_pattern_mismatch(const uint8_t *p, size_t n, uint64_t off, uint32_t seed) {
    size_t i = 0;
    while (i < n) {
        uint64_t k = off + i;
        uint8_t add = block_add(k, seed), diff = 0;
        size_t r = (size_t)(k & 255), run = 256 - r;
        if (run > n - i) run = n - i;
        for (size_t j = 0; j < run; j++)
            diff |= (uint8_t)(p[i + j] ^ (uint8_t)((r + j) * 31 + add));
        if (diff) {
            for (size_t j = 0; j < run; j++)
                if (p[i + j] != fz_pattern(k + j, seed)) return i + j;
        }
        i += run;
    }
    return n;
}
