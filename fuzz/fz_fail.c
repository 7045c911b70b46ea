/* Check failures: see fz.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fz.h"
#include "yamux/error.h"

void fz_fail(const char *file, int line, const char *expr, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "\nFUZZ CHECK FAILED %s:%d: %s\n  ", file, line, expr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

/* The codes error.h names, listed here rather than asked of the library: the check runs after
 * every step and must not feed the fuzzer coverage of its own (error.c has fuzz_frame). */
static int named(int err) {
    switch ((yamux_error)err) {
    case YAMUX_OK:
    case YAMUX_EAGAIN:
    case YAMUX_EINVAL:
    case YAMUX_ENOMEM:
    case YAMUX_ELIMIT:
    case YAMUX_ECLOSED:
    case YAMUX_ERESET:
    case YAMUX_ESHUTDOWN:
    case YAMUX_EGOAWAY:
    case YAMUX_ESTREAMS_EXHAUSTED:
    case YAMUX_ETIMEOUT:
    case YAMUX_EMSGSIZE:
    case YAMUX_EPROTO_VERSION:
    case YAMUX_EPROTO_TYPE:
    case YAMUX_EPROTO_FLAGS:
    case YAMUX_EPROTO_STREAM_ID:
    case YAMUX_EPROTO_DUPLICATE_STREAM:
    case YAMUX_EPROTO_RECV_WINDOW:
    case YAMUX_EPROTO_SEND_WINDOW:
    case YAMUX_EPROTO_STREAM_STATE:
    case YAMUX_EPROTO_LENGTH:
    case YAMUX_EREMOTE_PROTOCOL:
    case YAMUX_EREMOTE_INTERNAL:
    case YAMUX_EREMOTE_GOAWAY:
    case YAMUX_EKEEPALIVE:
    case YAMUX_EWRITE_TIMEOUT:
    case YAMUX_EOPEN_TIMEOUT:
    case YAMUX_EEOF:
    case YAMUX_ETRANSPORT:
    case YAMUX_EINTERNAL:
    case YAMUX_EPEERDEAD:
    case YAMUX_EPEERRESET:
    case YAMUX_ECORRUPT:
    case YAMUX_EBADMAGIC:
    case YAMUX_EVERSION:
        return 1;
    }
    return 0;
}

void fz_check_errname(int err, const char *what) {
    FZ_CHECK(named(err), "%s returned %d, not a yamux_error", what, err);
}
