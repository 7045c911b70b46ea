/* A C command component that uses WASI 0.2 TCP sockets directly (wit-bindgen's C bindings of
 * wit/world.wit, in gen/), to test the component host's wasi:sockets/tcp on yamux streams
 * (web/src/host/component/sockets.js). Its stdio go through wasi-libc and jco's preview 1
 * adapter, like any C program's.
 *
 *   sockets serve N   listens, accepts N streams the event side opens, one after the other,
 *                     and echoes each upper-cased to its end (check-write, write, subscribe);
 *                     then connects, sends a line, shuts down sending, prints the reply:
 *                       served N streams, B bytes
 *                       reply: ...
 *   sockets errors    calls that must be refused, one line each: "what: error-code"
 *
 * Built by web/component/build.sh: clang --target=wasm32-wasi, `jco embed` of the world,
 * `jco new --wasi-command`, `jco transpile`. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockets.h"

/* The world's type information is embedded by `jco embed` (build.sh) instead of
 * wit-bindgen's object file (gen.sh passes --no-object-file); the bindings still reference
 * the object's symbol. */
void __component_type_object_force_link_sockets(void) {}

typedef wasi_sockets_tcp_own_tcp_socket_t socket_t;
typedef wasi_sockets_tcp_own_input_stream_t input_t;
typedef wasi_sockets_tcp_own_output_stream_t output_t;

static const char *const CODE_NAMES[] = {
    "unknown",
    "access-denied",
    "not-supported",
    "invalid-argument",
    "out-of-memory",
    "timeout",
    "concurrency-conflict",
    "not-in-progress",
    "would-block",
    "invalid-state",
    "new-socket-limit",
    "address-not-bindable",
    "address-in-use",
    "remote-unreachable",
    "connection-refused",
    "connection-reset",
    "connection-aborted",
    "datagram-too-large",
    "name-unresolvable",
    "temporary-resolver-failure",
    "permanent-resolver-failure",
};

static const char *code_name(wasi_sockets_network_error_code_t c) {
    return c < sizeof CODE_NAMES / sizeof CODE_NAMES[0] ? CODE_NAMES[c] : "(bad code)";
}

static void die(const char *what, wasi_sockets_network_error_code_t code) {
    fprintf(stderr, "sockets: %s: %s\n", what, code_name(code));
    exit(1);
}

/* A stream error's sentence (the host's wasi:io/error), then exit 1. */
static void die_stream(const char *what, wasi_io_streams_stream_error_t *err) {
    if (err->tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) {
        fprintf(stderr, "sockets: %s: closed\n", what);
    } else {
        sockets_string_t s;
        wasi_io_error_method_error_to_debug_string(
            wasi_io_error_borrow_error(err->val.last_operation_failed), &s);
        fprintf(stderr, "sockets: %s: %.*s\n", what, (int)s.len, (const char *)s.ptr);
    }
    exit(1);
}

static void block_on(wasi_io_poll_own_pollable_t p) {
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    wasi_io_poll_pollable_drop_own(p);
}

static wasi_sockets_tcp_ip_socket_address_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                                                 uint16_t port) {
    wasi_sockets_tcp_ip_socket_address_t addr;
    memset(&addr, 0, sizeof addr);
    addr.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4;
    addr.val.ipv4.port = port;
    addr.val.ipv4.address = (wasi_sockets_network_ipv4_address_t){a, b, c, d};
    return addr;
}

static socket_t new_socket(void) {
    socket_t s;
    wasi_sockets_tcp_error_code_t err;
    if (!wasi_sockets_tcp_create_socket_create_tcp_socket(
            WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &s, &err))
        die("create-tcp-socket", err);
    return s;
}

/* Writes all of p[0..n) with check-write and write, waiting on the stream's pollable when
 * the permit is 0, then flushes. */
static void write_all(output_t out, const uint8_t *p, size_t n) {
    wasi_io_streams_borrow_output_stream_t o = wasi_io_streams_borrow_output_stream(out);
    wasi_io_streams_stream_error_t err;
    while (n > 0) {
        uint64_t permit;
        if (!wasi_io_streams_method_output_stream_check_write(o, &permit, &err))
            die_stream("check-write", &err);
        if (permit == 0) {
            block_on(wasi_io_streams_method_output_stream_subscribe(o));
            continue;
        }
        size_t k = n < permit ? n : (size_t)permit;
        sockets_list_u8_t l = {(uint8_t *)p, k};
        if (!wasi_io_streams_method_output_stream_write(o, &l, &err)) die_stream("write", &err);
        p += k;
        n -= k;
    }
    if (!wasi_io_streams_method_output_stream_blocking_flush(o, &err))
        die_stream("blocking-flush", &err);
}

