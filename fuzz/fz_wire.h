/* An incremental yamux frame splitter, independent of the engine's parser: follows frame
 * boundaries in a byte stream fed in arbitrary pieces (12-byte header, then `length` payload
 * bytes for DATA frames) and reports each header and each piece of payload. */
#ifndef FZ_WIRE_H
#define FZ_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "yamux/frame.h"

typedef struct fz_wire_ops {
    /* A complete header (not validated). */
    void (*frame)(void *ctx, const yamux_frame *f);
    /* `n` payload bytes of DATA frame `f`, starting `off` bytes into its payload. */
    void (*payload)(void *ctx, const yamux_frame *f, uint32_t off, const uint8_t *p, size_t n);
} fz_wire_ops;

typedef struct fz_wire {
    uint8_t hdr[YAMUX_HEADER_SIZE];
    uint32_t have; /* header bytes collected */
    uint32_t off;  /* payload bytes of `cur` seen */
    int in_payload;
    yamux_frame cur;
    uint64_t frames, bytes;
} fz_wire;

void fz_wire_init(fz_wire *w);

/* Feeds `n` more bytes of the stream. */
void fz_wire_feed(fz_wire *w, const uint8_t *p, size_t n, const fz_wire_ops *ops, void *ctx);

/* True between frames. */
static inline int fz_wire_at_boundary(const fz_wire *w) {
    return w->have == 0 && !w->in_payload;
}

#endif
