/* Links against the installed library and runs a session pair for one stream. */
#include <stdio.h>
#include <string.h>

#include <yamux/session.h>

int main(void) {
    yamux_session *c, *s;
    if (yamux_session_new(&c, 1, NULL, NULL, NULL) || yamux_session_new(&s, 0, NULL, NULL, NULL))
        return 1;
    yamux_stream *st;
    if (yamux_session_open(c, &st) || yamux_stream_write(st, "hi", 2) != 2) return 1;
    uint8_t buf[256];
    size_t n = yamux_session_send(c, buf, sizeof buf);
    if (yamux_session_recv(s, buf, n) != (ptrdiff_t)n) return 1;
    yamux_stream *in = yamux_session_accept(s);
    char got[3] = {0};
    if (!in || yamux_stream_read(in, got, 2) != 2 || strcmp(got, "hi") != 0) return 1;
    yamux_session_free(c);
    yamux_session_free(s);
    puts(yamux_strerror(YAMUX_EPROTO_VERSION));
    return 0;
}