/* Reads `in` to its end, writing each piece upper-cased to `out`; returns the byte count. */
static unsigned long long echo_upper(input_t in, output_t out) {
    unsigned long long total = 0;
    wasi_io_streams_borrow_input_stream_t i = wasi_io_streams_borrow_input_stream(in);
    for (;;) {
        sockets_list_u8_t buf;
        wasi_io_streams_stream_error_t err;
        if (!wasi_io_streams_method_input_stream_blocking_read(i, 65536, &buf, &err)) {
            if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) break;
            die_stream("blocking-read", &err);
        }
        for (size_t k = 0; k < buf.len; k++)
            buf.ptr[k] = (uint8_t)toupper(buf.ptr[k]);
        write_all(out, buf.ptr, buf.len);
        total += buf.len;
        sockets_list_u8_free(&buf);
    }
    return total;
}

static void shutdown_send(socket_t s) {
    wasi_sockets_tcp_error_code_t err;
    if (!wasi_sockets_tcp_method_tcp_socket_shutdown(wasi_sockets_tcp_borrow_tcp_socket(s),
                                                     WASI_SOCKETS_TCP_SHUTDOWN_TYPE_SEND, &err))
        die("shutdown", err);
}

/* Drops a connection's streams, then the socket (children first). */
static void drop_connection(socket_t s, input_t in, output_t out) {
    wasi_io_streams_input_stream_drop_own(in);
    wasi_io_streams_output_stream_drop_own(out);
    wasi_sockets_tcp_tcp_socket_drop_own(s);
}

static int serve(int n) {
    wasi_sockets_network_own_network_t net = wasi_sockets_instance_network_instance_network();
    wasi_sockets_tcp_borrow_network_t bnet = wasi_sockets_network_borrow_network(net);
    socket_t l = new_socket();
    wasi_sockets_tcp_borrow_tcp_socket_t bl = wasi_sockets_tcp_borrow_tcp_socket(l);
    wasi_sockets_tcp_error_code_t err;
    wasi_sockets_tcp_ip_socket_address_t any = ipv4(0, 0, 0, 0, 8080);
    if (!wasi_sockets_tcp_method_tcp_socket_start_bind(bl, bnet, &any, &err))
        die("start-bind", err);
    if (!wasi_sockets_tcp_method_tcp_socket_finish_bind(bl, &err)) die("finish-bind", err);
    if (!wasi_sockets_tcp_method_tcp_socket_start_listen(bl, &err)) die("start-listen", err);
    if (!wasi_sockets_tcp_method_tcp_socket_finish_listen(bl, &err)) die("finish-listen", err);

    unsigned long long bytes = 0;
    for (int i = 0; i < n;) {
        wasi_sockets_tcp_tuple3_own_tcp_socket_own_input_stream_own_output_stream_t c;
        if (!wasi_sockets_tcp_method_tcp_socket_accept(bl, &c, &err)) {
            if (err != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) die("accept", err);
            block_on(wasi_sockets_tcp_method_tcp_socket_subscribe(bl));
            continue;
        }
        bytes += echo_upper(c.f1, c.f2);
        shutdown_send(c.f0);
        drop_connection(c.f0, c.f1, c.f2);
        i++;
    }
    printf("served %d streams, %llu bytes\n", n, bytes);
    fflush(stdout);

    /* Connect: the event side's session.accept() receives the stream. */
    socket_t d = new_socket();
    wasi_sockets_tcp_borrow_tcp_socket_t bd = wasi_sockets_tcp_borrow_tcp_socket(d);
    wasi_sockets_tcp_ip_socket_address_t to = ipv4(127, 0, 0, 1, 7);
    if (!wasi_sockets_tcp_method_tcp_socket_start_connect(bd, bnet, &to, &err))
        die("start-connect", err);
    wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t io;
    while (!wasi_sockets_tcp_method_tcp_socket_finish_connect(bd, &io, &err)) {
        if (err != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) die("finish-connect", err);
        block_on(wasi_sockets_tcp_method_tcp_socket_subscribe(bd));
    }
    const char *hello = "hello from a wasi:sockets component\n";
    write_all(io.f1, (const uint8_t *)hello, strlen(hello));
    shutdown_send(d);
    char reply[256];
    size_t got = 0;
    wasi_io_streams_borrow_input_stream_t in = wasi_io_streams_borrow_input_stream(io.f0);
    for (;;) {
        sockets_list_u8_t buf;
        wasi_io_streams_stream_error_t serr;
        if (!wasi_io_streams_method_input_stream_blocking_read(in, sizeof reply - 1 - got, &buf,
                                                               &serr)) {
            if (serr.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) break;
            die_stream("read the reply", &serr);
        }
        memcpy(reply + got, buf.ptr, buf.len);
        got += buf.len;
        sockets_list_u8_free(&buf);
        if (got == sizeof reply - 1) break;
    }
    reply[got] = 0;
    printf("reply: %s\n", reply);
    drop_connection(d, io.f0, io.f1);
    wasi_sockets_tcp_tcp_socket_drop_own(l);
    wasi_sockets_network_network_drop_own(net);
    return 0;
}

