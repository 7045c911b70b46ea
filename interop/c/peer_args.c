/* yamux-peer command line (interop/PEER_CLI.md). A bad argument is one line on stderr naming
 * it and what it accepts, exit status 2 (EXIT_USAGE); --help prints the usage on stdout. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

enum flag_kind { F_BOOL, F_UINT, F_TEXT };

typedef struct flag {
    const char *name;
    enum flag_kind kind;
    uint64_t min, max; /* F_UINT */
    const char *arg, *help;
} flag;

static const flag FLAGS[] = {
    {"listen", F_TEXT, 0, 0, "HOST:PORT", "TCP listener and yamux server (even stream ids)"},
    {"connect", F_TEXT, 0, 0, "HOST:PORT", "dial, and act as yamux client (odd stream ids)"},
    {"open", F_UINT, 0, 1000000, "N", "also open N streams, write --bytes each, verify the echo"},
    {"bytes", F_UINT, 0, UINT64_MAX, "B", "bytes per opened stream"},
    {"window", F_UINT, 262144, 16u << 20, "BYTES", "max stream receive window (default 262144)"},
    {"keepalive", F_UINT, 0, 86400, "SECONDS", "keepalive interval, 0 disables (default 30)"},
    {"once", F_BOOL, 0, 0, NULL, "with --listen: serve one connection, then exit"},
    {"random-sizes", F_UINT, 0, UINT64_MAX, "SEED", "with --open: pseudo-random sizes in [0, B]"},
    {"mode", F_TEXT, 0, 0, "echo|sink", "what to do with streams the remote opens"},
    {"sink", F_BOOL, 0, 0, NULL, "with --open: the remote is a sink (throughput runs)"},
    {"write-size", F_UINT, 1, 64u << 20, "W", "size of each write (default 65536)"},
    {"read-delay", F_UINT, 0, 3600000, "MS", "slow reader: wait MS before each read"},
    {"ping", F_UINT, 0, 1000000, "N", "send N pings and print `ping RTT_NS` per answer"},
    {"reset-after", F_UINT, 0, UINT64_MAX, "BYTES", "with --open: reset each stream after BYTES"},
    {"goaway", F_BOOL, 0, 0, NULL, "send GoAway 0 once the opened streams are done"},
    {"idle", F_UINT, 0, 10000000, "N", "open N idle streams, print `idle N RSS_BYTES`"},
    {"stats", F_BOOL, 0, 0, NULL, "print a final `stats {json}` line"},
};
#define NFLAGS (sizeof FLAGS / sizeof FLAGS[0])

__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "yamux-peer: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see --help)\n");
    va_end(ap);
    exit(EXIT_USAGE);
}

static void help(void) {
    printf("usage: yamux-peer (--listen HOST:PORT | --connect HOST:PORT) [options]\n\n"
           "Accepts every stream the remote opens and echoes it (or sinks it, --mode sink);\n"
           "see interop/PEER_CLI.md.\n\noptions:\n");
    for (size_t i = 0; i < NFLAGS; i++) {
        char left[48];
        snprintf(left, sizeof left, "--%s%s%s", FLAGS[i].name, FLAGS[i].arg ? " " : "",
                 FLAGS[i].arg ? FLAGS[i].arg : "");
        printf("  %-26s %s\n", left, FLAGS[i].help);
    }
    printf("  %-26s %s\n", "--help", "print this help and exit");
    exit(EXIT_OK);
}

static const flag *find_flag(const char *name) {
    for (size_t i = 0; i < NFLAGS; i++)
        if (!strcmp(FLAGS[i].name, name)) return &FLAGS[i];
    return NULL;
}

static uint64_t parse_uint(const flag *f, const char *v) {
    char range[96], *end;
    if (f->max == UINT64_MAX)
        snprintf(range, sizeof range, "an unsigned integer");
    else
        snprintf(range, sizeof range, "an integer from %llu to %llu", (unsigned long long)f->min,
                 (unsigned long long)f->max);
    errno = 0;
    unsigned long long x = (*v >= '0' && *v <= '9') ? strtoull(v, &end, 10) : 0;
    if (!(*v >= '0' && *v <= '9') || errno || *end || x < f->min || x > f->max) {
        fail("--%s: expected %s, got '%s'", f->name, range, v);
    }
    return (uint64_t)x;
}

