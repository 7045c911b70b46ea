/* The peer's main loop: one thread serves every stream. Streams with news (session
 * callbacks) are queued; each is served without blocking (zero-copy echo with peek/write/
 * consume, pattern writes, in-place verification); when no stream can move, the thread
 * blocks in yamux_shm_wait() (Atomics.wait) until the channel or a session timer needs it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "peer.h"

typedef struct job {
    yamux_stream *st;
    uint32_t id;
    int opened;            /* opened by us (else accepted) */
    uint64_t total;        /* opened: bytes to write */
    uint64_t written, got; /* bytes written / received */
    int wclosed;           /* FIN queued */
    int queued;            /* in the work list */
    struct job *next;
} job;

typedef struct peer {
    yamux_shm *b;
    const peer_opts *o;
    job *work;    /* streams to serve */
    int incoming; /* the accept backlog is not empty */
    uint64_t opened, accepted, accepted_done, open_left, failed, resets;
    uint64_t bytes_sent, bytes_received;
} peer;

static void enqueue(peer *p, job *j) {
    if (!j || j->queued) return;
    j->queued = 1;
    j->next = p->work;
    p->work = j;
}

static void on_incoming(yamux_session *s, void *ud) {
    ((peer *)ud)->incoming = 1;
}

static void on_stream(yamux_session *s, yamux_stream *st, unsigned ev, void *ud) {
    enqueue(ud, yamux_stream_get_user_data(st));
}

/* Zero-copy receive: payload in place while the session parses it. Sinks take it all, echoes
 * write it straight back, opened streams verify it; anything not taken is buffered and
 * served from the work list as usual (and a mismatch is reported there). */
static size_t on_data(yamux_session *s, yamux_stream *st, const uint8_t *d, size_t n, void *ud) {
    peer *p = ud;
    job *j = yamux_stream_get_user_data(st);
    if (!j || p->o->read_delay_ms) return 0;
    if (!j->opened) {
        ptrdiff_t w = p->o->sink_mode ? (ptrdiff_t)n : yamux_stream_write(st, d, n);
        if (w <= 0) return 0;
        p->bytes_received += (uint64_t)w;
        if (!p->o->sink_mode) p->bytes_sent += (uint64_t)w;
        return (size_t)w;
    }
    if (p->o->sink || j->got + n > j->total || !peer_pattern_check(d, n, j->id, j->got, NULL))
        return 0;
    j->got += n;
    p->bytes_received += n;
    return n;
}

static job *job_new(peer *p, yamux_stream *st, int opened, uint64_t total) {
    job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->st = st;
    j->id = yamux_stream_get_id(st);
    j->opened = opened;
    j->total = total;
    yamux_stream_set_user_data(st, j);
    enqueue(p, j);
    return j;
}

/* Gives the stream back to the engine (which finishes it) and forgets the job. */
static void job_end(peer *p, job *j, int ok) {
    if (!j->opened) p->accepted_done++;
    for (job **pp = &p->work; j->queued && *pp; pp = &(*pp)->next) {
        if (*pp == j) { /* re-queued by an event while it was served (a --read-delay sleep) */
            *pp = j->next;
            j->queued = 0;
        }
    }
    if (j->opened) {
        p->open_left--;
        if (!ok) p->failed++;
    }
    yamux_stream_set_user_data(j->st, NULL);
    yamux_stream_release(j->st);
    free(j);
}

/* Accepted stream: echo (or discard) what arrives, half-close after the peer did. */
static int serve_accepted(peer *p, job *j) {
    const uint8_t *d;
    size_t n;
    while ((n = yamux_stream_peek(j->st, &d)) > 0) {
        if (p->o->read_delay_ms) {
            yamux_block_sleep(p->b, (int64_t)p->o->read_delay_ms * 1000000);
            if (n > p->o->write_size) n = (size_t)p->o->write_size;
        }
        ptrdiff_t w = p->o->sink_mode ? (ptrdiff_t)n : yamux_stream_write(j->st, d, n);
        if (w == YAMUX_EAGAIN) return 0; /* resumed on YAMUX_EV_WRITABLE */
        if (w < 0) return -1;
        yamux_stream_consume(j->st, (size_t)w);
        p->bytes_received += (uint64_t)w;
        if (!p->o->sink_mode) p->bytes_sent += (uint64_t)w;
    }
    if (yamux_stream_is_eof(j->st)) {
        yamux_stream_close_write(j->st);
        return 1;
    }
    int e = yamux_stream_get_error(j->st);
    return e && e != YAMUX_ECLOSED ? -1 : 0;
}

