/* Configurations from fuzz bytes: see fz_config.h. */
#include "fz_config.h"

#include "fz.h"
#include "fz_side.h"

void fz_config_make(yamux_config *cfg, unsigned bits) {
    static const uint32_t windows[4] = {256u << 10, 512u << 10, 1u << 20, 16u << 20};
    yamux_config_init(cfg);
    cfg->window_autotune = (bits & FZ_CFG_AUTOTUNE) != 0;
    cfg->max_stream_window = windows[(bits & FZ_CFG_WINDOW) >> 1];
    cfg->enable_keepalive = (bits & FZ_CFG_KEEPALIVE) != 0;
    if (bits & FZ_CFG_SMALL) {
        cfg->accept_backlog = 2;
        cfg->max_inflight_opens = 2;
        cfg->max_streams = 5;
        cfg->stream_send_buffer = 3000;
        cfg->max_frame_payload = 1000;
    }
    if (bits & FZ_CFG_TIGHT) cfg->max_recv_memory = 3ull * YAMUX_INITIAL_WINDOW;
    if (bits & FZ_CFG_SHORT) {
        cfg->keepalive_interval = 1 * FZ_SEC; /* shorter than the write timeout */
        cfg->write_timeout = 3 * FZ_SEC;
        cfg->stream_open_timeout = 3 * FZ_SEC;
        cfg->stream_close_timeout = 4 * FZ_SEC;
    }
    if (bits & FZ_CFG_TINY) {
        cfg->max_frame_payload = 13;
        cfg->stream_send_buffer = 100;
    }
}

unsigned fz_knobs_make(uint8_t b) {
    return b & 0x3Fu; /* FZ_AUTO_ACCEPT .. FZ_IO_IN_CB */
}

long fz_fail_after(uint8_t knob_byte, uint8_t next) {
    return (knob_byte & 0x80u) ? (long)next * 4 : -1;
}

uint64_t fz_tick_step(unsigned sel) {
    static const uint64_t ms = 1000000ull;
    static const uint64_t steps[16] = {1 * ms,      10 * ms,     100 * ms,     500 * ms,
                                       1 * FZ_SEC,  2 * FZ_SEC,  3 * FZ_SEC,   5 * FZ_SEC,
                                       9 * FZ_SEC,  10 * FZ_SEC, 11 * FZ_SEC,  30 * FZ_SEC,
                                       60 * FZ_SEC, 75 * FZ_SEC, 300 * FZ_SEC, 3600 * FZ_SEC};
    return steps[sel & 15u];
}