static void parse_addr(peer_opts *o, const char *flag_name, const char *addr) {
    const char *colon = strrchr(addr, ':');
    size_t hl = colon ? (size_t)(colon - addr) : 0;
    const char *p = colon ? colon + 1 : "";
    int port_ok =
        *p != 0 && strlen(p) <= 5 && strspn(p, "0123456789") == strlen(p) && atoi(p) <= 65535;
    if (!colon || hl == 0 || hl >= sizeof o->host || !port_ok)
        fail("--%s: expected HOST:PORT (port from 0 to 65535), got '%s'", flag_name, addr);
    if (addr[0] == '[' && addr[hl - 1] == ']') { /* [::1]:port */
        memcpy(o->host, addr + 1, hl - 2);
        o->host[hl - 2] = 0;
    } else {
        memcpy(o->host, addr, hl);
        o->host[hl] = 0;
    }
    o->port = atoi(p);
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
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) help();
        if (strncmp(arg, "--", 2) == 0)
            arg += 2;
        else if (arg[0] == '-' && arg[1])
            arg += 1;
        else
            fail("unexpected argument '%s': options only", argv[i]);
        const char *eq = strchr(arg, '=');
        size_t nl = eq ? (size_t)(eq - arg) : strlen(arg);
        const flag *f = NULL;
        if (nl < sizeof name) {
            memcpy(name, arg, nl);
            name[nl] = 0;
            f = find_flag(name);
        }
        if (!f) fail("unknown option %s", argv[i]);
        if (eq) val = eq + 1;
        if (f->kind == F_BOOL) {
            if (val) fail("--%s takes no value", f->name);
        } else if (!val) {
            if (i + 1 >= argc) fail("--%s needs a value (%s)", f->name, f->arg);
            val = argv[++i];
        }
        if (!strcmp(name, "listen"))
            o->listen = val;
        else if (!strcmp(name, "connect"))
            o->connect = val;
        else if (!strcmp(name, "open"))
            o->open = parse_uint(f, val);
        else if (!strcmp(name, "bytes"))
            o->bytes = parse_uint(f, val);
        else if (!strcmp(name, "window"))
            o->window = (uint32_t)parse_uint(f, val);
        else if (!strcmp(name, "keepalive"))
            o->keepalive = (uint32_t)parse_uint(f, val);
        else if (!strcmp(name, "once"))
            o->once = 1;
        else if (!strcmp(name, "random-sizes")) {
            o->random_seed = parse_uint(f, val);
            o->random_set = 1;
        } else if (!strcmp(name, "mode"))
            mode = val;
        else if (!strcmp(name, "sink"))
            o->sink = 1;
        else if (!strcmp(name, "write-size"))
            o->write_size = parse_uint(f, val);
        else if (!strcmp(name, "read-delay"))
            o->read_delay_ms = parse_uint(f, val);
        else if (!strcmp(name, "ping"))
            o->ping = parse_uint(f, val);
        else if (!strcmp(name, "reset-after"))
            o->reset_after = (int64_t)parse_uint(f, val);
        else if (!strcmp(name, "goaway"))
            o->goaway = 1;
        else if (!strcmp(name, "idle"))
            o->idle = parse_uint(f, val);
        else if (!strcmp(name, "stats"))
            o->stats = 1;
    }
    if (!strcmp(mode, "sink"))
        o->sink_mode = 1;
    else if (strcmp(mode, "echo") != 0)
        fail("--mode: expected echo or sink, got '%s'", mode);
    if (!o->listen == !o->connect) fail("exactly one of --listen and --connect is required");
    if (o->once && !o->listen) fail("--once needs --listen");
    if (!o->open && (o->random_set || o->sink || o->reset_after >= 0))
        fail("--random-sizes, --sink and --reset-after need --open");
    if (o->sink && o->reset_after >= 0) fail("--sink and --reset-after exclude each other");
    parse_addr(o, o->listen ? "listen" : "connect", o->listen ? o->listen : o->connect);
}
