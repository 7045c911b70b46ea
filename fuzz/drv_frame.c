/* Frame driver: the header codec and validator against a restatement of frame.h's rules.
 *
 * Input: 12-byte headers back to back (a shorter tail is ignored), plus the whole input once
 * more through the frame splitter. Checks: decode/encode round trip, yamux_frame_validate
 * equal to the model and a named protocol error, every error string function total. */
#include <string.h>

#include "drivers.h"
#include "fz.h"
#include "fz_wire.h"
#include "yamux/error.h"

/* frame.h's rules, one at a time, in the order the documentation lists them. */
static int model_validate(const yamux_frame *f) {
    int stream_type = f->type == YAMUX_TYPE_DATA || f->type == YAMUX_TYPE_WINDOW_UPDATE;
    int syn = (f->flags & YAMUX_FLAG_SYN) != 0, ack = (f->flags & YAMUX_FLAG_ACK) != 0;
    if (f->version != 0) return YAMUX_EPROTO_VERSION;
    if (f->type >= 4) return YAMUX_EPROTO_TYPE;
    if (f->flags >= 16) return YAMUX_EPROTO_FLAGS;
    if (stream_type == (f->stream_id == 0)) return YAMUX_EPROTO_STREAM_ID;
    if (stream_type) return syn && ack ? YAMUX_EPROTO_FLAGS : YAMUX_OK;
    if (f->type == YAMUX_TYPE_PING) return syn + ack == 1 && f->flags < 4 ? 0 : YAMUX_EPROTO_FLAGS;
    return f->flags == 0 ? YAMUX_OK : YAMUX_EPROTO_FLAGS;
}

static void check_header(const uint8_t *h) {
    yamux_frame f;
    uint8_t back[YAMUX_HEADER_SIZE];
    yamux_frame_decode(&f, h);
    yamux_frame_encode(back, &f);
    FZ_CHECK(memcmp(back, h, YAMUX_HEADER_SIZE) == 0, "decode/encode round trip differs");
    FZ_CHECK(f.version == h[0] && f.type == h[1], "version/type");
    FZ_CHECK(f.flags == (uint16_t)(h[2] << 8 | h[3]), "flags are big endian");
    FZ_CHECK(f.length ==
                 ((uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11]),
             "length is big endian");
    int v = yamux_frame_validate(&f), m = model_validate(&f);
    FZ_CHECK(v == m, "validate says %s, the rules say %s (type %u flags %#x id %u)",
             yamux_errname(v), yamux_errname(m), f.type, f.flags, f.stream_id);
    FZ_CHECK(v == 0 || yamux_error_is_protocol(v), "validate: %s is no protocol error",
             yamux_errname(v));
    const char *name = yamux_frame_type_name(f.type);
    FZ_CHECK(name != NULL && (f.type > 3) == (strcmp(name, "UNKNOWN") == 0), "type name");
}

static void check_error_strings(int e) {
    const char *name = yamux_errname(e), *text = yamux_strerror(e);
    FZ_CHECK(name != NULL && text != NULL, "NULL error string for %d", e);
    int named = strcmp(name, "YAMUX_E?") != 0;
    FZ_CHECK(named == (strcmp(text, "unknown error") != 0), "errname and strerror disagree on %d",
             e);
    if (yamux_error_is_protocol(e)) FZ_CHECK(named, "unnamed protocol error %d", e);
}

static void split_frame(void *ctx, const yamux_frame *f) {
    (void)ctx;
    uint8_t h[YAMUX_HEADER_SIZE];
    yamux_frame_encode(h, f);
    check_header(h);
}

static void split_payload(void *ctx, const yamux_frame *f, uint32_t off, const uint8_t *p,
                          size_t n) {
    (void)ctx;
    (void)p;
    FZ_CHECK(f->type == YAMUX_TYPE_DATA && (uint64_t)off + n <= f->length, "payload split");
}

int fz_frame_run(const uint8_t *data, size_t size) {
    size_t i;
    for (i = 0; i + YAMUX_HEADER_SIZE <= size; i += YAMUX_HEADER_SIZE)
        check_header(data + i);
    if (size >= 4)
        check_error_strings((int)((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
                                  (uint32_t)data[2] << 8 | data[3]));
    if (size >= 1) check_error_strings(-(int)data[0]);
    static const fz_wire_ops ops = {split_frame, split_payload};
    fz_wire w;
    fz_wire_init(&w);
    /* In two pieces split at a point the input picks, as a transport would deliver it. */
    size_t at = size ? data[size - 1] % (size + 1) : 0;
    fz_wire_feed(&w, data, at, &ops, NULL);
    fz_wire_feed(&w, data + at, size - at, &ops, NULL);
    FZ_CHECK(w.bytes == size, "splitter lost bytes");
    return 0;
}
