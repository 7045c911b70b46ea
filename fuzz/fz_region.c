/* shmq region for the fuzzer: see fz_region.h. */
#include "fz_region.h"

#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "yamux/shmq.h"
#include "yamux/shmq_layout.h"

void fz_region_init(fz_region *r, size_t len, uint32_t ring, uint32_t mtu) {
    r->len = len;
    r->mem = malloc(len ? len : 1); /* malloc aligns to 16 */
    r->snap = malloc(len ? len : 1);
    FZ_CHECK(r->mem && r->snap, "out of host memory");
    memset(r->mem, 0, len);
    if (yamux_shmq_region_size(ring, mtu) <= len)
        FZ_CHECK(yamux_shmq_format(r->mem, len, ring, mtu) == YAMUX_OK, "format");
}

void fz_region_free(fz_region *r) {
    free(r->mem);
    free(r->snap);
    r->mem = r->snap = NULL;
}

void fz_region_snap(fz_region *r) {
    memcpy(r->snap, r->mem, r->len);
}

static int in(size_t off, size_t start, size_t size) {
    return off >= start && off - start < size;
}

static int writable_by(int side, uint32_t ring, size_t off) {
    unsigned s = (unsigned)side, p = 1u - s;
    return in(off, YAMUX_SHMQ_OFF_DATA(s, ring), ring) || in(off, YAMUX_SHMQ_OFF_TAIL(s), 4) ||
           in(off, YAMUX_SHMQ_OFF_HEAD(p), 4) || in(off, YAMUX_SHMQ_OFF_CTRL(s), YAMUX_SHMQ_LINE) ||
           in(off, YAMUX_SHMQ_OFF_BELL(s), 4) || in(off, YAMUX_SHMQ_OFF_BELL(p), 4);
}

void fz_region_check_writes(const fz_region *r, int side, uint32_t ring, const char *call) {
    for (size_t b = 0; b < r->len; b += 64) { /* whole lines first: most are unchanged */
        size_t end = b + 64 < r->len ? b + 64 : r->len;
        if (memcmp(r->mem + b, r->snap + b, end - b) == 0) continue;
        for (size_t i = b; i < end; i++)
            if (r->mem[i] != r->snap[i])
                FZ_CHECK(writable_by(side, ring, i), "%s on side %c wrote byte %#zx of the region",
                         call, "AB"[side], i);
    }
}

int fz_region_in_ring(const fz_region *r, uint32_t ring, int ring_index, const void *p, size_t n) {
    const unsigned char *start = r->mem + YAMUX_SHMQ_OFF_DATA((unsigned)ring_index, ring);
    const unsigned char *q = p;
    return q >= start && n <= ring && (size_t)(q - start) <= ring - n && q + n <= r->mem + r->len;
}
