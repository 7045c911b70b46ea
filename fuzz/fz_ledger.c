/* Per-stream-id bookkeeping: see fz_ledger.h. Open addressing over host memory. */
#include "fz_ledger.h"

#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "yamux/frame.h"

void fz_ledger_init(fz_ledger *l) {
    l->slots = NULL;
    l->cap = l->count = 0;
}

void fz_ledger_free(fz_ledger *l) {
    free(l->slots);
    fz_ledger_init(l);
}

static size_t home(uint32_t id, size_t cap) {
    return (size_t)((id * 2654435761u) & (uint32_t)(cap - 1));
}

fz_sid *fz_ledger_find(const fz_ledger *l, uint32_t id) {
    if (!l->cap) return NULL;
    for (size_t i = home(id, l->cap);; i = (i + 1) & (l->cap - 1)) {
        if (!l->slots[i].used) return NULL;
        if (l->slots[i].id == id) return &l->slots[i];
    }
}

static void grow(fz_ledger *l) {
    size_t ncap = l->cap ? l->cap * 2 : 64;
    fz_sid *ns = calloc(ncap, sizeof *ns);
    FZ_CHECK(ns != NULL, "ledger: out of host memory");
    for (size_t i = 0; i < l->cap; i++) {
        if (!l->slots[i].used) continue;
        size_t j = home(l->slots[i].id, ncap);
        while (ns[j].used)
            j = (j + 1) & (ncap - 1);
        ns[j] = l->slots[i];
    }
    free(l->slots);
    l->slots = ns;
    l->cap = ncap;
}

fz_sid *fz_ledger_get(fz_ledger *l, uint32_t id) {
    fz_sid *e = fz_ledger_find(l, id);
    if (e) return e;
    if ((l->count + 1) * 2 > l->cap) grow(l);
    size_t i = home(id, l->cap);
    while (l->slots[i].used)
        i = (i + 1) & (l->cap - 1);
    e = &l->slots[i];
    memset(e, 0, sizeof *e);
    e->used = 1;
    e->id = id;
    e->send_credit = YAMUX_INITIAL_WINDOW;
    e->recv_credit = YAMUX_INITIAL_WINDOW;
    l->count++;
    return e;
}
