// Types of channel.js.

/** The shared channel: post it to both workers (it is structured-cloneable). */
export interface Channel {
  /** The wasm worker's linear memory (shared), holding the region. */
  memory: WebAssembly.Memory;
  /** memory.buffer: what the event side attaches to. */
  buffer: SharedArrayBuffer;
  /** Byte offset of the shmq region in the buffer. */
  offset: number;
  /** Region size in bytes. */
  size: number;
  ringBytes: number;
  mtu: number;
}

export const SIDE_A: 0;
export const SIDE_B: 1;
/** Largest region the wasm worker's memory layout leaves room for. */
export const CHANNEL_MAX: number;

/** Creates the channel (ring data bytes per direction: a power of two; default 1 MiB, MTU 64 KiB). */
export function createChannel(options?: { ringBytes?: number; mtu?: number }): Channel;

/** Marks `side` closed on behalf of its gone worker: the other side's streams fail, nothing hangs. */
export function markSideGone(channel: { buffer: SharedArrayBuffer; offset: number }, side: 0 | 1): boolean;
