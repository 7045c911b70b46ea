#!/usr/bin/env python3
"""Interop test driver: runs the scenarios of scenarios.py between the implementation
under test (--subject) and reference peers, all speaking interop/PEER_CLI.md.

  yamux_interop.py --peer go-hashicorp=BIN,--impl,hashicorp \\
                   --peer go-libp2p=BIN,--impl,libp2p \\
                   --peer c=build/bin/yamux-peer --subject c

Pair scenarios run subject vs every other peer (or those named with --reference), in
both directions (subject server / subject client); scripted and malformed-input
scenarios run against the subject alone. Peers may also come from the environment:
YAMUX_INTEROP_PEERS="NAME=PROG[,ARG...];NAME=..." and YAMUX_INTEROP_SUBJECT=NAME.

Prints one line per run (scenario x direction x pair: result, time) and a summary;
exits 1 if any run failed, 2 on usage errors.
"""

import argparse
import fnmatch
import json
import os
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import scenarios  # noqa: E402
from peers import PeerSpec  # noqa: E402
from scenarios import (MALFORMED, MALFORMED_CASES, PAIR, SCENARIOS, SCRIPT, SCRIPT_XFAIL, pair_xfail,  # noqa: E402
                       Ctx, MalformedGroup)

DIRECTIONS = ("subject-server", "subject-client")


class Result:
    def __init__(self, scenario, direction, pair, status, seconds, detail=""):
        self.scenario, self.direction, self.pair = scenario, direction, pair
        self.status, self.seconds, self.detail = status, seconds, detail


