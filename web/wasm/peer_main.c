/* yamux-wasm-peer: attaches its side of the channel (formatted by JavaScript at
 * YX_CHANNEL_OFFSET of this program's memory) and serves the session. See peer.h. */
#include <stdint.h>

#include "peer.h"

int main(int argc, char **argv) {
    peer_opts o;
    int r = peer_parse_args(argc, argv, &o);
    if (r) return r;

    yamux_config cfg;
    yamux_config_init(&cfg);
    cfg.max_stream_window = o.window;
    if (cfg.stream_send_buffer < o.window) cfg.stream_send_buffer = o.window;
    if (o.frame_size) cfg.max_frame_payload = o.frame_size;
    cfg.enable_keepalive = o.keepalive > 0;
    if (o.keepalive) cfg.keepalive_interval = (uint64_t)o.keepalive * 1000000000ull;

    yamux_shmq_options qo;
    yamux_shmq_options_init(&qo);
    qo.hb_timeout_ms = o.hb_timeout_ms;
    qo.pid = -1; /* no process id in wasm */
    if (o.spin_us >= 0) qo.spin_ns = (uint32_t)o.spin_us * 1000u;

    return peer_run(&o, (void *)(uintptr_t)YX_CHANNEL_OFFSET, YX_CHANNEL_MAX, &cfg, &qo);
}
