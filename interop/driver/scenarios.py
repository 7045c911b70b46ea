"""Interop scenarios and the per-implementation expectation tables.

Three kinds of scenario:
  pair       subject vs each reference, both directions (subject server / subject client),
             through the frame-sniffing proxy;
  script     subject vs a scripted raw yamux endpoint (wire.RawConn), both directions;
  malformed  raw malformed input against the subject in server role (one row per case).
"""

import os
import sys
import re
import json
import signal
import socket
import threading
import time

import wire
from wire import ACK, DATA, FIN, GO_AWAY, PING, RST, SYN, WINDOW_UPDATE, INITIAL_WINDOW, frame
from peers import PeerProc, wait_until

MiB = 1 << 20

# ---------------------------------------------------------------------------------------
# Expectation tables
# ---------------------------------------------------------------------------------------

# Pair scenarios that legitimately cannot pass for a (server, client) pair of peer names:
# {(scenario, server, client): reason}; "*" matches any peer. Such rows run and are
# reported XFAIL (or XPASS), they do not fail the run. Every hashicorp/go-yamux
# combination passes today; the rows are limits of the Rust and JS libraries, which the
# scenario would check on their side of the wire.
PAIR_XFAIL = {
    ("window-server", "rust", "*"): "rust-yamux never announces a larger window in its ACK",
    ("window-server", "js", "*"): "libp2p-yamux (JS) never announces a larger window in its ACK",
    ("window-client", "*", "rust"): "rust-yamux never announces a larger window in its SYN",
    ("window-client", "*", "js"): "libp2p-yamux (JS) never announces a larger window in its SYN",
    ("ping", "*", "rust"): "rust-yamux has no user ping API (the peer exits 2)",
    ("keepalive", "*", "rust"): "rust-yamux has no keepalive setting",
    ("keepalive", "rust", "*"): "rust-yamux has no keepalive setting",
}


def pair_xfail(scenario, server, client):
    """The PAIR_XFAIL reason for a run, wildcards allowed, or None."""
    for key in ((scenario, server, client), (scenario, server, "*"), (scenario, "*", client)):
        if key in PAIR_XFAIL:
            return PAIR_XFAIL[key]
    return None

# Scripted scenarios that may fail against an implementation: {(scenario, peer): reason}.
# Reported XFAIL when they fail, XPASS when they pass; neither fails the run.
# Both Go libraries apply a frame's flags before buffering its payload. go-yamux wakes
# the waiting reader on FIN and reads the payload from the socket only afterwards: the
# reader sees an empty, closed stream and returns EOF, the frame's bytes are lost
# (reliably). hashicorp buffers the payload under a lock the woken reader needs, which
# leaves only a narrow window. Neither library ever sends FIN on a data frame.
SCRIPT_XFAIL = {
    ("fin-with-data", "go-libp2p"): "go-yamux loses the payload of a data frame carrying FIN "
                                    "when the reader is waiting",
    ("fin-with-data", "go-hashicorp"): "hashicorp: same race as go-yamux, narrow window",
}

# How a server may react to each malformed input, per implementation. Outcomes:
#   goaway1  a GoAway with code 1 (protocol error) arrived
#   close    the server closed the connection (FIN or RST) without a GoAway
#   alive    the input was accepted: a ping sent right after it was answered
# "default" is the column for implementations not listed (the C peer): the protocol's
# answer to a violation is GoAway(1) then close; a close that overtakes the GoAway (the
# kernel drops it when the connection is reset with unread input) is tolerated.
PROTO = {"goaway1", "close"}
MALFORMED_EXPECT = {
    # case            default        go-hashicorp    go-libp2p
    "bad_version":    {"default": PROTO, "go-hashicorp": {"close"}, "go-libp2p": {"close"}},
    "bad_type":       {"default": PROTO, "go-hashicorp": {"close"}, "go-libp2p": {"close"}},
    # Both Go libraries queue GoAway(1) and then close the connection, racing their own
    # send loop: the GoAway is often lost.
    "window_overflow": {"default": PROTO, "go-hashicorp": PROTO, "go-libp2p": PROTO},
    "huge_length":    {"default": PROTO, "go-hashicorp": PROTO, "go-libp2p": PROTO},
    "duplicate_syn":  {"default": PROTO, "go-hashicorp": PROTO, "go-libp2p": PROTO},
    # hashicorp checks no stream ID parity (even IDs from a client, even ID 0, are opened
    # as streams); go-yamux checks parity but ends the session without a GoAway.
    "wrong_parity":   {"default": PROTO, "go-hashicorp": {"alive"}, "go-libp2p": {"close"}},
    "stream_zero":    {"default": PROTO, "go-hashicorp": {"alive"}, "go-libp2p": {"close"}},
    "truncated_header": {"default": {"close"}, "go-hashicorp": {"close"}, "go-libp2p": {"close"}},
    # More SYNs than the accept backlog (256): streams beyond what the application accepts
    # are reset (RST), the session stays up. The Go peers accept as fast as SYNs come
    # (go-yamux resets beyond its MaxIncomingStreams of 1000).
    "syn_flood":      {"default": {"alive", "goaway1", "close"}, "go-hashicorp": {"alive"},
                       "go-libp2p": {"alive"}},
}
MALFORMED_CASES = list(MALFORMED_EXPECT)

