// The ceiling of the benchmark: a plain-JavaScript SPSC byte ring in a SharedArrayBuffer
// between two workers (no yamux, no records): the producer copies 64 KiB chunks in, the
// consumer copies them out; each waits with Atomics.wait only when the ring is full/empty.
import { parentPort } from '../src/workers/supervise.js';

const HEAD = 0, TAIL = 16; // Int32 indices on separate cache lines

const port = await parentPort();
port.onMessage(({ role, sab, ringBytes, total, chunk = 65536 }) => {
  const ctl = new Int32Array(sab, 0, 32);
  const ring = new Uint8Array(sab, 128, ringBytes);
  const buf = new Uint8Array(chunk).fill(7);
  const t0 = performance.now();
  let moved = 0;
  if (role === 'producer') {
    let tail = 0;
    while (moved < total) {
      const head = Atomics.load(ctl, HEAD);
      if (tail - head + chunk > ringBytes) {
        Atomics.wait(ctl, HEAD, head, 100);
        continue;
      }
      ring.set(buf, tail % ringBytes);
      tail += chunk;
      moved += chunk;
      Atomics.store(ctl, TAIL, tail);
      Atomics.notify(ctl, TAIL);
    }
  } else {
    let head = 0;
    while (moved < total) {
      const tail = Atomics.load(ctl, TAIL);
      if (tail === head) {
        Atomics.wait(ctl, TAIL, tail, 100);
        continue;
      }
      buf.set(ring.subarray(head % ringBytes, (head % ringBytes) + chunk));
      head += chunk;
      moved += chunk;
      Atomics.store(ctl, HEAD, head);
      Atomics.notify(ctl, HEAD);
    }
  }
  port.postMessage({ role, ms: performance.now() - t0, moved });
});
