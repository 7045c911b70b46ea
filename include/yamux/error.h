/* yamux error codes: one space for the whole library (the engine, the shared-memory queue and
 * the bindings). Every function that can fail returns one of these (negative) values, each
 * with one meaning; yamux_strerror() turns any of them into a sentence, yamux_errname() into
 * its name. */
#ifndef YAMUX_ERROR_H
#define YAMUX_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum yamux_error {
    YAMUX_OK = 0,

    /* Calls that cannot proceed now, or a normal end. */
    YAMUX_EAGAIN = -1,    /**< would block: no data, no window, buffer or ring full; retry on
                               the event (or after waiting) */
    YAMUX_EINVAL = -2,    /**< invalid argument, or a call in the wrong state or place (an I/O
                               call from inside a callback) */
    YAMUX_ENOMEM = -3,    /**< the allocator failed */
    YAMUX_ELIMIT = -4,    /**< a configured bound (streams, buffered bytes) would be exceeded */
    YAMUX_ECLOSED = -5,   /**< closed normally: nothing more can go this way (a stream after
                               close_write, or once both directions finished; a queue closed by
                               either side, once everything sent was received) */
    YAMUX_ERESET = -6,    /**< the stream was reset (by either side, or refused) */
    YAMUX_ESHUTDOWN = -7, /**< the session is closed */
    YAMUX_EGOAWAY = -8,   /**< the remote sent GoAway: it accepts no new streams */
    YAMUX_ESTREAMS_EXHAUSTED = -9, /**< no stream id left in this session */
    YAMUX_ETIMEOUT = -10,          /**< timed out: a ping unanswered, a wait or blocking call */
    YAMUX_EMSGSIZE = -11,          /**< a packet larger than the queue's MTU, or a receive
                                        buffer too small for the next packet */

    /* Protocol errors in what the peer sent: the session answers with GoAway 1. */
    YAMUX_EPROTO_VERSION = -20,   /**< header version is not 0 */
    YAMUX_EPROTO_TYPE = -21,      /**< unknown frame type */
    YAMUX_EPROTO_FLAGS = -22,     /**< undefined flag bits, or flags invalid for the frame type */
    YAMUX_EPROTO_STREAM_ID = -23, /**< stream id 0 on a stream frame, non-zero on a session frame,
                                       wrong parity for a new stream, or unknown stream */
    YAMUX_EPROTO_DUPLICATE_STREAM = -24, /**< SYN for a stream id that is open or was used */
    YAMUX_EPROTO_RECV_WINDOW = -25,      /**< data beyond the receive window granted to the peer */
    YAMUX_EPROTO_SEND_WINDOW = -26,      /**< window update overflowing the 32-bit send window */
    YAMUX_EPROTO_STREAM_STATE = -27,     /**< frame not allowed in the stream's state (data after
                                              FIN, second FIN, ACK of a stream the peer opened) */
    YAMUX_EPROTO_LENGTH = -28,           /**< data frame longer than any window could allow */

    /* The session ended for another reason. */
    YAMUX_EREMOTE_PROTOCOL = -40, /**< the remote sent GoAway 1 (protocol error) */
    YAMUX_EREMOTE_INTERNAL = -41, /**< the remote sent GoAway 2 (internal error) */
    YAMUX_EREMOTE_GOAWAY = -42,   /**< the remote sent GoAway with an unknown code */
    YAMUX_EKEEPALIVE = -43,       /**< keepalive ping unanswered and nothing received */
    YAMUX_EWRITE_TIMEOUT = -44,   /**< the transport took no output for the write timeout */
    YAMUX_EOPEN_TIMEOUT = -45,    /**< an opened stream was not acknowledged in time */
    YAMUX_EEOF = -46,             /**< the transport ended (end of input) */
    YAMUX_ETRANSPORT = -47,       /**< the transport failed (binding-specific I/O error) */
    YAMUX_EINTERNAL = -48,        /**< an internal limit failed; GoAway 2 was sent */

    /* The shared-memory queue (yamux/shmq.h) and sessions over it (yamux/shm.h). */
    YAMUX_EPEERDEAD = -60,  /**< the queue's peer died without closing (process gone, heartbeat
                                 stopped) */
    YAMUX_EPEERRESET = -61, /**< the queue's peer re-attached: the conversation is lost */
    YAMUX_ECORRUPT = -62,   /**< the shared region holds inconsistent indices, lengths or fields */
    YAMUX_EBADMAGIC = -63,  /**< not a formatted queue region (wrong magic) */
    YAMUX_EVERSION = -64    /**< unsupported queue layout version or flags */
} yamux_error;

/** A human-readable sentence for any yamux_error value (never NULL). */
const char *yamux_strerror(int err);

/** The enumerator's name ("YAMUX_EPROTO_VERSION"), or "YAMUX_E?" for unknown values. */
const char *yamux_errname(int err);

/** True when `err` is a protocol error detected in peer input (answered with GoAway 1). */
int yamux_error_is_protocol(int err);

#ifdef __cplusplus
}
#endif
#endif
