#!/usr/bin/env node
// Throughput of Go-in-wasm <-> the C engine over the shared-memory queue, beside C <-> C over
// the queue and Go <-> Go natively, in one run. Prints markdown tables.
//
//   node bench/bench_gowasm.mjs [MiB per cell, default 256] [--repeat N, default 3]
//   node bench/bench_gowasm.mjs --profile [MiB]   where the time goes: runs Go->C and C->Go
//        (16 streams) under node --cpu-prof and sorts each worker's samples into categories
//
// Every cell is a one-way bulk transfer (PEER_CLI --sink: the opener writes B bytes per
// stream in 64 KiB writes, half-closes, the remote discards and half-closes back), timed by
// the opener's own `stats` line (session start to last EOF); the best of N runs.
// Needs: web/go/build.sh (Go wasm + native Go peer), web/build.sh (the event engine and the
// C wasm worker), and for the native C row build/bin/bench_shm (cmake).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../web/src/cli/args.js';
import { runPair, runEventPeer, runWasi, newRegion, statsOf, goBin } from '../web/test/go-wasm-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opts = parseCommandLine({
  name: 'bench/bench_gowasm.mjs',
  usage: 'node bench/bench_gowasm.mjs [MiB] [--repeat N] [--profile] [--cell go2c:N|c2go:N]',
  summary: 'Go-in-wasm <-> the C engine over the queue, beside C <-> C and native Go <-> Go (MiB/s).',
  options: {
    repeat: { type: 'integer', min: 1, max: 100, default: 3, arg: 'N', help: 'runs per cell (the best counts)' },
    profile: { type: 'boolean', help: 'where the time goes: 16-stream runs under node --cpu-prof' },
    cell: { type: 'string', arg: 'DIR:N', help: 'one run of one cell (go2c or c2go, N streams), for --profile' },
  },
  positionals: { max: 1, names: 'MiB per cell' },
});
const MiB = 1 << 20;
const cellMiB = opts._.length ? parseMiB(opts._[0]) : 256;
const repeat = opts.repeat;
const cellSpec = opts.cell === undefined ? null : /^(go2c|c2go):(\d+)$/.exec(opts.cell);
if (opts.cell !== undefined && !(cellSpec && Number(cellSpec[2]) >= 1)) usageExit(`--cell: expected go2c:N or c2go:N (N >= 1 streams), got '${opts.cell}'`);

function parseMiB(text) {
  const v = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(v >= 1 && v <= 65536)) usageExit(`MiB per cell: expected an integer from 1 to 65536, got '${text}'`);
  return v;
}

function usageExit(msg) {
  process.stderr.write(`bench/bench_gowasm.mjs: ${msg} (see --help)\n`);
  process.exit(2);
}
const STREAMS = [1, 16];

const opener = (streams) => ['--open', String(streams), '--bytes', String(Math.floor((cellMiB * MiB) / streams)), '--sink'];
const rate = (s) => (s && s.seconds > 0 ? s.bytes_sent / MiB / s.seconds : NaN);

async function best(fn) {
  let b = NaN;
  for (let i = 0; i < repeat; i++) {
    const r = await fn();
    if (!(r <= b)) b = r;
  }
  return b;
}

/* ---- Go-in-wasm <-> C engine (event worker) ---- */

async function goToC(variant, streams) {
  const r = await runPair({ variant, goRole: 'client', goArgs: opener(streams), evArgs: ['--mode', 'sink'], trace: false });
  if (r.go.code || r.ev.code) throw new Error(`go->C ${variant}: ${r.go.code}/${r.ev.code} ${r.go.errLines.slice(-3)}`);
  return rate(statsOf(r.go.lines));
}

async function cToGo(variant, streams, evConfig) {
  const r = await runPair({ variant, goRole: 'server', evArgs: opener(streams), goArgs: ['--mode', 'sink'], evConfig, trace: false });
  if (r.go.code || r.ev.code) throw new Error(`C->go ${variant}: ${r.go.code}/${r.ev.code}`);
  return rate(statsOf(r.ev.lines));
}

