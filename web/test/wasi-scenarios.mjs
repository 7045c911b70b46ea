// The WASI host's scenarios, the same in Node.js (web/test/wasi-host.test.mjs) and in
// headless Chromium (web/browser/wasi.html): a guest program (Go GOOS=wasip1 or C on
// wasi-libc) runs in a wasm worker started by startWasi(), this side is the event side
// (its Session). Each scenario throws an Error naming what differed, or returns facts for
// the caller to report. No timing is asserted and nothing sleeps in place of a signal.
//
//   env = { startWasi, guest(name) -> URL or path of web/go/bin/NAME.wasm or web/guest/bin }

import { fetchOverStream as httpRequest } from '../demo/http-client.js';

const enc = new TextEncoder(), dec = new TextDecoder();

export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Byte k of stream i: (k*31 + i*7 + k>>8) & 0xFF (the guests' pattern). */
export function pattern(i, off, n) {
  const b = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const k = off + j;
    b[j] = (k * 31 + i * 7 + Math.floor(k / 256)) & 0xff;
  }
  return b;
}

/** A deterministic generator of sizes in [1, max]. */
function sizes(seed, max) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 1 + (s % max);
  };
}

export async function readAll(stream) {
  const r = stream.readable.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { value, done } = await r.read();
    if (done) break;
    parts.push(value);
    n += value.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export async function writeAll(stream, data, { close = true, chunk = 65536 } = {}) {
  const w = stream.writable.getWriter();
  for (let off = 0; off < data.length; off += chunk) await w.write(data.subarray(off, Math.min(data.length, off + chunk)));
  if (close) await w.close();
  w.releaseLock();
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function firstDiff(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** Output lines of a process, collected (stdout option of startWasi). */
function collector() {
  const parts = [];
  const sink = (b) => parts.push(dec.decode(b, { stream: true }));
  sink.text = () => parts.join('');
  sink.lines = () => sink.text().split('\n').filter(Boolean);
  return sink;
}

async function start(env, name, args = [], extra = {}) {
  const out = collector(), err = collector();
  const proc = await env.startWasi(env.guest(name), { args, stdout: out, stderr: err, ...extra });
  proc.out = out;
  proc.err = err;
  return proc;
}

/** Ends the session from this side and returns the exit status. */
async function finish(proc) {
  await proc.session.close().catch(() => {});
  return proc.exited;
}

/**
 * Echo: `streams` streams at once with sizes up to `maxBytes`, plus one of `bigBytes`, each
 * sent, half-closed and read back; every byte compared.
 */
export async function echoMany(env, { program = 'wasi-guest', args = ['echo'], streams = 100, maxBytes = 1 << 20, bigBytes = 32 << 20, seed = 12, options = {} } = {}) {
  const proc = await start(env, program, args, options);
  const next = sizes(seed, maxBytes);
  const lens = Array.from({ length: streams }, next);
  lens.push(bigBytes);
  let total = 0;
  await Promise.all(lens.map(async (len, i) => {
    const s = await proc.session.open();
    const data = pattern(i, 0, len);
    const [back] = await Promise.all([readAll(s), writeAll(s, data)]);
    check(back.length === len, `stream ${i}: ${back.length} bytes back, want ${len}`);
    check(sameBytes(back, data), `stream ${i}: byte ${firstDiff(back, data)} differs`);
    total += len;
  }));
  const code = await finish(proc);
  check(code === 0, `exit status ${code}: ${proc.err.text()}`);
  check(proc.out.lines().some((l) => l.startsWith(`accepted ${lens.length}`)), `output: ${proc.out.text()}`);
  return { streams: lens.length, bytes: total };
}

/** The guest opens `n` streams toward this side, which echoes them; the guest verifies. */
export async function dialBack(env, { program = 'wasi-guest', n = 50, bytes = 256 << 10 } = {}) {
  const args = program === 'wasi-guest' ? ['dial', String(n), String(bytes)] : [String(n), String(bytes)];
  const proc = await start(env, program, args);
  let accepted = 0;
  const echoes = [];
  const loop = (async () => {
    for await (const s of proc.session) {
      accepted++;
      echoes.push(s.readable.pipeTo(s.writable));
    }
  })();
  const code = await proc.exited;
  check(code === 0, `exit status ${code}: ${proc.err.text()}`);
  check(proc.out.lines().includes(`dial ok ${n} ${bytes}`), `output: ${proc.out.text()}`);
  check(accepted === n, `accepted ${accepted} streams, want ${n}`);
  await Promise.allSettled(echoes);
  await loop;
  return { streams: accepted };
}

/** Half-close both ways: the guest reads to our FIN, then answers; and it half-closes
 * first, then reads what we send after its FIN. */
export async function halfClose(env) {
  const proc = await start(env, 'wasi-guest', ['halfclose']);
  const a = await proc.session.open();
  const [answer] = await Promise.all([readAll(a), writeAll(a, pattern(1, 0, 100000))]);
  check(dec.decode(answer) === 'got 100000 bytes after your FIN', `answer after our FIN: ${dec.decode(answer)}`);
  const b = await proc.session.open();
  const first = await readAll(b); // up to the guest's FIN
  check(dec.decode(first) === 'hello, then FIN', `before the guest's FIN: ${dec.decode(first)}`);
  await writeAll(b, enc.encode('world')); // writing after the peer's FIN goes on
  const code = await proc.exited;
  check(code === 0, `exit status ${code}: ${proc.err.text()}`);
  check(proc.out.lines().includes('halfclose read "world" after our FIN'), `output: ${proc.out.text()}`);
  await proc.session.close().catch(() => {});
  return {};
}

/** A read deadline: the guest's read with nothing to read fails with a deadline error after
 * `ms` (its goroutine parked, the worker in poll_oneoff), then the stream works on. */
export async function readDeadline(env, { ms = 200 } = {}) {
  const proc = await start(env, 'wasi-guest', ['deadline', String(ms)]);
  const s = await proc.session.open();
  const r = s.readable.getReader();
  const { value } = await r.read(); // sent by the guest once its deadline passed
  check(dec.decode(value) === 'timed out\n', `first message: ${dec.decode(value)}`);
  const w = s.writable.getWriter();
  await w.write(enc.encode('ping'));
  await w.close();
  let back = '';
  for (;;) {
    const x = await r.read();
    if (x.done) break;
    back += dec.decode(x.value);
  }
  check(back === 'ping', `echo after the deadline: ${back}`);
  const code = await finish(proc);
  check(code === 0, `exit status ${code}: ${proc.err.text()}`);
  check(proc.out.lines().includes(`deadline exceeded after >= ${ms}ms: true`), `output: ${proc.out.text()}`);
  return {};
}

/** The unmodified Go net/http server: `n` requests, `concurrency` at a time, plus a 1 MiB
 * POST echoed and a 4 MiB download, verified. */
export async function httpMany(env, { n = 200, concurrency = 20 } = {}) {
  const proc = await start(env, 'wasi-http');
  let ok = 0, next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const r = await httpRequest(proc.session, 'GET', '/');
      check(r.status === 200, `GET / -> ${r.status}`);
      check(/^hello from Go .* in the wasm worker, request \d+\n$/.test(dec.decode(r.body)), `GET / body: ${dec.decode(r.body)}`);
      ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const up = pattern(5, 0, 1 << 20);
  const e = await httpRequest(proc.session, 'POST', '/echo', up);
  check(e.status === 200 && sameBytes(e.body, up), `POST /echo: ${e.status}, ${e.body.length} bytes`);
  const big = 4 << 20;
  const d = await httpRequest(proc.session, 'GET', `/bytes?n=${big}`);
  check(d.status === 200 && sameBytes(d.body, pattern(0, 0, big)), `GET /bytes: ${d.status}, ${d.body.length} bytes`);
  const x = await httpRequest(proc.session, 'GET', '/exit?code=0');
  check(x.status === 200, `GET /exit -> ${x.status}`);
  const code = await proc.exited;
  check(code === 0, `exit status ${code}: ${proc.err.text()}`);
  return { requests: ok + 3 };
}

/** The guest exits in the middle of a stream: the stream fails on this side, the session
 * ends, the exit status arrives; nothing waits forever. */
export async function exitMidStream(env) {
  const proc = await start(env, 'wasi-guest', ['exitmid', '100000', '3']);
  const s = await proc.session.open();
  const writing = writeAll(s, pattern(0, 0, 4 << 20)).then(() => 'written', (e) => e);
  const reading = readAll(s).then(() => 'end of stream', (e) => e);
  const code = await proc.exited;
  check(code === 3, `exit status ${code}, want 3: ${proc.err.text()}`);
  const [w, r] = await Promise.all([writing, reading]);
  check(w instanceof Error, `the write of 4 MiB to a guest that read 100000 bytes and exited: ${w}`);
  check(r instanceof Error, `the read from a guest that exited mid-stream: ${r}`);
  const closed = await proc.session.closed.then(() => 'clean', (e) => e);
  return { write: String(w.message ?? w), read: String(r.message ?? r), session: String(closed.message ?? closed) };
}

/** The wasm worker is terminated mid-transfer: streams and session fail, exited is -1. */
export async function killedWorker(env) {
  const proc = await start(env, 'wasi-guest', ['echo']);
  const s = await proc.session.open();
  const w = s.writable.getWriter();
  const r = s.readable.getReader();
  await w.write(pattern(0, 0, 65536));
  let got = 0;
  while (got < 65536) got += (await r.read()).value.length; // data flows through the guest
  await proc.terminate();
  const read = await r.read().then(() => 'data', (e) => e);
  check(read instanceof Error, `a read after the worker was killed: ${read}`);
  const write = await w.write(pattern(0, 0, 1 << 20)).then(() => 'written', (e) => e);
  check(write instanceof Error, `a write after the worker was killed: ${write}`);
  const closed = await proc.session.closed.then(() => 'clean', (e) => e);
  check(closed instanceof Error, 'the session ended cleanly after its peer was killed');
  const code = await proc.exited;
  check(code === -1, `exited: ${code}, want -1 (terminated)`);
  return { read: read.message, session: closed.message };
}

/** Invalid pointers, lengths, flags and descriptors from a C guest (web/guest/badcalls.c):
 * each call's errno, and the guest works on afterwards. */
export async function badCalls(env) {
  const proc = await start(env, 'badcalls');
  const s = await proc.session.open();
  const [back] = await Promise.all([readAll(s), writeAll(s, enc.encode('still here'))]);
  check(dec.decode(back) === 'still here', `echo after the bad calls: ${dec.decode(back)}`);
  const code = await finish(proc);
  check(code === 0, `exit status ${code}: ${proc.err.text()}`);
  const got = Object.fromEntries(proc.out.lines().filter((l) => / -?\d+$/.test(l)).map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
  check(proc.out.lines().includes('ok still here'), `output: ${proc.out.text()}`);
  return got;
}

/** What badCalls() must report (WASI errno per call). */
export const BAD_CALLS = {
  fd_write_bad_iovs: 21, fd_write_bad_buf: 21, fd_write_huge_len: 21, fd_write_huge_count: 21,
  fd_write_bad_result: 21, fd_write_bad_fd: 8, fd_close_bad_fd: 8, args_get_bad: 21,
  args_sizes_get_bad: 21, environ_get_bad: 21, random_get_bad: 21, clock_time_get_bad_id: 28,
  clock_time_get_bad_ptr: 21, fd_fdstat_get_bad_ptr: 21, poll_oneoff_zero_subs: 28,
  poll_oneoff_bad_in: 21, poll_oneoff_bad_out: 21, poll_oneoff_huge_count: 21,
  poll_oneoff_bad_nevents: 21, poll_oneoff_bad_tag: 28, poll_oneoff_bad_clock: 28,
  dial_bad_flags: 28, dial_bad_ptr: 21, shutdown_stdout: 57, accept_stdout: 57,
  accept_bad_flags: 28, accept_bad_ptr: 21, shutdown_bad_how: 28, fd_read_bad_buf: 21,
  fd_read_bad_result: 21, sock_recv_bad_flags: 28, sock_send_bad_flags: 28,
};

/** Counts the turns this thread's event loop takes (a 5 ms interval) while `fn` runs: the
 * event side's thread is never blocked, whichever backend runs the guest. */
async function turnsDuring(fn) {
  let turns = 0;
  const iv = setInterval(() => turns++, 5);
  try {
    const r = await fn();
    return { r, turns };
  } finally {
    clearInterval(iv);
  }
}

/** The Go probe (web/go/cmd/wasi-probe): args, env, random, clocks, goroutines sleeping 10,
 * 20 and 30 ms waking in order while a ticker runs, stderr, the exit status. */
export async function probe(env) {
  const proc = await start(env, 'wasi-probe', ['a b', '7'], { env: { YAMUX_PROBE: 'x' } });
  const code = await proc.exited;
  check(code === 7, `exit status ${code}, want 7: ${proc.err.text()}`);
  const want = ['args ["a b" "7"]', 'env YAMUX_PROBE=x', 'random ok true', 'wallclock true', 'sleeps [10 20 30] ticks 3 elapsed>=30ms true'];
  check(JSON.stringify(proc.out.lines()) === JSON.stringify(want), `output: ${proc.out.text()}`);
  check(proc.err.text() === 'to stderr\n', `stderr: ${proc.err.text()}`);
  check(proc.stats.host.blocks > 0, 'the scheduler never parked in poll_oneoff');
  return { blocks: proc.stats.host.blocks };
}

/** time.Sleep(ms) in Go while a goroutine ticks: the guest sleeps in poll_oneoff, wakes a
 * bounded number of times (no spinning: the host's liveness slice is 100 ms), and the event
 * side's thread takes turns meanwhile. */
export async function sleep(env, { ms = 1000 } = {}) {
  const { r: proc, turns } = await turnsDuring(async () => {
    const p = await start(env, 'wasi-guest', ['sleep', String(ms)]);
    await p.exited;
    return p;
  });
  const code = await proc.exited;
  check(code === 0, `exit status ${code}: ${proc.err.text()}`);
  check(proc.out.lines().includes(`slept ${ms} ms: true, ticks 5`), `output: ${proc.out.text()}`);
  const waits = proc.stats.waits;
  // 5 ticks, the sleep's end and one wake-up per 100 ms liveness slice, with room to spare.
  check(waits <= 2 * (ms / 100 + 10), `the host woke ${waits} times during a ${ms} ms sleep (spinning?)`);
  check(turns > 0, 'the event loop took no turn during the sleep');
  return { waits, turns, backend: proc.stats.backend };
}

/** A guest that computes for `ms` without any I/O (it reads the clock): this thread's event
 * loop still takes turns (with JSPI the guest gives it back at its clock reads). */
export async function compute(env, { ms = 300 } = {}) {
  const { r: proc, turns } = await turnsDuring(async () => {
    const p = await start(env, 'wasi-guest', ['compute', String(ms)]);
    await p.exited;
    return p;
  });
  check((await proc.exited) === 0, `exit status: ${proc.err.text()}`);
  check(proc.out.lines().some((l) => l.startsWith(`computed ${ms} ms: true`)), `output: ${proc.out.text()}`);
  check(turns > 0, 'the event loop took no turn while the guest computed');
  return { turns, yields: proc.stats.yields, backend: proc.stats.backend };
}

/** Raw mode: the program (web/go/cmd/yamux-wasm-peer) runs hashicorp/yamux itself over the
 * queue on descriptor 3; 1 MiB echoed. */
export async function raw(env) {
  const proc = await start(env, 'yamux-wasm-peer', ['--listen', 'fd:3', '--mode', 'echo'], { mode: 'raw' });
  const data = pattern(9, 0, 1 << 20);
  const s = await proc.session.open();
  const [back] = await Promise.all([readAll(s), writeAll(s, data)]);
  check(sameBytes(back, data), `raw echo: ${back.length} bytes, byte ${firstDiff(back, data)} differs`);
  await proc.session.close();
  const code = await proc.exited;
  check(code === 0, `exit status ${code}: ${proc.err.text()}`);
  return {};
}

/**
 * A minimal module: memory 1 exported, _start = `body` (instruction bytes, `end` added),
 * `imports` [{module, name, params: n i32, result: bool}] (function indices from 0), and an
 * active data segment `data` at address 0.
 */
export function moduleBytes({ start = true, imports = [], body = [], data = null } = {}) {
  const leb = (n) => {
    const out = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const sec = (id, body) => [id, ...leb(body.length), ...body];
  const str = (t) => [...leb(t.length), ...enc.encode(t)];
  const types = [[0x60, 0, 0], ...imports.map((i) => [0x60, i.params, ...Array(i.params).fill(0x7f), ...(i.result ? [1, 0x7f] : [0])])];
  const type = sec(1, [types.length, ...types.flat()]);
  const imp = imports.length ? sec(2, [imports.length, ...imports.flatMap((i, k) => [...str(i.module), ...str(i.name), 0, k + 1])]) : [];
  const fn = sec(3, [1, 0]);
  const mem = sec(5, [1, 0, 1]);
  const exps = [...str('memory'), 2, 0];
  if (start) exps.push(...str('_start'), 0, imports.length);
  const exp = sec(7, [start ? 2 : 1, ...exps]);
  const code = sec(10, [1, ...leb(body.length + 2), 0, ...body, 0x0b]);
  const dat = data ? sec(11, [1, 0, 0x41, 0, 0x0b, ...leb(data.length), ...data]) : [];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imp, ...fn, ...mem, ...exp, ...code, ...dat]);
}

/** startWasi's refusals and a guest's ends, with the host's own tiny modules: bytes that are
 * not wasm, no _start, an import this host lacks, proc_exit(3), a trap at once, and a trap
 * after the guest slept in poll_oneoff (JSPI: on the resumed stack). */
export async function startErrors(env) {
  const run = (bytes, o = {}) => env.startWasi(bytes, { args: ['x'], stdout: () => {}, stderr: () => {}, ...o });
  const refused = async (bytes, re) => {
    const r = await run(bytes).then(() => null, (e) => e);
    check(r && r.name === 'WasiError' && re.test(r.message), `want a WasiError ${re}, got ${r}`);
  };
  await refused(enc.encode('#!/bin/sh\n'), /not a WebAssembly module/);
  await refused(moduleBytes({ start: false }), /not a WASI command: it exports no _start/);
  await refused(moduleBytes({ imports: [{ module: 'env', name: 'launch_missiles', params: 0 }] }), /imports what this host does not provide: env\.launch_missiles/);
  const exit3 = await run(moduleBytes({ imports: [{ module: 'wasi_snapshot_preview1', name: 'proc_exit', params: 1 }], body: [0x41, 3, 0x10, 0] }));
  check((await exit3.exited) === 3, 'proc_exit(3) did not exit with 3');
  const trapped = async (p) => {
    const r = await p.exited.then((c) => c, (e) => e);
    check(r?.name === 'WasiError' && /unreachable/.test(r.message), `a trap ended as ${r}`);
    return r.message;
  };
  const trap = await trapped(await run(moduleBytes({ body: [0x00] })));
  // One clock subscription (relative, 1 ms, monotonic) at 0; poll_oneoff(0, 64, 1, 128); trap.
  const sub = new Uint8Array(48);
  const dv = new DataView(sub.buffer);
  dv.setUint32(16, 1, true);
  dv.setUint32(24, 1e6, true);
  const pollImport = { module: 'wasi_snapshot_preview1', name: 'poll_oneoff', params: 4, result: true };
  const body = [0x41, 0, 0x41, 0xc0, 0, 0x41, 1, 0x41, 0x80, 1, 0x10, 0, 0x1a, 0x00];
  const late = await trapped(await run(moduleBytes({ imports: [pollImport], body, data: [...sub] })));
  return { trap, late };
}

/** Every scenario by name, for the browser page. */
export const SCENARIOS = {
  echoGo: (env) => echoMany(env),
  echoC: (env) => echoMany(env, { program: 'echo', args: [], bigBytes: 16 << 20 }),
  dialGo: (env) => dialBack(env),
  dialC: (env) => dialBack(env, { program: 'dial', n: 20, bytes: 100000 }),
  halfClose, readDeadline, httpMany, exitMidStream, killedWorker, badCalls, probe, sleep, compute, raw, startErrors,
};