/* Prints "what: error-code" of a call that must fail, or "what: ok" when it did not. */
static void expect_fail(const char *what, bool ok, wasi_sockets_network_error_code_t err) {
    printf("%s: %s\n", what, ok ? "ok" : code_name(err));
}

static int errors(void) {
    wasi_sockets_network_own_network_t net = wasi_sockets_instance_network_instance_network();
    wasi_sockets_tcp_borrow_network_t bnet = wasi_sockets_network_borrow_network(net);
    wasi_sockets_tcp_error_code_t err = 0;
    socket_t s = new_socket();
    wasi_sockets_tcp_borrow_tcp_socket_t bs = wasi_sockets_tcp_borrow_tcp_socket(s);
    expect_fail("listen before bind", wasi_sockets_tcp_method_tcp_socket_start_listen(bs, &err),
                err);
    wasi_sockets_tcp_tuple3_own_tcp_socket_own_input_stream_own_output_stream_t c;
    expect_fail("accept before listen", wasi_sockets_tcp_method_tcp_socket_accept(bs, &c, &err),
                err);
    wasi_sockets_tcp_ip_socket_address_t zero = ipv4(127, 0, 0, 1, 0);
    expect_fail("connect to port 0",
                wasi_sockets_tcp_method_tcp_socket_start_connect(bs, bnet, &zero, &err), err);
    wasi_sockets_tcp_ip_socket_address_t v6;
    memset(&v6, 0, sizeof v6);
    v6.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV6;
    v6.val.ipv6.port = 80;
    expect_fail("bind ipv6 address on ipv4 socket",
                wasi_sockets_tcp_method_tcp_socket_start_bind(bs, bnet, &v6, &err), err);
    expect_fail("finish-bind without start",
                wasi_sockets_tcp_method_tcp_socket_finish_bind(bs, &err), err);

    /* A listener, then a second one. */
    wasi_sockets_tcp_ip_socket_address_t any = ipv4(0, 0, 0, 0, 80);
    if (!wasi_sockets_tcp_method_tcp_socket_start_bind(bs, bnet, &any, &err) ||
        !wasi_sockets_tcp_method_tcp_socket_finish_bind(bs, &err) ||
        !wasi_sockets_tcp_method_tcp_socket_start_listen(bs, &err) ||
        !wasi_sockets_tcp_method_tcp_socket_finish_listen(bs, &err))
        die("listen", err);
    socket_t t = new_socket();
    wasi_sockets_tcp_borrow_tcp_socket_t bt = wasi_sockets_tcp_borrow_tcp_socket(t);
    if (!wasi_sockets_tcp_method_tcp_socket_start_bind(bt, bnet, &any, &err) ||
        !wasi_sockets_tcp_method_tcp_socket_finish_bind(bt, &err))
        die("bind a second socket", err);
    expect_fail("second listener", wasi_sockets_tcp_method_tcp_socket_start_listen(bt, &err), err);
    wasi_sockets_tcp_ip_socket_address_t addr;
    expect_fail("remote-address of a listener",
                wasi_sockets_tcp_method_tcp_socket_remote_address(bs, &addr, &err), err);

    wasi_sockets_udp_create_socket_own_udp_socket_t u;
    wasi_sockets_network_error_code_t uerr = 0;
    expect_fail("udp socket",
                wasi_sockets_udp_create_socket_create_udp_socket(
                    WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &u, &uerr),
                uerr);
    wasi_sockets_ip_name_lookup_own_resolve_address_stream_t r;
    sockets_string_t name = {(uint8_t *)"localhost", 9};
    expect_fail("resolve-addresses",
                wasi_sockets_ip_name_lookup_resolve_addresses(bnet, &name, &r, &uerr), uerr);
    expect_fail("accept with nothing waiting",
                wasi_sockets_tcp_method_tcp_socket_accept(bs, &c, &err), err);
    expect_fail(
        "shutdown of a listener",
        wasi_sockets_tcp_method_tcp_socket_shutdown(bs, WASI_SOCKETS_TCP_SHUTDOWN_TYPE_BOTH, &err),
        err);
    wasi_sockets_tcp_tcp_socket_drop_own(t);
    wasi_sockets_tcp_tcp_socket_drop_own(s);
    wasi_sockets_network_network_drop_own(net);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(atoi(argv[2]));
    if (argc == 2 && strcmp(argv[1], "errors") == 0) return errors();
    fprintf(stderr, "usage: sockets serve N | sockets errors\n");
    return 2;
}
