/* Stream id hash map: see idmap.h. */
#include "idmap.h"

#include <string.h>

/* Ids of one side advance by 2: drop the parity bit, then multiply-add-shift with the map's
 * key, keeping the top bits of the 64-bit result (every bit of the id reaches them). */
static size_t slot_of(const yx_idmap *m, uint32_t id, unsigned shift) {
    return (size_t)(((uint64_t)(id >> 1) * m->mul + m->add) >> shift);
}

void yx_idmap_init(yx_idmap *m, const yamux_allocator *alloc, uint64_t key) {
    m->slots = NULL;
    m->cap = m->count = 0;
    m->shift = 64;
    m->mul = (key * 0x9e3779b97f4a7c15ull) | 1u;
    m->add = key ^ (key >> 29);
    m->alloc = alloc;
}

size_t yx_idmap_home(const yx_idmap *m, uint32_t id) {
    return m->cap ? slot_of(m, id, m->shift) : 0;
}

void yx_idmap_destroy(yx_idmap *m) {
    if (m->slots) m->alloc->free(m->slots, m->cap * sizeof *m->slots, m->alloc->ud);
    m->slots = NULL;
    m->cap = m->count = 0;
}

void *yx_idmap_get(const yx_idmap *m, uint32_t id) {
    if (m->count == 0) return NULL;
    for (size_t i = slot_of(m, id, m->shift);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].id == id) return m->slots[i].value;
        if (m->slots[i].id == 0) return NULL;
    }
}

static void insert(const yx_idmap *m, yx_idmap_slot *slots, size_t cap, unsigned shift, uint32_t id,
                   void *value) {
    size_t i = slot_of(m, id, shift);
    while (slots[i].id != 0)
        i = (i + 1) & (cap - 1);
    slots[i].id = id;
    slots[i].value = value;
}

static int grow(yx_idmap *m) {
    size_t ncap = m->cap ? m->cap * 2 : 16;
    unsigned nshift = m->cap ? m->shift - 1 : 60;
    yx_idmap_slot *ns = m->alloc->malloc(ncap * sizeof *ns, m->alloc->ud);
    if (!ns) return -1;
    memset(ns, 0, ncap * sizeof *ns);
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].id) insert(m, ns, ncap, nshift, m->slots[i].id, m->slots[i].value);
    if (m->slots) m->alloc->free(m->slots, m->cap * sizeof *m->slots, m->alloc->ud);
    m->slots = ns;
    m->cap = ncap;
    m->shift = nshift;
    return 0;
}

int yx_idmap_put(yx_idmap *m, uint32_t id, void *value) {
    if ((m->count + 1) * 2 > m->cap && grow(m) != 0) return YAMUX_ENOMEM;
    insert(m, m->slots, m->cap, m->shift, id, value);
    m->count++;
    return 0;
}

void yx_idmap_del(yx_idmap *m, uint32_t id) {
    if (m->count == 0) return;
    size_t mask = m->cap - 1, i = slot_of(m, id, m->shift);
    while (m->slots[i].id != id) {
        if (m->slots[i].id == 0) return;
        i = (i + 1) & mask;
    }
    /* Backward-shift: pull later members of the probe run into the hole. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (m->slots[j].id == 0) break;
        size_t home = slot_of(m, m->slots[j].id, m->shift);
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
