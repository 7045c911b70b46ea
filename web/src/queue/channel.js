// The shared channel between an event worker and a wasm worker: a shared WebAssembly.Memory
// that becomes the wasm worker's linear memory, with the shmq region (docs/shmq.md)
// formatted at CHANNEL_OFFSET, below the C program's data. The event side attaches to the
// same bytes through memory.buffer (a SharedArrayBuffer). The object is structured-
// cloneable: post it to both workers.
//
// Beside the region, a small shared `control` buffer (not part of the shmq layout) holds one
// claim word and one "gone" word per side: a side serves one session (claimSide), and a
// supervisor that marks a dead worker's side closed also says that it died (markSideGone),
// so the other side can tell a dead peer from one that closed.
import { CHANNEL_OFFSET, CHANNEL_MAX, INITIAL_PAGES, MAXIMUM_PAGES } from '../../dist/layout.js';
import { format, regionSize, markClosed, SIDE_A, SIDE_B } from './shmq.js';
import { doorbellOf } from './doorbell.js';

export { SIDE_A, SIDE_B, CHANNEL_MAX };

const W_CLAIM = 0, W_GONE = 2; // control words: claim[side], gone[side]
const sideName = (side) => (side === SIDE_A ? 'A' : 'B');

/**
 * Creates the channel: a shared Memory laid out for the wasm worker, the region formatted.
 * With `shared: false`, the memory of the C program's JSPI build instead (startWasmInThread:
 * the program and the event side in one thread, no SharedArrayBuffer): not shared, and of a
 * fixed size (it never grows, so that the event side's views stay valid).
 * @param {{ringBytes?: number, mtu?: number, shared?: boolean}} [options] ring data bytes per
 *   direction (a power of two, default 1 MiB, at most 16 MiB) and the largest packet (default
 *   64 KiB)
 * @returns {import('./channel.d.ts').Channel}
 */
export function createChannel(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('yamux: createChannel(options): options must be an object');
  const { ringBytes = 1 << 20, mtu = 65536, shared = true } = options;
  if (shared && typeof SharedArrayBuffer === 'undefined')
    throw new TypeError('yamux: SharedArrayBuffer is not available: a page must be cross-origin isolated (COOP/COEP headers), ' +
      'or give createChannel({shared: false}) for the program in this thread (JSPI)');
  const size = regionSize(ringBytes, mtu);
  if (!size)
    throw new RangeError(`yamux: createChannel: ringBytes must be a power of two from 256 and mtu at most ringBytes/2 - 8, got ringBytes ${ringBytes}, mtu ${mtu}`);
  if (size > CHANNEL_MAX) throw new RangeError(`yamux: createChannel: rings of ${ringBytes} bytes do not fit (${CHANNEL_MAX} bytes at most)`);
  const memory = shared
    ? new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: INITIAL_PAGES });
  format(memory.buffer, CHANNEL_OFFSET, ringBytes, mtu);
  const control = shared ? new SharedArrayBuffer(16) : new ArrayBuffer(16);
  return { memory, buffer: memory.buffer, offset: CHANNEL_OFFSET, size, ringBytes, mtu, control, shared };
}

/**
 * A channel in a plain SharedArrayBuffer, region at offset 0, for a wasm worker that does not
 * keep the region inside its own memory (the WASI hosts); same control words as createChannel.
 * With `shared: false` the buffers are plain ArrayBuffers, for two sides in one thread (the
 * JSPI backend): they wait and wake through a same-thread doorbell (doorbell.js).
 * @param {{ringBytes?: number, mtu?: number, shared?: boolean}} [options]
 */
export function createBufferChannel({ ringBytes = 1 << 20, mtu = 65536, shared = true } = {}) {
  const size = regionSize(ringBytes, mtu);
  if (!size)
    throw new RangeError(`yamux: ringBytes must be a power of two from 256 and mtu at most ringBytes/2 - 8, got ringBytes ${ringBytes}, mtu ${mtu}`);
  const Buf = shared ? SharedArrayBuffer : ArrayBuffer;
  const buffer = new Buf(size);
  format(buffer, 0, ringBytes, mtu);
  return { buffer, offset: 0, size, ringBytes, mtu, control: new Buf(16), shared };
}