# Peers that may leave a stream un-ACKed: hashicorp/yamux sets the ACK flag only while
# the stream is still in its SYN-received state, and a FIN that arrives before the
# application accepts the stream moves it on, so no ACK is ever sent for such a stream
# (typical for small streams: SYN, data and FIN arrive together).
ACK_OPTIONAL = {"go-hashicorp"}

# Exit status a client must have when its connection dies mid-transfer (verification
# failure: its streams were not echoed in full).
DISCONNECT_CLIENT_EXIT = {"default": (1,)}

# Bound on the subject server's RSS growth over the whole malformed-input group.
MALFORMED_RSS_GROWTH = 64 * MiB


def expect_for(table, name):
    return table.get(name, table["default"])


# ---------------------------------------------------------------------------------------
# Per-run context
# ---------------------------------------------------------------------------------------

class Ctx:
    """What one scenario run needs: the peers in their roles, a log, and cleanup of every
    process and socket it created."""

    def __init__(self, subject, reference, direction, log, scale):
        self.subject, self.reference, self.direction = subject, reference, direction
        self.log, self.scale = log, scale
        if direction == "subject-server":
            self.server_spec, self.client_spec = subject, reference
        else:
            self.server_spec, self.client_spec = reference, subject
        self.procs, self.closers = [], []
        self.notes = []

    def t(self, seconds):
        return seconds * self.scale

    def spawn(self, spec, args, label):
        p = PeerProc(spec, args, "%s(%s)" % (label, spec.name), self.log)
        self.procs.append(p)
        return p

    def server(self, args, spec=None, once=True):
        spec = spec or self.server_spec
        p = self.spawn(spec, ["--listen", "127.0.0.1:0"] + (["--once"] if once else []) + args, "server")
        m = p.wait_line(r"^listening (\S+):(\d+)$", self.t(10))
        return p, (m.group(1), int(m.group(2)))

    def proxy(self, upstream):
        px = wire.Proxy(upstream)
        self.closers.append(px.close)
        return px

    def client(self, addr, args, spec=None):
        return self.spawn(spec or self.client_spec, ["--connect", addr] + args, "client")

    def raw_server(self, client_args, closer="close"):
        """Spawns the subject as a client of a scripted raw endpoint: returns (client, raw),
        the RawConn on the accepted connection (closed with `closer` at cleanup)."""
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        ls.settimeout(self.t(10))
        self.closers.append(ls.close)
        client = self.client("127.0.0.1:%d" % ls.getsockname()[1], client_args)
        sock, _ = ls.accept()
        ls.close()  # one connection only
        sock.settimeout(None)
        raw = wire.RawConn(sock)
        self.closers.append(getattr(raw, closer))
        return client, raw

    def note(self, text):
        self.notes.append(text)

    def cleanup(self):
        for p in self.procs:
            p.kill()
        for c in self.closers:
            try:
                c()
            except Exception:
                pass

    def run_pair(self, server_args, client_args, timeout=30, server_exit=(0,), client_exit=(0,)):
        """Server (--once) and client through the proxy; both must end with the given
        statuses. Returns (server, client, link)."""
        server, addr = self.server(server_args)
        px = self.proxy(addr)
        client = self.client(px.addr, client_args)
        link = px.link(0, self.t(10))
        try:
            client.expect_exit(self.t(timeout), client_exit)
            server.expect_exit(self.t(10), server_exit)
        except AssertionError as e:
            dump_stream_frames(link, str(e))
            raise
        check_wire(link)
        return server, client, link


# ---------------------------------------------------------------------------------------
# Wire assertions
# ---------------------------------------------------------------------------------------

def dump_stream_frames(link, message):
    """With YAMUX_INTEROP_DUMP set, prints the frames of the stream a failure names (and the
    last frames on the link) to stderr, to see what crossed the wire."""
    if not os.environ.get("YAMUX_INTEROP_DUMP"):
        return
    frames = link.snapshot()
    m = re.search(r"stream (\d+)", message)
    if m:
        sid = int(m.group(1))
        sys.stderr.write("frames of stream %d:\n" % sid)
        for f in frames:
            if f.sid == sid:
                sys.stderr.write("  %r\n" % f)
    sys.stderr.write("last frames (of %d):\n" % len(frames))
    for f in frames[-12:]:
        sys.stderr.write("  %r\n" % f)
    for d in ("c2s", "s2c"):
        fd = [f for f in frames if f.dir == d]
        for i, f in enumerate(fd):
            if f.type == GO_AWAY:
                sys.stderr.write("%s GoAway at %d of %d, around it:\n" % (d, i, len(fd)))
                for g in fd[max(0, i - 4):i + 8]:
                    sys.stderr.write("    %r\n" % g)