async function goToGo(streams) {
  const buffer = newRegion(1 << 20, 65536);
  const srv = runWasi({ args: ['--listen', 'fd:3', '--mode', 'sink'], queue: { buffer, offset: 0, side: 1 } });
  const cli = runWasi({ args: ['--connect', 'fd:3', '--stats', ...opener(streams)], queue: { buffer, offset: 0, side: 0 } });
  const [c, s] = await Promise.all([cli.done, srv.done]);
  if (c.code || s.code) throw new Error('go->go wasm failed');
  return rate(statsOf(cli.lines));
}

/* ---- C (Emscripten wasm worker, the web package's) <-> C engine (event worker) ---- */

let web;
async function webPkg() {
  web ??= await import('../web/src/index.js');
  return web;
}

async function cWasm(streams, cOpens) {
  const { createChannel, startWorker, wasmWorkerUrl, SIDE_A } = await webPkg();
  const channel = createChannel({ ringBytes: 1 << 20, mtu: 65536 });
  const ev = runEventPeer({
    buffer: channel.buffer, offset: channel.offset, side: 1,
    args: ['--listen', 'x', '--stats', ...(cOpens ? ['--mode', 'sink'] : opener(streams))],
  });
  const w = await startWorker(wasmWorkerUrl, { channel, side: SIDE_A, name: 'c-wasm' });
  const lines = [];
  w.onMessage((m) => m?.type === 'stdout' && lines.push(m.line));
  w.postMessage({
    channel,
    args: ['--side', 'a', '--client', ...(cOpens ? [...opener(streams), '--exit-when-done'] : ['--mode', 'sink'])],
  });
  const e = await ev.done;
  const code = await w.exited;
  if (e.code || (code && code !== -1)) throw new Error(`C wasm ${e.code}/${code}`);
  return rate(cOpens ? statsOf(lines) : statsOf(ev.lines));
}

/* ---- native ---- */

function run(cmd, argv, onLine) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      let i;
      while (onLine && (i = out.indexOf('\n')) >= 0) {
        onLine(out.slice(0, i), p);
        out = out.slice(i + 1);
      }
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
  });
}

async function goNative(streams) {
  const bin = path.join(goBin, 'yamux-go-peer');
  let addr;
  const ready = new Promise((resolve) => (addr = resolve));
  const srv = run(bin, ['--listen', '127.0.0.1:0', '--once', '--mode', 'sink'], (l) => {
    if (l.startsWith('listening ')) addr(l.slice(10));
  });
  const lines = [];
  const cli = await run(bin, ['--connect', await ready, '--stats', ...opener(streams)], (l) => lines.push(l));
  await srv;
  if (cli.code) throw new Error('native Go failed');
  return rate(statsOf(lines));
}

async function cNativeShm() {
  const bin = path.join(root, process.env.YAMUX_BUILD_DIR || 'build', 'bin', 'bench_shm');
  if (!fs.existsSync(bin)) return null;
  const { out } = await run(bin, [String(cellMiB)]);
  const rows = {};
  for (const m of out.matchAll(/^\| (\d+) \| (\d+) \| (\d+) \|/gm)) rows[m[1]] = Number(m[2]);
  return rows;
}

/* ---- ping round trips ---- */

async function pingGoWasm() {
  const r = await runPair({ goRole: 'client', goArgs: ['--ping', '2000'], trace: false });
  return median(r.go.lines.filter((l) => l.startsWith('ping ')).map((l) => Number(l.slice(5)) / 1000));
}

async function pingGoNative() {
  const bin = path.join(goBin, 'yamux-go-peer');
  let addr;
  const ready = new Promise((resolve) => (addr = resolve));
  const srv = run(bin, ['--listen', '127.0.0.1:0', '--once'], (l) => l.startsWith('listening ') && addr(l.slice(10)));
  const lines = [];
  await run(bin, ['--connect', await ready, '--ping', '2000'], (l) => lines.push(l));
  await srv;
  return median(lines.filter((l) => l.startsWith('ping ')).map((l) => Number(l.slice(5)) / 1000));
}

