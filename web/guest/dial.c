/* dial: a C program for the wasm worker of @yamux/web that opens N streams toward the event
 * side (yamux_wasi_dial(), yamux_wasi.h), sends BYTES of a pattern on each, half-closes, reads
 * the echo back and checks it byte for byte, all streams at once with poll().
 *     dial N BYTES        prints "dial ok N BYTES", exit status 0 (1 on any mismatch)
 * Byte k of stream i is (k*31 + i*7 + k>>8) & 0xFF. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "yamux_wasi.h"

typedef struct stream {
    int fd;
    size_t sent, got;
    int fin_sent, done;
} stream;

static unsigned char pattern(size_t i, size_t k) {
    return (unsigned char)(k * 31 + i * 7 + (k >> 8));
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: dial N BYTES\n");
        return 2;
    }
    size_t n = strtoul(argv[1], NULL, 10), bytes = strtoul(argv[2], NULL, 10);
    stream *s = calloc(n, sizeof *s);
    struct pollfd *p = calloc(n, sizeof *p);
    unsigned char buf[16384];
    if (!s || !p) return 1;
    for (size_t i = 0; i < n; i++) {
        s[i].fd = yamux_wasi_dial();
        if (s[i].fd < 0) {
            perror("yamux_wasi_dial");
            return 1;
        }
    }
    size_t left = n;
    while (left) {
        for (size_t i = 0; i < n; i++) {
            stream *st = &s[i];
            if (st->done) continue;
            while (st->sent < bytes) { /* write what fits */
                size_t m = bytes - st->sent < sizeof buf ? bytes - st->sent : sizeof buf;
                for (size_t j = 0; j < m; j++)
                    buf[j] = pattern(i, st->sent + j);
                ssize_t w = write(st->fd, buf, m);
                if (w < 0) {
                    if (errno == EAGAIN) break;
                    perror("write");
                    return 1;
                }
                st->sent += (size_t)w;
            }
            if (st->sent == bytes && !st->fin_sent) {
                shutdown(st->fd, SHUT_WR);
                st->fin_sent = 1;
            }
            for (;;) { /* read what arrived */
                ssize_t r = read(st->fd, buf, sizeof buf);
                if (r < 0) {
                    if (errno == EAGAIN) break;
                    perror("read");
                    return 1;
                }
                if (r == 0) {
                    if (st->got != bytes) {
                        fprintf(stderr, "stream %zu: %zu bytes back, want %zu\n", i, st->got,
                                bytes);
                        return 1;
                    }
                    st->done = 1;
                    close(st->fd);
                    left--;
                    break;
                }
                for (ssize_t j = 0; j < r; j++) {
                    if (buf[j] != pattern(i, st->got + (size_t)j)) {
                        fprintf(stderr, "stream %zu: byte %zu differs\n", i, st->got + (size_t)j);
                        return 1;
                    }
                }
                st->got += (size_t)r;
            }
        }
        nfds_t np = 0;
        for (size_t i = 0; i < n; i++)
            if (!s[i].done)
                p[np++] = (struct pollfd){
                    .fd = s[i].fd, .events = (short)(POLLIN | (s[i].sent < bytes ? POLLOUT : 0))};
        if (np && poll(p, np, -1) < 0) {
            perror("poll");
            return 1;
        }
    }
    printf("dial ok %zu %zu\n", n, bytes);
    return 0;
}
