/* yamux_wasi.h: for C programs in the wasm worker of @yamux/web (clang --target=wasm32-wasi,
 * wasi-libc). The WASI host there (web/src/host/) presents every yamux stream as a
 * non-blocking stream socket:
 *   - descriptor 3 is a listening socket: accept(3, NULL, NULL) returns a socket per stream
 *     the event side opened (session.open() in JavaScript), or -1 with errno EAGAIN when none
 *     waits (poll() descriptor 3 for POLLIN), ENETDOWN once the session is over;
 *   - read()/write()/recv()/send() never block: EAGAIN, then poll() for POLLIN / POLLOUT;
 *     read() returns 0 at the end of the stream, fails with ECONNRESET after a reset;
 *     shutdown(fd, SHUT_WR) sends the end of the stream (FIN) and reading goes on; close()
 *     ends the stream (with unread input left: a reset, as a kernel does);
 *   - yamux_wasi_dial() below opens a stream toward the event side (session.accept()).
 *
 * Example: an echo of one stream the program opens.
 *
 *     #include "yamux_wasi.h"
 *     int fd = yamux_wasi_dial();
 *     if (fd < 0) { perror("yamux_wasi_dial"); return 1; }
 *     const char msg[] = "hello";
 *     write(fd, msg, sizeof msg - 1);            // non-blocking: check for EAGAIN in real code
 *     shutdown(fd, SHUT_WR);                     // FIN: the event side reads to its end
 *     struct pollfd p = {.fd = fd, .events = POLLIN};
 *     char buf[64];
 *     ssize_t n;
 *     while ((n = read(fd, buf, sizeof buf)) != 0) {
 *         if (n < 0 && errno == EAGAIN) { poll(&p, 1, -1); continue; }
 *         if (n < 0) { perror("read"); break; }
 *         fwrite(buf, 1, (size_t)n, stdout);
 *     }
 *     close(fd);
 *
 * See web/guest/echo.c and dial.c for complete programs. */
#ifndef YAMUX_WASI_H
#define YAMUX_WASI_H

#include <errno.h>
#include <stdint.h>

/** The host's import: opens a stream toward the event side and stores its descriptor in
 * *fd. `flags` must be 0. Returns 0 or a WASI errno. */
__attribute__((import_module("yamux"), import_name("dial"))) uint32_t
__yamux_wasi_dial(uint32_t flags, uint32_t *fd);

/** Opens a stream toward the event side: a non-blocking socket descriptor, or -1 with errno
 * ECONNREFUSED (the event side accepts no new streams), ENETDOWN (the session is over),
 * EMFILE (stream limit) or ENOTSUP (the host runs the program in raw mode). The stream
 * exists at once: data may be written before the event side accepts it. */
static inline int yamux_wasi_dial(void) {
    uint32_t fd = 0;
    uint32_t e = __yamux_wasi_dial(0, &fd);
    if (e) {
        errno = (int)e;
        return -1;
    }
    return (int)fd;
}

#endif
