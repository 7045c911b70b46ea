#!/usr/bin/env python3
"""Every command a user runs answers bad arguments the same way: one line on stderr naming the
argument and what it accepts, exit status 2, nothing left running; --help prints the usage on
stdout with status 0. Each case runs in its own session (process group) with a deadline that
only catches hangs; after it exits, the group must be empty.

    tests/cli/test_cli_args.py BUILD_DIR
"""
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEADLINE = 120  # seconds: a hang detector, not a timing expectation

# (command, [(args, regex the one stderr line must match)]); every case must exit with 2.
# Commands are lists; "BUILD/" is replaced by the build directory.
NODE = "node"
COMMANDS = [
    (["scripts/demo"], [
        (["--streams", "0"], r"--streams: expected an integer from 1 to \d+, got '0'"),
        (["--streams", "abc"], r"--streams: expected an integer .*got 'abc'"),
        (["--bytes", "-5"], r"--bytes: expected a size in bytes .*got '-5'"),
        (["--bogus"], r"unknown option --bogus; the options are --streams"),
        (["--streams"], r"--streams needs a value: an integer"),
        (["extra"], r"unexpected argument 'extra'"),
        (["--port", "80"], r"--port: only with --browser"),
        (["--browser", "--port", "70000"], r"--port: expected a TCP port from 0 to 65535, got '70000'"),
        (["--browser", "--bogus"], r"unknown option --bogus"),
    ]),
    (["scripts/soak"], [
        ([], r"MINUTES is missing"),
        (["0"], r"bad argument '0': give MINUTES \(a positive number\)"),
        (["abc"], r"bad argument 'abc'"),
        (["1", "--seed", "x"], r"--seed takes a positive integer, got 'x'"),
        (["1", "--bogus"], r"bad argument '--bogus'"),
    ]),
    ([NODE, "web/bin/yamux-wasi.mjs"], [
        ([], r"missing PROGRAM\.wasm"),
        (["--bogus", "x.wasm"], r"unknown option --bogus"),
        (["--listen", "abc", "x.wasm"], r"--listen: expected HOST:PORT .*got 'abc'"),
        (["--dial-to", "127.0.0.1:0", "x.wasm"], r"--dial-to: expected HOST:PORT \(port from 1 to 65535\)"),
        (["--listen"], r"--listen needs a value: HOST:PORT"),
        (["--backend", "turbo", "x.wasm"], r"--backend: expected one of auto, atomics, jspi, got 'turbo'"),
        (["--backend"], r"--backend needs a value: one of auto, atomics, jspi"),
    ]),
    ([NODE, "bench/bench_web.mjs"], [
        (["--total", "0"], r"--total: expected an integer from 1 to \d+, got '0'"),
        (["--node-only", "--browser-only"], r"--node-only and --browser-only exclude each other"),
        (["--bogus"], r"unknown option --bogus"),
        (["--svg"], r"--svg needs a value: a FILE"),  # the README's command takes it
    ]),
    ([NODE, "bench/bench_jspi.mjs"], [
        (["--mib", "0"], r"--mib: expected an integer from 1 to 4096, got '0'"),
        (["--pings", "x"], r"--pings: expected an integer from 10 to 100000, got 'x'"),
        (["--bogus"], r"unknown option --bogus"),
    ]),
    ([NODE, "bench/bench_gowasm.mjs"], [
        (["--repeat", "0"], r"--repeat: expected an integer from 1 to \d+, got '0'"),
        (["abc"], r"MiB per cell: expected an integer .*got 'abc'"),
        (["--cell", "x"], r"--cell: expected go2c:N or c2go:N"),
        (["--bogus"], r"unknown option --bogus"),
    ]),
    (["python3", "bench/bench_native.py"], [
        (["--reps", "0"], r"--reps: expected an integer from 1 to 100, got '0'"),
        (["--bogus"], r"unrecognized arguments: --bogus"),
    ]),
    (["BUILD/bin/yamux-peer"], [
        (["--bogus"], r"unknown option --bogus"),
        (["--connect", "127.0.0.1:1", "--bogus"], r"unknown option --bogus"),
        (["--listen"], r"--listen needs a value \(HOST:PORT\)"),
        (["--listen", "nohost"], r"--listen: expected HOST:PORT .*got 'nohost'"),
        (["--connect", "127.0.0.1:1", "--window", "5"], r"--window: expected an integer from 262144 to 16777216, got '5'"),
        (["--connect", "127.0.0.1:1", "--mode", "x"], r"--mode: expected echo or sink, got 'x'"),
        ([], r"exactly one of --listen and --connect is required"),
    ]),
    (["BUILD/bin/bench_shm"], [
        (["-5"], r"MiB per cell: expected a number .*got '-5'"),
        (["--bogus"], r"unknown option --bogus"),
    ]),
    (["BUILD/bin/bench_shmq"], [
        (["x"], r"SECONDS: expected a number .*got 'x'"),
        (["0.01", "100", "1000"], r"RING_BYTES must be a power of two"),
    ]),
    (["scripts/fuzz"], [
        (["bogus"], r"unknown harness 'bogus': expected frame, session, pair, shmq or all"),
        (["frame", "x"], r"SECONDS: expected a whole number of seconds, got 'x'"),
    ]),
    (["scripts/sanitize"], [
        ([], r"missing the sanitizer: asan or tsan"),
        (["x"], r"unknown sanitizer 'x': expected asan or tsan"),
    ]),
    (["scripts/install-check"], [
        ([], r"missing BUILD_DIR"),
        (["/nonexistent"], r"BUILD_DIR: expected a configured build tree, got '/nonexistent'"),
    ]),
    (["scripts/fuzz-smoke"], [(["x"], r"unexpected argument 'x'")]),
    (["scripts/setup"], [(["x"], r"unknown part 'x': expected core or all")]),
    (["scripts/test"], []),  # its arguments are ctest's; --help must not set up nor build
]


