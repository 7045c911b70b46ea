// The demo's scenario, the same in Node.js (scripts/demo) and in the page (web/demo/): pings,
// then streams opened by both sides at once, every byte echoed back and verified, with live
// figures sampled from the event worker.
import { startPair } from './pair.js';

const MiB = 1 << 20;

/**
 * @param {object} o
 * @param {number} [o.streams] streams each side opens
 * @param {number} [o.bytes] bytes per stream
 * @param {number} [o.pings]
 * @param {(live: {bytes: number, mbps: number, rttMs: number, streams: number}) => void} [o.onLive]
 * @returns {Promise<{rows: object[], total: object}>}
 */
export async function runDemo({ streams = 32, bytes = 8 * MiB, pings = 200, onLive } = {}) {
  // The wasm program reads `--open 0` as "open nothing": it would never report, so refuse here.
  for (const [k, v] of [['streams', streams], ['bytes', bytes], ['pings', pings]])
    if (!Number.isSafeInteger(v) || v < (k === 'pings' ? 0 : 1)) throw new RangeError(`demo: ${k} must be a whole number${k === 'pings' ? '' : ' of at least 1'}, got ${v}`);
  const p = await startPair({
    ringBytes: 4 * MiB,
    mtu: 256 * 1024,
    // The wasm side pings first (its round trips), then opens its streams.
    wasmArgs: ['--ping', String(pings), '--open', String(streams), '--bytes', String(bytes), '--write-size', String(MiB),
      '--window', String(MiB), '--frame-size', String(256 * 1024)],
    attach: { config: { maxStreamWindow: MiB, maxFramePayload: 256 * 1024 } },
  });
  let timer;
  try {
    const t0 = performance.now();
    let last = { t: t0, bytes: 0 };
    const sample = async () => {
      const s = await p.ev.call('stats');
      const now = performance.now(), moved = s.bytes.in + s.bytes.out;
      const live = { bytes: moved, mbps: (moved - last.bytes) / 1e6 / ((now - last.t) / 1000), rttMs: s.rttMs, streams: s.numStreams };
      last = { t: now, bytes: moved };
      onLive?.(live);
    };
    if (onLive) timer = setInterval(() => sample().catch(() => {}), 200);
    const { rtts } = await p.ev.call('ping', { count: pings });
    rtts.sort((a, b) => a - b);
    const rttMs = rtts[Math.floor(rtts.length / 2)];
    await p.linesMatching(/^ping \d+$/, pings); // the wasm side starts opening now
    const tStart = performance.now();
    const wasmDone = p.line(/^verified /).then((line) => ({ line, ms: performance.now() - tStart }));
    const ev = await p.ev.call('transfer', { streams, bytes });
    const w = await wasmDone;
    const acc = await p.ev.call('accepted', { count: streams });
    const totalMs = performance.now() - tStart;
    const wasmOk = w.line === `verified ${streams} streams, 0 failed` && acc.failed === 0;
    if (!wasmOk) throw new Error(`wasm-opened streams failed: ${w.line} ${JSON.stringify(acc.errors.slice(0, 3))}`);
    const rows = [
      { what: 'event -> wasm, echoed', streams, bytes: ev.bytes, mbps: ev.bytes / 1e6 / (ev.ms / 1000), rttMs },
      { what: 'wasm -> event, echoed', streams, bytes: streams * bytes, mbps: (streams * bytes) / 1e6 / (w.ms / 1000), rttMs },
    ];
    const total = { what: 'both at once', streams: 2 * streams, bytes: 2 * streams * bytes, mbps: (2 * streams * bytes) / 1e6 / (totalMs / 1000), rttMs, verified: true };
    if (onLive) await sample();
    clearInterval(timer);
    const code = await p.close();
    if (code !== 0) throw new Error(`the wasm program exited with ${code}: ${p.stderr.join(' | ')}`);
    return { rows, total };
  } finally {
    clearInterval(timer);
    await p.kill().catch(() => {});
  }
}

/** The figures as a markdown table (payload bytes each way; echo doubles the channel bytes). */
export function formatTable({ rows, total }) {
  const fmt = (r) => `| ${r.what} | ${r.streams} | ${(r.bytes / MiB).toFixed(0)} MiB | ${r.mbps.toFixed(0)} | ${(r.rttMs * 1000).toFixed(0)} us |`;
  return ['| direction | streams | bytes (verified) | MB/s | ping round trip |', '| --- | --- | --- | --- | --- |', ...rows.map(fmt), fmt(total)].join('\n');
}
