/* Internal state of the yamux engine, shared by session*.c and stream.c. */
#ifndef YX_SESSION_INTERNAL_H
#define YX_SESSION_INTERNAL_H

#include <stdint.h>

#include "bufq.h"
#include "idmap.h"
#include "list.h"
#include "yamux/session.h"

/* Frames built but not yet written: header plus, for data, payload from a stream's send
 * queue. The ring bounds how far output runs ahead of the transport. */
#define YX_OUT_CAP 128u
/* Session-level control frames waiting to go out (ping answers, refusals). When it is full the
 * engine stops reading input until it drains: a ping flood throttles itself. */
#define YX_CTRL_CAP 64u
/* Pings of ours in flight. */
#define YX_PING_CAP 16u
/* Ranges of remote stream ids below the highest seen that were never opened (see
 * session_recv.c): a fixed table, so reuse checks cost bounded memory. */
#define YX_GAPS 64u
/* A timer deadline that starts counting at the next tick (armed between ticks). */
#define YX_DEADLINE_NEXT_TICK UINT64_MAX
/* Spare chunks kept by the pool. */
#define YX_POOL_SPARE 256u

enum yx_session_state {
    YX_ALIVE = 0, /* running (possibly after a GoAway either way) */
    YX_ENDED      /* closed, failed or transport ended; only a final GoAway may go out */
};

typedef struct yx_out_frame {
    uint8_t hdr[YAMUX_HEADER_SIZE];
    uint32_t payload; /* data bytes following the header */
    yamux_stream *st; /* stream supplying the payload (data frames), else NULL */
    uint64_t abs_off; /* stream send-queue position of the payload's first byte */
} yx_out_frame;

enum yx_ping_kind { YX_PING_USER = 1, YX_PING_KEEPALIVE, YX_PING_PROBE };

typedef struct yx_ping {
    uint32_t opaque;
    uint8_t kind; /* 0: free slot, else yx_ping_kind */
    uint8_t sent;
    uint64_t sent_at;
    uint64_t deadline;
} yx_ping;

/* Remote ids lo..hi (same parity) never opened; `uncertain`: merged to save room, so some of
 * them may have been opened (a SYN is accepted there, other frames ignored). */
typedef struct yx_gap {
    uint32_t lo, hi;
    uint32_t uncertain;
} yx_gap;

typedef struct yx_ping_done {
    uint32_t opaque;
    int status;
    uint64_t rtt;
} yx_ping_done;

struct yamux_stream {
    yamux_session *session;
    void *user_data;
    uint32_t id;

    /* lifecycle */
    unsigned outbound : 1;    /* opened by us */
    unsigned syn_sent : 1;    /* outbound: SYN produced */
    unsigned established : 1; /* outbound: ACK received; inbound: ACK produced */
    unsigned owned : 1;       /* the application holds the handle */
    unsigned released : 1;    /* the application gave the handle back */
    unsigned in_backlog : 1;  /* inbound, waiting for accept */
    unsigned in_map : 1;      /* frames from the peer can reach it */
    unsigned fin_requested : 1;
    unsigned fin_sent : 1;
    unsigned remote_fin : 1;
    unsigned rst_pending : 1;   /* a RST frame must be produced */
    unsigned reset : 1;         /* reset by either side: no more data either way */
    unsigned want_writable : 1; /* a write came back short: report room */
    unsigned syn_slot : 1;      /* holds one of the max_inflight_opens slots */
    unsigned pending_flags : 4; /* SYN or ACK to put on the next frame */

    int err; /* why the stream cannot carry data any more (0 while it can) */

    uint32_t send_window; /* peer's window: bytes we may still send */
    uint32_t recv_window; /* window granted to the peer and not used yet */
    uint32_t recv_target; /* window we maintain for the peer (grows with autotune) */
    uint64_t epoch_start; /* when the last window update was produced (autotune) */

    yx_bufq recvq;         /* received, not read */
    yx_bufq sendq;         /* written by the app, not yet written to the transport */
    size_t send_committed; /* bytes of sendq covered by frames in the output ring */
    uint64_t sendq_base;   /* stream position of sendq's first byte */

    unsigned events; /* events waiting for dispatch */
    uint64_t open_deadline, close_deadline;

    yx_link ctrl_link;   /* session ctrl list: a control frame is due */
    yx_link data_link;   /* session data list: data can be sent */
    yx_link queue_link;  /* accept backlog or SYN wait list */
    yx_link open_link;   /* open-timeout list */
    yx_link close_link;  /* close-timeout list */
    yx_link notify_link; /* events waiting for dispatch */
    yx_link all_link;    /* every stream of the session */
};

struct yamux_session {
    yamux_config cfg;
    yamux_callbacks cb;
    yamux_allocator alloc;
    void *user_data;
    int is_client;
    int state;
    int err;