def check_wire(link):
    """Generic conformance of everything seen on a link: version 0, known types, no data
    beyond the receiver's window, no GoAway with an error code."""
    frames = link.snapshot()
    bad = [f for f in frames if f.version != 0 or f.type > GO_AWAY]
    assert not bad, "malformed frames on the wire: %s" % bad[:3]
    assert not link.violations, "flow control violated: %s" % link.violations[:3]
    ga = [f for f in frames if f.type == GO_AWAY and f.length != 0]
    assert not ga, "GoAway with an error code on the wire: %s" % ga


def stream_frames(frames, direction, flag):
    return [f for f in frames if f.dir == direction and f.type in (DATA, WINDOW_UPDATE) and f.flags & flag]


def opened_streams(frames, direction):
    """Stream IDs opened (SYN) in a direction, checking each is opened exactly once."""
    syns = [f.sid for f in stream_frames(frames, direction, SYN)]
    assert len(syns) == len(set(syns)), "a stream was opened twice (%s)" % direction
    return syns


def check_lifecycle(ctx, frames, opener_dir, count, parity):
    """count streams opened in opener_dir with the right ID parity, each ACKed once by
    the other side (at most once where ACK_OPTIONAL) and half-closed (FIN) exactly once
    in each direction."""
    other = "s2c" if opener_dir == "c2s" else "c2s"
    acceptor = ctx.server_spec.name if opener_dir == "c2s" else ctx.client_spec.name
    sids = opened_streams(frames, opener_dir)
    assert len(sids) == count, "%d streams opened in %s, expected %d" % (len(sids), opener_dir, count)
    assert all(s % 2 == parity and s != 0 for s in sids), "stream IDs of the wrong parity in %s" % opener_dir
    for flag, d, name in ((ACK, other, "ACK"), (FIN, opener_dir, "FIN"), (FIN, other, "FIN")):
        per = {}
        for f in stream_frames(frames, d, flag):
            per[f.sid] = per.get(f.sid, 0) + 1
        ok = (0, 1) if flag == ACK and acceptor in ACK_OPTIONAL else (1,)
        wrong = [(s, per.get(s, 0)) for s in sids if per.get(s, 0) not in ok]
        assert not wrong, "%s %s per stream should be %s; (stream, count): %s" % (
            d, name, " or ".join(map(str, ok)), wrong[:5])


def data_bytes(frames, direction):
    return sum(f.length for f in frames if f.dir == direction and f.type == DATA)


def parse_stats(proc):
    m = proc.matching(r"^stats (\{.*\})$")
    assert m, "%s printed no stats line" % proc.label
    return json.loads(m[-1].group(1))


def dirs(ctx):
    """(direction the subject sends in, direction the reference sends in)."""
    return ("s2c", "c2s") if ctx.direction == "subject-server" else ("c2s", "s2c")


# ---------------------------------------------------------------------------------------
# Pair scenarios
# ---------------------------------------------------------------------------------------

PAIR, SCRIPT, MALFORMED = "pair", "script", "malformed"
SCENARIOS = []


