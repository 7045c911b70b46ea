#!/usr/bin/env python3
"""Native throughput of yamux over TCP loopback: the C engine (yamux-peer) beside Go's
hashicorp/yamux and libp2p/go-yamux (yamux-go-peer), same workload, same run, with raw TCP
(one connection, no multiplexing) as the ceiling. Then idle memory per open stream.

Each cell: a sink server and a client that opens N streams, writes its share of the bytes in
writes of W bytes, half-closes and waits for the server's half-close (PEER_CLI.md --sink).
Median of --reps runs. Prints one table of MiB/s and ratios.

  bench/bench_native.py [--build build] [--reps 3] [--bytes 1073741824] [--quick]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20


def start_server(argv):
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.match(r"listening (\S+)", line)
    if not m:
        p.kill()
        raise RuntimeError("%s did not start: %r" % (argv[0], line))
    return p, m.group(1)


def stop(p):
    p.kill()
    p.wait()


def run_client(argv, timeout=300):
    t0 = time.monotonic()
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=timeout)
    wall = time.monotonic() - t0
    if out.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), out.returncode, out.stderr[-500:]))
    return out.stdout, wall


def yamux_cell(peer, streams, total, wsize, reps):
    """MiB/s of `total` bytes spread over `streams` streams, median of reps. `peer` carries
    the options both ends get (--window)."""
    per = max(1, total // streams)
    rates = []
    for _ in range(reps):
        srv, addr = start_server(peer + ["--listen", "127.0.0.1:0", "--mode", "sink"])
        try:
            out, wall = run_client(peer + ["--connect", addr, "--open", str(streams), "--bytes",
                                           str(per), "--sink", "--write-size", str(wsize),
                                           "--keepalive", "0", "--stats"])
        finally:
            stop(srv)
        m = re.search(r'"seconds":([0-9.]+)', out)
        secs = float(m.group(1)) if m else wall
        rates.append(per * streams / secs / MIB)
    return statistics.median(rates)


def raw_cell(rawtcp, total, wsize, reps):
    rates = []
    for _ in range(reps):
        srv, addr = start_server([rawtcp, "--listen", "127.0.0.1:0"])
        try:
            out, _ = run_client([rawtcp, "--connect", addr, str(total), str(wsize)])
        finally:
            stop(srv)
        secs = float(out.split()[2])
        rates.append(total / secs / MIB)
    return statistics.median(rates)


def idle_bytes(peer, n):
    """Resident bytes per idle open stream: (RSS with n streams - RSS with 1) / (n - 1)."""
    res = {}
    for count in (1, n):
        srv, addr = start_server(peer + ["--listen", "127.0.0.1:0"])
        try:
            out, _ = run_client(peer + ["--connect", addr, "--idle", str(count), "--keepalive", "0"])
        finally:
            stop(srv)
        m = re.search(r"idle (\d+) (\d+)", out)
        res[count] = int(m.group(2))
    return (res[n] - res[1]) / (n - 1)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (the rule of every command here) and exit 2."""

    def error(self, message):
        self.exit(2, "%s: %s (see --help)\n" % (self.prog, message))


def int_in(lo, hi):
    def parse(text):
        try:
            v = int(text, 10)
        except ValueError:
            v = None
        if v is None or not lo <= v <= hi:
            raise argparse.ArgumentTypeError("expected an integer from %d to %d, got %r" % (lo, hi, text))
        return v
    return parse


def main():
    ap = OneLineParser(prog="bench/bench_native.py",
                       description="yamux over TCP loopback: the C peer beside Go hashicorp/yamux, "
                                   "go-yamux and raw TCP, MiB/s, in one run")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="native build tree")
    ap.add_argument("--reps", type=int_in(1, 100), default=3, help="runs per cell (median)")
    ap.add_argument("--bytes", type=int_in(1 << 20, 1 << 40), default=1 << 30, help="bytes per 64 KiB cell")
    ap.add_argument("--msg-bytes", type=int_in(1 << 10, 1 << 40), default=16 << 20, help="bytes per 32 B cell")
    ap.add_argument("--idle", type=int_in(2, 1000000), default=10000, help="streams for the idle memory row")
    ap.add_argument("--window", type=int_in(256 << 10, 16 << 20), default=None,
                    help="stream window in bytes for every yamux peer, both ends (default: 256 KiB)")
    ap.add_argument("--quick", action="store_true", help="small volumes, one rep (smoke test)")
    a = ap.parse_args()
    if a.quick:
        a.reps, a.bytes, a.msg_bytes, a.idle = 1, 64 << 20, 1 << 20, 1000

    cpeer = [os.path.join(a.build, "bin", "yamux-peer")]
    gobin = os.path.join(a.build, "bin", "yamux-go-peer")
    rawtcp = os.path.join(a.build, "bin", "rawtcp")
    for path in (cpeer[0], gobin, rawtcp):
        if not os.path.exists(path):
            sys.exit("missing %s (build first: cmake --build build)" % path)
    win = ["--window", str(a.window)] if a.window else []
    peers = [("C", cpeer + win), ("Go hashicorp", [gobin, "--impl", "hashicorp"] + win),
             ("Go libp2p", [gobin, "--impl", "libp2p"] + win)]

    rows = []
    for label, streams, total, wsize in [("1 stream, 64 KiB writes", 1, a.bytes, 65536),
                                         ("16 streams, 64 KiB writes", 16, a.bytes, 65536),
                                         ("256 streams, 64 KiB writes", 256, a.bytes, 65536),
                                         ("16 streams, 32 B writes", 16, a.msg_bytes, 32)]:
        cells = [yamux_cell(p, streams, total, wsize, a.reps) for _, p in peers]
        raw = raw_cell(rawtcp, total, wsize, a.reps)
        rows.append((label, cells, raw))
        print("measured: %s" % label, file=sys.stderr)

    print("yamux over TCP loopback, MiB/s (median of %d; %d MiB per cell, 32 B rows %d MiB; "
          "%s windows)" % (a.reps, a.bytes // MIB, a.msg_bytes // MIB,
                           "%d KiB" % (a.window // 1024) if a.window else "default 256 KiB"))
    print()
    print("| workload | C | Go hashicorp | Go libp2p | raw TCP | C / hashicorp | C / raw TCP |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, cells, raw in rows:
        c, h, l = cells
        print("| %s | %.0f | %.0f | %.0f | %.0f | %.2fx | %.0f%% |" % (label, c, h, l, raw, c / h,
                                                                      100 * c / raw))
    print()
    print("| idle memory per open stream (%d streams, client RSS) | C | Go hashicorp | Go libp2p |"
          % a.idle)
    print("| --- | ---: | ---: | ---: |")
    idle = [idle_bytes(p, a.idle) for _, p in peers]
    print("| bytes | %.0f | %.0f | %.0f |" % tuple(idle))


if __name__ == "__main__":
    main()
