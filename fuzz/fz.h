/* Fuzzing support shared by the harnesses: checks that abort with a message, a reader over
 * the fuzz input, and the payload pattern streams carry. Plain C11: the drivers build with
 * any compiler, so the cmocka regression tests can replay inputs without libFuzzer. */
#ifndef FZ_H
#define FZ_H

#include <stddef.h>
#include <stdint.h>

/* Prints where and why, then aborts (a crash for libFuzzer and AFL, a failure for cmocka). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, format(printf, 4, 5)))
#endif
void fz_fail(const char *file, int line, const char *expr, const char *fmt, ...);

/* Asserts `cond`; the variadic part is a printf format and its arguments. */
#define FZ_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                              \
    } while (0)

/* Asserts that `err` (0 or negative) is 0 or a named yamux_error. */
void fz_check_errname(int err, const char *what);

/* The fuzz input, consumed front to back; reads past the end yield zeros. */
typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline uint8_t fz_u8(fz_in *in) {
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t fz_u16(fz_in *in) {
    uint16_t hi = fz_u8(in);
    return (uint16_t)((hi << 8) | fz_u8(in));
}

/* Takes up to `want` bytes; returns how many and points *out at them. */
static inline size_t fz_take(fz_in *in, size_t want, const uint8_t **out) {
    if (want > in->n) want = in->n;
    *out = in->p;
    in->p += want;
    in->n -= want;
    return want;
}

/* Byte `k` of the payload a stream carries, for a seed derived from its id and writer. */
static inline uint8_t fz_pattern(uint64_t k, uint32_t seed) {
    return (uint8_t)((k * 31 + seed * 7 + (k >> 8)) & 0xFF);
}

/* Fills `buf` with `n` pattern bytes starting at stream offset `off`. */
void fz_pattern_fill(uint8_t *buf, size_t n, uint64_t off, uint32_t seed);

/* The index of the first of `n` bytes that differs from the pattern at `off`, or `n`. */
size_t fz_pattern_mismatch(const uint8_t *p, size_t n, uint64_t off, uint32_t seed);

#endif
