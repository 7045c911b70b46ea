// The guest's clocks: monotonic (performance.now(), microsecond resolution in Node.js,
// coarser in browsers) and realtime (the time origin plus the monotonic clock), in
// milliseconds as doubles; written to the guest as unsigned 64-bit nanoseconds.

/** Monotonic time in milliseconds (the time base of poll_oneoff and the engine's timers). */
export const monotonicMs = () => performance.now();

/** Wall-clock time in milliseconds since the Unix epoch. */
const origin = performance.timeOrigin || Date.now() - performance.now();
export const realtimeMs = () => origin + performance.now();

/** Writes `ms` as u64 nanoseconds at `ptr` of DataView `dv` (no BigInt on the hot path). */
export function putNs(dv, ptr, ms) {
  const ns = Math.max(0, Math.round(ms * 1e6));
  const hi = Math.floor(ns / 4294967296);
  dv.setUint32(ptr, ns - hi * 4294967296, true);
  dv.setUint32(ptr + 4, hi, true);
}
