/* Chunked byte queues: see bufq.h. */
#include "bufq.h"

#include <string.h>

void yx_pool_init(yx_pool *p, const yamux_allocator *alloc, size_t max_free) {
    p->alloc = *alloc;
    p->free_list = NULL;
    p->nfree = 0;
    p->max_free = max_free;
    p->live = 0;
}

void yx_pool_destroy(yx_pool *p) {
    while (p->free_list) {
        yx_chunk *c = p->free_list;
        p->free_list = c->next;
        p->alloc.free(c, YX_CHUNK_ALLOC, p->alloc.ud);
    }
    p->nfree = 0;
}

static yx_chunk *chunk_get(yx_pool *p) {
    yx_chunk *c = p->free_list;
    if (c) {
        p->free_list = c->next;
        p->nfree--;
    } else {
        c = p->alloc.malloc(YX_CHUNK_ALLOC, p->alloc.ud);
        if (!c) return NULL;
    }
    c->next = NULL;
    c->begin = c->end = 0;
    c->ext = NULL;
    c->release = NULL;
    p->live++;
    return c;
}

static void chunk_put(yx_pool *p, yx_chunk *c) {
    p->live--;
    if (c->ext) {
        void (*release)(void *) = c->release;
        void *arg = c->release_arg;
        p->alloc.free(c, YX_CHUNK_REF_ALLOC, p->alloc.ud);
        if (release) release(arg);
        return;
    }
    if (p->nfree < p->max_free) {
        c->next = p->free_list;
        p->free_list = c;
        p->nfree++;
    } else {
        p->alloc.free(c, YX_CHUNK_ALLOC, p->alloc.ud);
    }
}

size_t yx_bufq_append(yx_bufq *q, yx_pool *p, const uint8_t *data, size_t len) {
    size_t done = 0;
    while (done < len) {
        yx_chunk *t = q->tail;
        if (!t || t->ext || t->end == YX_CHUNK_CAP) {
            yx_chunk *c = chunk_get(p);
            if (!c) break;
            if (t)
                t->next = c;
            else
                q->head = c;
            q->tail = t = c;
        }
        size_t n = YX_CHUNK_CAP - t->end;
        if (n > len - done) n = len - done;
        memcpy(t->data + t->end, data + done, n);
        t->end += (uint32_t)n;
        done += n;
    }
    q->len += done;
    return done;
}

int yx_bufq_append_ref(yx_bufq *q, yx_pool *p, const uint8_t *data, size_t len,
                       void (*release)(void *arg), void *arg) {
    yx_chunk *c = p->alloc.malloc(YX_CHUNK_REF_ALLOC, p->alloc.ud);
    if (!c) return YAMUX_ENOMEM;
    c->next = NULL;
    c->begin = 0;
    c->end = (uint32_t)len;
    c->ext = data;
    c->release = release;
    c->release_arg = arg;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
    q->len += len;
    p->live++;
    return YAMUX_OK;
}

size_t yx_bufq_peek(const yx_bufq *q, size_t offset, yamux_iovec *iov, size_t max_iov,
                    size_t max_bytes, size_t *bytes) {
    size_t n = 0;
    const yx_chunk *c = q->head;
    while (c && offset >= (size_t)(c->end - c->begin)) {
        offset -= c->end - c->begin;
        c = c->next;
    }
    while (c && n < max_iov && max_bytes > 0) {
        size_t avail = c->end - c->begin - offset;
        if (avail > max_bytes) avail = max_bytes;
        iov[n].base = yx_chunk_bytes(c) + c->begin + offset;
        iov[n].len = avail;
        n++;
        *bytes += avail;
        max_bytes -= avail;
        offset = 0;
        c = c->next;
    }
    return n;
}

void yx_bufq_consume(yx_bufq *q, yx_pool *p, size_t n) {
    q->len -= n;
    while (n > 0) {
        yx_chunk *c = q->head;
        size_t avail = c->end - c->begin;
        if (n < avail) {
            c->begin += (uint32_t)n;
            return;
        }
        n -= avail;
        q->head = c->next;
        if (!q->head) q->tail = NULL;
        chunk_put(p, c);
    }
}

size_t yx_bufq_read(yx_bufq *q, yx_pool *p, uint8_t *dst, size_t n) {
    if (n > q->len) n = q->len;
    size_t copied = 0;
    for (const yx_chunk *c = q->head; c && copied < n; c = c->next) {
        size_t avail = c->end - c->begin;
        if (avail > n - copied) avail = n - copied;
        memcpy(dst + copied, yx_chunk_bytes(c) + c->begin, avail);
        copied += avail;
    }
    yx_bufq_consume(q, p, n);
    return n;
}

void yx_bufq_truncate(yx_bufq *q, yx_pool *p, size_t keep) {
    if (keep >= q->len) return;
    if (keep == 0) {
        while (q->head) {
            yx_chunk *c = q->head;
            q->head = c->next;
            chunk_put(p, c);
        }
        q->tail = NULL;
        q->len = 0;
        return;
    }
    yx_chunk *c = q->head;
    size_t left = keep;
    while (left > (size_t)(c->end - c->begin)) {
        left -= c->end - c->begin;
        c = c->next;
    }
    c->end = c->begin + (uint32_t)left;
    yx_chunk *rest = c->next;
    c->next = NULL;
    q->tail = c;
    while (rest) {
        yx_chunk *nx = rest->next;
        chunk_put(p, rest);
        rest = nx;
    }
    q->len = keep;
}
