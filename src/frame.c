/* yamux frame codec: see include/yamux/frame.h. */
#include "yamux/frame.h"

#include "yamux/error.h"

static void put_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p) {
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void yamux_frame_encode(uint8_t out[YAMUX_HEADER_SIZE], const yamux_frame *f) {
    out[0] = f->version;
    out[1] = f->type;
    put_be16(out + 2, f->flags);
    put_be32(out + 4, f->stream_id);
    put_be32(out + 8, f->length);
}

void yamux_frame_decode(yamux_frame *f, const uint8_t in[YAMUX_HEADER_SIZE]) {
    f->version = in[0];
    f->type = in[1];
    f->flags = get_be16(in + 2);
    f->stream_id = get_be32(in + 4);
    f->length = get_be32(in + 8);
}

int yamux_frame_validate(const yamux_frame *f) {
    if (f->version != YAMUX_PROTO_VERSION) return YAMUX_EPROTO_VERSION;
    if (f->type > YAMUX_TYPE_GOAWAY) return YAMUX_EPROTO_TYPE;
    if (f->flags & ~YAMUX_FLAGS_ALL) return YAMUX_EPROTO_FLAGS;
    switch (f->type) {
    case YAMUX_TYPE_DATA:
    case YAMUX_TYPE_WINDOW_UPDATE:
        if (f->stream_id == 0) return YAMUX_EPROTO_STREAM_ID;
        /* SYN opens and ACK accepts: never both on one frame. */
        if ((f->flags & (YAMUX_FLAG_SYN | YAMUX_FLAG_ACK)) == (YAMUX_FLAG_SYN | YAMUX_FLAG_ACK))
            return YAMUX_EPROTO_FLAGS;
        return YAMUX_OK;
    case YAMUX_TYPE_PING:
        if (f->stream_id != 0) return YAMUX_EPROTO_STREAM_ID;
        if (f->flags != YAMUX_FLAG_SYN && f->flags != YAMUX_FLAG_ACK) return YAMUX_EPROTO_FLAGS;
        return YAMUX_OK;
    default: /* GoAway */
        if (f->stream_id != 0) return YAMUX_EPROTO_STREAM_ID;
        if (f->flags != 0) return YAMUX_EPROTO_FLAGS;
        return YAMUX_OK;
    }
}

const char *yamux_frame_type_name(uint8_t type) {
    switch (type) {
    case YAMUX_TYPE_DATA:
        return "DATA";
    case YAMUX_TYPE_WINDOW_UPDATE:
        return "WINDOW_UPDATE";
    case YAMUX_TYPE_PING:
        return "PING";
    case YAMUX_TYPE_GOAWAY:
        return "GOAWAY";
    default:
        return "UNKNOWN";
    }
}
