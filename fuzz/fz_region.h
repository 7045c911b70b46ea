/* A shmq region for the fuzzer: exactly `len` bytes of heap (so that the sanitizers see any
 * access beyond it), and a write-footprint check: what a call on one side changed in the
 * region must lie in the parts docs/shmq.md lets that side write. */
#ifndef FZ_REGION_H
#define FZ_REGION_H

#include <stddef.h>
#include <stdint.h>

typedef struct fz_region {
    unsigned char *mem;
    size_t len;
    unsigned char *snap;
} fz_region;

/* Allocates `len` bytes (8-aligned) and formats them for (ring, mtu) when they fit. */
void fz_region_init(fz_region *r, size_t len, uint32_t ring, uint32_t mtu);
void fz_region_free(fz_region *r);

/* Remembers the region's bytes before a call. */
void fz_region_snap(fz_region *r);

/* Checks that every byte changed since the snapshot may be written by side `side` attached
 * with rings of `ring` bytes: its send ring's data and tail, its receive ring's head, its
 * control line, both doorbells. */
void fz_region_check_writes(const fz_region *r, int side, uint32_t ring, const char *call);

/* Whether [p, p + n) lies in the data area of ring `ring_index` (rings of `ring` bytes). */
int fz_region_in_ring(const fz_region *r, uint32_t ring, int ring_index, const void *p, size_t n);

#endif
