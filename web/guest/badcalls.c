/* badcalls: a C program for the wasm worker of @yamux/web that calls the host with invalid
 * pointers, lengths, flags and descriptors, and prints each call's WASI errno:
 *     NAME ERRNO
 * The host must answer EFAULT (21) / EINVAL (28) / EBADF (8) / ENOTSOCK (57), lose nothing
 * (a stream whose accept had a bad result pointer is still accepted afterwards, bytes of a
 * read into a bad buffer are still read afterwards) and keep working: at the end the program
 * echoes one stream the event side opened and prints "ok". */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>

#include "yamux_wasi.h"

#define BAD ((uintptr_t)0xfffffff0u) /* beyond any wasm32 memory this program has */

static void report(const char *name, int e) {
    printf("%s %d\n", name, e);
}

static int wait_fd(int fd, short events) {
    struct pollfd p = {.fd = fd, .events = events};
    return poll(&p, 1, -1);
}

int main(void) {
    __wasi_size_t n = 0;
    __wasi_ciovec_t good = {.buf = (const uint8_t *)"x", .buf_len = 1};
    __wasi_ciovec_t bad_buf = {.buf = (const uint8_t *)BAD, .buf_len = 64};
    __wasi_ciovec_t huge = {.buf = (const uint8_t *)"x", .buf_len = 0xffffff00u};

    report("fd_write_bad_iovs", __wasi_fd_write(1, (const __wasi_ciovec_t *)BAD, 1, &n));
    report("fd_write_bad_buf", __wasi_fd_write(1, &bad_buf, 1, &n));
    report("fd_write_huge_len", __wasi_fd_write(1, &huge, 1, &n));
    report("fd_write_huge_count", __wasi_fd_write(1, &good, 0x7fffffffu, &n));
    report("fd_write_bad_result", __wasi_fd_write(1, &good, 1, (__wasi_size_t *)BAD));
    report("fd_write_bad_fd", __wasi_fd_write(77, &good, 1, &n));
    report("fd_close_bad_fd", __wasi_fd_close(999));
    report("args_get_bad", __wasi_args_get((uint8_t **)BAD, (uint8_t *)BAD));
    report("args_sizes_get_bad", __wasi_args_sizes_get((__wasi_size_t *)BAD, &n));
    report("environ_get_bad", __wasi_environ_get((uint8_t **)BAD, (uint8_t *)BAD));
    report("random_get_bad", __wasi_random_get((uint8_t *)BAD, 4096));
    __wasi_timestamp_t t;
    report("clock_time_get_bad_id", __wasi_clock_time_get(99, 1, &t));
    report("clock_time_get_bad_ptr",
           __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (__wasi_timestamp_t *)BAD));
    report("fd_fdstat_get_bad_ptr", __wasi_fd_fdstat_get(1, (__wasi_fdstat_t *)BAD));

    __wasi_subscription_t sub = {.userdata = 1, .u = {.tag = __WASI_EVENTTYPE_CLOCK}};
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.timeout = 1000;
    __wasi_event_t ev;
    report("poll_oneoff_zero_subs", __wasi_poll_oneoff(&sub, &ev, 0, &n));
    report("poll_oneoff_bad_in",
           __wasi_poll_oneoff((const __wasi_subscription_t *)BAD, &ev, 1, &n));
    report("poll_oneoff_bad_out", __wasi_poll_oneoff(&sub, (__wasi_event_t *)BAD, 1, &n));
    report("poll_oneoff_huge_count", __wasi_poll_oneoff(&sub, &ev, 0x7fffffffu, &n));
    report("poll_oneoff_bad_nevents", __wasi_poll_oneoff(&sub, &ev, 1, (__wasi_size_t *)BAD));
    __wasi_subscription_t badtag = sub;
    badtag.u.tag = 9;
    report("poll_oneoff_bad_tag", __wasi_poll_oneoff(&badtag, &ev, 1, &n));
    __wasi_subscription_t badclock = sub;
    badclock.u.u.clock.id = 42;
    int e = __wasi_poll_oneoff(&badclock, &ev, 1, &n);
    report("poll_oneoff_bad_clock", e ? e : ev.error);

    uint32_t fd = 0;
    report("dial_bad_flags", (int)__yamux_wasi_dial(1, &fd));
    report("dial_bad_ptr", (int)__yamux_wasi_dial(0, (uint32_t *)BAD));
    report("shutdown_stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR));
    report("accept_stdout", __wasi_sock_accept(1, 0, (__wasi_fd_t *)&fd));

    /* The event side opens one stream: wait for it, then accept it with bad arguments. */
    wait_fd(3, POLLIN);
    report("accept_bad_flags", __wasi_sock_accept(3, 0xff, (__wasi_fd_t *)&fd));
    report("accept_bad_ptr", __wasi_sock_accept(3, 0, (__wasi_fd_t *)BAD));
    int s = accept(3, NULL, NULL); /* the stream was not lost */
    if (s < 0) {
        perror("accept");
        return 1;
    }
    report("shutdown_bad_how", __wasi_sock_shutdown((__wasi_fd_t)s, 7));
    __wasi_iovec_t rbad = {.buf = (uint8_t *)BAD, .buf_len = 64};
    wait_fd(s, POLLIN);
    report("fd_read_bad_buf", __wasi_fd_read((__wasi_fd_t)s, &rbad, 1, &n));
    uint8_t b[64];
    __wasi_iovec_t rgood = {.buf = b, .buf_len = sizeof b};
    report("fd_read_bad_result", __wasi_fd_read((__wasi_fd_t)s, &rgood, 1, (__wasi_size_t *)BAD));
    __wasi_roflags_t rof;
    report("sock_recv_bad_flags", __wasi_sock_recv((__wasi_fd_t)s, &rgood, 1, 0x100, &n, &rof));
    report("sock_send_bad_flags", __wasi_sock_send((__wasi_fd_t)s, &good, 1, 1, &n));

    /* Nothing was lost: echo the stream. */
    char msg[256];
    size_t got = 0;
    for (;;) {
        ssize_t r = read(s, msg + got, sizeof msg - 1 - got);
        if (r < 0 && errno == EAGAIN) {
            wait_fd(s, POLLIN);
            continue;
        }
        if (r <= 0) break;
        got += (size_t)r;
    }
    for (size_t off = 0; off < got;) {
        ssize_t w = write(s, msg + off, got - off);
        if (w < 0 && errno == EAGAIN) {
            wait_fd(s, POLLOUT);
            continue;
        }
        if (w < 0) return 1;
        off += (size_t)w;
    }
    shutdown(s, SHUT_WR);
    close(s);
    msg[got] = 0;
    printf("ok %s\n", msg);
    return 0;
}
