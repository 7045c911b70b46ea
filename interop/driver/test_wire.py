"""Unit tests of the driver's own pieces (run: python3 -m unittest discover -s interop/driver)."""

import socket
import threading
import unittest

import wire
from wire import ACK, DATA, FIN, PING, SYN, WINDOW_UPDATE, frame


class PatternTest(unittest.TestCase):
    def test_matches_the_formula(self):
        for sid in (0, 1, 2, 37, 0xFFFFFFFF):
            for off, n in ((0, 700), (250, 300), (65530, 20)):
                want = bytes(((k * 31 + sid * 7 + (k >> 8)) & 0xFF) for k in range(off, off + n))
                self.assertEqual(wire.pattern(sid, n, off), want)

    def test_splitmix64_reference_values(self):
        # splitmix64 seeded with 0 (Vigna's reference generator)
        g = wire.splitmix64(0)
        self.assertEqual([next(g) for _ in range(3)],
                         [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F])

    def test_random_sizes_bounds(self):
        sizes = wire.random_sizes(42, 1000, 65536)
        self.assertEqual(len(sizes), 1000)
        self.assertTrue(all(0 <= s <= 65536 for s in sizes))
        self.assertEqual(sizes, wire.random_sizes(42, 1000, 65536))


class ParserTest(unittest.TestCase):
    def stream(self):
        return (frame(WINDOW_UPDATE, SYN, 1, 0) + frame(DATA, 0, 1, 5) + b"hello"
                + frame(PING, SYN, 0, 9) + frame(DATA, FIN, 1, 0) + frame(WINDOW_UPDATE, ACK, 2, 7))

    def kinds(self, frames):
        return [(f.type, f.flags, f.sid, f.length) for f in frames]

    def test_any_split(self):
        data = self.stream()
        whole = [f for f, _, _ in wire.FrameParser("x").feed(data)]
        self.assertEqual(len(whole), 5)
        for cut in range(1, len(data)):
            p = wire.FrameParser("x")
            got = [f for f, _, _ in p.feed(data[:cut])] + [f for f, _, _ in p.feed(data[cut:])]
            self.assertEqual(self.kinds(got), self.kinds(whole), "split at %d" % cut)
            self.assertTrue(p.at_boundary())

    def test_offsets(self):
        data = self.stream()
        spans = [(s, e) for _, s, e in wire.FrameParser("x").feed(data)]
        self.assertEqual(spans[0], (0, 12))
        self.assertEqual(spans[1], (12, 24))
        self.assertEqual(spans[2], (29, 41))  # after the 5 payload bytes


class ProxyTest(unittest.TestCase):
    def test_forwards_records_and_injects(self):
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        px = wire.Proxy(ls.getsockname())
        try:
            host, port = px.addr.split(":")
            c = socket.create_connection((host, int(port)), timeout=5)
            s, _ = ls.accept()
            s.settimeout(5)
            link = px.link(0, 5)
            payload = frame(WINDOW_UPDATE, SYN, 1, 0) + frame(DATA, 0, 1, 3) + b"abc"
            c.sendall(payload)
            got = b""
            while len(got) < len(payload):
                got += s.recv(100)
            self.assertEqual(got, payload)
            link.wait_for(lambda: len(link.frames) == 2, 5, "2 frames")
            self.assertEqual(link.credit[("c2s", 1)], wire.INITIAL_WINDOW - 3)
            # An injected ping reaches the server; its answer is swallowed.
            opaque = link.inject_ping("c2s")
            self.assertEqual(s.recv(12), frame(PING, SYN, 0, opaque))
            s.sendall(frame(PING, ACK, 0, opaque) + frame(DATA, 0, 1, 1) + b"z")
            c.settimeout(5)
            self.assertEqual(c.recv(100), frame(DATA, 0, 1, 1) + b"z")
            self.assertTrue(link.ping_answered(opaque))
            c.close()
            s.close()
        finally:
            px.close()
            ls.close()


if __name__ == "__main__":
    unittest.main()
