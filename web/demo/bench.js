// Throughput between the two workers over the package, next to the plain-JavaScript ring
// copy as the ceiling, in the same run. The same code runs in Node.js and in a page.
import { startPair } from './pair.js';
import { startWorker } from '../src/index.js';

const MiB = 1 << 20;
export const PROTOTYPE_MBPS = 90;

/** The ceiling: plain-JS ring copy between two workers (ring of `ringBytes`). */
export async function ringCeiling({ ringBytes = 4 * MiB, total = 1024 * MiB } = {}) {
  const url = new URL('./ring-worker.js', import.meta.url);
  const sab = new SharedArrayBuffer(128 + ringBytes);
  const [a, b] = await Promise.all([startWorker(url), startWorker(url)]);
  const done = [a, b].map((w) => new Promise((res) => w.onMessage(res)));
  b.postMessage({ role: 'consumer', sab, ringBytes, total });
  a.postMessage({ role: 'producer', sab, ringBytes, total });
  const res = await Promise.all(done);
  await Promise.all([a.terminate(), b.terminate()]);
  const ms = Math.max(...res.map((r) => r.ms));
  return total / 1e6 / (ms / 1000);
}

/** Receive window per stream: 16 MiB in all, 256 KiB (the default) to 4 MiB per stream. */
export function windowFor(streams) {
  return Math.max(256 * 1024, Math.min(4 * MiB, (16 * MiB) / streams));
}

/**
 * One-way throughput over yamux between the workers, `streams` streams sharing `total` bytes,
 * measured after a warm-up transfer in the same pair (the JIT of the event worker is warm).
 * dir 'event->wasm': the event side writes, the C program discards (--mode sink);
 * dir 'wasm->event': the C program writes (--open --sink, once the warm-up stream it
 * accepted has finished) and times itself; the event side discards.
 */
export async function yamuxThroughput({ streams, total, dir, ringBytes = 4 * MiB, mtu = 256 * 1024, window = windowFor(streams), spin, eventSpinUs = globalThis.YAMUX_BENCH_SPIN }) {
  const bytes = Math.floor(total / streams);
  const wasmArgs = ['--mode', 'sink', '--window', String(window), '--frame-size', String(256 * 1024), '--keepalive', '0'];
  if (spin !== undefined) wasmArgs.push('--spin-us', String(spin));
  if (dir === 'wasm->event')
    wasmArgs.push('--open', String(streams), '--bytes', String(bytes), '--sink', '--open-after-accept', '--write-size', String(MiB));
  const config = { maxStreamWindow: window, maxFramePayload: 256 * 1024, enableKeepalive: 0 };
  const p = await startPair({ ringBytes, mtu, wasmArgs, attach: { config, accept: 'sink', spinUs: eventSpinUs } });
  try {
    await p.ev.call('transfer', { streams: 4, bytes: 16 * MiB, sink: true, verify: false }); // warm-up
    if (dir === 'event->wasm') {
      const r = await p.ev.call('transfer', { streams, bytes, sink: true, verify: false });
      return r.bytes / 1e6 / (r.ms / 1000);
    }
    const line = await p.line(/^elapsed /);
    const verified = await p.line(/^verified /);
    if (verified !== `verified ${streams} streams, 0 failed`) throw new Error(`wasm peer: ${verified} ${p.stderr.join(' | ')}`);
    return (streams * bytes) / 1e6 / Number(line.slice(8));
  } finally {
    await p.kill();
  }
}

/** The whole benchmark: rows of {streams, dir, mbps, ceiling}. */
export async function runBench({ counts = [1, 16, 256], total = 512 * MiB, onRow } = {}) {
  const ceiling = await ringCeiling({ total: 2 * total });
  const rows = [];
  for (const dir of ['event->wasm', 'wasm->event']) {
    for (const streams of counts) {
      const mbps = await yamuxThroughput({ streams, total, dir });
      const row = { streams, dir, mbps, ceiling };
      rows.push(row);
      onRow?.(row);
    }
  }
  return rows;
}

/** Markdown table of runBench() rows for environment `env`. */
export function benchTable(env, rows) {
  const out = [];
  for (const r of rows)
    out.push(`| ${env} | ${r.streams} | ${r.dir} | ${r.mbps.toFixed(0)} | ${r.ceiling.toFixed(0)} | ${(r.mbps / r.ceiling).toFixed(2)} | ${(r.mbps / PROTOTYPE_MBPS).toFixed(1)}x |`);
  return out.join('\n');
}
