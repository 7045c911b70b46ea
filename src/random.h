/* Per-object random keys (internal): for hash tables whose keys a peer chooses. */
#ifndef YX_RANDOM_H
#define YX_RANDOM_H

#include <stdint.h>

/** 64 bits from the system's random source (getrandom, getentropy in wasm), mixed with
 * `salt` (an address) and a counter, so keys differ even where no random source exists. */
uint64_t yx_random_key(const void *salt);

#endif
