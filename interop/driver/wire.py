"""Wire-level helpers of the interop driver: yamux frames, the payload pattern, a
frame-sniffing TCP proxy and a scripted raw yamux endpoint. Standard library only."""

import select
import socket
import struct
import threading
import time

HEADER = struct.Struct(">BBHII")  # version, type, flags, stream id, length
HDR = HEADER.size  # 12

DATA, WINDOW_UPDATE, PING, GO_AWAY = 0, 1, 2, 3
SYN, ACK, FIN, RST = 1, 2, 4, 8
INITIAL_WINDOW = 256 * 1024
TYPE_NAMES = {DATA: "data", WINDOW_UPDATE: "wnd", PING: "ping", GO_AWAY: "goaway"}


class Frame:
    __slots__ = ("t", "dir", "version", "type", "flags", "sid", "length")

    def __init__(self, t, direction, version, typ, flags, sid, length):
        self.t, self.dir = t, direction
        self.version, self.type, self.flags, self.sid, self.length = version, typ, flags, sid, length

    def has(self, flag):
        return bool(self.flags & flag)

    def __repr__(self):
        fl = "|".join(n for n, f in (("SYN", SYN), ("ACK", ACK), ("FIN", FIN), ("RST", RST)) if self.flags & f)
        return "%s %s v%d sid=%d %s len=%d" % (self.dir, TYPE_NAMES.get(self.type, "type%d" % self.type),
                                               self.version, self.sid, fl or "-", self.length)


def frame(typ, flags=0, sid=0, length=0, version=0):
    return HEADER.pack(version, typ, flags, sid, length)


class FrameParser:
    """Follows frame boundaries in one direction of a byte stream (payload only after data
    frames). feed() returns [(frame, start, end)] where start/end are the offsets of the
    header within the chunk (start < 0 when the header began in an earlier chunk)."""

    def __init__(self, direction):
        self.dir = direction
        self.buf = b""  # partial header
        self.skip = 0  # payload bytes still to come

    def at_boundary(self):
        return not self.buf and self.skip == 0

    def feed(self, data, now=None):
        out = []
        i, n = 0, len(data)
        now = time.monotonic() if now is None else now
        while i < n:
            if self.skip:
                k = min(self.skip, n - i)
                self.skip -= k
                i += k
                continue
            need = HDR - len(self.buf)
            start = i - len(self.buf)
            self.buf += data[i:i + need]
            i += min(need, n - i)
            if len(self.buf) == HDR:
                v, t, f, s, ln = HEADER.unpack(self.buf)
                self.buf = b""
                if t == DATA:
                    self.skip = ln
                out.append((Frame(now, self.dir, v, t, f, s, ln), start, i))
        return out


# ---- payload pattern (PEER_CLI.md) ----

_ROWS = [bytes(((j * 31 + c) & 0xFF) for j in range(256)) for c in range(256)]


def pattern(sid, length, offset=0):
    """Bytes [offset, offset+length) of the payload of stream sid:
    byte k = (k*31 + sid*7 + (k>>8)) & 0xFF."""
    out = bytearray()
    k = offset
    end = offset + length
    while k < end:
        m, j = k >> 8, k & 0xFF
        row = _ROWS[(sid * 7 + m) & 0xFF]
        take = min(256 - j, end - k)
        out += row[j:j + take]
        k += take
    return bytes(out)


def splitmix64(seed):
    state = seed & 0xFFFFFFFFFFFFFFFF
    mask = 0xFFFFFFFFFFFFFFFF
    while True:
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        yield z ^ (z >> 31)


def random_sizes(seed, n, max_bytes):
    g = splitmix64(seed)
    return [next(g) % (max_bytes + 1) for _ in range(n)]