    yx_pool pool;
    yx_idmap streams;
    size_t num_streams;     /* allocated stream objects */
    uint64_t recv_reserved; /* sum of recv_target over streams */

    uint32_t next_id;     /* next id we open */
    uint32_t remote_max;  /* highest id the peer opened */
    yx_gap gaps[YX_GAPS]; /* ids below remote_max never opened, sorted */
    uint32_t ngaps;

    /* input parser */
    uint8_t rx_hdr[YAMUX_HEADER_SIZE];
    uint32_t rx_have;         /* header bytes collected */
    uint32_t rx_left;         /* payload bytes still to come for the current frame */
    yamux_stream *rx_st;      /* stream receiving the payload, NULL to discard */
    yamux_stream *rx_flag_st; /* stream the current frame's FIN/RST apply to, or NULL */
    uint16_t rx_flags;        /* FIN/RST of the current frame, applied after its payload */
    int rx_any;               /* bytes arrived since the keepalive ping went out */

    /* output */
    yx_out_frame out[YX_OUT_CAP];
    uint32_t out_head, out_count; /* ring of built frames */
    uint32_t hand_idx;            /* frames (from head) fully handed out */
    uint32_t hand_off;            /* bytes handed out of frame hand_idx */
    uint32_t done_off;            /* bytes of the head frame reported written */
    size_t inflight;              /* handed out, not reported written */
    uint8_t ctrl[YX_CTRL_CAP][YAMUX_HEADER_SIZE];
    uint32_t ctrl_head, ctrl_count;
    int goaway_pending; /* -1 none, else code to send */
    int goaway_sent;
    int local_goaway;  /* we refuse new streams */
    int remote_goaway; /* peer refuses new streams */

    yx_link ctrl_list, data_list;
    yx_link backlog, syn_wait;
    yx_link open_timers, close_timers;
    yx_link notify;
    yx_link all;
    size_t backlog_len;
    uint32_t inflight_opens;

    /* pings and timers */
    yx_ping pings[YX_PING_CAP];
    yx_ping_done pings_done[YX_PING_CAP];
    uint32_t pings_done_count;
    uint32_t ping_seq;
    uint32_t pings_unsent;
    uint64_t rtt;
    uint64_t now;
    uint64_t next_keepalive; /* UINT64_MAX when not scheduled */
    int stall_watch;         /* output was pending at the last tick */
    uint64_t stall_since;    /* since when (tick time) it is pending without moving */
    uint64_t stall_bytes;    /* stats.bytes_out at stall_since */
    int clock_started;

    yamux_stats stats;

    /* callback dispatch: events wait here until the next I/O entry point delivers them */
    int in_callback; /* a callback runs: I/O entry points refuse to run */
    int free_deferred;
    int incoming_pending;
    int goaway_event;
    int close_event;
};

/* session.c */
void yx_session_fail(yamux_session *s, int err);
void yx_session_end(yamux_session *s, int err, int goaway_code);
/* Runs pending callbacks; returns 0 when a callback freed the session (it is gone). Only the
 * I/O entry points call it. */
int yx_session_dispatch(yamux_session *s);
/* True when events wait for the next dispatch. */
int yx_session_events_pending(const yamux_session *s);
void yx_stream_notify(yamux_stream *st, unsigned events);
int yx_session_out_ready(const yamux_session *s);
void yx_ping_complete(yamux_session *s, yx_ping *p, int status);
/* Takes a free ping slot for a ping of `kind` (sent by the output scheduler); NULL if none. */
yx_ping *yx_ping_start(yamux_session *s, uint8_t kind);
uint32_t yx_ctrl_space(const yamux_session *s);
void yx_ctrl_push(yamux_session *s, uint8_t type, uint16_t flags, uint32_t id, uint32_t len);

/* stream.c */
yamux_stream *yx_stream_new(yamux_session *s, uint32_t id, int outbound);
void yx_stream_maybe_free(yamux_stream *st);
void yx_stream_free(yamux_stream *st);
void yx_stream_queue_ctrl(yamux_stream *st);
void yx_stream_update_data(yamux_stream *st);
void yx_stream_finish_check(yamux_stream *st);
void yx_stream_kill(yamux_stream *st, int err);
void yx_stream_do_reset(yamux_stream *st, int err, int send_rst);
void yx_stream_established(yamux_stream *st);
void yx_stream_recv_consumed(yamux_stream *st);
uint32_t yx_stream_window_delta(yamux_stream *st, int force);
int yx_stream_reserve(yamux_session *s, uint64_t bytes);
void yx_stream_syn_release(yamux_stream *st);
void yx_syn_promote(yamux_session *s);
int yx_stream_finished(const yamux_stream *st);

/* session_recv.c: nothing exported beyond the public API */

#endif
