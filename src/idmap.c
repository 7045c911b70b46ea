/* Stream id hash map: see idmap.h. */
#include "idmap.h"

#include <string.h>

/* Ids of one side advance by 2: drop the parity bit, then Fibonacci-hash, keeping the top
 * bits of the product (all of the id's bits reach them, so ids a peer picks to differ only in
 * high bits do not pile up in one probe run). */
static size_t slot_of(uint32_t id, unsigned shift) {
    return (size_t)((uint32_t)((id >> 1) * 2654435769u) >> shift);
}

void yx_idmap_init(yx_idmap *m, const yamux_allocator *alloc) {
    m->slots = NULL;
    m->cap = m->count = 0;
    m->shift = 32;
    m->alloc = alloc;
}

void yx_idmap_destroy(yx_idmap *m) {
    if (m->slots) m->alloc->free(m->slots, m->cap * sizeof *m->slots, m->alloc->ud);
    m->slots = NULL;
    m->cap = m->count = 0;
}

void *yx_idmap_get(const yx_idmap *m, uint32_t id) {
    if (m->count == 0) return NULL;
    for (size_t i = slot_of(id, m->shift);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].id == id) return m->slots[i].value;
        if (m->slots[i].id == 0) return NULL;
    }
}

static void insert(yx_idmap_slot *slots, size_t cap, unsigned shift, uint32_t id, void *value) {
    size_t i = slot_of(id, shift);
    while (slots[i].id != 0)
        i = (i + 1) & (cap - 1);
    slots[i].id = id;
    slots[i].value = value;
}

static int grow(yx_idmap *m) {
    size_t ncap = m->cap ? m->cap * 2 : 16;
    unsigned nshift = m->cap ? m->shift - 1 : 28;
    yx_idmap_slot *ns = m->alloc->malloc(ncap * sizeof *ns, m->alloc->ud);
    if (!ns) return -1;
    memset(ns, 0, ncap * sizeof *ns);
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].id) insert(ns, ncap, nshift, m->slots[i].id, m->slots[i].value);
    if (m->slots) m->alloc->free(m->slots, m->cap * sizeof *m->slots, m->alloc->ud);
    m->slots = ns;
    m->cap = ncap;
    m->shift = nshift;
    return 0;
}

int yx_idmap_put(yx_idmap *m, uint32_t id, void *value) {
    if ((m->count + 1) * 2 > m->cap && grow(m) != 0) return YAMUX_ENOMEM;
    insert(m->slots, m->cap, m->shift, id, value);
    m->count++;
    return 0;
}

void yx_idmap_del(yx_idmap *m, uint32_t id) {
    if (m->count == 0) return;
    size_t mask = m->cap - 1, i = slot_of(id, m->shift);
    while (m->slots[i].id != id) {
        if (m->slots[i].id == 0) return;
        i = (i + 1) & mask;
    }
    /* Backward-shift: pull later members of the probe run into the hole. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (m->slots[j].id == 0) break;
        size_t home = slot_of(m->slots[j].id, m->shift);
        /* Move j into the hole i unless its home lies cyclically in (i, j]. */
        int in_range = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].id = 0;
    m->slots[i].value = NULL;
    m->count--;
}
