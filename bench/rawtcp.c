/* rawtcp: the ceiling for yamux over TCP loopback. One TCP connection, no multiplexing:
 *   rawtcp --listen HOST:PORT             sink: read and discard until EOF, then close
 *   rawtcp --connect HOST:PORT BYTES W    write BYTES in writes of W bytes, half-close, wait
 *                                         for the sink's close; prints `rawtcp BYTES SECONDS` */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in parse(const char *addr) {
    struct sockaddr_in sa;
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) exit(2);
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) exit(2);
    return sa;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    static char buf[1 << 20];
    if (argc == 3 && !strcmp(argv[1], "--listen")) {
        struct sockaddr_in sa = parse(argv[2]);
        int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 16)) return 1;
        socklen_t len = sizeof sa;
        getsockname(ls, (struct sockaddr *)&sa, &len);
        printf("listening 127.0.0.1:%d\n", ntohs(sa.sin_port));
        fflush(stdout);
        for (;;) {
            int c = accept(ls, NULL, NULL);
            if (c < 0) return 1;
            while (read(c, buf, sizeof buf) > 0) {
            }
            close(c);
        }
    }
    if (argc == 5 && !strcmp(argv[1], "--connect")) {
        struct sockaddr_in sa = parse(argv[2]);
        long long total = atoll(argv[3]);
        size_t w = (size_t)atol(argv[4]);
        if (w == 0 || w > sizeof buf) return 2;
        memset(buf, 'x', w);
        int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        double t0 = now();
        if (connect(s, (struct sockaddr *)&sa, sizeof sa)) return 1;
        for (long long sent = 0; sent < total;) {
            size_t n = total - sent < (long long)w ? (size_t)(total - sent) : w;
            ssize_t k = write(s, buf, n);
            if (k <= 0) return 1;
            sent += k;
        }
        shutdown(s, SHUT_WR);
        while (read(s, buf, sizeof buf) > 0) {
        }
        printf("rawtcp %lld %.6f\n", total, now() - t0);
        return 0;
    }
    fprintf(stderr, "usage: rawtcp --listen HOST:PORT | --connect HOST:PORT BYTES WRITE_SIZE\n");
    return 2;
}
