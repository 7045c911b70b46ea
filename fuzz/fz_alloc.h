/* A counting allocator for the engine under test: tracks live bytes and blocks, checks that
 * `free` gets the size that was allocated, and can fail after a number of allocations. */
#ifndef FZ_ALLOC_H
#define FZ_ALLOC_H

#include <stddef.h>

#include "yamux/session.h"

typedef struct fz_alloc {
    yamux_allocator a; /* hand &a to the engine */
    size_t live_bytes, live_blocks, peak_bytes;
    long fail_after; /* allocations left before failing; -1 never fails */
    size_t failures;
} fz_alloc;

/* Sets up `fa`; `fail_after` < 0 never fails. */
void fz_alloc_init(fz_alloc *fa, long fail_after);

/* Checks that everything allocated was freed. */
void fz_alloc_check_empty(const fz_alloc *fa);

#endif
