/* Internal state of the yamux_shmq binding, shared by shm.c and block.c. */
#ifndef YX_SHM_INTERNAL_H
#define YX_SHM_INTERNAL_H

#include "fwd.h"
#include "shmq_internal.h"
#include "yamux/shm.h"

#define YX_SHM_PINGS 16

typedef struct yx_shm_ping {
    uint32_t opaque;
    int status; /* 1: pending */
    uint64_t rtt;
} yx_shm_ping;

struct yamux_shm {
    yx_fwd fwd; /* first: the session's user data points here */
    yamux_shmq q;
    yamux_session *s;
    size_t mtu;
    uint8_t *hold; /* input the session could not take yet (at most one packet) */
    size_t hold_len, hold_off;
    int out_blocked; /* output waits for ring space */
    int out_closed;  /* nobody reads our ring any more (peer closed or gone): output is dropped */
    int in_ended;    /* the receive ring ended (drained after the peer's close, or failed) */
    int running;     /* inside yamux_shm_pump(): calls from session callbacks are refused */
    yx_shm_ping pings[YX_SHM_PINGS];
};

/* Records a ping answer for yamux_block_ping(). */
void yx_shm_ping_record(yamux_shm *b, uint32_t opaque, int status, uint64_t rtt);

#endif