def _abort(sock):
    """Close with RST (SO_LINGER 0)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


# ---- frame-sniffing proxy ----

class Link:
    """One proxied TCP connection: client <-> proxy <-> server. Records every frame header
    per direction ("c2s", "s2c"), follows per-stream flow-control credit, can inject frames
    at frame boundaries and swallow the answers to its own pings."""

    PING_BASE = 0xA5A50000  # opaque values of injected pings

    def __init__(self, csock, ssock):
        self.c, self.s = csock, ssock
        self.cond = threading.Condition()
        self.t0 = time.monotonic()
        self.frames = []
        self.bytes = {"c2s": 0, "s2c": 0}
        self.eof = {"c2s": None, "s2c": None}  # time the source side ended (FIN or RST)
        self.eof_kind = {"c2s": None, "s2c": None}
        self.credit = {}  # (dir, sid) -> bytes the receiver still allows
        self.low_water = {"c2s": INITIAL_WINDOW, "s2c": INITIAL_WINDOW}
        self.violations = []
        self.parsers = {"c2s": FrameParser("c2s"), "s2c": FrameParser("s2c")}
        self.send_locks = {"c2s": threading.Lock(), "s2c": threading.Lock()}
        self.pending = {"c2s": b"", "s2c": b""}
        self.injected_pings = {}  # opaque -> [sent time, answered time or None]
        self.next_ping = self.PING_BASE
        self.aborted = False
        self.threads = [threading.Thread(target=self._pump, args=("c2s", csock, ssock), daemon=True),
                        threading.Thread(target=self._pump, args=("s2c", ssock, csock), daemon=True)]
        for t in self.threads:
            t.start()

    # -- observation --

    def wait_for(self, pred, timeout, what):
        with self.cond:
            if not self.cond.wait_for(pred, timeout):
                raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))

    def snapshot(self):
        with self.cond:
            return list(self.frames)

    def closed(self):
        return self.eof["c2s"] is not None and self.eof["s2c"] is not None

    def _account(self, f):
        """Flow-control bookkeeping; called with cond held."""
        other = "s2c" if f.dir == "c2s" else "c2s"
        if f.type == DATA:
            key = (f.dir, f.sid)
            c = self.credit.get(key, INITIAL_WINDOW) - f.length
            self.credit[key] = c
            if c < 0 and not (f.flags & RST):
                self.violations.append("%r exceeds the window by %d" % (f, -c))
            if f.length:
                self.low_water[f.dir] = min(self.low_water[f.dir], c)
        elif f.type == WINDOW_UPDATE and not (f.flags & RST):
            key = (other, f.sid)
            self.credit[key] = self.credit.get(key, INITIAL_WINDOW) + f.length

    def _pump(self, d, src, dst):
        parser = self.parsers[d]
        dst_ok = True
        while True:
            try:
                data = src.recv(262144)
                kind = "fin"
            except OSError:
                data, kind = b"", "rst"
            if not data:
                with self.cond:
                    self.eof[d] = time.monotonic()
                    self.eof_kind[d] = kind
                    self.cond.notify_all()
                if not self.aborted:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                return
            with self.send_locks[d]:
                now = time.monotonic()
                out = []
                pos = 0
                with self.cond:
                    self.bytes[d] += len(data)
                    for f, start, end in parser.feed(data, now):
                        self.frames.append(f)
                        self._account(f)
                        if (f.type == PING and f.flags & ACK and f.length in self.injected_pings
                                and start >= 0):
                            self.injected_pings[f.length][1] = now
                            out.append(data[pos:start])  # swallow the answer to our own ping
                            pos = end
                    self.cond.notify_all()
                out.append(data[pos:])
                if parser.at_boundary() and self.pending[d]:
                    out.append(self.pending[d])
                    self.pending[d] = b""
                if dst_ok:
                    try:
                        self._send_all(dst, b"".join(out))
                    except OSError:
                        dst_ok = False  # keep draining the source so it never blocks

    def _send_all(self, sock, data):
        """sendall that gives up once the link is aborted (a blocked send cannot be woken
        without sending a FIN, and an abort must only send RST)."""
        view = memoryview(data)
        while view:
            if self.aborted:
                raise OSError("aborted")
            try:
                view = view[sock.send(view, socket.MSG_DONTWAIT):]
            except BlockingIOError:
                select.select([], [sock], [], 0.1)

    # -- actions --

    def inject(self, d, raw):
        """Send raw frames in direction d at the next frame boundary."""
        with self.send_locks[d]:
            if self.parsers[d].at_boundary():
                self._send_all(self.s if d == "c2s" else self.c, raw)
            else:
                self.pending[d] += raw

    def inject_ping(self, d):
        """Ping the receiver of direction d; returns the opaque value."""
        with self.cond:
            opaque = self.next_ping
            self.next_ping += 1
            self.injected_pings[opaque] = [time.monotonic(), None]
        self.inject(d, frame(PING, SYN, 0, opaque))
        return opaque

    def ping_answered(self, opaque):
        return self.injected_pings[opaque][1] is not None

    def shutdown(self):
        """Graceful end: FIN towards both peers."""
        for s in (self.c, self.s):
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def abort(self):
        """Abrupt end: RST towards both peers. The pumps are woken (SHUT_RD sends nothing)
        and joined first: a socket closed while a thread is blocked in it stays open."""
        self.aborted = True
        for s in (self.c, self.s):
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RD)
            except OSError:
                pass
        for t in self.threads:
            t.join(2)
        _abort(self.c)
        _abort(self.s)

    def close(self):
        self.aborted = True
        for s in (self.c, self.s):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass


class Proxy:
    """Listens on 127.0.0.1:0 and forwards each accepted connection to upstream as a Link."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.addr = "127.0.0.1:%d" % self.ls.getsockname()[1]
        self.links = []
        self.cond = threading.Condition()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            try:
                s = socket.create_connection(self.upstream, timeout=5)
                s.settimeout(None)
            except OSError:
                _abort(c)
                continue
            for x in (c, s):
                x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.cond:
                if self.closed:
                    _abort(c)
                    _abort(s)
                    return
                self.links.append(Link(c, s))
                self.cond.notify_all()

    def link(self, index=0, timeout=10):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.links) > index, timeout):
                raise AssertionError("no connection #%d through the proxy after %.0fs" % (index, timeout))
            return self.links[index]

    def close(self):
        with self.cond:
            self.closed = True
        try:
            self.ls.close()
        except OSError:
            pass
        for link in self.links:
            link.close()