/* Opened stream: write the pattern, half-close, verify what comes back. */
static int serve_opened(peer *p, job *j) {
    const peer_opts *o = p->o;
    while (j->written < j->total) {
        size_t len;
        const uint8_t *src = peer_pattern_at(j->id, j->written, &len);
        uint64_t n = j->total - j->written;
        if (n > len) n = len;
        if (n > o->write_size) n = o->write_size;
        /* The pattern table is static: queue it by reference, no copy. */
        ptrdiff_t w = yamux_stream_write_ref(j->st, src, (size_t)n, NULL, NULL);
        if (w == YAMUX_EAGAIN) break;
        if (w < 0) return -1;
        j->written += (uint64_t)w;
        p->bytes_sent += (uint64_t)w;
        if (o->reset_after >= 0 && j->written >= (uint64_t)o->reset_after) {
            yamux_stream_reset(j->st);
            p->resets++;
            return 1;
        }
    }
    if (j->written == j->total && !j->wclosed) {
        yamux_stream_close_write(j->st);
        j->wclosed = 1;
    }
    const uint8_t *d;
    size_t n;
    while ((n = yamux_stream_peek(j->st, &d)) > 0) {
        if (o->read_delay_ms) yamux_block_sleep(p->b, (int64_t)o->read_delay_ms * 1000000);
        if (n > o->write_size) n = (size_t)o->write_size;
        if (o->sink || j->got + n > j->total || !peer_pattern_check(d, n, j->id, j->got, NULL)) {
            fprintf(stderr, "yamux-wasm-peer: stream %u: data does not verify at %" PRIu64 "\n",
                    j->id, j->got);
            return -1;
        }
        yamux_stream_consume(j->st, n);
        j->got += n;
        p->bytes_received += n;
    }
    if (yamux_stream_is_eof(j->st)) {
        if (j->got == (o->sink ? 0 : j->total)) return 1;
        fprintf(stderr, "yamux-wasm-peer: stream %u: %" PRIu64 " of %" PRIu64 " bytes\n", j->id,
                j->got, j->total);
        return -1;
    }
    int e = yamux_stream_get_error(j->st);
    if (e && e != YAMUX_ECLOSED) {
        fprintf(stderr, "yamux-wasm-peer: stream %u: %s\n", j->id, yamux_strerror(e));
        return -1;
    }
    return 0;
}

static void serve_work(peer *p) {
    while (p->work) {
        job *j = p->work;
        p->work = j->next;
        j->queued = 0;
        int r = j->opened ? serve_opened(p, j) : serve_accepted(p, j);
        if (r != 0) job_end(p, j, r > 0);
    }
}

static void accept_all(peer *p) {
    yamux_session *s = yamux_shm_get_session(p->b);
    yamux_stream *st;
    p->incoming = 0;
    while ((st = yamux_session_accept(s)) != NULL) {
        if (!job_new(p, st, 0, 0)) yamux_stream_reset(st);
        p->accepted++;
    }
}

static int open_all(peer *p) {
    const peer_opts *o = p->o;
    uint64_t seed = o->random_seed;
    for (uint64_t i = 0; i < o->open; i++) {
        uint64_t size = o->random_set ? peer_splitmix64(&seed) % (o->bytes + 1) : o->bytes;
        yamux_stream *st;
        int r = yamux_block_open(p->b, &st);
        if (r) {
            fprintf(stderr, "yamux-wasm-peer: open: %s\n", yamux_strerror(r));
            return EXIT_VERIFY;
        }
        if (!job_new(p, st, 1, size)) return EXIT_VERIFY;
        p->opened++;
        p->open_left++;
    }
    return 0;
}

