/* yamux-wasm-peer: the C program of the wasm worker (web/src/wasm-worker.js runs it). It
 * attaches one side of the channel that JavaScript formatted in its linear memory and runs a
 * yamux session with the blocking API (yamux/shm.h, yamux/block.h): it waits with
 * Atomics.wait (memory.atomic.wait32), never returns to the JavaScript event loop, echoes or
 * sinks the streams the other side opens, and optionally opens streams of its own and
 * verifies them (same payloads and output lines as interop/PEER_CLI.md). */
#ifndef YX_WEB_PEER_H
#define YX_WEB_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "pattern.h"
#include "yamux/block.h"

enum {
    EXIT_OK = 0,
    EXIT_VERIFY = 1,   /* a stream's data did not verify, or a stream failed */
    EXIT_USAGE = 2,    /* bad command line */
    EXIT_PROTOCOL = 3, /* protocol error (GoAway with an error code) */
    EXIT_TRANSPORT = 4 /* the channel failed: peer died, corrupt region */
};

typedef struct peer_opts {
    int side;       /* YAMUX_SHMQ_SIDE_A or YAMUX_SHMQ_SIDE_B (default B) */
    int client;     /* yamux client role (odd stream ids) */
    int sink_mode;  /* accepted streams: read and discard (else echo) */
    uint64_t open;  /* streams to open */
    uint64_t bytes; /* bytes per opened stream (upper bound with random sizes) */
    int random_set;
    uint64_t random_seed;
    int sink;            /* opened streams expect nothing back */
    uint64_t write_size; /* bytes per write on opened streams */
    uint32_t window;     /* max stream receive window */
    uint32_t frame_size; /* largest data frame payload sent (0: the library's default) */
    uint32_t keepalive;  /* seconds, 0 disables */
    uint64_t ping;       /* pings to send first */
    uint64_t sleep_ms;   /* sleep (session served) before opening */
    int64_t reset_after; /* reset opened streams after writing this many bytes; -1: never */
    int goaway;          /* GoAway once the opened streams are done */
    int exit_when_done;  /* close the session once the opened streams are done */
    uint32_t hb_timeout_ms; /* published: the peer may declare us dead after this (10 s) */
    uint64_t read_delay_ms; /* slow reader: sleep this long before each read */
    int64_t spin_us;        /* spin before sleeping in a wait; -1: the library's default */
    int open_after_accept;  /* open only once an accepted stream has finished (warm-up) */
} peer_opts;

/* peer_args.c */
int peer_parse_args(int argc, char **argv, peer_opts *o);

/* peer_run.c: attaches side o->side of the region at `mem` (`len` bytes mapped), serves the
 * session until it ends (or, with exit_when_done, until the opened streams are done), closes
 * it and returns the exit status. */
int peer_run(const peer_opts *o, void *mem, size_t len, const yamux_config *cfg,
             const yamux_shmq_options *qo);

#endif
