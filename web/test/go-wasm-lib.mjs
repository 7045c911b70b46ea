// Helpers of the Go-in-wasm tests and benchmark: a shared region, the Go (wasip1) peer in a
// Node worker running web/src/host/worker.js, and its output as it comes.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import { format, regionSize } from '../src/queue/shmq.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.resolve(here, '..');
export const goBin = process.env.YAMUX_GO_WASM_DIR || path.join(webDir, 'go', 'bin');
export const peerWasm = path.join(goBin, 'yamux-wasm-peer.wasm');
export const probeWasm = path.join(goBin, 'wasi-probe.wasm');
export const wasiWorker = path.join(webDir, 'src', 'host', 'worker.js');

/** Whether the Go wasm programs were built (web/go/build.sh). */
export function haveGoWasm() {
  return fs.existsSync(peerWasm) && fs.existsSync(probeWasm);
}

const modules = new Map();
/** Compiles a .wasm once per process. */
export function compile(file) {
  if (!modules.has(file)) modules.set(file, WebAssembly.compile(fs.readFileSync(file)));
  return modules.get(file);
}

/** A SharedArrayBuffer holding one formatted shmq region at offset 0. */
export function newRegion(ringBytes = 1 << 20, mtu = 65536) {
  const sab = new SharedArrayBuffer(regionSize(ringBytes, mtu));
  format(sab, 0, ringBytes, mtu);
  return sab;
}

/**
 * Runs a WASI program in a worker. Returns a handle: `lines` / `errLines` (arrays filled as
 * output comes), `line(re)` (resolves with the first stdout line matching re), `done`
 * (resolves with {code, stats}; rejects on a trap), `worker`.
 */
export function runWasi({ wasm = peerWasm, args, env = {}, queue, name = 'go', workerScript = wasiWorker, extra = {} }) {
  const worker = new Worker(workerScript);
  const h = { worker, lines: [], errLines: [], waiters: [] };
  h.done = new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.type === 'stdout') {
        h.lines.push(m.line);
        for (const w of [...h.waiters]) {
          if (w.re.test(m.line)) {
            h.waiters.splice(h.waiters.indexOf(w), 1);
            w.resolve(m.line);
          }
        }
      } else if (m.type === 'stderr') {
        h.errLines.push(m.line);
        if (process.env.YAMUX_TEST_VERBOSE) process.stderr.write(`[${name}] ${m.line}\n`);
      } else if (m.type === 'exit') {
        resolve({ code: m.code, stats: m.stats });
      } else if (m.type === 'error') {
        reject(new Error(`${name}: ${m.message}\n${h.errLines.join('\n')}`));
      }
    });
    worker.on('error', reject);
    worker.on('exit', (c) => reject(new Error(`${name}: worker exited (${c}) before the program`)));
  });
  h.done.finally(() => worker.terminate()).catch(() => {});
  h.line = (re) => {
    const l = h.lines.find((x) => re.test(x));
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve) => h.waiters.push({ re, resolve }));
  };
  compile(wasm).then((module) => {
    worker.postMessage({ module, args: ['yamux-wasm-peer', ...args], env, queue, ...extra });
  });
  return h;
}

/** Parses the `stats {json}` line of a peer, or null. */
export function statsOf(lines) {
  const l = lines.find((x) => x.startsWith('stats '));
  return l ? JSON.parse(l.slice(6)) : null;
}

export const eventPeerScript = path.join(webDir, 'go', 'harness', 'event-peer.js');

/**
 * Runs the C engine (the web package's Session) in an event worker with PEER_CLI `args` on
 * `side` of the region in `buffer`. Returns {worker, lines, line(re), done -> {code, info}}.
 */
export function runEventPeer({ buffer, offset = 0, side, args, config, hbTimeoutMs, name = 'event' }) {
  const worker = new Worker(eventPeerScript);
  const h = { worker, lines: [], waiters: [] };
  h.done = new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.type === 'stdout') {
        h.lines.push(m.line);
        for (const w of [...h.waiters]) {
          if (w.re.test(m.line)) {
            h.waiters.splice(h.waiters.indexOf(w), 1);
            w.resolve(m.line);
          }
        }
      } else if (m.type === 'exit') resolve({ code: m.code, info: m.info });
      else if (m.type === 'error') reject(new Error(`${name}: ${m.message}`));
    });
    worker.on('error', reject);
    worker.on('exit', (c) => reject(new Error(`${name}: worker exited (${c})`)));
  });
  h.done.finally(() => worker.terminate()).catch(() => {});
  h.line = (re) => {
    const l = h.lines.find((x) => re.test(x));
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve) => h.waiters.push({ re, resolve }));
  };
  worker.postMessage({ buffer, offset, side, args, config, hbTimeoutMs });
  return h;
}

export const goJsWorker = path.join(webDir, 'src', 'host', 'gojs-worker.js');
export const peerJsWasm = path.join(goBin, 'yamux-wasm-peer-js.wasm');
export const wasmExecJs = path.join(goBin, 'wasm_exec.js');

/** As runWasi, for the GOOS=js build (web/src/host/gojs-worker.js). */
export function runGoJs({ args, env = {}, queue, name = 'gojs' }) {
  return runWasi({ args, env, queue, name, wasm: peerJsWasm, workerScript: goJsWorker, extra: { wasmExec: wasmExecJs } });
}

/** Whether the event side's engine was built (web/build.sh). */
export function haveEngine() {
  return fs.existsSync(path.join(webDir, 'dist', 'yamux_event.wasm.js'));
}

/**
 * One session between the Go peer (GOOS=wasip1 in the WASI worker, or GOOS=js with
 * variant 'js') and the C engine in an event worker, over a fresh region.
 * goRole 'client': Go is side A and the yamux client (--connect), the event side the server.
 * Resolves with {go: {code, lines, errLines, stats}, ev: {code, lines, info}}.
 */
export async function runPair({ goRole = 'client', goArgs = [], evArgs = [], evConfig, ring = 1 << 20, mtu = 65536, variant = 'wasip1', trace = true }) {
  const buffer = newRegion(ring, mtu);
  const goClient = goRole === 'client';
  const ev = runEventPeer({
    buffer, side: goClient ? 1 : 0, config: evConfig,
    args: [goClient ? '--listen' : '--connect', 'fd:3', '--stats', ...evArgs],
  });
  const run = variant === 'js' ? runGoJs : runWasi;
  const go = run({
    args: [goClient ? '--connect' : '--listen', 'fd:3', '--stats', ...goArgs],
    queue: { buffer, offset: 0, side: goClient ? 0 : 1, trace, ...(process.env.YAMUX_GO_SPIN_US ? { spinUs: +process.env.YAMUX_GO_SPIN_US } : {}) },
  });
  const [g, e] = await Promise.all([go.done, ev.done]);
  return {
    go: { code: g.code, lines: go.lines, errLines: go.errLines, stats: g.stats, trace: g.stats.trace },
    ev: { code: e.code, lines: ev.lines, info: e.info },
  };
}