# ---- scripted raw endpoint ----

class RawConn:
    """A yamux endpoint driven frame by frame from a script (for malformed input and
    precisely ordered scenarios). A reader thread records every frame; stream payloads
    are collected per stream; pings are answered unless answer_pings is False."""

    def __init__(self, sock, answer_pings=True):
        self.sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.answer_pings = answer_pings
        self.cond = threading.Condition()
        self.frames = []
        self.data = {}
        self.closed = None  # None, "fin" or "rst"
        self.wlock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @classmethod
    def connect(cls, addr, **kw):
        host, port = addr.rsplit(":", 1)
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.settimeout(None)
        return cls(sock, **kw)

    def _read(self):
        buf = bytearray()
        while True:
            try:
                chunk = self.sock.recv(262144)
                kind = "fin"
            except OSError:
                chunk, kind = b"", "rst"
            if not chunk:
                with self.cond:
                    self.closed = kind
                    self.cond.notify_all()
                if kind == "fin":
                    try:  # like a real peer: the remote ended, so do we
                        self.sock.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                return
            buf += chunk
            while len(buf) >= HDR:
                v, t, f, s, ln = HEADER.unpack_from(buf)
                if t == DATA and len(buf) < HDR + ln:
                    break
                payload = bytes(buf[HDR:HDR + ln]) if t == DATA else b""
                del buf[:HDR + len(payload)]
                fr = Frame(time.monotonic(), "in", v, t, f, s, ln)
                with self.cond:
                    self.frames.append(fr)
                    if t == DATA and payload:
                        self.data.setdefault(s, bytearray()).extend(payload)
                    self.cond.notify_all()
                if t == PING and f & SYN and self.answer_pings:
                    self.try_send(frame(PING, ACK, 0, ln))

    def send(self, raw):
        with self.wlock:
            self.sock.sendall(raw)

    def try_send(self, raw):
        try:
            self.send(raw)
            return True
        except OSError:
            return False

    def wait_for(self, pred, timeout, what):
        with self.cond:
            if not self.cond.wait_for(pred, timeout):
                raise AssertionError("timed out after %.1fs waiting for %s (last frames: %s)"
                                     % (timeout, what, self.frames[-5:]))

    def find(self, pred):
        with self.cond:
            return [f for f in self.frames if pred(f)]

    def ping(self, opaque, timeout=5):
        self.send(frame(PING, SYN, 0, opaque))
        self.wait_for(lambda: any(f.type == PING and f.flags & ACK and f.length == opaque
                                  for f in self.frames), timeout, "ping ack %#x" % opaque)

    def outcome(self, timeout):
        """How the remote reacts to what was sent: ("goaway", code) as soon as a GoAway
        arrives, ("close", "fin"|"rst") when it closes the connection, or ("timeout",)."""
        def done():
            return self.closed or any(f.type == GO_AWAY for f in self.frames)
        with self.cond:
            self.cond.wait_for(done, timeout)
            ga = [f for f in self.frames if f.type == GO_AWAY]
            if ga:
                return ("goaway", ga[0].length)
            if self.closed:
                return ("close", self.closed)
            return ("timeout",)

    def echo_stream(self, sid, payload, timeout=10, syn_window=0):
        """Open stream sid, send payload, half-close, expect the identical echo and the
        remote's FIN. Payloads must fit the initial window (no flow control here)."""
        assert len(payload) <= INITIAL_WINDOW
        self.send(frame(WINDOW_UPDATE, SYN, sid, syn_window))
        self.send_data(sid, payload, fin=True)
        self.wait_for(lambda: self.has_fin(sid) or self.has_rst(sid), timeout, "FIN on stream %d" % sid)
        if self.has_rst(sid):
            raise AssertionError("stream %d was reset" % sid)
        got = bytes(self.data.get(sid, b""))
        if got != payload:
            raise AssertionError("stream %d: echo of %d bytes differs (got %d bytes)" % (sid, len(payload), len(got)))

    def send_data(self, sid, payload, fin=False, fin_on_data=False, chunk=16384):
        """Send payload as data frames; with fin, half-close: by default with a separate
        window update frame (as both Go libraries do), with fin_on_data on the last data
        frame."""
        for off in range(0, len(payload), chunk):
            part = payload[off:off + chunk]
            last = off + chunk >= len(payload)
            self.send(frame(DATA, FIN if fin and fin_on_data and last else 0, sid, len(part)) + part)
        if fin and not (fin_on_data and payload):
            self.send(frame(WINDOW_UPDATE, FIN, sid, 0))

    def has_fin(self, sid):
        return any(f.sid == sid and f.type in (DATA, WINDOW_UPDATE) and f.flags & FIN for f in self.frames)

    def has_rst(self, sid):
        return any(f.sid == sid and f.type in (DATA, WINDOW_UPDATE) and f.flags & RST for f in self.frames)

    def close(self):
        """Graceful close (FIN). shutdown() first: closing a socket while the reader thread
        is blocked in it would not close the connection."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Abrupt close (RST): wake the reader without sending anything, then close."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        self.reader.join(2)
        _abort(self.sock)
