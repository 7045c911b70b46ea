// The demo's scenario, the same in Node.js (scripts/demo) and in the page (web/demo/): pings,
// then streams opened by both sides at once, every byte echoed back and verified, with live
// figures sampled from the event worker; then the same streams one way (sink, as
// bench/bench_web.mjs measures), so that both figures are shown side by side.
//
// Why they differ (profiled: node --cpu-prof on scripts/demo): the event worker is the
// bottleneck (about 7% idle) while the C program waits 90% of its time. Echoing both ways, the
// event worker copies every payload byte four times (into its engine, engine to ring, ring to
// engine, engine to the reader) and verifies it, and the channel carries it twice; one way it
// copies it twice and verifies nothing. The echo's time went to verification (15%), the ring
// copies (17%), the stream copies (15%), waking the sleeping peer (Atomics.notify, 11%) and GC.
import { startPair } from './pair.js';
import { yamuxThroughput } from './bench.js';

const MiB = 1 << 20;

/**
 * @param {object} o
 * @param {number} [o.streams] streams each side opens
 * @param {number} [o.bytes] bytes per stream
 * @param {number} [o.pings]
 * @param {(live: {bytes: number, mbps: number, rttMs: number, streams: number}) => void} [o.onLive]
 * @returns {Promise<{rows: object[], total: object}>}
 */
export async function runDemo({ streams = 32, bytes = 8 * MiB, pings = 200, onLive, oneWay = true } = {}) {
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
    let last = null, sampling = false;
    const sample = async () => {
      if (sampling) return; // one at a time: the event worker answers between its tasks
      sampling = true;
      try {
        const s = await p.ev.call('stats');
        const now = performance.now(), moved = s.bytes.in + s.bytes.out;
        const mbps = last ? (moved - last.bytes) / 1e6 / ((now - last.t) / 1000) : 0;
        last = { t: now, bytes: moved };
        onLive?.({ bytes: moved, mbps, rttMs: s.rttMs, streams: s.numStreams });
      } finally {
        sampling = false;
      }
    };
    const { rtts } = await p.ev.call('ping', { count: pings });
    rtts.sort((a, b) => a - b);
    const rttMs = rtts[Math.floor(rtts.length / 2)];
    await p.linesMatching(/^ping \d+$/, pings); // the wasm side starts opening now
    const tStart = performance.now();
    if (onLive) {
      await sample(); // the chart's first point: the start of the transfer
      timer = setInterval(() => sample().catch(() => {}), 100);
    }
    const wasmDone = p.line(/^verified /).then((line) => ({ line, ms: performance.now() - tStart }));
    const ev = await p.ev.call('transfer', { streams, bytes });
    const w = await wasmDone;
    const acc = await p.ev.call('accepted', { count: streams });
    const totalMs = performance.now() - tStart;
    const wasmOk = w.line === `verified ${streams} streams, 0 failed` && acc.failed === 0;
    if (!wasmOk) throw new Error(`wasm-opened streams failed: ${w.line} ${JSON.stringify(acc.errors.slice(0, 3))}`);
    const rows = [
      { what: 'event -> wasm, echoed and verified', streams, bytes: ev.bytes, mbps: ev.bytes / 1e6 / (ev.ms / 1000), rttMs },
      { what: 'wasm -> event, echoed and verified', streams, bytes: streams * bytes, mbps: (streams * bytes) / 1e6 / (w.ms / 1000), rttMs },
    ];
    const total = { what: 'both at once, echoed and verified', streams: 2 * streams, bytes: 2 * streams * bytes, mbps: (2 * streams * bytes) / 1e6 / (totalMs / 1000), rttMs, verified: true };
    clearInterval(timer);
    if (onLive) await sample();
    const code = await p.close();
    if (code !== 0) throw new Error(`the wasm program exited with ${code}: ${p.stderr.join(' | ')}`);
    const oneWayRows = [];
    if (oneWay) {
      // The bench's method (bench.js): a fresh pair, a warm-up, one direction, the peer discards.
      for (const dir of ['event->wasm', 'wasm->event']) {
        const mbps = await yamuxThroughput({ streams, total: streams * bytes, dir });
        oneWayRows.push({ what: `${dir.replace('->', ' -> ')}, one way (not verified)`, streams, bytes: streams * bytes, mbps, rttMs: null });
        onLive?.({ bytes: 0, mbps, rttMs: 0, streams, phase: dir });
      }
    }
    return { rows, total, oneWay: oneWayRows };
  } finally {
    clearInterval(timer);
    await p.kill().catch(() => {});
  }
}

/** The figures as a markdown table: payload MB/s, each payload byte counted once (echoed, the
 * channel carries it twice). */
export function formatTable({ rows, total, oneWay = [] }) {
  const fmt = (r) => `| ${r.what} | ${r.streams} | ${(r.bytes / MiB).toFixed(0)} MiB | ${r.mbps.toFixed(0)} | ${r.rttMs ? `${(r.rttMs * 1000).toFixed(0)} us` : ''} |`;
  return ['| run | streams | payload | payload MB/s | ping round trip |', '| --- | --- | --- | --- | --- |',
    ...rows.map(fmt), fmt(total), ...oneWay.map(fmt)].join('\n');
}

/** The sentence under the table: why the echo's figure is below the one-way figure. */
export const WHY = 'Echoed both ways, the event worker (one JavaScript thread, the bottleneck: the C program waits ~90% of ' +
  'its time) copies each payload byte four times and verifies it, and the channel carries it twice; one way it copies ' +
  'it twice and verifies nothing, as bench/bench_web.mjs measures.';
