"""Peer processes: spawn a peer (PEER_CLI.md command line), follow its stdout line by line,
wait for lines and exit with deadlines, read its memory and descriptors from /proc."""

import os
import re
import signal
import subprocess
import threading
import time


class PeerSpec:
    """A named peer implementation: NAME=ARGV0[,ARG...] (e.g.
    go-hashicorp=/path/yamux-go-peer,--impl,hashicorp)."""

    def __init__(self, text):
        name, sep, argv = text.partition("=")
        if not sep or not name or not argv:
            raise ValueError("peer spec must be NAME=PROGRAM[,ARG...]: %r" % text)
        self.name = name
        self.argv = argv.split(",")

    def __repr__(self):
        return "%s=%s" % (self.name, " ".join(self.argv))


class PeerProc:
    """One running peer. stdout lines are collected as they come; stderr is kept (tail) for
    failure reports."""

    def __init__(self, spec, args, label, log):
        self.spec, self.args, self.label, self.log = spec, list(args), label, log
        self.cmd = spec.argv + self.args
        self.lines = []
        self.err = []
        self.cond = threading.Condition()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1, errors="replace")
        self.pid = self.proc.pid
        log("spawn %s [%d]: %s" % (label, self.pid, " ".join(self.cmd)))
        self.readers = [threading.Thread(target=self._follow, args=(self.proc.stdout, self.lines), daemon=True),
                        threading.Thread(target=self._follow, args=(self.proc.stderr, self.err), daemon=True)]
        for t in self.readers:
            t.start()

    def _follow(self, stream, sink):
        for line in stream:
            with self.cond:
                sink.append(line.rstrip("\n"))
                if sink is self.err and len(sink) > 2000:
                    del sink[:1000]
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, regex, timeout, start=0):
        """Wait for a stdout line (index >= start) matching regex; returns the match."""
        rx = re.compile(regex)
        found = []

        def pred():
            for line in self.lines[start:]:
                m = rx.search(line)
                if m:
                    found.append(m)
                    return True
            return self.proc.poll() is not None and not self.readers[0].is_alive()

        with self.cond:
            self.cond.wait_for(pred, timeout)
        if found:
            return found[0]
        state = "exited with %s" % self.proc.returncode if self.proc.poll() is not None else "still running"
        raise AssertionError("%s: no stdout line matching %r within %.1fs (%s)%s"
                             % (self.label, regex, timeout, state, self.tail()))

    def matching(self, regex):
        rx = re.compile(regex)
        with self.cond:
            return [m for m in (rx.search(line) for line in self.lines) if m]

    def wait_exit(self, timeout):
        """Wait for the process to exit; on timeout kill it and fail."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s did not exit within %.1fs (killed)%s" % (self.label, timeout, self.tail()))
        for t in self.readers:
            t.join(2)
        return rc

    def expect_exit(self, timeout, codes=(0,)):
        rc = self.wait_exit(timeout)
        if rc not in codes:
            what = ("killed by signal %d" % -rc) if rc < 0 else ("exit status %d" % rc)
            raise AssertionError("%s: %s, expected %s%s" % (self.label, what, "/".join(map(str, codes)), self.tail()))
        return rc

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def kill(self):
        self.signal(signal.SIGKILL)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def tail(self, n=12):
        with self.cond:
            err = self.err[-n:]
            out = self.lines[-4:]
        parts = []
        if out:
            parts.append("\n      stdout: " + "\n      stdout: ".join(out))
        if err:
            parts.append("\n      stderr: " + "\n      stderr: ".join(err))
        return "".join(parts)

    # -- /proc --

    def rss(self):
        """Resident set size in bytes (VmRSS)."""
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return None

    def nfds(self):
        try:
            return len(os.listdir("/proc/%d/fd" % self.pid))
        except OSError:
            return None


def wait_until(pred, timeout, what, interval=0.02):
    """Poll a condition that has no event to wait on (e.g. /proc state), with a deadline."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)