static int pings(peer *p) {
    for (uint64_t i = 0; i < p->o->ping; i++) {
        uint64_t rtt;
        int r = yamux_block_ping(p->b, 10 * 1000000000ll, &rtt);
        if (r) {
            fprintf(stderr, "yamux-wasm-peer: ping: %s\n", yamux_strerror(r));
            return EXIT_VERIFY;
        }
        printf("ping %" PRIu64 "\n", rtt);
    }
    fflush(stdout);
    return 0;
}

static void print_stats(peer *p, double seconds) {
    printf("stats {\"streams_opened\":%" PRIu64 ",\"streams_accepted\":%" PRIu64
           ",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64 ",\"resets\":%" PRIu64
           ",\"seconds\":%.6f,\"pings\":%" PRIu64 "}\n",
           p->opened, p->accepted, p->bytes_sent, p->bytes_received, p->resets, seconds,
           p->o->ping);
    fflush(stdout);
}

/* The exit status for a session that ended with `err`. */
static int end_status(peer *p, int err) {
    if (yamux_error_is_protocol(err) || err == YAMUX_EREMOTE_PROTOCOL) {
        fprintf(stderr, "yamux-wasm-peer: session: %s\n", yamux_strerror(err));
        return EXIT_PROTOCOL;
    }
    if (err == YAMUX_EPEERDEAD || err == YAMUX_EPEERRESET || err == YAMUX_ECORRUPT) {
        fprintf(stderr, "yamux-wasm-peer: channel: %s (%s)\n", yamux_strerror(err),
                yamux_errname(err));
        return EXIT_TRANSPORT;
    }
    if (p->open_left || p->failed) {
        fprintf(stderr,
                "yamux-wasm-peer: session ended (%s) with %" PRIu64 " streams unfinished, %" PRIu64
                " failed\n",
                yamux_strerror(err), p->open_left, p->failed);
        return EXIT_VERIFY;
    }
    return EXIT_OK;
}

int peer_run(const peer_opts *o, void *mem, size_t len, const yamux_config *cfg,
             const yamux_shmq_options *qo) {
    peer p = {.o = o};
    yamux_callbacks cb = {.size = sizeof(yamux_callbacks),
                          .on_incoming = on_incoming,
                          .on_stream = on_stream,
                          .on_data = on_data};
    int r = yamux_shm_new(&p.b, mem, len, (yamux_shmq_side)o->side, qo, o->client, cfg, &cb, &p);
    if (r) {
        fprintf(stderr, "yamux-wasm-peer: attach: %s (%s)\n", yamux_strerror(r), yamux_errname(r));
        return EXIT_TRANSPORT;
    }
    yamux_shm *b = p.b;
    printf("ready\n");
    fflush(stdout);
    uint64_t start = yamux_shm_now();
    int status = 0;
    if (o->sleep_ms) yamux_block_sleep(b, (int64_t)o->sleep_ms * 1000000);
    if (!status) status = pings(&p);
    int opening = !o->open_after_accept, reported = 0, err = 0;
    uint64_t open_start = yamux_shm_now();
    if (!status && opening) status = open_all(&p);
    while (!status) {
        accept_all(&p);
        serve_work(&p);
        if (!opening && p.accepted_done > 0) {
            opening = 1;
            open_start = yamux_shm_now();
            status = open_all(&p);
            continue;
        }
        if (opening && !reported && p.open_left == 0) {
            reported = 1;
            if (o->open) {
                printf("verified %" PRIu64 " streams, %" PRIu64 " failed\n", p.opened, p.failed);
                printf("elapsed %.6f\n", (double)(yamux_shm_now() - open_start) / 1e9);
                fflush(stdout);
            }
            if (p.failed) status = EXIT_VERIFY;
            if (o->goaway) yamux_session_goaway(yamux_shm_get_session(b));
            if (o->exit_when_done) break;
        }
        if (p.work || p.incoming) continue;
        ptrdiff_t moved = yamux_shm_wait(b, -1);
        if (moved < 0) {
            err = (int)moved;
            accept_all(&p);
            serve_work(&p); /* what arrived before the end */
            status = end_status(&p, err);
            break;
        }
    }
    print_stats(&p, (double)(yamux_shm_now() - start) / 1e9);
    yamux_block_close(b, 1000000000ll);
    yamux_shm_free(b);
    return status;
}
