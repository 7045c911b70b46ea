/* Frame splitter: see fz_wire.h. */
#include "fz_wire.h"

#include <string.h>

void fz_wire_init(fz_wire *w) {
    memset(w, 0, sizeof *w);
}

void fz_wire_feed(fz_wire *w, const uint8_t *p, size_t n, const fz_wire_ops *ops, void *ctx) {
    w->bytes += n;
    while (n > 0) {
        if (w->in_payload) {
            size_t k = w->cur.length - w->off;
            if (k > n) k = n;
            if (ops->payload) ops->payload(ctx, &w->cur, w->off, p, k);
            w->off += (uint32_t)k;
            p += k;
            n -= k;
            if (w->off == w->cur.length) w->in_payload = 0;
            continue;
        }
        size_t k = YAMUX_HEADER_SIZE - w->have;
        if (k > n) k = n;
        memcpy(w->hdr + w->have, p, k);
        w->have += (uint32_t)k;
        p += k;
        n -= k;
        if (w->have < YAMUX_HEADER_SIZE) break;
        w->have = 0;
        yamux_frame_decode(&w->cur, w->hdr);
        w->frames++;
        if (ops->frame) ops->frame(ctx, &w->cur);
        w->off = 0;
        w->in_payload = w->cur.type == YAMUX_TYPE_DATA && w->cur.length > 0;
    }
}
