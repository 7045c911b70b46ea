/* Wire observer: see fz_observe.h. */
#include "fz_observe.h"

#include "fz.h"

/* ---- what the engine is fed -------------------------------------------------------------- */

/* Counts only what can raise the engine's obligations or allowances; a frame the engine
 * rejects ends the session, after which nothing it emits depends on it. */
static void in_frame(void *ctx, const yamux_frame *f) {
    fz_observer *o = ctx;
    if (yamux_frame_validate(f) != 0) return;
    if (f->type == YAMUX_TYPE_PING) {
        if (f->flags & YAMUX_FLAG_SYN) o->pings_in++;
        return;
    }
    if (f->type == YAMUX_TYPE_GOAWAY) return;
    fz_sid *e = fz_ledger_get(o->led, f->stream_id);
    if ((f->flags & YAMUX_FLAG_SYN) && !fz_id_is_ours(f->stream_id, o->is_client)) e->in_syn = 1;
    if (f->type == YAMUX_TYPE_WINDOW_UPDATE)
        e->send_credit += f->length;
    else
        e->recv_credit -= f->length;
}

static const fz_wire_ops in_ops = {in_frame, NULL};

void fz_obs_input(fz_observer *o, const uint8_t *p, size_t n) {
    fz_wire_feed(&o->in, p, n, &in_ops, o);
}

/* ---- what the engine emits --------------------------------------------------------------- */

static void out_stream_frame(fz_observer *o, const yamux_frame *f) {
    uint32_t id = f->stream_id;
    int ours = fz_id_is_ours(id, o->is_client);
    fz_sid *e = fz_ledger_get(o->led, id);
    FZ_CHECK(!e->out_rst, "frame (type %u flags %#x) on stream %u after its RST", f->type, f->flags,
             id);
    if (f->flags & YAMUX_FLAG_SYN) {
        FZ_CHECK(ours, "SYN on stream %u of the peer's parity", id);
        FZ_CHECK(!e->out_syn, "second SYN on stream %u", id);
        e->out_syn = 1;
    }
    if (f->flags & YAMUX_FLAG_ACK) {
        FZ_CHECK(!ours, "ACK on our own stream %u", id);
        FZ_CHECK(!e->out_ack, "second ACK on stream %u", id);
        e->out_ack = 1;
    }
    if (ours)
        FZ_CHECK(e->out_syn, "frame (flags %#x) on stream %u before its SYN", f->flags, id);
    else
        FZ_CHECK(e->in_syn, "frame (flags %#x) on stream %u the peer never opened", f->flags, id);
    if (f->type == YAMUX_TYPE_DATA && f->length > 0) {
        FZ_CHECK(!e->out_fin, "%u data bytes on stream %u after its FIN", f->length, id);
        FZ_CHECK(ours || e->out_ack, "data on stream %u before its ACK", id);
        FZ_CHECK(f->length <= o->max_frame_payload, "data frame of %u bytes > max %u", f->length,
                 o->max_frame_payload);
        e->send_credit -= f->length;
        FZ_CHECK(e->send_credit >= 0, "stream %u: sent %u bytes beyond the peer's window", id,
                 (unsigned)-e->send_credit);
    }
    if (f->type == YAMUX_TYPE_WINDOW_UPDATE) {
        e->recv_credit += f->length;
        FZ_CHECK(e->recv_credit <= (int64_t)o->max_stream_window,
                 "stream %u: window granted %lld > max_stream_window %u", id,
                 (long long)e->recv_credit, o->max_stream_window);
    }
    if (f->flags & YAMUX_FLAG_FIN) {
        FZ_CHECK(!e->out_fin, "second FIN on stream %u", id);
        e->out_fin = 1;
    }
    if (f->flags & YAMUX_FLAG_RST) e->out_rst = 1;
    e->out_any = 1;
}

