/* Counting allocator: see fz_alloc.h. Each block carries a header with its size and a tag. */
#include "fz_alloc.h"

#include <stdint.h>
#include <stdlib.h>

#include "fz.h"

#define TAG_LIVE 0x59414d58u /* "YAMX" */
#define TAG_DEAD 0xdeadbeefu

typedef union block_hdr {
    struct {
        size_t size;
        uint32_t tag;
    } h;
    max_align_t align;
} block_hdr;

static void *fa_malloc(size_t size, void *ud) {
    fz_alloc *fa = ud;
    if (fa->fail_after == 0) {
        fa->failures++;
        return NULL;
    }
    if (fa->fail_after > 0) fa->fail_after--;
    FZ_CHECK(size > 0 && size < ((size_t)1 << 32), "allocation of %zu bytes", size);
    block_hdr *b = malloc(sizeof *b + size);
    FZ_CHECK(b != NULL, "host malloc failed");
    b->h.size = size;
    b->h.tag = TAG_LIVE;
    fa->live_bytes += size;
    fa->live_blocks++;
    if (fa->live_bytes > fa->peak_bytes) fa->peak_bytes = fa->live_bytes;
    return b + 1;
}

static void fa_free(void *ptr, size_t size, void *ud) {
    fz_alloc *fa = ud;
    if (!ptr) return;
    block_hdr *b = (block_hdr *)ptr - 1;
    FZ_CHECK(b->h.tag == TAG_LIVE, "free of a block not live (tag %#x)", b->h.tag);
    FZ_CHECK(b->h.size == size, "free with size %zu of a block of %zu bytes", size, b->h.size);
    FZ_CHECK(fa->live_blocks > 0 && fa->live_bytes >= size, "allocator accounting underflow");
    b->h.tag = TAG_DEAD;
    fa->live_bytes -= size;
    fa->live_blocks--;
    free(b);
}

void fz_alloc_init(fz_alloc *fa, long fail_after) {
    fa->a.malloc = fa_malloc;
    fa->a.free = fa_free;
    fa->a.ud = fa;
    fa->live_bytes = fa->live_blocks = fa->peak_bytes = 0;
    fa->fail_after = fail_after;
    fa->failures = 0;
}

void fz_alloc_check_empty(const fz_alloc *fa) {
    FZ_CHECK(fa->live_blocks == 0 && fa->live_bytes == 0, "leak: %zu blocks, %zu bytes live",
             fa->live_blocks, fa->live_bytes);
}
