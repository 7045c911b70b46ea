/* echo: a C program for the wasm worker of @yamux/web (wasi-libc, clang --target=wasm32-wasi)
 * that echoes every stream the event side opens: accept(3) on the preopened listener, poll()
 * for readiness, non-blocking read()/write(), shutdown(SHUT_WR) after the end of each stream.
 * It exits (status 0) once the session is over and every stream is done, printing
 * "accepted N". */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 512
#define BUF_SIZE  (64 * 1024)

typedef struct conn {
    int fd;
    size_t len, off; /* bytes in buf, bytes of them written back */
    int eof;
    unsigned char buf[BUF_SIZE];
} conn;

static conn *conns[MAX_CONNS];
static int nconns;

static void drop(int i) {
    close(conns[i]->fd);
    free(conns[i]);
    conns[i] = conns[--nconns];
}

/* Reads and writes what can move now; returns 0 when the stream is finished. */
static int step(conn *c) {
    for (;;) {
        if (c->off < c->len) {
            ssize_t w = write(c->fd, c->buf + c->off, c->len - c->off);
            if (w < 0) return errno == EAGAIN ? 1 : 0;
            c->off += (size_t)w;
            continue;
        }
        if (c->eof) {
            shutdown(c->fd, SHUT_WR);
            return 0;
        }
        ssize_t n = read(c->fd, c->buf, sizeof c->buf);
        if (n < 0) return errno == EAGAIN ? 1 : 0;
        if (n == 0) c->eof = 1;
        c->len = (size_t)n;
        c->off = 0;
    }
}

int main(void) {
    static struct pollfd fds[MAX_CONNS + 1];
    int listening = 1, accepted = 0;
    while (listening || nconns) {
        int n = 0;
        if (listening) fds[n++] = (struct pollfd){.fd = 3, .events = POLLIN};
        for (int i = 0; i < nconns; i++) {
            conn *c = conns[i];
            fds[n++] = (struct pollfd){.fd = c->fd, .events = c->off < c->len ? POLLOUT : POLLIN};
        }
        if (poll(fds, (nfds_t)n, -1) < 0) {
            perror("poll");
            return 1;
        }
        if (listening) {
            for (;;) {
                int fd = accept(3, NULL, NULL);
                if (fd < 0) {
                    if (errno != EAGAIN) listening = 0; /* ENETDOWN: the session is over */
                    break;
                }
                conn *c = calloc(1, sizeof *c);
                if (!c || nconns == MAX_CONNS) {
                    close(fd);
                    free(c);
                    continue;
                }
                c->fd = fd;
                conns[nconns++] = c;
                accepted++;
            }
        }
        for (int i = nconns - 1; i >= 0; i--)
            if (!step(conns[i])) drop(i);
    }
    printf("accepted %d\n", accepted);
    return 0;
}