static void out_frame(void *ctx, const yamux_frame *f) {
    fz_observer *o = ctx;
    int v = yamux_frame_validate(f);
    FZ_CHECK(v == 0, "emitted an invalid frame (%s): type %u flags %#x id %u len %u",
             yamux_errname(v), f->type, f->flags, f->stream_id, f->length);
    FZ_CHECK(!o->goaway_final, "frame type %u emitted after GoAway with an error code", f->type);
    FZ_CHECK(o->sealed != 1, "frame type %u emitted after the transport ended", f->type);
    if (o->sealed) o->sealed = 1;
    switch (f->type) {
    case YAMUX_TYPE_GOAWAY:
        FZ_CHECK(f->length <= YAMUX_GOAWAY_INTERNAL_ERROR, "GoAway code %u", f->length);
        FZ_CHECK(f->length != 0 || !(o->goaways_out & 1u), "second GoAway 0");
        o->goaways_out |= 1u << f->length;
        if (f->length) o->goaway_final = 1;
        break;
    case YAMUX_TYPE_PING:
        if (f->flags & YAMUX_FLAG_ACK)
            FZ_CHECK(++o->acks_out <= o->pings_in, "%llu ping answers for %llu pings",
                     (unsigned long long)o->acks_out, (unsigned long long)o->pings_in);
        break;
    default:
        out_stream_frame(o, f);
    }
}

static void out_payload(void *ctx, const yamux_frame *f, uint32_t off, const uint8_t *p, size_t n) {
    fz_observer *o = ctx;
    (void)off;
    fz_sid *e = fz_ledger_get(o->led, f->stream_id);
    uint32_t seed = fz_seed(f->stream_id, o->side);
    size_t i = fz_pattern_mismatch(p, n, e->out_data, seed);
    FZ_CHECK(i == n, "stream %u: emitted byte %llu is %#x, the application wrote %#x", f->stream_id,
             (unsigned long long)(e->out_data + i), p[i], fz_pattern(e->out_data + i, seed));
    e->out_data += n;
    FZ_CHECK(e->out_data <= e->wr, "stream %u: emitted %llu bytes, the application wrote %llu",
             f->stream_id, (unsigned long long)e->out_data, (unsigned long long)e->wr);
}

static const fz_wire_ops out_ops = {out_frame, out_payload};

void fz_obs_output(fz_observer *o, const uint8_t *p, size_t n) {
    fz_wire_feed(&o->out, p, n, &out_ops, o);
}

void fz_obs_init(fz_observer *o, fz_ledger *led, int is_client, uint32_t side,
                 const yamux_config *cfg) {
    o->led = led;
    o->is_client = is_client;
    o->side = side;
    o->max_frame_payload = cfg->max_frame_payload;
    o->max_stream_window = cfg->max_stream_window;
    fz_wire_init(&o->in);
    fz_wire_init(&o->out);
    o->pings_in = o->acks_out = 0;
    o->goaways_out = 0;
    o->goaway_final = 0;
    o->sealed = 0;
}

void fz_obs_check_end(const fz_observer *o, int err) {
    FZ_CHECK(fz_wire_at_boundary(&o->out), "output drained in the middle of a frame");
    if (yamux_error_is_protocol(err)) {
        FZ_CHECK(o->goaways_out & (1u << YAMUX_GOAWAY_PROTOCOL_ERROR),
                 "ended with %s without GoAway 1", yamux_errname(err));
    } else if (err == YAMUX_ENOMEM || err == YAMUX_EINTERNAL) {
        FZ_CHECK(o->goaways_out & (1u << YAMUX_GOAWAY_INTERNAL_ERROR),
                 "ended with %s without GoAway 2", yamux_errname(err));
    } else if (err != YAMUX_EEOF && err != YAMUX_ETRANSPORT && err != YAMUX_EREMOTE_PROTOCOL &&
               err != YAMUX_EREMOTE_INTERNAL && err != YAMUX_EREMOTE_GOAWAY) {
        FZ_CHECK(o->goaways_out & 1u, "ended with %s without GoAway 0", yamux_errname(err));
    }
}
