// The cells of bench/bench_wasi.mjs, the same in Node.js worker_threads and in Chromium
// (bench/bench_wasi.html): one-way bulk transfers between the event side (the web package's
// Session in web/go/harness/event-peer.js, a worker) and a program in the wasm worker, over
// one shared-memory queue, three ways:
//   host  a Go program (GOOS=wasip1, web/go/cmd/wasi-guest) whose sockets are the WASI
//         host's yamux streams (web/src/host/): no yamux in Go, the engine runs in the host;
//   raw   the existing path: the Go program runs hashicorp/yamux itself over the raw queue
//         (web/go/cmd/yamux-wasm-peer, descriptor 3 is the queue);
//   c     the C program of the web package (Emscripten, web/wasm/peer_*.c), blocking API.
// Every cell moves `mib` MiB in 64 KiB writes on `streams` streams, the opener half-closes,
// the other side discards and half-closes back; the opener's own clock times it.
import { loadProgram } from '../web/src/host/start.js';
import { format, regionSize } from '../web/src/queue/shmq.js';

const isNode = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined';
const MiB = 1 << 20;
const url = (p) => new URL(p, import.meta.url);
const EVENT_PEER = url('../web/go/harness/event-peer.js');
const HOST = url('../web/src/host/worker.js');
const C_PEER = url('../web/src/workers/wasm-worker.js');
export const GUEST = url('../web/go/bin/wasi-guest.wasm');
export const RAW_PEER = url('../web/go/bin/yamux-wasm-peer.wasm');

const modules = new Map();
function program(u) {
  if (!modules.has(u.href)) modules.set(u.href, loadProgram(u));
  return modules.get(u.href);
}

/** A worker running `script` with start message `msg`: {lines, done -> exit message}. */
async function spawn(script, msg) {
  const h = { lines: [], errLines: [] };
  let w;
  const onMessage = (m, resolve, reject) => {
    if (m.type === 'stdout') h.lines.push(m.line);
    else if (m.type === 'stderr') h.errLines.push(m.line);
    else if (m.type === 'exit') resolve(m);
    else if (m.type === 'error') reject(new Error(`${script.pathname.split('/').pop()}: ${m.message}`));
  };
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    w = new Worker(script);
    h.done = new Promise((resolve, reject) => {
      w.on('message', (m) => onMessage(m, resolve, reject));
      w.on('error', reject);
      w.on('exit', (c) => resolve({ type: 'exit', code: c }));
    });
  } else {
    w = new Worker(script, { type: 'module' });
    h.done = new Promise((resolve, reject) => {
      w.onmessage = (e) => onMessage(e.data, resolve, reject);
      w.onerror = (e) => reject(new Error(e.message));
    });
  }
  h.done.finally(() => w.terminate()).catch(() => {});
  w.postMessage(msg);
  return h;
}

function region(ring = 1 << 20, mtu = 65536) {
  const buffer = new SharedArrayBuffer(regionSize(ring, mtu));
  format(buffer, 0, ring, mtu);
  return buffer;
}

function statsOf(lines) {
  const l = lines.find((x) => x.startsWith('stats '));
  if (!l) throw new Error(`no stats line in: ${lines.slice(-5).join(' | ')}`);
  return JSON.parse(l.slice(6));
}

const rate = (s) => s.bytes_sent / MiB / s.seconds;
const opener = (n, mib) => ['--open', String(n), '--bytes', String(Math.floor((mib * MiB) / n)), '--sink'];

/** Stream windows: 'default' keeps every side at yamux's 256 KiB; 'large' gives every side
 * (event side, host engine, Go's yamux, the C program) a fixed 16 MiB receive window, so
 * that no path waits for window updates (the 1 MiB ring bounds what is in flight). */
const LARGE = 16 << 20;

/**
 * One transfer. kind: 'host' | 'raw' | 'c'; dir: 'out' (the wasm worker sends) | 'in' (the
 * event side sends); windows: 'default' | 'large'. Resolves with MiB/s.
 */
