/* Callback forwarding for the bindings: see fwd.h. */
#include "fwd.h"

#include <string.h>

#include "sized.h"

static void fwd_incoming(yamux_session *s, void *ud) {
    const yx_fwd *f = ud;
    f->app.on_incoming(s, f->user_data);
}

static void fwd_stream(yamux_session *s, yamux_stream *st, unsigned ev, void *ud) {
    const yx_fwd *f = ud;
    f->app.on_stream(s, st, ev, f->user_data);
}

static void fwd_ping(yamux_session *s, uint32_t opaque, int status, uint64_t rtt, void *ud) {
    const yx_fwd *f = ud;
    f->app.on_ping(s, opaque, status, rtt, f->user_data);
}

static void fwd_goaway(yamux_session *s, void *ud) {
    const yx_fwd *f = ud;
    f->app.on_goaway(s, f->user_data);
}

static void fwd_close(yamux_session *s, int err, void *ud) {
    const yx_fwd *f = ud;
    f->app.on_close(s, err, f->user_data);
}

static size_t fwd_data(yamux_session *s, yamux_stream *st, const uint8_t *data, size_t len,
                       void *ud) {
    const yx_fwd *f = ud;
    return f->app.on_data(s, st, data, len, f->user_data);
}

int yx_fwd_init(yx_fwd *f, const yamux_callbacks *cb, void *user_data, yamux_callbacks *out) {
    int r = yx_callbacks_read(&f->app, cb);
    if (r != YAMUX_OK) return r;
    f->user_data = user_data;
    yamux_callbacks_init(out);
    if (f->app.on_incoming) out->on_incoming = fwd_incoming;
    if (f->app.on_stream) out->on_stream = fwd_stream;
    if (f->app.on_ping) out->on_ping = fwd_ping;
    if (f->app.on_goaway) out->on_goaway = fwd_goaway;
    if (f->app.on_close) out->on_close = fwd_close;
    if (f->app.on_data) out->on_data = fwd_data;
    return YAMUX_OK;
}