def run(argv):
    """Runs argv in its own session; returns (status, stdout, stderr, leftover)."""
    p = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None, "", "", False
    # Children that outlive the command would still be in its process group.
    leftover = False
    for _ in range(50):
        try:
            os.killpg(p.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)  # a child may be exiting right now: give it a moment, then report it
    else:
        leftover = True
        os.killpg(p.pid, signal.SIGKILL)
    return p.returncode, out, err, leftover


def main():
    if len(sys.argv) != 2:
        print("usage: tests/cli/test_cli_args.py BUILD_DIR", file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    failures = 0
    cases = 0
    for cmd, bad in COMMANDS:
        cmd = [c.replace("BUILD/", build + "/") for c in cmd]
        name = " ".join(os.path.relpath(c, ROOT) if c.startswith(build) else c for c in cmd)
        if cmd[0].startswith(build) and not os.path.exists(cmd[0]):
            print("FAIL %s: not built" % name)
            failures += 1
            continue
        for args, want in bad + [(["--help"], None)]:
            cases += 1
            status, out, err, leftover = run(cmd + args)
            label = "%s %s" % (name, " ".join(args))
            problems = []
            if status is None:
                problems.append("still running after %d s" % DEADLINE)
            elif want is None:
                if status != 0:
                    problems.append("--help exited %d" % status)
                if "usage" not in out.lower():
                    problems.append("--help printed no usage on stdout")
            else:
                lines = [l for l in err.splitlines() if l.strip()]
                if status != 2:
                    problems.append("exit status %s, expected 2" % status)
                if len(lines) != 1:
                    problems.append("%d stderr lines, expected 1" % len(lines))
                elif not re.search(want, lines[0]):
                    problems.append("message %r does not match %r" % (lines[0], want))
                if out.strip():
                    problems.append("printed on stdout: %r" % out[:200])
            if leftover:
                problems.append("left processes running")
            if problems:
                failures += 1
                print("FAIL %s: %s\n     stderr: %s" % (label, "; ".join(problems), err.strip()[:500]))
            else:
                print("ok   %s" % label)
    print("%d cases, %d failed" % (cases, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
