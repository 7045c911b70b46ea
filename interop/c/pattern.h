/* The deterministic stream payload of interop/PEER_CLI.md, shared by the C peers (native and
 * wasm): byte k of the stream with id S is (k*31 + S*7 + (k>>8)) & 0xFF. */
#ifndef PEER_PATTERN_H
#define PEER_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/** Points into a shared table at payload byte `off` of stream `id`; `*len` contiguous bytes
 * follow (at least 64 KiB). */
const uint8_t *peer_pattern_at(uint32_t id, uint64_t off, size_t *len);

/** Writes payload bytes [off, off + n) of stream `id` into `dst`. */
void peer_pattern_fill(uint8_t *dst, size_t n, uint32_t id, uint64_t off);

/** True when `src` holds payload bytes [off, off + n) of stream `id`; else `*bad` (may be
 * NULL) receives the index of the first wrong byte. */
int peer_pattern_check(const uint8_t *src, size_t n, uint32_t id, uint64_t off, size_t *bad);

/** splitmix64, the generator behind --random-sizes. */
uint64_t peer_splitmix64(uint64_t *state);

#endif
