// Workloads over the package's streams, shared by the demo, the tests and the benchmark:
// deterministic payloads (interop/PEER_CLI.md: byte k of stream S is (k*31 + S*7 + (k>>8))
// & 0xFF), writing them, reading and verifying them.
const PERIOD = 65536;
/** Largest chunk patternAt() returns. */
export const MAX_CHUNK = 1 << 20;
const table = new Uint8Array(PERIOD + MAX_CHUNK);
for (let k = 0; k < table.length; k++) table[k] = (k * 31 + (k >> 8)) & 0xff;

/** A view of `n` (<= MAX_CHUNK) payload bytes of stream `id` from offset `off`. */
export function patternAt(id, off, n) {
  const start = (off + 256 * ((id * 7) & 0xff)) % PERIOD;
  return table.subarray(start, start + n);
}

// The table again at each byte shift, 4-byte aligned, to compare 32-bit words.
const shifted = [0, 1, 2, 3].map((s) => new Uint32Array(table.slice(s, s + PERIOD + MAX_CHUNK - 4).buffer));

/** Whether `chunk` holds the payload of stream `id` at offset `off`. */
export function patternCheck(chunk, id, off) {
  for (let done = 0; done < chunk.length;) {
    const n = Math.min(MAX_CHUNK - 4, chunk.length - done);
    const start = (off + done + 256 * ((id * 7) & 0xff)) % PERIOD;
    let i = 0;
    if ((chunk.byteOffset + done) % 4 === 0) {
      const words = n >> 2;
      const got = new Uint32Array(chunk.buffer, chunk.byteOffset + done, words);
      const want = shifted[start & 3];
      for (let w = 0, q = start >> 2; w < words; w++, q++) if (got[w] !== want[q]) return false;
      i = words << 2;
    }
    for (; i < n; i++) if (chunk[done + i] !== table[start + i]) return false;
    done += n;
  }
  return true;
}

/** splitmix64 sizes (PEER_CLI.md --random-sizes): `count` sizes in [0, max]. */
export function randomSizes(seed, count, max) {
  let s = BigInt.asUintN(64, BigInt(seed));
  const out = [];
  for (let i = 0; i < count; i++) {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z ^= z >> 31n;
    out.push(Number(z % BigInt(max + 1)));
  }
  return out;
}

/** Writes `total` payload bytes of stream `id` in writes of `writeSize`, then half-closes. */
export async function writePattern(stream, total, writeSize = 1 << 20, onBytes) {
  const w = stream.writable.getWriter();
  const size = Math.min(writeSize, MAX_CHUNK);
  for (let off = 0; off < total;) {
    const n = Math.min(size, total - off);
    await w.ready;
    w.write(patternAt(stream.id, off, n)).catch(() => {});
    off += n;
    onBytes?.(n);
  }
  await w.close();
}

/** Reads the stream to its end, verifying the payload of stream `id`; returns the count.
 * Throws when the data does not verify. `delayMs`: a slow reader, waiting before each read.
 * Reads with a BYOB reader into one reused buffer (no allocation per chunk). */
export async function readVerify(stream, id, { verify = true, delayMs = 0, onChunk, bufSize = 1 << 20 } = {}) {
  const r = stream.readable.getReader({ mode: 'byob' });
  let buf = new Uint8Array(bufSize);
  let got = 0;
  for (;;) {
    if (delayMs) await new Promise((res) => setTimeout(res, delayMs));
    const { value, done } = await r.read(buf);
    if (done) return got;
    if (verify && !patternCheck(value, id, got))
      throw new Error(`stream ${id}: data does not verify at byte ${got}`);
    got += value.length;
    buf = new Uint8Array(value.buffer); // the same memory, handed back
    onChunk?.(value.length);
  }
}

/** Echoes a stream: everything read is written back; half-closes after the peer did. */
export async function echo(stream, onBytes) {
  const r = stream.readable.getReader({ mode: 'byob' });
  const w = stream.writable.getWriter();
  let buf = new Uint8Array(1 << 20);
  for (;;) {
    const { value, done } = await r.read(buf);
    if (done) break;
    await w.write(value); // resolved once the engine queued (copied) it: buf is free again
    onBytes?.(value.length);
    buf = new Uint8Array(value.buffer);
  }
  await w.close();
}