function controlWords(channel) {
  const c = channel?.control;
  const ok = c instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && c instanceof SharedArrayBuffer);
  return ok ? new Int32Array(c, 0, 4) : null;
}

function checkSide(side) {
  if (side !== SIDE_A && side !== SIDE_B) throw new RangeError(`yamux: side must be SIDE_A (0) or SIDE_B (1), got ${String(side)}`);
}

/** The state word of `side` (docs/shmq.md 2.2: generation << 1 | closed). */
function sideState(channel, side) {
  return Atomics.load(new Int32Array(channel.buffer, channel.offset + 0x40 + 0x40 * side, 1), 0) >>> 0;
}

/** Whether `side` of the region has ever attached (its generation is not 0). */
function attachedBefore(channel, side) {
  return sideState(channel, side) >>> 1 !== 0;
}

/**
 * Claims `side` of the channel for one session or program; throws when the side is in use
 * or was used (a side serves one session: start again on a new channel).
 * @param {{buffer: SharedArrayBuffer, offset: number, control?: SharedArrayBuffer}} channel
 * @param {number} side
 */
export function claimSide(channel, side) {
  checkSide(side);
  if (!Number.isInteger(channel.offset) || channel.offset < 0 || channel.offset % 8 || channel.offset + 1024 > channel.buffer.byteLength)
    throw new RangeError(`yamux: the channel's offset ${channel.offset} leaves no room for a region header in a buffer of ${channel.buffer.byteLength} bytes`);
  const c = controlWords(channel);
  const taken = c ? Atomics.compareExchange(c, W_CLAIM + side, 0, 1) !== 0 : false;
  if (taken || attachedBefore(channel, side))
    throw new Error(`yamux: side ${sideName(side)} of this channel is already in use (attached by another session or program); ` +
      'a side serves one session: create a new channel to start again');
}

/** Gives back a claim whose attach failed (nothing attached). */
export function releaseSide(channel, side) {
  const c = controlWords(channel);
  if (c && !attachedBefore(channel, side)) Atomics.store(c, W_CLAIM + side, 0);
}

/** Whether `side` was marked gone by its supervisor (its worker died, or its in-thread program ended). */
export function sideGone(channel, side) {
  const c = controlWords(channel);
  return !!c && Atomics.load(c, W_GONE + side) !== 0;
}

/**
 * Marks `side` of the channel closed on behalf of its worker, which is gone (terminated or
 * crashed): the other side receives what was sent, then sees the channel closed, and its
 * streams fail (YamuxTransportError, cause YAMUX_EPEERDEAD) instead of waiting forever.
 * Harmless when the side already closed.
 * @param {{buffer: SharedArrayBuffer, offset: number, control?: SharedArrayBuffer}} channel
 * @param {number} side SIDE_A or SIDE_B
 * @returns {boolean} whether it was marked now
 */
export function markSideGone(channel, side) {
  checkSide(side);
  const st = sideState(channel, side);
  if (st & 1) return false; // it closed its side itself
  const c = controlWords(channel);
  if (c) Atomics.store(c, W_GONE + side, 1); // before the closed bit the peer acts on
  if (st >>> 1 === 0) {
    // It died before attaching: mark the side as attached once and closed (generation 1),
    // or the other side would wait for it forever.
    const w = new Int32Array(channel.buffer, channel.offset, 0x140 / 4);
    const ctrl = (0x40 + 0x40 * side) / 4, peerBell = (0xc0 + 0x40 * (1 - side)) / 4; // docs/shmq.md 2.2, 2.3
    if (Atomics.compareExchange(w, ctrl, 0, (1 << 1) | 1) === 0) {
      if (Atomics.exchange(w, peerBell, 0) !== 0) doorbellOf(channel.buffer).notify(w, peerBell);
      return true;
    }
  }
  return markClosed(channel.buffer, channel.offset, side);
}
