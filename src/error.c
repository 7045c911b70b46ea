/* yamux error strings: see include/yamux/error.h. */
#include "yamux/error.h"

#include <stddef.h>

typedef struct {
    int code;
    const char *name;
    const char *text;
} error_entry;

#define E(c, t)                                                                                    \
    { c, #c, t }
static const error_entry errors[] = {
    E(YAMUX_OK, "success"),
    E(YAMUX_EAGAIN, "operation would block; retry after the next event"),
    E(YAMUX_EINVAL, "invalid argument or call in the wrong state"),
    E(YAMUX_ENOMEM, "out of memory"),
    E(YAMUX_ELIMIT, "a configured limit (streams or buffered bytes) would be exceeded"),
    E(YAMUX_ECLOSED, "closed"),
    E(YAMUX_ERESET, "stream reset"),
    E(YAMUX_ESHUTDOWN, "session shut down"),
    E(YAMUX_EGOAWAY, "remote end is not accepting new streams (GoAway received)"),
    E(YAMUX_ESTREAMS_EXHAUSTED, "stream ids exhausted"),
    E(YAMUX_ETIMEOUT, "timed out"),
    E(YAMUX_EMSGSIZE, "packet larger than the MTU, or receive buffer too small"),
    E(YAMUX_EPROTO_VERSION, "protocol error: invalid protocol version"),
    E(YAMUX_EPROTO_TYPE, "protocol error: invalid message type"),
    E(YAMUX_EPROTO_FLAGS, "protocol error: invalid flags for the message type"),
    E(YAMUX_EPROTO_STREAM_ID, "protocol error: invalid stream id"),
    E(YAMUX_EPROTO_DUPLICATE_STREAM, "protocol error: duplicate or reused stream id"),
    E(YAMUX_EPROTO_RECV_WINDOW, "protocol error: receive window exceeded"),
    E(YAMUX_EPROTO_SEND_WINDOW, "protocol error: window update overflows the send window"),
    E(YAMUX_EPROTO_STREAM_STATE, "protocol error: frame not allowed in the stream's state"),
    E(YAMUX_EPROTO_LENGTH, "protocol error: data frame larger than any window"),
    E(YAMUX_EREMOTE_PROTOCOL, "remote reported a protocol error (GoAway 1)"),
    E(YAMUX_EREMOTE_INTERNAL, "remote reported an internal error (GoAway 2)"),
    E(YAMUX_EREMOTE_GOAWAY, "remote sent GoAway with an unknown code"),
    E(YAMUX_EKEEPALIVE, "keepalive timeout: peer unresponsive"),
    E(YAMUX_EWRITE_TIMEOUT, "connection write timeout: transport took no output"),
    E(YAMUX_EOPEN_TIMEOUT, "stream open timeout: peer did not acknowledge"),
    E(YAMUX_EEOF, "transport closed by peer"),
    E(YAMUX_ETRANSPORT, "transport error"),
    E(YAMUX_EINTERNAL, "internal error"),
    E(YAMUX_EPEERDEAD, "peer died without closing the queue"),
    E(YAMUX_EPEERRESET, "peer re-attached (generation changed)"),
    E(YAMUX_ECORRUPT, "shared region corrupt: inconsistent index, length or field"),
    E(YAMUX_EBADMAGIC, "not a formatted shmq region (bad magic)"),
    E(YAMUX_EVERSION, "unsupported shmq layout version or flags"),
};
#undef E

static const error_entry *find(int err) {
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == err) return &errors[i];
    return NULL;
}

const char *yamux_strerror(int err) {
    const error_entry *e = find(err);
    return e ? e->text : "unknown error";
}

const char *yamux_errname(int err) {
    const error_entry *e = find(err);
    return e ? e->name : "YAMUX_E?";
}

int yamux_error_is_protocol(int err) {
    return err <= YAMUX_EPROTO_VERSION && err >= YAMUX_EPROTO_LENGTH;
}
