/* Event-side glue: the yamux engine compiled to a standalone wasm module that JavaScript
 * drives (web/src/engine.js). These exports avoid 64-bit arguments and results (Emscripten
 * 3.1.6 legalizes i64 without WASM_BIGINT): times are doubles in milliseconds. Session
 * callbacks are forwarded to imported JavaScript functions with the session's numeric id;
 * they only record what happened (JavaScript acts once the wasm call has returned). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <emscripten.h>

#include "event_glue.h"
#include "yamux/shmq.h"

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

IMPORT(yxw_on_incoming) void js_on_incoming(int sid);
IMPORT(yxw_on_stream) void js_on_stream(int sid, yamux_stream *st, unsigned events);
IMPORT(yxw_on_ping) void js_on_ping(int sid, uint32_t opaque, int status, double rtt_ms);
IMPORT(yxw_on_goaway) void js_on_goaway(int sid);
IMPORT(yxw_on_close) void js_on_close(int sid, int err);
IMPORT(yxw_on_data) size_t js_on_data(int sid, yamux_stream *st, const uint8_t *data, size_t len);

static int sid_of(void *ud) {
    return (int)(intptr_t)ud;
}

static void on_incoming(yamux_session *s, void *ud) {
    js_on_incoming(sid_of(ud));
}

static void on_stream(yamux_session *s, yamux_stream *st, unsigned ev, void *ud) {
    js_on_stream(sid_of(ud), st, ev);
}

static void on_ping(yamux_session *s, uint32_t opaque, int status, uint64_t rtt, void *ud) {
    js_on_ping(sid_of(ud), opaque, status, (double)rtt / 1e6);
}

static void on_goaway(yamux_session *s, void *ud) {
    js_on_goaway(sid_of(ud));
}

static void on_close(yamux_session *s, int err, void *ud) {
    js_on_close(sid_of(ud), err);
}

static size_t on_data(yamux_session *s, yamux_stream *st, const uint8_t *data, size_t len,
                      void *ud) {
    return js_on_data(sid_of(ud), st, data, len);
}

static void free_ref(void *arg) {
    free(arg);
}

/* Configuration keys of yxw_config_set(), in the order of web/src/engine.js CONFIG_KEYS. */
enum {
    K_ACCEPT_BACKLOG,
    K_MAX_INFLIGHT_OPENS,
    K_MAX_STREAMS,
    K_MAX_STREAM_WINDOW,
    K_WINDOW_AUTOTUNE,
    K_MAX_RECV_MEMORY,
    K_STREAM_SEND_BUFFER,
    K_MAX_FRAME_PAYLOAD,
    K_ENABLE_KEEPALIVE,
    K_KEEPALIVE_INTERVAL_MS,
    K_WRITE_TIMEOUT_MS,
    K_STREAM_OPEN_TIMEOUT_MS,
    K_STREAM_CLOSE_TIMEOUT_MS
};

static uint64_t ms_to_ns(double ms) {
    return (uint64_t)(ms * 1e6);
}

EMSCRIPTEN_KEEPALIVE yamux_config *yxw_config_new(void) {
    yamux_config *c = malloc(sizeof *c);
    if (c) yamux_config_init(c);
    return c;
}

EMSCRIPTEN_KEEPALIVE int yxw_config_set(yamux_config *c, int key, double v) {
    switch (key) {
    case K_ACCEPT_BACKLOG:
        c->accept_backlog = (uint32_t)v;
        break;
    case K_MAX_INFLIGHT_OPENS:
        c->max_inflight_opens = (uint32_t)v;
        break;
    case K_MAX_STREAMS:
        c->max_streams = (uint32_t)v;
        break;
    case K_MAX_STREAM_WINDOW:
        c->max_stream_window = (uint32_t)v;
        break;
    case K_WINDOW_AUTOTUNE:
        c->window_autotune = v != 0;
        break;
    case K_MAX_RECV_MEMORY:
        c->max_recv_memory = (uint64_t)v;
        break;
    case K_STREAM_SEND_BUFFER:
        c->stream_send_buffer = (uint32_t)v;
        break;
    case K_MAX_FRAME_PAYLOAD:
        c->max_frame_payload = (uint32_t)v;
        break;
    case K_ENABLE_KEEPALIVE:
        c->enable_keepalive = v != 0;
        break;
    case K_KEEPALIVE_INTERVAL_MS:
        c->keepalive_interval = ms_to_ns(v);
        break;
    case K_WRITE_TIMEOUT_MS:
        c->write_timeout = ms_to_ns(v);
        break;
    case K_STREAM_OPEN_TIMEOUT_MS:
        c->stream_open_timeout = ms_to_ns(v);
        break;
    case K_STREAM_CLOSE_TIMEOUT_MS:
        c->stream_close_timeout = ms_to_ns(v);
        break;
    default:
        return YAMUX_EINVAL;
    }
    return 0;
}

EMSCRIPTEN_KEEPALIVE yamux_session *yxw_session_new(int sid, int is_client, const yamux_config *cfg,
                                                    int *err) {
    yamux_callbacks cb = {.size = sizeof(yamux_callbacks),
                          .on_incoming = on_incoming,
                          .on_stream = on_stream,
                          .on_ping = on_ping,
                          .on_goaway = on_goaway,
                          .on_close = on_close,
                          .on_data = on_data};
    yamux_session *s = NULL;
    *err = yamux_session_new(&s, is_client, cfg, &cb, (void *)(intptr_t)sid);
    return s;
}

EMSCRIPTEN_KEEPALIVE ptrdiff_t yxw_write_owned(yamux_stream *st, void *buf, size_t len) {
    ptrdiff_t r = yamux_stream_write_ref(st, buf, len, free_ref, buf);
    if (r < 0) free(buf); /* not queued: release is not called */
    return r;
}

EMSCRIPTEN_KEEPALIVE void yxw_tick(yamux_session *s, double now_ms) {
    yamux_session_tick(s, ms_to_ns(now_ms));
}

EMSCRIPTEN_KEEPALIVE double yxw_next_deadline_ms(const yamux_session *s) {
    uint64_t d = yamux_session_get_next_deadline(s);
    return d == UINT64_MAX ? INFINITY : (double)d / 1e6;
}

EMSCRIPTEN_KEEPALIVE double yxw_rtt_ms(const yamux_session *s) {
    return (double)yamux_session_get_rtt(s) / 1e6;
}

EMSCRIPTEN_KEEPALIVE double yxw_recv_memory(const yamux_session *s) {
    return (double)yamux_session_get_recv_memory(s);
}

/* The engine's own exports used by JavaScript are kept by -sEXPORTED_FUNCTIONS (see
 * CMakeLists.txt): the session and stream calls, yamux_strerror/errname, malloc and free, and
 * the queue's yamux_shmq_* calls the tests use to check the JavaScript shmq against the C one. */
