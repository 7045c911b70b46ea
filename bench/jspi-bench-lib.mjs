// The cells of bench/bench_jspi.mjs, run in a Chromium page (bench/bench_jspi.html): an
// unmodified Go program (web/go/cmd/wasi-guest, GOOS=wasip1) started with startWasi(), the
// page's main thread its event side (the web package's Session), with one of the two
// backends of the WASI host:
//   atomics  the program in a wasm worker blocking in Atomics.wait (a cross-origin isolated
//            page: SharedArrayBuffer);
//   jspi     the program on the page's main thread beside the event side, suspending in
//            poll_oneoff (WebAssembly.Suspending/promising; no SharedArrayBuffer needed).
// A throughput cell moves `mib` MiB one way in 64 KiB writes on `streams` streams; the
// sender's clock times it from the first open to the receiver's half-close back. A ping cell
// times `count` session.ping() round trips in a row from the event side while the program
// waits.
import { startWasi, loadProgram } from '../web/src/host/start.js';

const MiB = 1 << 20;
const GUEST = new URL('../web/go/bin/wasi-guest.wasm', import.meta.url);
let guest;
const program = () => (guest ??= loadProgram(GUEST));

function lines() {
  const dec = new TextDecoder();
  let text = '';
  const sink = (b) => (text += dec.decode(b, { stream: true }));
  sink.lines = () => text.split('\n').filter(Boolean);
  return sink;
}

async function start(backend, args) {
  const out = lines(), err = lines();
  const proc = await startWasi(await program(), { backend, name: 'wasi-guest', args, stdout: out, stderr: err });
  if (proc.backend !== backend) throw new Error(`asked for ${backend}, got ${proc.backend}`);
  return { proc, out, err };
}

/** Reads a stream to its end with a BYOB reader into one reused buffer; returns the count. */
async function drain(s) {
  const reader = s.readable.getReader({ mode: 'byob' });
  let buf = new ArrayBuffer(256 << 10), n = 0;
  for (;;) {
    const { value, done } = await reader.read(new Uint8Array(buf));
    if (done) return n;
    n += value.length;
    buf = value.buffer;
  }
}

async function ended(p) {
  const code = await p.proc.exited;
  if (code !== 0) throw new Error(`wasi-guest exit ${code}: ${p.err.lines().slice(-3).join(' | ')}`);
}

/** One one-way transfer: 'out' (the program sends) or 'in' (the event side sends); MiB/s. */
export async function throughput(backend, dir, streams, mib) {
  const bytes = Math.floor((mib * MiB) / streams);
  if (dir === 'out') {
    const p = await start(backend, ['source', String(streams), String(bytes)]);
    let got = 0;
    const reading = [];
    for (let i = 0; i < streams; i++) {
      const s = await p.proc.session.accept();
      reading.push(drain(s).then(async (n) => {
        got += n;
        await s.close();
      }));
    }
    await Promise.all(reading);
    await ended(p);
    if (got !== bytes * streams) throw new Error(`received ${got} bytes, want ${bytes * streams}`);
    const l = p.out.lines().find((x) => x.startsWith('stats '));
    const st = JSON.parse(l.slice(6));
    return st.bytes_sent / MiB / st.seconds;
  }
  const p = await start(backend, ['sink']);
  const chunk = new Uint8Array(64 << 10).fill(7);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: streams }, async () => {
    const s = await p.proc.session.open();
    const w = s.writable.getWriter();
    for (let off = 0; off < bytes; off += chunk.length) await w.write(chunk.subarray(0, Math.min(chunk.length, bytes - off)));
    await w.close();
    await drain(s); // the program half-closes once it read everything
  }));
  const t1 = performance.now();
  await p.proc.session.close();
  await ended(p);
  return (bytes * streams) / MiB / ((t1 - t0) / 1000);
}

/** `count` pings one after the other from the event side while the program waits in
 * poll_oneoff: the mean round trip in microseconds (the batch is timed as a whole: a page
 * that is not cross-origin isolated sees performance.now() in steps of 100 us). */
export async function ping(backend, count) {
  const p = await start(backend, ['sink']);
  for (let i = 0; i < 20; i++) await p.proc.session.ping(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await p.proc.session.ping();
  const us = ((performance.now() - t0) * 1000) / count;
  await p.proc.session.close();
  await ended(p);
  return us;
}