export async function cell(kind, dir, streams, mib, { engine, windows = 'default' } = {}) {
  const bytes = Math.floor((mib * MiB) / streams);
  const large = windows === 'large';
  const win = large ? ['--window', String(LARGE)] : [];
  if (large) engine = { windowAutotune: false, maxStreamWindow: LARGE, ...engine };
  if (kind === 'host') {
    const buffer = region();
    const evArgs = [...(dir === 'out' ? ['--connect', 'x', '--mode', 'sink'] : ['--connect', 'x', '--stats', ...opener(streams, mib)]), ...win];
    const ev = await spawn(EVENT_PEER, { buffer, offset: 0, side: 0, args: evArgs });
    const guestArgs = dir === 'out' ? ['source', String(streams), String(bytes)] : ['sink'];
    const go = await spawn(HOST, {
      module: await program(GUEST), args: ['wasi-guest', ...guestArgs],
      sockets: { buffer, offset: 0, side: 1, config: engine },
    });
    const [g, e] = await Promise.all([go.done, ev.done]);
    if (g.code || e.code) throw new Error(`host ${dir}: exit ${g.code}/${e.code} ${go.errLines.slice(-2)}`);
    return rate(statsOf(dir === 'out' ? go.lines : ev.lines));
  }
  if (kind === 'raw') {
    const buffer = region();
    const out = dir === 'out';
    const ev = await spawn(EVENT_PEER, {
      buffer, offset: 0, side: out ? 1 : 0,
      args: [...(out ? ['--listen', 'fd:3', '--mode', 'sink'] : ['--connect', 'fd:3', '--stats', ...opener(streams, mib)]), ...win],
    });
    const go = await spawn(HOST, {
      module: await program(RAW_PEER),
      args: ['yamux-wasm-peer', ...(out ? ['--connect', 'fd:3', '--stats', ...opener(streams, mib)] : ['--listen', 'fd:3', '--mode', 'sink']), ...win],
      queue: { buffer, offset: 0, side: out ? 0 : 1 },
    });
    const [g, e] = await Promise.all([go.done, ev.done]);
    if (g.code || e.code) throw new Error(`raw ${dir}: exit ${g.code}/${e.code}`);
    return rate(statsOf(out ? go.lines : ev.lines));
  }
  // The C program of the web package: its memory holds the channel (createChannel).
  const { createChannel } = await import('../web/src/queue/channel.js');
  const channel = createChannel({ ringBytes: 1 << 20, mtu: 65536 });
  const out = dir === 'out';
  const ev = await spawn(EVENT_PEER, {
    buffer: channel.buffer, offset: channel.offset, side: 1,
    args: ['--listen', 'x', ...(out ? ['--mode', 'sink'] : ['--stats', ...opener(streams, mib)]), ...win],
  });
  const c = await spawn(C_PEER, {
    channel,
    args: ['--side', 'a', '--client', ...(out ? [...opener(streams, mib), '--exit-when-done'] : ['--mode', 'sink']), ...win],
  });
  const e = await ev.done;
  const x = await c.done;
  if (e.code || (x.code && x.code !== -1)) throw new Error(`c ${dir}: exit ${x.code}/${e.code}`);
  return rate(statsOf(out ? c.lines : ev.lines));
}

export const KINDS = ['host', 'raw', 'c'];
export const DIRS = ['out', 'in'];
export const STREAMS = [1, 16];

/**
 * Every cell, `repeat` rounds interleaved (a round runs each cell once, so that load from
 * elsewhere hits every path alike); the best of each cell. Resolves with {key: MiB/s}, key
 * "windows:kind:dir:streams".
 */
export const WINDOWS = ['default', 'large'];

export async function runAll({ mib = 256, repeat = 3, log = () => {}, kinds = KINDS, windows = WINDOWS, engine } = {}) {
  const best = {};
  for (let r = 0; r < repeat; r++) {
    for (const w of windows) for (const n of STREAMS) {
      for (const dir of DIRS) {
        for (const kind of kinds) {
          const key = `${w}:${kind}:${dir}:${n}`;
          let v = NaN;
          try {
            v = await cell(kind, dir, n, mib, { engine, windows: w });
          } catch (e) {
            log(`${key}: ${e.message}`);
          }
          if (Number.isFinite(v) ? !(best[key] >= v) : !(key in best)) best[key] = v;
          log(`round ${r + 1} ${key}: ${v.toFixed(0)} MiB/s`);
        }
      }
    }
  }
  return best;
}