class Runner:
    def __init__(self, args, peers):
        self.args, self.peers = args, peers
        self.subject = peers[args.subject]
        self.results = []
        self.lock = threading.Lock()
        self.verbose = args.verbose

    def log(self, text):
        if self.verbose:
            print("    . " + text, flush=True)

    def selected(self, name):
        return not self.args.only or any(fnmatch.fnmatch(name, p) for p in self.args.only)

    def record(self, r):
        self.results.append(r)
        note = (" -- " + r.detail) if r.detail else ""
        if r.status in ("FAIL", "XFAIL") and "\n" in note:
            note = note.replace("\n", "\n" + " " * 8)
        print("%-26s %-15s %-26s %-5s %6.2fs%s" % (r.scenario, r.direction, r.pair, r.status, r.seconds, note),
              flush=True)

    def guarded(self, fn, ctx, timeout):
        """Run fn(ctx) with an overall deadline, then clean up (which kills the peers and
        closes the sockets, unblocking a hung worker)."""
        t0 = time.monotonic()
        err = self.call(lambda: fn(ctx), timeout)
        if err and err.startswith("exceeded its"):
            err += "".join(p.tail(6) for p in ctx.procs)
        ctx.cleanup()
        return err, time.monotonic() - t0

    def run_one(self, name, fn, direction, reference, pair_label, xfail_reason=None):
        ctx = Ctx(self.subject, reference, direction, self.log, self.args.timeout_scale)
        err, secs = self.guarded(fn, ctx, 120 * self.args.timeout_scale)
        notes = "; ".join(ctx.notes)
        if xfail_reason:
            status = "XFAIL" if err else "XPASS"
            detail = xfail_reason + (" [%s]" % err.splitlines()[0] if err else "")
        else:
            status = "FAIL" if err else "PASS"
            detail = err if err else notes
        self.record(Result(name, direction, pair_label, status, secs, detail))

    def run(self):
        refs = [self.peers[n] for n in (self.args.reference or [n for n in self.peers if n != self.args.subject])]
        subj = self.subject.name
        for name, kind, fn, _ in SCENARIOS:
            if not self.selected(name):
                continue
            if kind == PAIR:
                for ref in refs:
                    for d in DIRECTIONS:
                        server, client = (subj, ref.name) if d == "subject-server" else (ref.name, subj)
                        pair = "%s>%s" % (client, server)
                        self.run_one(name, fn, d, ref, pair, pair_xfail(name, server, client))
            elif kind == SCRIPT:
                for d in DIRECTIONS:
                    pair = ("script>%s" % subj) if d == "subject-server" else ("%s>script" % subj)
                    self.run_one(name, fn, d, None, pair, SCRIPT_XFAIL.get((name, subj)))
        self.run_malformed()

    def run_malformed(self):
        cases = [c for c in MALFORMED_CASES if self.selected("malformed/" + c)]
        if not cases and not self.selected("malformed/memory"):
            return
        ctx = Ctx(self.subject, None, "subject-server", self.log, self.args.timeout_scale)
        pair = "raw>%s" % self.subject.name
        box = {}

        def setup():
            box["g"] = MalformedGroup(ctx)

        # The group's server outlives single cases: one context, cleaned up at the end;
        # each case still has its own deadline.
        try:
            t0 = time.monotonic()
            err = self.call(setup, 30 * self.args.timeout_scale)
            if err or "g" not in box:
                self.record(Result("malformed/setup", "subject-server", pair, "FAIL", time.monotonic() - t0, err))
                return
            group = box["g"]
            for case in cases:
                ctx.notes = []
                t0 = time.monotonic()
                err = self.call(lambda: group.run_case(case), 40 * self.args.timeout_scale)
                self.record(Result("malformed/" + case, "subject-server", pair, "FAIL" if err else "PASS",
                                   time.monotonic() - t0, err or "; ".join(ctx.notes)))
            ctx.notes = []
            t0 = time.monotonic()
            err = self.call(group.finish, 30 * self.args.timeout_scale)
            self.record(Result("malformed/memory", "subject-server", pair, "FAIL" if err else "PASS",
                               time.monotonic() - t0, err or "; ".join(ctx.notes)))
        finally:
            ctx.cleanup()

    @staticmethod
    def call(fn, timeout):
        """Run fn in a worker thread with a deadline; returns an error text or None."""
        box = {}

        def work():
            try:
                fn()
            except AssertionError as e:
                box["err"] = str(e) or "assertion failed"
            except Exception as e:
                box["err"] = "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc(limit=4))

        t = threading.Thread(target=work, daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            return "exceeded its %.0fs deadline" % timeout
        return box.get("err")

    def summary(self):
        counts = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        total = sum(r.seconds for r in self.results)
        print()
        print("summary: subject %s; %s; %.1fs" % (
            self.subject.name, ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())), total))
        failed = [r for r in self.results if r.status == "FAIL"]
        for r in failed:
            print("  FAIL %s %s %s: %s" % (r.scenario, r.direction, r.pair, r.detail.splitlines()[0] if r.detail else ""))
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump([r.__dict__ for r in self.results], f, indent=1)
        return 1 if failed or not self.results else 0


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--peer", action="append", default=[], metavar="NAME=PROG[,ARG...]",
                    help="a peer implementation (repeatable)")
    ap.add_argument("--subject", default=os.environ.get("YAMUX_INTEROP_SUBJECT"),
                    help="name of the peer under test")
    ap.add_argument("--reference", action="append", metavar="NAME",
                    help="reference peer(s) for pair scenarios (default: all other peers)")
    ap.add_argument("--only", action="append", metavar="GLOB",
                    help="run only scenarios matching (e.g. 'large', 'malformed/*'); repeatable")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    ap.add_argument("--timeout-scale", type=float, default=float(os.environ.get("YAMUX_INTEROP_TIMEOUT_SCALE", "1")),
                    help="multiply every deadline (slow machines, sanitizers, valgrind)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every spawned process")
    args = ap.parse_args(argv)
    if args.list:
        for name, kind, _, doc in SCENARIOS:
            print("%-26s %-9s %s" % (name, kind, doc))
        for c in MALFORMED_CASES:
            print("%-26s %-9s %s" % ("malformed/" + c, MALFORMED, "expected: " + ", ".join(
                "%s=%s" % (k, "|".join(sorted(v))) for k, v in scenarios.MALFORMED_EXPECT[c].items())))
        print("%-26s %-9s %s" % ("malformed/memory", MALFORMED, "server RSS growth and descriptors after the group"))
        sys.exit(0)
    specs = list(args.peer)
    env = os.environ.get("YAMUX_INTEROP_PEERS", "")
    specs += [s for s in env.split(";") if s.strip()]
    peers = {}
    try:
        for s in specs:
            p = PeerSpec(s.strip())
            peers[p.name] = p
    except ValueError as e:
        ap.error(str(e))
    if not args.subject or args.subject not in peers:
        ap.error("--subject must name one of the peers (%s)" % ", ".join(peers) or "none given")
    for r in args.reference or []:
        if r not in peers or r == args.subject:
            ap.error("--reference %s: not a peer other than the subject" % r)
    for p in peers.values():
        if not os.access(p.argv[0], os.X_OK):
            ap.error("peer %s: %s is not executable" % (p.name, p.argv[0]))
    return args, peers


def main(argv=None):
    args, peers = parse_args(sys.argv[1:] if argv is None else argv)
    runner = Runner(args, peers)
    print("subject %s; peers: %s" % (args.subject, "; ".join(map(repr, peers.values()))), flush=True)
    runner.run()
    return runner.summary()


if __name__ == "__main__":
    sys.exit(main())
