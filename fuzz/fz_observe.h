/* The wire seen from outside one engine: the bytes it is fed and the bytes it emits, split
 * into frames and checked against the protocol and against what the application did.
 *
 * Output rules checked (beyond yamux_frame_validate): nothing after a GoAway with an error
 * code, at most one GoAway 0; ping answers only for pings received; our streams start with
 * SYN (once), the peer's streams are answered only after their SYN and acknowledged at most
 * once; no data before our ACK, after our FIN or beyond the peer's window; nothing after RST;
 * data frames within max_frame_payload; the window we grant never above max_stream_window;
 * every payload byte equal to what the application wrote (fz_pattern, seed id * 2 + side). */
#ifndef FZ_OBSERVE_H
#define FZ_OBSERVE_H

#include <stdint.h>

#include "fz_ledger.h"
#include "fz_wire.h"
#include "yamux/session.h"

typedef struct fz_observer {
    fz_ledger *led;
    int is_client;
    uint32_t side; /* payload seed: id * 2 + side */
    uint32_t max_frame_payload, max_stream_window;
    fz_wire in, out;
    uint64_t pings_in, acks_out;
    unsigned goaways_out; /* bit c: GoAway with code c emitted */
    int goaway_final;     /* GoAway with an error code emitted */
    int sealed;           /* the transport failed or ended: no new frame may start */
} fz_observer;

/* The transport ended: only the frame already begun may still complete. */
static inline void fz_obs_seal(fz_observer *o) {
    o->sealed = o->out.have > 0 ? 2 : 1; /* 2: a header is half out */
}

void fz_obs_init(fz_observer *o, fz_ledger *led, int is_client, uint32_t side,
                 const yamux_config *cfg);

/* Bytes about to be fed to the engine. */
void fz_obs_input(fz_observer *o, const uint8_t *p, size_t n);

/* Bytes the engine handed out. */
void fz_obs_output(fz_observer *o, const uint8_t *p, size_t n);

/* The payload seed of stream `id` written by side `side`. */
static inline uint32_t fz_seed(uint32_t id, uint32_t side) {
    return id * 2u + side;
}

/* Whether `id` is of the parity a client (odd) or server (even) opens. */
static inline int fz_id_is_ours(uint32_t id, int is_client) {
    return (int)(id & 1u) == (is_client ? 1 : 0);
}

/* After the session ended with `err` and its output was drained: the GoAway it owed the peer
 * was sent. */
void fz_obs_check_end(const fz_observer *o, int err);

#endif
