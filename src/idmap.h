/* Stream id -> pointer hash map (internal): open addressing, linear probing, backward-shift
 * deletion, power-of-two capacity kept under 50% load. Id 0 marks an empty slot. The peer
 * chooses the ids, so the hash is keyed per map: multiply-shift with a random odd multiplier
 * (a universal family), so no choice of ids made without the key piles them into one run. */
#ifndef YX_IDMAP_H
#define YX_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "yamux/session.h"

typedef struct yx_idmap_slot {
    uint32_t id;
    void *value;
} yx_idmap_slot;

typedef struct yx_idmap {
    yx_idmap_slot *slots;
    size_t cap;     /* 0 or a power of two */
    unsigned shift; /* 64 - log2(cap): the hash keeps the top bits of the product */
    size_t count;
    uint64_t mul, add; /* the key: mul odd */
    const yamux_allocator *alloc;
} yx_idmap;

/** Initialises an empty map (no allocation until the first insert) with hash key `key`. */
void yx_idmap_init(yx_idmap *m, const yamux_allocator *alloc, uint64_t key);

/** The slot where `id` would be stored first (its probe run starts there). */
size_t yx_idmap_home(const yx_idmap *m, uint32_t id);

/** Frees the table (not the values). */
void yx_idmap_destroy(yx_idmap *m);

/** The value stored for `id` (id != 0), or NULL. */
void *yx_idmap_get(const yx_idmap *m, uint32_t id);

/** Stores `value` for a new `id` (id != 0, not present). Returns 0 or YAMUX_ENOMEM. */
int yx_idmap_put(yx_idmap *m, uint32_t id, void *value);

/** Removes `id` if present. */
void yx_idmap_del(yx_idmap *m, uint32_t id);

#endif
