// The shared channel between an event worker and a wasm worker: a shared WebAssembly.Memory
// that becomes the wasm worker's linear memory, with the shmq region (docs/shmq.md)
// formatted at CHANNEL_OFFSET, below the C program's data. The event side attaches to the
// same bytes through memory.buffer (a SharedArrayBuffer). The object is structured-
// cloneable: post it to both workers.
import { CHANNEL_OFFSET, CHANNEL_MAX, INITIAL_PAGES, MAXIMUM_PAGES } from '../../dist/layout.js';
import { format, regionSize, markClosed, SIDE_A, SIDE_B } from './shmq.js';

export { SIDE_A, SIDE_B, CHANNEL_MAX };

/**
 * Creates the channel: a shared Memory laid out for the wasm worker, the region formatted.
 * @param {{ringBytes?: number, mtu?: number}} [options] ring data bytes per direction (a
 *   power of two, default 1 MiB, at most 16 MiB) and the largest packet (default 64 KiB)
 * @returns {import('./channel.d.ts').Channel}
 */
export function createChannel({ ringBytes = 1 << 20, mtu = 65536 } = {}) {
  const size = regionSize(ringBytes, mtu);
  if (!size) throw new RangeError(`yamux channel: bad ring size ${ringBytes} or MTU ${mtu}`);
  if (size > CHANNEL_MAX) throw new RangeError(`yamux channel: rings of ${ringBytes} bytes do not fit (${CHANNEL_MAX} bytes at most)`);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  format(memory.buffer, CHANNEL_OFFSET, ringBytes, mtu);
  return { memory, buffer: memory.buffer, offset: CHANNEL_OFFSET, size, ringBytes, mtu };
}

/**
 * Marks `side` of the channel closed on behalf of its worker, which is gone (terminated or
 * crashed): the other side receives what was sent, then sees the channel closed, and its
 * streams fail instead of waiting forever. Harmless when the side already closed.
 * @param {{buffer: SharedArrayBuffer, offset: number}} channel
 * @param {number} side SIDE_A or SIDE_B
 * @returns {boolean} whether it was marked now
 */
export function markSideGone(channel, side) {
  return markClosed(channel.buffer, channel.offset, side);
}