async function pingCWasm() {
  const { createChannel, startWorker, wasmWorkerUrl, SIDE_A } = await webPkg();
  const channel = createChannel({ ringBytes: 1 << 20, mtu: 65536 });
  const ev = runEventPeer({ buffer: channel.buffer, offset: channel.offset, side: 1, args: ['--listen', 'x'] });
  const w = await startWorker(wasmWorkerUrl, { channel, side: SIDE_A, name: 'c-wasm' });
  const lines = [];
  w.onMessage((m) => m?.type === 'stdout' && lines.push(m.line));
  w.postMessage({ channel, args: ['--side', 'a', '--client', '--ping', '2000', '--exit-when-done'] });
  await ev.done;
  await w.exited;
  return median(lines.filter((l) => l.startsWith('ping ')).map((l) => Number(l.slice(5)) / 1000));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

/* ---- main ---- */

const fmt = (x) => (x == null || Number.isNaN(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const rows = [];
async function row(name, fn) {
  const cells = [];
  for (const n of STREAMS) {
    try {
      cells.push(await best(() => fn(n)));
    } catch (e) {
      console.error(`${name}, ${n} streams: ${e.message}`);
      cells.push(NaN);
    }
  }
  rows.push([name, ...cells]);
  console.error(`  ${name}: ${cells.map(fmt).join(' / ')} MiB/s`);
}

/* ---- --profile: where the time goes ---- */

// Categories of a CPU profile sample (self time): [name, test(functionName, url)].
const GO_URL = /^[0-9a-f]{8}$/;
const CATEGORIES = [
  ['idle: Atomics.wait in poll_oneoff (spin + sleep)', (f, u) => f === 'wait' && u === 'shmq.js'],
  ['idle: event loop', (f) => f === '(idle)'],
  ['queue: Atomics.notify of the other side (ringBell)', (f, u) => f === 'ringBell' && u === 'shmq.js'],
  ['queue: shmq.js (indices, records, readiness)', (f, u) => u === 'shmq.js'],
  ['WASI host: fd_read/fd_write copies, poll_oneoff', (f, u) => u === 'wasi.js' || u === 'shmq-fd.js'],
  ['Go runtime: memmove / memclr', (f) => /^runtime\.(memmove|memclr)/.test(f)],
  ['Go runtime: scheduler, channels, timers, GC, malloc', (f) => /^(runtime|internal_runtime|sync|time|internal_)/.test(f) || /^(sync|time)\./.test(f)],
  ['Go: hashicorp/yamux', (f) => /hashicorp_yamux/.test(f)],
  ['Go: peer, bufio, bytes, io, fmt', (f, u) => GO_URL.test(u) && !/^wasm-function/.test(f)],
  ['C engine (wasm)', (f) => /^wasm-function/.test(f)],
  ['event side JS: Session, Pump, streams glue', (f, u) => /^(session|pump|stream|engine|schedule)\.js$/.test(u)],
  ['event side JS: WHATWG streams, promises', (f, u) => /^(readablestream|writablestream|queuingstrategies|util|promises|task_queues|webidl)$/.test(u)],
  ['harness: event-peer.js (sink/verify)', (f, u) => u === 'event-peer.js'],
  ['V8: GC', (f) => f === '(garbage collector)'],
  ['V8: (program), builtins outside JS functions', (f) => f === '(program)'],
];

function categorize(file) {
  const p = JSON.parse(fs.readFileSync(file));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const acc = new Map();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const cf = byId.get(p.samples[i]).callFrame, dt = p.timeDeltas[i] || 0;
    const u = cf.url.split('/').pop().replace(/^node:internal\/.*\//, '');
    const c = CATEGORIES.find(([, t]) => t(cf.functionName, u));
    const k = c ? c[0] : 'other (Node startup, compile, ...)';
    acc.set(k, (acc.get(k) || 0) + dt);
    total += dt;
  }
  return { acc, total };
}

async function profile() {
  const os = await import('node:os');
  for (const cell of ['go2c:16', 'c2go:16']) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gowasm-prof-'));
    const self = fileURLToPath(import.meta.url);
    const { out } = await run(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, self, String(cellMiB), '--cell', cell]);
    console.log(`\n### ${cell === 'go2c:16' ? 'Go-in-wasm -> C engine' : 'C engine -> Go-in-wasm'}, 16 streams: ${out.trim()}\n`);
    // One profile per thread: the main thread (idle), the event worker, the Go worker.
    const profs = fs.readdirSync(dir).map((f) => categorize(path.join(dir, f)));
    const isGo = (x) => x.acc.has('WASI host: fd_read/fd_write copies, poll_oneoff');
    const go = profs.find(isGo), ev = profs.find((x) => !isGo(x) && x.acc.has('C engine (wasm)'));
    const keys = CATEGORIES.map(([k]) => k).concat('other (Node startup, compile, ...)');
    console.log('| share of each worker\'s time | Go worker (WASI) | event worker (C engine) |');
    console.log('| --- | ---: | ---: |');
    const pct = (x, k) => (x && x.acc.get(k) ? `${((100 * x.acc.get(k)) / x.total).toFixed(1)}%` : '');
    for (const k of keys) if ((go && go.acc.get(k)) || (ev && ev.acc.get(k))) console.log(`| ${k} | ${pct(go, k)} | ${pct(ev, k)} |`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchmark() {
  console.error(`bench_gowasm: ${cellMiB} MiB per cell, best of ${repeat}, node ${process.version}`);
  await row('Go-in-wasm (wasip1) -> C engine (event worker)', (n) => goToC('wasip1', n));
  await row('C engine (event worker) -> Go-in-wasm (wasip1)', (n) => cToGo('wasip1', n));
  await row('C engine (event worker), 64 KiB frames -> Go-in-wasm (wasip1)', (n) => cToGo('wasip1', n, { maxFramePayload: 65536 }));
  await row('Go-in-wasm (GOOS=js) -> C engine (event worker)', (n) => goToC('js', n));
  await row('C engine (event worker) -> Go-in-wasm (GOOS=js)', (n) => cToGo('js', n));
  await row('Go-in-wasm (wasip1) -> Go-in-wasm (wasip1), two WASI workers', (n) => goToGo(n));
  await row('C (wasm worker, Emscripten) -> C engine (event worker)', (n) => cWasm(n, true));
  await row('C engine (event worker) -> C (wasm worker, Emscripten)', (n) => cWasm(n, false));
  const shm = await cNativeShm();
  if (shm) rows.push(['native C <-> C over shmq, two threads (bench_shm)', ...STREAMS.map((n) => shm[n])]);
  await row('native Go <-> Go, TCP loopback (hashicorp/yamux v0.1.2)', (n) => goNative(n));

  console.log(`\n### yamux bulk throughput, MiB/s (${cellMiB} MiB per cell, one direction, best of ${repeat})\n`);
  console.log(`| path | ${STREAMS.map((n) => `${n} stream${n > 1 ? 's' : ''}`).join(' | ')} |`);
  console.log(`| --- | ${STREAMS.map(() => '---:').join(' | ')} |`);
  for (const [name, ...c] of rows) console.log(`| ${name} | ${c.map(fmt).join(' | ')} |`);

  const pings = [
    ['Go-in-wasm (wasip1) -> C engine (event worker), over the queue', pingGoWasm],
    ['C (wasm worker) -> C engine (event worker), over the queue', pingCWasm],
    ['native Go -> Go, TCP loopback', pingGoNative],
  ];
  console.log('\n### yamux ping round trip, median of 2000 (us)\n');
  console.log('| path | median |');
  console.log('| --- | ---: |');
  for (const [name, fn] of pings) {
    let v = NaN;
    try {
      v = await fn();
    } catch (e) {
      console.error(`${name}: ${e.message}`);
    }
    console.log(`| ${name} | ${fmt(v)} |`);
  }
}

if (cellSpec) {
  // One run of one cell (for --profile): prints its rate.
  const [, dir, n] = cellSpec;
  const r = dir === 'go2c' ? await goToC('wasip1', Number(n)) : await cToGo('wasip1', Number(n));
  console.log(`${dir} ${n} streams: ${fmt(r)} MiB/s`);
  process.exit(0);
}
if (opts.profile) {
  await profile();
  process.exit(0);
}
await benchmark();

