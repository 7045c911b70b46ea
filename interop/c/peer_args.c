/* yamux-peer command line (interop/PEER_CLI.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

static void usage(const char *msg, const char *arg) {
    fprintf(stderr, "yamux-peer: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fprintf(stderr, "usage: yamux-peer (--listen HOST:PORT | --connect HOST:PORT) [options]; "
                    "see interop/PEER_CLI.md\n");
    exit(EXIT_USAGE);
}

static uint64_t parse_u64(const char *flag, const char *v) {
    char *end;
    errno = 0;
    if (!v || !*v || *v == '-') usage("expected an unsigned integer for", flag);
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end) usage("expected an unsigned integer for", flag);
    return (uint64_t)x;
}

static void parse_addr(peer_opts *o, const char *addr) {
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof o->host)
        usage("bad address", addr);
    size_t hl = (size_t)(colon - addr);
    if (addr[0] == '[' && addr[hl - 1] == ']') { /* [::1]:port */
        memcpy(o->host, addr + 1, hl - 2);
        o->host[hl - 2] = 0;
    } else {
        memcpy(o->host, addr, hl);
        o->host[hl] = 0;
    }
    uint64_t port = parse_u64("port", colon + 1);
    if (port > 65535) usage("bad port", addr);
    o->port = (int)port;
}

void peer_parse_args(peer_opts *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    o->window = 262144;
    o->keepalive = 30;
    o->write_size = 65536;
    o->reset_after = -1;
    const char *mode = "echo";
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *arg = argv[i], *val = NULL;
        if (strncmp(arg, "--", 2) == 0)
            arg += 2;
        else if (arg[0] == '-')
            arg += 1;
        else
            usage("unexpected argument", argv[i]);
        const char *eq = strchr(arg, '=');
        size_t nl = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nl >= sizeof name) usage("unknown flag", argv[i]);
        memcpy(name, arg, nl);
        name[nl] = 0;
        if (eq) val = eq + 1;
        int is_bool = !strcmp(name, "once") || !strcmp(name, "sink") || !strcmp(name, "goaway") ||
                      !strcmp(name, "stats");
        if (!is_bool && !val) {
            if (i + 1 >= argc) usage("missing value for", argv[i]);
            val = argv[++i];
        }
        if (!strcmp(name, "listen"))
            o->listen = val;
        else if (!strcmp(name, "connect"))
            o->connect = val;
        else if (!strcmp(name, "open"))
            o->open = parse_u64(name, val);
        else if (!strcmp(name, "bytes"))
            o->bytes = parse_u64(name, val);
        else if (!strcmp(name, "window")) {
            uint64_t w = parse_u64(name, val);
            if (w < 262144 || w > (16u << 20)) usage("--window must be in [262144, 16777216]", val);
            o->window = (uint32_t)w;
        } else if (!strcmp(name, "keepalive")) {
            uint64_t k = parse_u64(name, val);
            if (k > 86400) usage("--keepalive too large", val);
            o->keepalive = (uint32_t)k;
        } else if (!strcmp(name, "once"))
            o->once = 1;
        else if (!strcmp(name, "random-sizes")) {
            o->random_seed = parse_u64(name, val);
            o->random_set = 1;
        } else if (!strcmp(name, "mode"))
            mode = val;
        else if (!strcmp(name, "sink"))
            o->sink = 1;
        else if (!strcmp(name, "write-size"))
            o->write_size = parse_u64(name, val);
        else if (!strcmp(name, "read-delay"))
            o->read_delay_ms = parse_u64(name, val);
        else if (!strcmp(name, "ping"))
            o->ping = parse_u64(name, val);
        else if (!strcmp(name, "reset-after"))
            o->reset_after = (int64_t)parse_u64(name, val);
        else if (!strcmp(name, "goaway"))
            o->goaway = 1;
        else if (!strcmp(name, "idle"))
            o->idle = parse_u64(name, val);
        else if (!strcmp(name, "stats"))
            o->stats = 1;
        else
            usage("unknown flag", argv[i]);
    }
    if (!strcmp(mode, "sink"))
        o->sink_mode = 1;
    else if (strcmp(mode, "echo") != 0)
        usage("--mode must be echo or sink", mode);
    if (!o->listen == !o->connect) usage("exactly one of --listen and --connect is required", NULL);
    if (o->once && !o->listen) usage("--once needs --listen", NULL);
    if (o->write_size == 0 || o->write_size > (64u << 20)) usage("bad --write-size", NULL);
    if (!o->open && (o->random_set || o->sink || o->reset_after >= 0))
        usage("--random-sizes, --sink and --reset-after need --open", NULL);
    if (o->sink && o->reset_after >= 0) usage("--sink and --reset-after exclude each other", NULL);
    parse_addr(o, o->listen ? o->listen : o->connect);
}
