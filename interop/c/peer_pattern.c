/* Deterministic stream payloads (PEER_CLI.md): byte k of the stream with id S is
 * (k*31 + S*7 + (k>>8)) & 0xFF.
 *
 * With base(k) = (k*31 + (k>>8)) & 0xFF and c = S*7 mod 256, byte(k, S) = base(k + 256c):
 * adding 256c to k adds c to (k>>8) and 256c*31 = 0 mod 256 to k*31. base has period 65536.
 * So every stream's payload is a window into one table of two periods: no per-byte work. */
#include <string.h>

#include "pattern.h"

#define PERIOD 65536u

static uint8_t table[2 * PERIOD];
static int table_ready;

static void init_table(void) {
    for (uint32_t k = 0; k < 2 * PERIOD; k++)
        table[k] = (uint8_t)(k * 31 + (k >> 8));
    table_ready = 1;
}

const uint8_t *peer_pattern_at(uint32_t id, uint64_t off, size_t *len) {
    if (!table_ready) init_table();
    uint32_t start = (uint32_t)((off + 256u * ((id * 7u) & 0xFFu)) % PERIOD);
    *len = 2 * PERIOD - start;
    return table + start;
}

void peer_pattern_fill(uint8_t *dst, size_t n, uint32_t id, uint64_t off) {
    while (n > 0) {
        size_t len;
        const uint8_t *p = peer_pattern_at(id, off, &len);
        if (len > n) len = n;
        memcpy(dst, p, len);
        dst += len;
        off += len;
        n -= len;
    }
}

int peer_pattern_check(const uint8_t *src, size_t n, uint32_t id, uint64_t off, size_t *bad) {
    size_t done = 0;
    while (done < n) {
        size_t len;
        const uint8_t *want = peer_pattern_at(id, off, &len);
        if (len > n - done) len = n - done;
        if (memcmp(src + done, want, len) != 0) {
            size_t i = 0;
            while (src[done + i] == want[i])
                i++;
            if (bad) *bad = done + i;
            return 0;
        }
        done += len;
        off += len;
    }
    return 1;
}

uint64_t peer_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