def scenario(name, kind=PAIR, doc=""):
    def register(fn):
        SCENARIOS.append((name, kind, fn, doc or " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())))
        return fn
    return register


@scenario("small")
def sc_small(ctx):
    """16 streams of 4 KiB echoed; stream lifecycle and --stats checked."""
    _, client, link = ctx.run_pair([], ["--open", "16", "--bytes", "4096", "--stats"])
    frames = link.snapshot()
    check_lifecycle(ctx, frames, "c2s", 16, 1)
    assert data_bytes(frames, "c2s") == 16 * 4096 == data_bytes(frames, "s2c")
    st = parse_stats(client)
    assert (st["streams_opened"], st["bytes_sent"], st["bytes_received"]) == (16, 65536, 65536), st


@scenario("empty")
def sc_empty(ctx):
    """8 empty streams: SYN, ACK and FINs only."""
    _, _, link = ctx.run_pair([], ["--open", "8", "--bytes", "0"])
    frames = link.snapshot()
    check_lifecycle(ctx, frames, "c2s", 8, 1)
    assert data_bytes(frames, "c2s") == 0 == data_bytes(frames, "s2c"), "data on empty streams"


@scenario("large")
def sc_large(ctx):
    """One 64 MiB stream echoed."""
    _, _, link = ctx.run_pair([], ["--open", "1", "--bytes", str(64 * MiB)], timeout=60)
    frames = link.snapshot()
    check_lifecycle(ctx, frames, "c2s", 1, 1)
    assert data_bytes(frames, "c2s") == 64 * MiB == data_bytes(frames, "s2c")


@scenario("many")
def sc_many(ctx):
    """1000 concurrent streams of random sizes up to 64 KiB."""
    _, _, link = ctx.run_pair([], ["--open", "1000", "--bytes", "65536", "--random-sizes", "42"], timeout=60)
    frames = link.snapshot()
    check_lifecycle(ctx, frames, "c2s", 1000, 1)
    want = sum(wire.random_sizes(42, 1000, 65536))
    assert data_bytes(frames, "c2s") == want == data_bytes(frames, "s2c"), \
        "payload bytes %d/%d, splitmix64 sizes say %d" % (data_bytes(frames, "c2s"), data_bytes(frames, "s2c"), want)


@scenario("both-open")
def sc_both_open(ctx):
    """Both peers open 50 streams in one session (odd and even IDs), both verify."""
    _, _, link = ctx.run_pair(["--open", "50", "--bytes", "32768", "--random-sizes", "7"],
                              ["--open", "50", "--bytes", "32768", "--random-sizes", "8"])
    frames = link.snapshot()
    check_lifecycle(ctx, frames, "c2s", 50, 1)
    check_lifecycle(ctx, frames, "s2c", 50, 0)
    want = sum(wire.random_sizes(7, 50, 32768)) + sum(wire.random_sizes(8, 50, 32768))
    assert data_bytes(frames, "c2s") == want == data_bytes(frames, "s2c")


def check_window_delta(frames, direction, flag, window):
    """Each SYN (or ACK) sent in direction is a window update announcing window - 256 KiB,
    plus at most what the sender of the frame had already received on that stream (a lazy
    ACK may also return the window of data its application consumed before it went out)."""
    other = "s2c" if direction == "c2s" else "c2s"
    received = {}
    fs, bad = [], []
    for f in frames:
        if f.dir == other and f.type == DATA:
            received[f.sid] = received.get(f.sid, 0) + f.length
        elif f.dir == direction and f.type in (DATA, WINDOW_UPDATE) and f.has(flag):
            fs.append(f)
            lo = window - INITIAL_WINDOW
            if f.type != WINDOW_UPDATE or not lo <= f.length <= lo + received.get(f.sid, 0):
                bad.append(f)
    assert fs, "no %s frames in %s" % ("SYN" if flag == SYN else "ACK", direction)
    assert not bad, "expected window updates with delta %d (+ data already received), got %s" % (
        window - INITIAL_WINDOW, bad[:3])


@scenario("window-server")
def sc_window_server(ctx):
    """Server --window 1 MiB: its ACKs carry the delta 768 KiB; 2 x 8 MiB echoed."""
    _, _, link = ctx.run_pair(["--window", str(MiB)], ["--open", "2", "--bytes", str(8 * MiB)])
    check_window_delta(link.snapshot(), "s2c", ACK, MiB)


@scenario("window-client")
def sc_window_client(ctx):
    """Client --window 16 MiB: its SYNs carry the delta; 2 x 8 MiB echoed."""
    _, _, link = ctx.run_pair([], ["--open", "2", "--bytes", str(8 * MiB), "--window", str(16 * MiB)])
    check_window_delta(link.snapshot(), "c2s", SYN, 16 * MiB)


@scenario("slow-reader")
def sc_slow_reader(ctx):
    """Slow readers on both sides fill the windows both ways; pings injected while they
    are full are answered; nothing lost."""
    server, addr = ctx.server(["--read-delay", "5", "--write-size", "16384"])
    px = ctx.proxy(addr)
    client = ctx.client(px.addr, ["--open", "2", "--bytes", str(MiB), "--read-delay", "10",
                                  "--write-size", "16384"])
    link = px.link(0, ctx.t(10))
    link.wait_for(lambda: link.low_water["c2s"] <= 16384 and link.low_water["s2c"] <= 16384,
                  ctx.t(15), "both windows to fill (low water %s)" % link.low_water)
    pings = [link.inject_ping("c2s"), link.inject_ping("s2c")]
    link.wait_for(lambda: all(link.ping_answered(p) for p in pings), ctx.t(5),
                  "answers to pings sent while the windows are full")
    client.expect_exit(ctx.t(30))
    server.expect_exit(ctx.t(10))
    check_wire(link)
    frames = link.snapshot()
    assert data_bytes(frames, "c2s") == 2 * MiB == data_bytes(frames, "s2c")
    ctx.note("ping rtt with full windows: %s ms" % ", ".join(
        "%.1f" % ((link.injected_pings[p][1] - link.injected_pings[p][0]) * 1e3) for p in pings))


@scenario("reset")
def sc_reset(ctx):
    """--reset-after: 8 streams reset after 128 KiB of 1 MiB; one RST each, nothing after.
    A reset aborts: an engine may drop what was written but not yet sent (as TCP does on
    RST), so at most 128 KiB precede the RST."""
    _, _, link = ctx.run_pair([], ["--open", "8", "--bytes", str(MiB), "--reset-after", str(128 * 1024)])
    frames = link.snapshot()
    sids = opened_streams(frames, "c2s")
    assert len(sids) == 8
    for sid in sids:
        idx = [i for i, f in enumerate(frames) if f.dir == "c2s" and f.sid == sid and f.flags & RST]
        assert len(idx) == 1, "stream %d: %d RST frames from the client" % (sid, len(idx))
        after = [f for f in frames[idx[0] + 1:] if f.dir == "c2s" and f.sid == sid and f.type == DATA]
        assert not after, "stream %d: data after RST: %s" % (sid, after[:2])
        sent = sum(f.length for f in frames[:idx[0]] if f.dir == "c2s" and f.sid == sid and f.type == DATA)
        assert sent <= 128 * 1024, "stream %d: %d bytes before RST" % (sid, sent)


@scenario("ping")
def sc_ping(ctx):
    """--ping 5: five RTT lines, each ping answered with the same opaque value."""
    _, client, link = ctx.run_pair([], ["--ping", "5"])
    assert len(client.matching(r"^ping \d+$")) == 5, "expected 5 'ping RTT_NS' lines"
    frames = link.snapshot()
    syn = [f.length for f in frames if f.dir == "c2s" and f.type == PING and f.flags & SYN]
    ack = {f.length for f in frames if f.dir == "s2c" and f.type == PING and f.flags & ACK}
    assert len(syn) >= 5, "only %d pings on the wire" % len(syn)
    assert set(syn) <= ack, "pings without an answer: %s" % sorted(set(syn) - ack)


@scenario("goaway")
def sc_goaway(ctx):
    """--goaway: GoAway(0) after the streams, no SYN after it, then close; both exit 0."""
    _, _, link = ctx.run_pair([], ["--open", "4", "--bytes", "65536", "--goaway"])
    frames = link.snapshot()
    ga = [i for i, f in enumerate(frames) if f.dir == "c2s" and f.type == GO_AWAY]
    assert len(ga) == 1 and frames[ga[0]].length == 0, "expected one GoAway(0) from the client"
    late = stream_frames(frames[ga[0]:], "c2s", SYN)
    assert not late, "SYN after GoAway: %s" % late
    check_lifecycle(ctx, frames, "c2s", 4, 1)


@scenario("keepalive")
def sc_keepalive(ctx):
    """--keepalive 1 on both: each side pings an idle session (after the first second),
    each ping is answered; a transport EOF then ends both cleanly."""
    server, addr = ctx.server(["--keepalive", "1"])
    px = ctx.proxy(addr)
    client = ctx.client(px.addr, ["--keepalive", "1"])
    link = px.link(0, ctx.t(10))

    def answered(d):
        back = "s2c" if d == "c2s" else "c2s"
        acks = {f.length for f in link.frames if f.dir == back and f.type == PING and f.flags & ACK}
        return any(f.dir == d and f.type == PING and f.flags & SYN and f.t - link.t0 >= 0.8
                   and f.length in acks for f in link.frames)

    link.wait_for(lambda: answered("c2s") and answered("s2c"), ctx.t(6), "answered keepalive pings both ways")
    link.shutdown()
    client.expect_exit(ctx.t(5))
    server.expect_exit(ctx.t(5))
    check_wire(link)


@scenario("idle")
def sc_idle(ctx):
    """--idle 64: prints `idle 64 RSS`, 64 SYNs, then closes cleanly."""
    _, client, link = ctx.run_pair([], ["--idle", "64"])
    m = client.matching(r"^idle (\d+) (\d+)$")
    assert m and m[0].group(1) == "64", "expected a line 'idle 64 RSS_BYTES'"
    check_lifecycle(ctx, link.snapshot(), "c2s", 64, 1)
    ctx.note("idle 64 streams: RSS %.1f MiB" % (int(m[0].group(2)) / MiB))


@scenario("sink")
def sc_sink(ctx):
    """--mode sink / --sink: 4 x 4 MiB discarded, nothing comes back; --stats counts."""
    server, client, link = ctx.run_pair(["--mode", "sink", "--stats"],
                                        ["--open", "4", "--bytes", str(4 * MiB), "--sink", "--stats"])
    frames = link.snapshot()
    check_lifecycle(ctx, frames, "c2s", 4, 1)
    assert data_bytes(frames, "s2c") == 0, "the sink sent data"
    st = parse_stats(client)
    assert (st["bytes_sent"], st["bytes_received"]) == (16 * MiB, 0), st
    st = parse_stats(server)
    assert (st["streams_accepted"], st["bytes_received"], st["bytes_sent"]) == (4, 16 * MiB, 0), st


@scenario("disconnect")
def sc_disconnect(ctx):
    """Abrupt TCP disconnects mid-transfer. Subject server: client killed (SIGKILL), then a
    connection reset by the proxy: the server ends each session within seconds (closes
    its socket, descriptors back to baseline) and keeps serving. Subject client: the
    connection is reset, then the server is killed: the client exits within seconds."""
    big = ["--open", "4", "--bytes", str(64 * MiB)]
    flowing = lambda link: link.bytes["c2s"] > 2 * MiB and link.bytes["s2c"] > MiB
    if ctx.direction == "subject-server":
        server, addr = ctx.server([], once=False)
        base_fds = server.nfds()
        px = ctx.proxy(addr)
        # 1. the client process dies
        c1 = ctx.client(px.addr, big)
        l1 = px.link(0, ctx.t(10))
        l1.wait_for(lambda: flowing(l1), ctx.t(10), "data flowing")
        c1.kill()
        t_kill = time.monotonic()
        l1.wait_for(lambda: l1.eof["s2c"] is not None, ctx.t(5), "the server to close the dead client's connection")
        ctx.note("server closed %.0f ms after the client died" % ((l1.eof["s2c"] - t_kill) * 1e3))
        # 2. the connection is reset under both
        c2 = ctx.client(px.addr, big)
        l2 = px.link(1, ctx.t(10))
        l2.wait_for(lambda: flowing(l2), ctx.t(10), "data flowing")
        l2.abort()
        c2.expect_exit(ctx.t(5), expect_for(DISCONNECT_CLIENT_EXIT, c2.spec.name))
        wait_until(lambda: server.nfds() is not None and server.nfds() <= base_fds, ctx.t(5),
                   "server descriptors back to %s (now %s)" % (base_fds, server.nfds()))
        # 3. still serving
        c3 = ctx.client(px.addr, ["--open", "4", "--bytes", str(MiB)])
        c3.expect_exit(ctx.t(20))
        assert server.alive(), "the server died"
        check_wire(px.link(2))
    else:
        exits = expect_for(DISCONNECT_CLIENT_EXIT, ctx.subject.name)
        # 1. the connection is reset under both
        server, addr = ctx.server([], once=False)
        px = ctx.proxy(addr)
        c1 = ctx.client(px.addr, big)
        l1 = px.link(0, ctx.t(10))
        l1.wait_for(lambda: flowing(l1), ctx.t(10), "data flowing")
        l1.abort()
        t0 = time.monotonic()
        c1.expect_exit(ctx.t(5), exits)
        ctx.note("client exited %.0f ms after the reset" % ((time.monotonic() - t0) * 1e3))
        # 2. the server process dies
        c2 = ctx.client(px.addr, big)
        l2 = px.link(1, ctx.t(10))
        l2.wait_for(lambda: flowing(l2), ctx.t(10), "data flowing")
        server.kill()
        c2.expect_exit(ctx.t(5), exits)


# ---------------------------------------------------------------------------------------
# Scripted scenario: half-close both ways, then a new stream
# ---------------------------------------------------------------------------------------

@scenario("halfclose", kind=SCRIPT)
def sc_halfclose(ctx):
    """A stream is half-closed both ways (FIN each side, nothing else), then a new stream
    is established and echoed on the same session."""
    size = 100000
    if ctx.direction == "subject-server":
        server, addr = ctx.server([])
        raw = wire.RawConn.connect("%s:%d" % addr)
        ctx.closers.append(raw.close)
        raw.echo_stream(1, wire.pattern(1, size), timeout=ctx.t(10))
        assert not raw.has_rst(1), "stream 1 reset"
        raw.echo_stream(3, wire.pattern(3, size), timeout=ctx.t(10))
        raw.ping(0x1234, timeout=ctx.t(5))
        raw.close()
        server.expect_exit(ctx.t(10))
        return
    client, raw = ctx.raw_server(["--open", "2", "--bytes", str(size)])
    for sid in (1, 3):
        # Stream 3 is left unacknowledged until stream 1 is closed both ways.
        raw.wait_for(lambda: raw.has_fin(sid) and len(raw.data.get(sid, b"")) == size, ctx.t(10),
                     "stream %d: %d bytes and FIN from the client" % (sid, size))
        got = bytes(raw.data[sid])
        assert got == wire.pattern(sid, size), "stream %d: payload differs from the pattern" % sid
        raw.send(frame(WINDOW_UPDATE, ACK, sid, 0))
        raw.send_data(sid, got, fin=True)
    client.expect_exit(ctx.t(10))
    raw.wait_for(lambda: raw.closed is not None, ctx.t(5), "the client to close the connection")
    assert not raw.find(lambda f: f.flags & RST and f.type in (DATA, WINDOW_UPDATE)), "a stream was reset"


@scenario("fin-with-data", kind=SCRIPT)
def sc_fin_with_data(ctx):
    """FIN set on the last data frame (legal: "FIN ... may be sent with a data payload")
    while the receiving application waits in a read: no byte of that frame may be lost.
    Neither Go library ever sends this, so only a scripted peer can test it."""
    size, part1 = 250000, 131072
    if ctx.direction == "subject-server":
        server, addr = ctx.server([])
        raw = wire.RawConn.connect("%s:%d" % addr)
        ctx.closers.append(raw.close)
        for sid in (1, 3, 5, 7):
            payload = wire.pattern(sid, size)
            raw.send(frame(WINDOW_UPDATE, SYN, sid, 0))
            raw.send_data(sid, payload[:part1])
            # The echo of part 1 means the server's reader consumed it and waits for more.
            raw.wait_for(lambda: len(raw.data.get(sid, b"")) >= part1, ctx.t(10), "echo of part 1, stream %d" % sid)
            raw.send_data(sid, payload[part1:], fin=True, fin_on_data=True, chunk=size)
            raw.wait_for(lambda: raw.has_fin(sid) or raw.has_rst(sid) or raw.closed, ctx.t(10),
                         "FIN on stream %d" % sid)
            got = bytes(raw.data.get(sid, b""))
            assert got == payload, "stream %d: echo has %d of %d bytes" % (sid, len(got), size)
        raw.close()
        server.expect_exit(ctx.t(10))
        return
    client, raw = ctx.raw_server(["--open", "4", "--bytes", str(size)])
    for sid in (1, 3, 5, 7):
        raw.wait_for(lambda: raw.has_fin(sid) and len(raw.data.get(sid, b"")) == size, ctx.t(10),
                     "stream %d: %d bytes and FIN from the client" % (sid, size))
        payload = bytes(raw.data[sid])
        raw.send(frame(WINDOW_UPDATE, ACK, sid, 0))
        raw.send_data(sid, payload[:part1])
        # A window update for the stream means the client's reader consumed half the
        # window (two 64 KiB reads): it is about to wait for more.
        raw.wait_for(lambda: any(f.sid == sid and f.type == WINDOW_UPDATE and f.length > 0 for f in raw.frames),
                     ctx.t(10), "a window update on stream %d" % sid)
        raw.send_data(sid, payload[part1:], fin=True, fin_on_data=True, chunk=size)
    client.expect_exit(ctx.t(10))


@scenario("protocol-exit", kind=SCRIPT)
def sc_protocol_exit(ctx):
    """Exit status 3: a --once server (or a client) given a frame of an unknown version,
    then one given GoAway(1) (server) or an unknown frame type (client)."""
    if ctx.direction == "subject-server":
        for bad in (frame(PING, SYN, 0, 7, version=1), frame(GO_AWAY, 0, 0, 1)):
            server, addr = ctx.server([])
            raw = wire.RawConn.connect("%s:%d" % addr)
            ctx.closers.append(raw.abort)
            raw.send(bad)
            server.expect_exit(ctx.t(10), (3,))
            raw.abort()
        return
    for bad in (frame(GO_AWAY, 0, 0, 1), frame(7, 0, 0, 0)):
        client, raw = ctx.raw_server(["--open", "1", "--bytes", "1000"], closer="abort")
        raw.wait_for(lambda: raw.find(lambda f: f.flags & SYN), ctx.t(10), "the client's SYN")
        raw.send(bad)
        client.expect_exit(ctx.t(10), (3,))
        raw.abort()


# ---------------------------------------------------------------------------------------
# Malformed input against the subject server
# ---------------------------------------------------------------------------------------

def _send_bg(raw, data):
    """Send in the background: the server may stop reading (and that is fine)."""
    threading.Thread(target=raw.try_send, args=(data,), daemon=True).start()


PROBE = 0x5EED


def mal_send(case, raw):
    """Send the malformed input of a case. Where the session may survive, a ping follows,
    so 'alive' is decided by its answer, not by a timeout."""
    probe = frame(PING, SYN, 0, PROBE)
    if case == "bad_version":
        raw.send(frame(PING, SYN, 0, 1, version=1) + probe)
    elif case == "bad_type":
        raw.send(frame(4, 0, 1, 0) + probe)
    elif case == "window_overflow":
        n = INITIAL_WINDOW + 1
        _send_bg(raw, frame(WINDOW_UPDATE, SYN, 1, 0) + frame(DATA, 0, 1, n) + bytes(n) + probe)
    elif case == "huge_length":
        _send_bg(raw, frame(DATA, SYN, 1, 0xFFFFFFF0) + bytes(65536))
    elif case == "duplicate_syn":
        raw.send(frame(WINDOW_UPDATE, SYN, 1, 0) + frame(WINDOW_UPDATE, SYN, 1, 0) + probe)
    elif case == "wrong_parity":
        raw.send(frame(WINDOW_UPDATE, SYN, 2, 0) + probe)
    elif case == "stream_zero":
        raw.send(frame(WINDOW_UPDATE, SYN, 0, 0) + probe)
    elif case == "truncated_header":
        raw.send(frame(WINDOW_UPDATE, SYN, 1, 0)[:5])
        raw.sock.shutdown(socket.SHUT_WR)
    elif case == "syn_flood":
        raw.send(b"".join(frame(WINDOW_UPDATE, SYN, 2 * i + 1, 0) for i in range(2000)) + probe)
    else:
        raise ValueError(case)


def mal_outcome(raw, timeout):
    def done():
        return (raw.closed or any(f.type == GO_AWAY for f in raw.frames)
                or any(f.type == PING and f.flags & ACK and f.length == PROBE for f in raw.frames))
    with raw.cond:
        raw.cond.wait_for(done, timeout)
        ga = [f.length for f in raw.frames if f.type == GO_AWAY]
        if ga:
            return "goaway%d" % ga[0], ""
        if any(f.type == PING and f.flags & ACK and f.length == PROBE for f in raw.frames):
            return "alive", ""
        if raw.closed:
            return "close", raw.closed
        return "timeout", ""


class MalformedGroup:
    """One subject server (no --once) for all cases; a healthy raw connection stays open
    across them and must keep working after each case."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.server, addr = ctx.server(["--keepalive", "0"], spec=ctx.subject, once=False)
        self.addr = "%s:%d" % addr
        self.base_fds = self.server.nfds()
        self.healthy = wire.RawConn.connect(self.addr)
        ctx.closers.append(self.healthy.close)
        self.next_sid = 1
        self.check_healthy()
        self.rss0 = self.server.rss()

    def check_healthy(self):
        sid = self.next_sid
        self.next_sid += 2
        self.healthy.echo_stream(sid, wire.pattern(sid, 20000), timeout=self.ctx.t(5))
        self.healthy.ping(0x100 + sid, timeout=self.ctx.t(5))

    def run_case(self, case):
        ctx = self.ctx
        raw = wire.RawConn.connect(self.addr)
        ctx.closers.append(raw.abort)
        try:
            mal_send(case, raw)
            outcome, how = mal_outcome(raw, ctx.t(5))
            expected = expect_for(MALFORMED_EXPECT[case], ctx.subject.name)
            detail = outcome + ("(%s)" % how if how else "")
            if case == "syn_flood" and outcome == "alive":
                detail += self.end_flood(raw)
            assert outcome in expected, "outcome %s, expected %s" % (detail, "|".join(sorted(expected)))
            ctx.note(detail)
        finally:
            raw.close()
        assert self.server.alive(), "the server process died%s" % self.server.tail()
        self.check_healthy()

    def end_flood(self, raw):
        """Every SYN of the flood must be answered (ACK or RST); the accepted streams are
        then half-closed and must be half-closed back before the connection goes.
        (Dropping the connection under ~1000 idle streams would measure a hashicorp
        defect instead: its blocked Stream.Read calls spin on the closed session channel
        until Session.Close reaches them, starving the whole process for seconds.)"""
        ctx = self.ctx
        flood = range(1, 4000, 2)

        def answered(flag):
            return {f.sid for f in raw.frames if f.flags & flag and f.type in (DATA, WINDOW_UPDATE)}
        raw.wait_for(lambda: len(answered(ACK | RST)) >= 2000, ctx.t(10), "an ACK or RST for each of the 2000 SYNs")
        reset = answered(RST)
        open_ = [sid for sid in flood if sid not in reset]
        raw.send(b"".join(frame(WINDOW_UPDATE, FIN, sid, 0) for sid in open_))
        raw.wait_for(lambda: answered(FIN | RST) >= set(open_), ctx.t(10), "FIN back on the accepted streams")
        return ", %d of 2000 reset" % len(reset)

    def finish(self):
        """Memory and descriptors after the group."""
        ctx = self.ctx
        self.check_healthy()
        self.healthy.close()
        rss1 = self.server.rss()
        assert self.rss0 and rss1, "no VmRSS for the server"
        growth = rss1 - self.rss0
        ctx.note("RSS %.1f -> %.1f MiB" % (self.rss0 / MiB, rss1 / MiB))
        assert growth < MALFORMED_RSS_GROWTH, "server RSS grew by %.1f MiB" % (growth / MiB)
        wait_until(lambda: (self.server.nfds() or 1 << 30) <= self.base_fds, ctx.t(5),
                   "server descriptors back to %d (now %s)" % (self.base_fds, self.server.nfds()))
        assert self.server.alive(), "the server process died"
        self.server.signal(signal.SIGTERM)
