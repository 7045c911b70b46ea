/* Deterministic stream payloads (PEER_CLI.md): byte k of the stream with id S is
 * (k*31 + S*7 + (k>>8)) & 0xFF. Within 256-byte block m (k = 256m + j) that is
 * (j*31 + c) & 0xFF with c = (S*7 + m) & 0xFF: every block is one of 256 rows. */
#include <string.h>

#include "peer.h"

static uint8_t rows[256][256];
static int rows_ready;

static void init_rows(void) {
    for (int c = 0; c < 256; c++)
        for (int j = 0; j < 256; j++)
            rows[c][j] = (uint8_t)(j * 31 + c);
    rows_ready = 1;
}

void peer_pattern_fill(uint8_t *dst, size_t n, uint32_t id, uint64_t off) {
    if (!rows_ready) init_rows();
    uint64_t s7 = (uint64_t)id * 7;
    while (n > 0) {
        size_t j = off & 0xFF, k = 256 - j;
        if (k > n) k = n;
        memcpy(dst, &rows[(s7 + (off >> 8)) & 0xFF][j], k);
        dst += k;
        off += k;
        n -= k;
    }
}

int peer_pattern_check(const uint8_t *src, size_t n, uint32_t id, uint64_t off, size_t *bad) {
    if (!rows_ready) init_rows();
    uint64_t s7 = (uint64_t)id * 7;
    size_t done = 0;
    while (done < n) {
        size_t j = off & 0xFF, k = 256 - j;
        if (k > n - done) k = n - done;
        const uint8_t *want = &rows[(s7 + (off >> 8)) & 0xFF][j];
        if (memcmp(src + done, want, k) != 0) {
            size_t i = 0;
            while (src[done + i] == want[i])
                i++;
            *bad = done + i;
            return 0;
        }
        done += k;
        off += k;
    }
    return 1;
}

uint64_t peer_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
