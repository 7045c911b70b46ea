// Types of channel.js.

/** The parts of WebAssembly.Memory a channel uses (typed here without the DOM library). */
export interface ChannelMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(delta: number): number;
}

/** The shared channel: post it to both workers (it is structured-cloneable). */
export interface Channel {
  /** The wasm worker's linear memory (a shared WebAssembly.Memory), holding the region; with
   * `shared: false`, the memory of the program in this thread (startWasmInThread). */
  memory: ChannelMemory;
  /** memory.buffer: what the event side attaches to (an ArrayBuffer with `shared: false`). */
  buffer: SharedArrayBuffer | ArrayBuffer;
  /** Byte offset of the shmq region in the buffer. */
  offset: number;
  /** Region size in bytes. */
  size: number;
  ringBytes: number;
  mtu: number;
  /** Claim and "gone" words per side, beside the region (see channel.js). */
  control: SharedArrayBuffer | ArrayBuffer;
  /** false: a channel for one thread (plain ArrayBuffers, JSPI). */
  shared: boolean;
}

export declare const SIDE_A: 0;
export declare const SIDE_B: 1;
/** Largest region the wasm worker's memory layout leaves room for. */
export declare const CHANNEL_MAX: number;

/** Creates the channel (ring data bytes per direction: a power of two; default 1 MiB, MTU 64 KiB).
 * `shared: false`: for the C program in this thread (startWasmInThread, JSPI), no
 * SharedArrayBuffer; its memory has a fixed size. */
export declare function createChannel(options?: { ringBytes?: number; mtu?: number; shared?: boolean }): Channel;

/** Marks `side` closed on behalf of its gone worker: the other side's streams fail, nothing hangs. */
export declare function markSideGone(channel: { buffer: SharedArrayBuffer | ArrayBuffer; offset: number; control?: SharedArrayBuffer | ArrayBuffer }, side: 0 | 1): boolean;
/** Claims `side` for one session or program; throws when it is (or was) in use. */
export declare function claimSide(channel: { buffer: SharedArrayBuffer | ArrayBuffer; offset: number; control?: SharedArrayBuffer | ArrayBuffer }, side: 0 | 1): void;
/** Whether `side` was marked gone by its supervisor. */
export declare function sideGone(channel: { control?: SharedArrayBuffer | ArrayBuffer }, side: 0 | 1): boolean;
