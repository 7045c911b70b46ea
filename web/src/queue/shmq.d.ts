// Types of shmq.js: the shared-memory packet queue of docs/shmq.md (layout version 1).

export const SIDE_A: 0;
export const SIDE_B: 1;
export const READABLE: 1;
export const WRITABLE: 2;
export const MORE: 1;

/** Error codes: values of the C enum yamux_error (one error space, include/yamux/error.h). */
export const OK: 0;
export const EAGAIN: -1;
export const EINVAL: -2;
export const ECLOSED: -5;
export const ETIMEOUT: -10;
export const EMSGSIZE: -11;
export const EPEERDEAD: -60;
export const EPEERRESET: -61;
export const ECORRUPT: -62;
export const EBADMAGIC: -63;
export const EVERSION: -64;

export const MAGIC: number;
export const VERSION: 1;
export const DATA_OFFSET: 1024;
export const RING_MIN: 256;
export const RING_MAX: number;

/** The sentence for an error code (as yamux_strerror()). */
export function strerror(code: number): string;
/** The C enumerator's name for an error code ("YAMUX_ECORRUPT"). */
export function errname(code: number): string;

/** An shmq failure with one of the negative error codes. */
export class ShmqError extends Error {
  constructor(code: number, detail?: string);
  readonly name: 'ShmqError';
  readonly code: number;
  readonly codeName: string;
}

/** Bytes a region needs for two rings of `ringBytes` carrying packets up to `mtu`; 0 if invalid. */
export function regionSize(ringBytes: number, mtu: number): number;
/** Formats an empty region at `offset` of `buf`; returns its size. Throws ShmqError(EINVAL). */
export function format(buf: SharedArrayBuffer | ArrayBuffer, offset: number, ringBytes: number, mtu: number): number;
/** Reads and validates a region's header without attaching. */
export function readHeader(buf: SharedArrayBuffer | ArrayBuffer, offset: number): { ringBytes: number; mtu: number; totalSize: number };
/** Marks `side` closed on behalf of its dead worker and wakes the other side. */
export function markClosed(buf: SharedArrayBuffer | ArrayBuffer, offset: number, side: 0 | 1): boolean;

export interface ShmqOptions {
  /** Published: the peer may declare this side dead after this long without progress (0: never). */
  hbTimeoutMs?: number;
  /** Waits wake at least this often to check the peer (default 1000; shorter for heartbeats). */
  checkIntervalMs?: number;
  /** wait(): spin this long before sleeping (default 5). */
  spinUs?: number;
}

/** The queue's waiting primitive (doorbell.js): Atomics for a SharedArrayBuffer, a
 * same-thread doorbell for a plain ArrayBuffer (both sides in one event loop: JSPI). */
export interface Doorbell {
  /** Whether wait() may block (false for a same-thread doorbell). */
  readonly canBlock: boolean;
  wait(i32: Int32Array, index: number, value: number, timeoutMs?: number): 'ok' | 'not-equal' | 'timed-out';
  waitAsync(i32: Int32Array, index: number, value: number, timeoutMs?: number):
    { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
  notify(i32: Int32Array, index: number): number;
}

/** Where to wait after arm(): bell.wait[Async](i32, index, value, timeoutMs). */
export interface Armed {
  /** Events ready now (> 0: not armed, go on), or 0 (armed: wait). */
  ready: number;
  i32?: Int32Array;
  index?: number;
  value?: number;
  timeoutMs?: number;
}

/** One side of an shmq region; belongs to one worker at a time. */
export class Shmq {
  /** Attaches `side` of the formatted region at `offset` of `buf`. Throws ShmqError. */
  static attach(buf: SharedArrayBuffer | ArrayBuffer, offset: number, side: 0 | 1, options?: ShmqOptions): Shmq;
  readonly side: 0 | 1;
  readonly ringBytes: number;
  readonly mtu: number;
  /** Byte view of the whole region (offsets of reserveOffset()/peekOffset() index it). */
  readonly u8: Uint8Array;
  /** Int32 view of the whole region. */
  readonly i32: Int32Array;
  /** How this side waits and wakes its peer: Atomics (SharedArrayBuffer) or same-thread. */
  readonly bell: Doorbell;
  /** Length of the packet last returned by peekOffset(). */
  readonly rxLen: number;
  /** Sticky error (ECORRUPT, EPEERRESET) or 0. */
  readonly error: number;
  /** 0 while the peer lives; ECLOSED or EPEERDEAD once it is gone. */
  readonly peerStatus: number;

  /** Publishes pending records, marks this side closed, wakes the peer. Idempotent. */
  close(): void;
  /** Bumps this side's heartbeat word. */
  heartbeat(): void;
  /** Liveness check: 0, or EPEERDEAD / EPEERRESET / ECORRUPT. */
  checkPeer(): number;
  /** The liveness duty (beat, checkPeer()) once a slice has passed since the last: 0 or a code. */
  live(): number;
  /** The wake-up period of waits in milliseconds. */
  sliceMs(): number;

  /** Zero-copy send: a view of a reserved record's payload, or null when full. */
  reserve(len: number): Uint8Array | null;
  /** reserve() as the payload's offset in `u8`, or -1 when full. */
  reserveOffset(len: number): number;
  /** Commits the reservation with its final length; MORE: do not publish yet. */
  commit(len: number, flags?: number): void;
  /** Publishes every record committed with MORE and wakes the peer. */
  flush(): void;
  /** Copies one packet in; false when the ring is full. */
  send(data: Uint8Array, flags?: number): boolean;

  /** Zero-copy receive: the next packet's payload offset in `u8` (length in rxLen), or -1. */
  peekOffset(): number;
  /** Zero-copy receive: a view of the next packet, or null when empty. Valid until consume(). */
  peek(): Uint8Array | null;
  /** Frees every packet peeked so far. */
  consume(): void;
  /** The next packet as a copy, or null when empty. */
  recv(): Uint8Array | null;

  /** The subset of `events` ready now (0: none). Throws when the queue can never be ready. */
  poll(events: number, writeLen?: number): number;
  /** Announces that this side waits for `events` (its doorbell) for an event loop. */
  arm(events: number, writeLen?: number): Armed;
  /** Withdraws arm(). */
  disarm(): void;
  /** Waits without blocking; resolves with the ready events, or 0 on timeout. */
  waitAsync(events: number, writeLen?: number, timeoutMs?: number): Promise<number>;
  /** Blocks (Atomics.wait; workers only); returns the ready events, or 0 on timeout. */
  wait(events: number, writeLen?: number, timeoutMs?: number): number;
}
