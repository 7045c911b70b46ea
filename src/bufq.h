/* Byte queues made of fixed-size chunks drawn from a per-session pool (internal).
 * Empty queues hold no memory, so idle streams cost nothing; the pool keeps a bounded number
 * of free chunks so busy streams do not go back to the allocator for every frame. */
#ifndef YX_BUFQ_H
#define YX_BUFQ_H

#include <stddef.h>
#include <stdint.h>

#include "yamux/session.h"

/** Data bytes per chunk: a power of two, so that frames of max_frame_payload bytes (16 KiB
 * by default) fill chunks exactly. */
#define YX_CHUNK_CAP 16384u

typedef struct yx_chunk {
    struct yx_chunk *next;
    uint32_t begin;             /* first unread byte */
    uint32_t end;               /* one past the last written byte */
    const uint8_t *ext;         /* the bytes of a by-reference chunk (no data[] then), or NULL */
    void (*release)(void *arg); /* by-reference: called once its bytes are no longer needed */
    void *release_arg;
    uint8_t data[];
} yx_chunk;

/** A chunk's bytes (its own, or the referenced ones). */
static inline const uint8_t *yx_chunk_bytes(const yx_chunk *c) {
    return c->ext ? c->ext : c->data;
}

/** Bytes per chunk allocation, header included. */
#define YX_CHUNK_ALLOC (offsetof(yx_chunk, data) + YX_CHUNK_CAP)
/** Bytes of a by-reference chunk's allocation (header only). */
#define YX_CHUNK_REF_ALLOC (offsetof(yx_chunk, data))

typedef struct yx_pool {
    yamux_allocator alloc;
    yx_chunk *free_list;
    size_t nfree;    /* chunks in free_list */
    size_t max_free; /* bound on free_list */
    size_t live;     /* chunks handed out to queues */
} yx_pool;

typedef struct yx_bufq {
    yx_chunk *head, *tail;
    size_t len;
} yx_bufq;

/** Initialises a pool on `alloc` keeping at most `max_free` spare chunks. */
void yx_pool_init(yx_pool *p, const yamux_allocator *alloc, size_t max_free);

/** Returns every spare chunk to the allocator. Queues must be cleared first. */
void yx_pool_destroy(yx_pool *p);

/** Appends `len` bytes; returns the number appended (less than `len` only on ENOMEM). */
size_t yx_bufq_append(yx_bufq *q, yx_pool *p, const uint8_t *data, size_t len);

/** Appends `len` (< 4 GiB) bytes by reference, as one chunk: no copy; `release(arg)` (may be
 * NULL) is called once every one of them has been consumed, truncated or cleared. Returns 0 or
 * YAMUX_ENOMEM (then nothing was appended and release is not called). */
int yx_bufq_append_ref(yx_bufq *q, yx_pool *p, const uint8_t *data, size_t len,
                       void (*release)(void *arg), void *arg);

/** Describes up to `max_bytes` bytes starting `offset` bytes into the queue as at most
 * `max_iov` iovecs; returns the number of iovecs filled and adds the bytes to `*bytes`. */
size_t yx_bufq_peek(const yx_bufq *q, size_t offset, yamux_iovec *iov, size_t max_iov,
                    size_t max_bytes, size_t *bytes);

/** Drops `n` bytes (n <= len) from the front. */
void yx_bufq_consume(yx_bufq *q, yx_pool *p, size_t n);

/** Copies up to `n` bytes from the front into `dst` and drops them; returns the count. */
size_t yx_bufq_read(yx_bufq *q, yx_pool *p, uint8_t *dst, size_t n);

/** Drops bytes from the back so that `keep` bytes remain (keep <= len). */
void yx_bufq_truncate(yx_bufq *q, yx_pool *p, size_t keep);

/** Drops everything. */
static inline void yx_bufq_clear(yx_bufq *q, yx_pool *p) {
    yx_bufq_truncate(q, p, 0);
}

#endif
