// wasi:random: random, insecure and insecure-seed, all from crypto.getRandomValues.

/** The largest request served at once; a guest asking for more gets an error, never a huge
 * allocation. */
export const RANDOM_MAX = 1 << 20;

function bytes(len) {
  if (typeof len !== 'bigint' || len < 0n) throw new TypeError('wasi:random: length is not a u64');
  if (len > BigInt(RANDOM_MAX)) throw new RangeError(`wasi:random: ${len} bytes asked, at most ${RANDOM_MAX} at once`);
  const out = new Uint8Array(Number(len));
  // getRandomValues fills at most 64 KiB at a time.
  for (let off = 0; off < out.length; off += 65536) crypto.getRandomValues(out.subarray(off, off + 65536));
  return out;
}

function u64() {
  const w = crypto.getRandomValues(new BigUint64Array(1));
  return w[0];
}

/** The wasi:random interfaces. */
export function randomImports() {
  return {
    'wasi:random/random': { getRandomBytes: bytes, getRandomU64: u64 },
    'wasi:random/insecure': { getInsecureRandomBytes: bytes, getInsecureRandomU64: u64 },
    'wasi:random/insecure-seed': { insecureSeed: () => [u64(), u64()] },
  };
}
