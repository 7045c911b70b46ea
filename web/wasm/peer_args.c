/* yamux-wasm-peer command line (arguments come from web/src/wasm-worker.js). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

static const char usage[] =
    "usage: yamux-wasm-peer [--side a|b] [--client] [--mode echo|sink] [--open N --bytes B]\n"
    "  [--random-sizes SEED] [--sink] [--write-size W] [--window BYTES] [--keepalive SECONDS]\n"
    "  [--ping N] [--sleep MS] [--reset-after BYTES] [--goaway] [--exit-when-done]\n"
    "  [--hb-timeout MS] [--read-delay MS] [--spin-us US] [--open-after-accept]\n"
    "  [--frame-size BYTES]\n";

static int num(const char *s, uint64_t *out) {
    char *end;
    if (!s || !*s) return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end) return -1;
    *out = v;
    return 0;
}

static int bad(const char *what) {
    fprintf(stderr, "yamux-wasm-peer: %s\n%s", what, usage);
    return EXIT_USAGE;
}

int peer_parse_args(int argc, char **argv, peer_opts *o) {
    memset(o, 0, sizeof *o);
    o->side = 1;
    o->write_size = 65536;
    o->window = 262144;
    o->keepalive = 30;
    o->reset_after = -1;
    o->spin_us = -1;
    o->hb_timeout_ms = 10000; /* liveness on by default, as the event side (0: never time out) */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n = 0;
        int takes = 1;
        if (!strcmp(a, "--side") && v && (!strcmp(v, "a") || !strcmp(v, "b")))
            o->side = v[0] == 'a' ? 0 : 1;
        else if (!strcmp(a, "--mode") && v && (!strcmp(v, "echo") || !strcmp(v, "sink")))
            o->sink_mode = !strcmp(v, "sink");
        else if (!strcmp(a, "--open") && !num(v, &n))
            o->open = n;
        else if (!strcmp(a, "--bytes") && !num(v, &n))
            o->bytes = n;
        else if (!strcmp(a, "--random-sizes") && !num(v, &n))
            o->random_set = 1, o->random_seed = n;
        else if (!strcmp(a, "--write-size") && !num(v, &n) && n > 0)
            o->write_size = n;
        else if (!strcmp(a, "--window") && !num(v, &n) && n >= 262144 && n <= 16777216)
            o->window = (uint32_t)n;
        else if (!strcmp(a, "--keepalive") && !num(v, &n) && n < 86400)
            o->keepalive = (uint32_t)n;
        else if (!strcmp(a, "--ping") && !num(v, &n))
            o->ping = n;
        else if (!strcmp(a, "--sleep") && !num(v, &n))
            o->sleep_ms = n;
        else if (!strcmp(a, "--reset-after") && !num(v, &n) && n < INT64_MAX)
            o->reset_after = (int64_t)n;
        else if (!strcmp(a, "--hb-timeout") && !num(v, &n) && n < UINT32_MAX)
            o->hb_timeout_ms = (uint32_t)n;
        else if (!strcmp(a, "--read-delay") && !num(v, &n))
            o->read_delay_ms = n;
        else if (!strcmp(a, "--frame-size") && !num(v, &n) && n > 0 && n <= 16777216)
            o->frame_size = (uint32_t)n;
        else if (!strcmp(a, "--spin-us") && !num(v, &n) && n <= 1000000)
            o->spin_us = (int64_t)n;
        else {
            takes = 0;
            if (!strcmp(a, "--client"))
                o->client = 1;
            else if (!strcmp(a, "--sink"))
                o->sink = 1;
            else if (!strcmp(a, "--goaway"))
                o->goaway = 1;
            else if (!strcmp(a, "--exit-when-done"))
                o->exit_when_done = 1;
            else if (!strcmp(a, "--open-after-accept"))
                o->open_after_accept = 1;
            else
                return bad(a);
        }
        i += takes;
    }
    return 0;
}
