/* yamux-peer: the C peer of the interop suite (command line: interop/PEER_CLI.md). */
#ifndef PEER_H
#define PEER_H

#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "pattern.h"
#include "yamux/uv.h"

enum { EXIT_OK = 0, EXIT_VERIFY = 1, EXIT_USAGE = 2, EXIT_PROTOCOL = 3 };

typedef struct peer_opts {
    const char *listen, *connect;
    char host[256];
    int port;
    uint64_t open, bytes;
    uint32_t window;
    uint32_t keepalive;
    int once;
    int random_set;
    uint64_t random_seed;
    int sink_mode; /* --mode sink */
    int sink;      /* --sink */
    uint64_t write_size;
    uint64_t read_delay_ms;
    uint64_t ping;
    int64_t reset_after; /* -1: not set */
    int goaway;
    uint64_t idle;
    int stats;
} peer_opts;

typedef struct peer_stats {
    uint64_t streams_opened, streams_accepted, bytes_sent, bytes_received, pings;
    uint64_t t0;
} peer_stats;

/* peer_args.c: parses argv; exits with EXIT_USAGE on errors. */
void peer_parse_args(peer_opts *o, int argc, char **argv);

/* peer_main.c: resident set size of this process. */
uint64_t peer_rss_bytes(void);

/* peer_session.c: one connection's session; calls `done(status)` once when it is over. */
typedef void (*peer_done_cb)(int status, void *ud);
int peer_session_start(uv_loop_t *loop, uv_stream_t *conn, int is_client, const peer_opts *o,
                       peer_stats *st, peer_done_cb done, void *ud);

#endif
