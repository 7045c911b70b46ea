// The soak test: for a set time, rounds of randomized operations between the event side (a
// Session in this thread) and the C program in a real wasm worker, each round on a fresh
// channel: streams opened by both sides with random sizes and write sizes, half-closes,
// writer aborts, reader cancels, resets, pings; a round ends with a graceful close, a hard
// close, or the wasm worker terminated mid-traffic (then restarted on a new channel).
// Checked all along: no operation pending past its deadline, every echoed byte is the byte
// that was sent (and the program verifies what it gets back), failures have the expected
// class, memory stays bounded, no stream is left after a round's streams are done.
//   node web/test/soak/soak.mjs [--seconds N] [--seed S]     (scripts/soak MINUTES)
// Prints one line per 10 rounds and a final table; exits 1 on a violated invariant.
import { createChannel, Session, SIDE_A, YamuxError, YamuxResetError, YamuxClosedError, YamuxTransportError } from '../../src/index.js';
import { startWasm } from '../harness.js';
import { patternAt, patternCheck } from '../../demo/workload.js';

const USAGE = 'usage: node web/test/soak/soak.mjs [--seconds N] [--seed S]';
function parseArgs(argv) {
  const o = { seconds: 60, seed: Date.now() % 1e9 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if ((a === '--seconds' || a === '--seed') && v !== undefined && /^\d+(\.\d+)?$/.test(v) && Number(v) > 0) {
      o[a.slice(2)] = Number(v);
      i++;
    } else {
      console.error(`soak: bad argument '${a}'${v !== undefined && a.startsWith('--') ? ` '${v}'` : ''}: --seconds and --seed take a positive number`);
      process.exit(2);
    }
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const DEADLINE_MS = 30000; // no operation may stay pending longer
const RSS_BOUND = 1536 * 2 ** 20;
const KiB = 1024, MiB = 1 << 20;

// splitmix32-ish deterministic random numbers
let state = opts.seed >>> 0;
function rand() {
  state = (state + 0x9e3779b9) >>> 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
}
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (...xs) => xs[Math.floor(rand() * xs.length)];

const stats = { rounds: 0, ops: 0, bytes: 0, resets: 0, restarts: 0, hard: 0, pings: 0, wasmStreams: 0, rssMax: 0, engineMax: 0 };
const pending = new Map(); // op id -> {name, deadline}
let nextOp = 1;
let failure = null;

function fail(msg) {
  if (failure) return;
  failure = new Error(msg);
  // A hung round would never reach the end: report and stop now.
  setTimeout(() => finish(), 1000).unref?.();
}

/** Tracks `p` as operation `name`: it must settle before its deadline. */
function track(name, p) {
  const id = nextOp++;
  pending.set(id, { name, deadline: performance.now() + DEADLINE_MS });
  stats.ops++;
  return p.finally(() => pending.delete(id));
}

const watchdog = setInterval(() => {
  const t = performance.now();
  for (const [, op] of pending) if (t > op.deadline) fail(`operation ${op.name} pending past its ${DEADLINE_MS} ms deadline`);
  const rss = process.memoryUsage().rss;
  stats.rssMax = Math.max(stats.rssMax, rss);
  if (rss > RSS_BOUND) fail(`RSS ${(rss / MiB).toFixed(0)} MiB above the ${RSS_BOUND / MiB} MiB bound`);
}, 250);

/** Writes `total` pattern bytes of stream `s` in random pieces. */
async function writeRandom(w, id, total) {
  for (let off = 0; off < total;) {
    const n = Math.min(total - off, total < 64 * KiB ? pick(1, 100, 4 * KiB) : pick(4 * KiB, 64 * KiB, 300 * KiB, MiB));
    await w.write(patternAt(id, off, n).slice()); // a copy: the writer may hold it
    off += n;
  }
}

/** Reads `s` to its end, verifying the pattern of stream `id`; returns the count. */
async function readVerify(readable, id, size) {
  const r = readable.getReader({ mode: 'byob' });
  let buf = new Uint8Array(size < 4 * KiB ? pick(1, 1000) : pick(1000, 64 * KiB, MiB));
  let got = 0;
  for (;;) {
    const { value, done } = await r.read(buf);
    if (done) return got;
    if (!patternCheck(value, id, got)) throw new Error(`stream ${id}: byte mismatch at ${got}`);
    got += value.length;
    buf = new Uint8Array(value.buffer);
  }
}

/** An error the round's ending explains (the worker was terminated, the session aborted). */
function expectedEnd(round, e) {
  if (round.ending === 'terminate') return e instanceof YamuxTransportError || e instanceof YamuxResetError || e instanceof YamuxClosedError;
  if (round.ending === 'abort') return e instanceof YamuxClosedError || e instanceof YamuxResetError;
  return false;
}

/** One random operation of the event side; resolves when it is done (checks included). */
async function operation(round, session) {
  const kind = pick('echo', 'echo', 'echo', 'empty', 'abort', 'cancel', 'reset', 'ping');
  if (kind === 'ping') {
    await session.ping();
    stats.pings++;
    return;
  }
  const s = await session.open();
  const w = s.writable.getWriter();
  if (kind === 'echo' || kind === 'empty') {
    const size = kind === 'empty' ? 0 : pick(int(0, 100), int(0, 64 * KiB), int(0, 3 * MiB));
    const [, got] = await Promise.all([writeRandom(w, s.id, size).then(() => w.close()), readVerify(s.readable, s.id, size)]);
    if (got !== size) throw new Error(`stream ${s.id}: ${got} of ${size} bytes came back`);
    stats.bytes += size;
    return;
  }
  // The three ways to end a stream early: each must reset it on both sides.
  const writing = writeRandom(w, s.id, 64 * MiB);
  writing.catch(() => {});
  const r = s.readable.getReader();
  await r.read(); // some echo came back: the stream is established and moving
  const reason = new Error(kind);
  if (kind === 'abort') await w.abort(reason);
  else if (kind === 'cancel') await r.cancel(reason);
  else s.reset(reason);
  stats.resets++;
  const err = await writing.then(() => null, (e) => e);
  if (!(err instanceof YamuxResetError) && err !== reason) throw new Error(`${kind}: the writer ended with ${err}`);
  if (kind !== 'cancel') {
    const e2 = await r.read().then(() => null, (e) => e);
    if (!(e2 instanceof YamuxResetError)) throw new Error(`${kind}: the reader ended with ${e2}`);
  }
}

const dbg = process.env.SOAK_DEBUG ? (...a) => console.log(`[${(performance.now() / 1000).toFixed(2)}]`, ...a) : () => {};
async function round() {
  const rnd = { ending: null };
  const ringBytes = pick(64 * KiB, MiB, 4 * MiB);
  const channel = createChannel({ ringBytes, mtu: Math.min(ringBytes / 4, pick(4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB)) });
  const wasmOpen = int(0, 6), wasmBytes = int(0, 2 * MiB);
  const wasmArgs = ['--mode', 'echo', '--open', String(wasmOpen), '--bytes', String(wasmBytes), '--random-sizes', String(int(1, 1e6)),
    '--write-size', String(pick(1000, 65536, MiB)), '--ping', String(int(0, 3)), '--window', String(pick(256 * KiB, MiB, 4 * MiB))];
  const wasm = await startWasm(channel, wasmArgs);
  const session = await Session.create({ channel, side: SIDE_A, config: { maxStreamWindow: pick(256 * KiB, MiB, 16 * MiB) } });
  const work = [];
  const guard = (name, p) => {
    const g = track(name, p).catch((e) => {
      if (!expectedEnd(rnd, e)) fail(`${name}: ${e?.stack ?? e}`);
    });
    work.push(g);
    return g;
  };
  // The streams the program opens: echo them (it verifies what comes back).
  guard('accept', (async () => {
    for await (const s of session) guard(`echo of stream ${s.id}`, s.readable.pipeTo(s.writable));
  })());
  const until = performance.now() + int(300, 3000);
  const concurrency = int(1, 12);
  const runners = Array.from({ length: concurrency }, () =>
    guard('operations', (async () => {
      while (!rnd.ending && performance.now() < until && !failure) await track('operation', operation(rnd, session));
    })()));
  const ending = pick('close', 'close', 'close', 'close', 'terminate', 'abort');
  dbg('round', stats.rounds, ending, wasmArgs.join(' '), 'concurrency', concurrency);
  if (ending === 'close') {
    await Promise.all(runners);
    const verified = wasmOpen ? await track('wasm verdict', wasm.line(/^verified /)) : null;
    if (verified && verified !== `verified ${wasmOpen} streams, 0 failed`) fail(`wasm program: ${verified} ${wasm.stderr.join(' | ')}`);
    stats.wasmStreams += wasmOpen;
    await track('ping barrier', session.ping());
    // Everything settled: only the accept loop waits; no stream may be left in the engine.
    if (session.numStreams !== 0) fail(`${session.numStreams} streams left after every operation settled`);
    await track('graceful close', session.close());
    const code = await track('wasm exit', wasm.exited);
    if (code !== 0) fail(`wasm program exited ${code}: ${wasm.stderr.join(' | ')}`);
  } else if (ending === 'terminate') {
    await new Promise((r) => setTimeout(r, int(0, 300)));
    rnd.ending = 'terminate';
    await wasm.handle.terminate();
    const e = await track('closed after terminate', session.closed.then(() => null, (x) => x));
    if (!(e instanceof YamuxTransportError) || e.cause?.codeName !== 'YAMUX_EPEERDEAD') fail(`after terminate: closed with ${e}`);
    stats.restarts++;
  } else {
    await new Promise((r) => setTimeout(r, int(0, 300)));
    rnd.ending = 'abort';
    dbg('abort');
    session.abort(new Error('hard close'));
    const e = await track('closed after abort', session.closed.then(() => null, (x) => x));
    if (!(e instanceof YamuxClosedError)) fail(`after abort: closed with ${e}`);
    stats.hard++;
    dbg('closed');
    await track('wasm exit after abort', wasm.exited);
    dbg('wasm exited');
  }
  dbg('ended; pending', [...pending.values()].map((o) => o.name).join(', '));
  rnd.ending ??= 'done';
  await Promise.all(work);
  dbg('work settled');
  stats.engineMax = Math.max(stats.engineMax, session.engineMemory);
  await wasm.handle.terminate();
  stats.rounds++;
}

const t0 = performance.now();
const end = t0 + opts.seconds * 1000;
console.log(`soak: ${opts.seconds} s, seed ${opts.seed}`);
try {
  while (performance.now() < end && !failure) {
    await round();
    if (stats.rounds % 10 === 0)
      console.log(`soak: ${((performance.now() - t0) / 1000).toFixed(0)} s, ${stats.rounds} rounds, ${stats.ops} operations, ` +
        `${(stats.bytes / 1e6).toFixed(0)} MB verified, RSS max ${(stats.rssMax / MiB).toFixed(0)} MiB`);
  }
} catch (e) {
  fail(`round failed: ${e?.stack ?? e}`);
}
finish();

function finish() {
  clearInterval(watchdog);
  const secs = (performance.now() - t0) / 1000;
  console.log([
    '| seconds | rounds | operations | bytes echoed and verified | program streams verified | resets (abort/cancel/reset) | worker restarts | hard closes | pings | RSS high-water | engine memory max |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${secs.toFixed(0)} | ${stats.rounds} | ${stats.ops} | ${(stats.bytes / 1e6).toFixed(0)} MB | ${stats.wasmStreams} | ${stats.resets} | ${stats.restarts} | ${stats.hard} | ${stats.pings} | ${(stats.rssMax / MiB).toFixed(0)} MiB | ${(stats.engineMax / MiB).toFixed(0)} MiB |`,
  ].join('\n'));
  if (failure) {
    console.error(`soak: FAILED (seed ${opts.seed}): ${failure.message}`);
    process.exit(1);
  }
  console.log(`soak: ${stats.rounds} passed, 0 failed`);
  process.exit(0);
}
