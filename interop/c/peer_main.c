/* yamux-peer: TCP listener or client running yamux sessions (interop/PEER_CLI.md). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

static peer_opts opts;
static peer_stats stats;
static uv_loop_t *loop;
static uv_tcp_t server;
static int exit_status = EXIT_OK;
static int listening;

uint64_t peer_rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, rss = 0;
    if (!f) return 0;
    if (fscanf(f, "%llu %llu", &size, &rss) != 2) rss = 0;
    fclose(f);
    return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void print_stats(void) {
    if (!opts.stats) return;
    double secs = (double)(uv_hrtime() - stats.t0) / 1e9;
    printf("stats {\"streams_opened\":%llu,\"streams_accepted\":%llu,\"bytes_sent\":%llu,"
           "\"bytes_received\":%llu,\"seconds\":%.6f,\"pings\":%llu}\n",
           (unsigned long long)stats.streams_opened, (unsigned long long)stats.streams_accepted,
           (unsigned long long)stats.bytes_sent, (unsigned long long)stats.bytes_received, secs,
           (unsigned long long)stats.pings);
    fflush(stdout);
}

static void on_conn_closed(uv_handle_t *h) {
    free(h);
}

/* ---- client -------------------------------------------------------------------------------- */

static void client_done(int status, void *ud) {
    (void)ud;
    exit_status = status;
}

static void on_connect(uv_connect_t *req, int status) {
    uv_tcp_t *tcp = (uv_tcp_t *)req->handle;
    free(req);
    if (status < 0) {
        fprintf(stderr, "yamux-peer: connect %s: %s\n", opts.connect, uv_strerror(status));
        exit_status = EXIT_VERIFY;
        uv_close((uv_handle_t *)tcp, on_conn_closed);
        return;
    }
    uv_tcp_nodelay(tcp, 1);
    stats.t0 = uv_hrtime();
    if (peer_session_start(loop, (uv_stream_t *)tcp, 1, &opts, &stats, client_done, NULL) != 0) {
        exit_status = EXIT_VERIFY;
        uv_close((uv_handle_t *)tcp, on_conn_closed);
    }
}

static int resolve(struct sockaddr_storage *ss) {
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof port, "%d", opts.port);
    if (getaddrinfo(opts.host, port, &hints, &res) != 0) return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

/* ---- listener ------------------------------------------------------------------------------ */

static void server_done(int status, void *ud) {
    (void)ud;
    if (status != EXIT_OK) fprintf(stderr, "yamux-peer: connection ended with status %d\n", status);
    if (opts.once) {
        exit_status = status;
        if (listening) {
            listening = 0;
            uv_close((uv_handle_t *)&server, NULL);
        }
    }
}

static void on_connection(uv_stream_t *srv, int status) {
    if (status < 0) return;
    uv_tcp_t *tcp = malloc(sizeof *tcp);
    if (!tcp) return;
    uv_tcp_init(loop, tcp);
    if (uv_accept(srv, (uv_stream_t *)tcp) != 0) {
        uv_close((uv_handle_t *)tcp, on_conn_closed);
        return;
    }
    uv_tcp_nodelay(tcp, 1);
    if (!stats.t0) stats.t0 = uv_hrtime();
    if (peer_session_start(loop, (uv_stream_t *)tcp, 0, &opts, &stats, server_done, NULL) != 0) {
        uv_close((uv_handle_t *)tcp, on_conn_closed);
        return;
    }
    if (opts.once) uv_read_stop(srv); /* one connection only */
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    peer_parse_args(&opts, argc, argv);
    loop = uv_default_loop();
    struct sockaddr_storage addr;
    if (resolve(&addr) != 0) {
        fprintf(stderr, "yamux-peer: cannot resolve %s\n", opts.host);
        return EXIT_USAGE;
    }
    if (opts.connect) {
        uv_tcp_t *tcp = malloc(sizeof *tcp);
        uv_connect_t *req = malloc(sizeof *req);
        uv_tcp_init(loop, tcp);
        int r = uv_tcp_connect(req, tcp, (struct sockaddr *)&addr, on_connect);
        if (r != 0) {
            fprintf(stderr, "yamux-peer: connect: %s\n", uv_strerror(r));
            return EXIT_VERIFY;
        }
    } else {
        uv_tcp_init(loop, &server);
        int r = uv_tcp_bind(&server, (struct sockaddr *)&addr, 0);
        if (r == 0) r = uv_listen((uv_stream_t *)&server, 1024, on_connection);
        if (r != 0) {
            fprintf(stderr, "yamux-peer: listen %s: %s\n", opts.listen, uv_strerror(r));
            return EXIT_USAGE;
        }
        listening = 1;
        struct sockaddr_storage bound;
        int len = sizeof bound;
        uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len);
        char ip[64];
        int port;
        if (bound.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&bound, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
            printf("listening [%s]:%d\n", ip, port);
        } else {
            uv_ip4_name((struct sockaddr_in *)&bound, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
            printf("listening %s:%d\n", ip, port);
        }
        fflush(stdout);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    print_stats();
    uv_loop_close(loop);
    return exit_status;
}
