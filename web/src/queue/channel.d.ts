// Types of channel.js.

/** The parts of WebAssembly.Memory a channel uses (typed here without the DOM library). */
export interface ChannelMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(delta: number): number;
}

/** The shared channel: post it to both workers (it is structured-cloneable). */
export interface Channel {
  /** The wasm worker's linear memory (a shared WebAssembly.Memory), holding the region. */
  memory: ChannelMemory;
  /** memory.buffer: what the event side attaches to. */
  buffer: SharedArrayBuffer;
  /** Byte offset of the shmq region in the buffer. */
  offset: number;
  /** Region size in bytes. */
  size: number;
  ringBytes: number;
  mtu: number;
  /** Claim and "gone" words per side, beside the region (see channel.js). */
  control: SharedArrayBuffer;
}

export declare const SIDE_A: 0;
export declare const SIDE_B: 1;
/** Largest region the wasm worker's memory layout leaves room for. */
export declare const CHANNEL_MAX: number;

/** Creates the channel (ring data bytes per direction: a power of two; default 1 MiB, MTU 64 KiB). */
export declare function createChannel(options?: { ringBytes?: number; mtu?: number }): Channel;

/** Marks `side` closed on behalf of its gone worker: the other side's streams fail, nothing hangs. */
export declare function markSideGone(channel: { buffer: SharedArrayBuffer; offset: number; control?: SharedArrayBuffer }, side: 0 | 1): boolean;
/** Claims `side` for one session or program; throws when it is (or was) in use. */
export declare function claimSide(channel: { buffer: SharedArrayBuffer; offset: number; control?: SharedArrayBuffer }, side: 0 | 1): void;
/** Whether `side` was marked gone by its supervisor. */
export declare function sideGone(channel: { control?: SharedArrayBuffer }, side: 0 | 1): boolean;
