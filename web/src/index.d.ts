// Types of the package's main entry (index.js): the event side and the worker helpers.
import type { Channel } from './queue/channel.js';

export { createChannel, markSideGone, SIDE_A, SIDE_B } from './queue/channel.js';
export type { Channel } from './queue/channel.js';
export { ShmqError } from './queue/shmq.js';

/** yamux_error codes. */
export const Codes: Readonly<Record<string, number>>;

/** A yamux failure: `code` (yamux_error), `codeName` ("YAMUX_ERESET"), the engine's sentence
 * as message, and for transport failures the ShmqError as `cause`. */
export class YamuxError extends Error {
  readonly name: 'YamuxError';
  readonly code: number;
  readonly codeName: string;
}

/** Engine settings (yamux_config); durations in milliseconds. */
export interface EngineConfig {
  acceptBacklog?: number;
  maxInflightOpens?: number;
  maxStreams?: number;
  /** Receive window per stream, 256 KiB .. 16 MiB (announced to the peer). */
  maxStreamWindow?: number;
  windowAutotune?: boolean | number;
  /** Bound on buffered plus granted receive bytes over all streams. */
  maxRecvMemory?: number;
  /** Bytes a stream queues before writes wait (default 256 KiB). */
  streamSendBuffer?: number;
  maxFramePayload?: number;
  enableKeepalive?: boolean | number;
  keepaliveIntervalMs?: number;
  writeTimeoutMs?: number;
  streamOpenTimeoutMs?: number;
  streamCloseTimeoutMs?: number;
}

export interface SessionOptions {
  /** The channel's buffer (Channel.buffer) and region offset (Channel.offset). */
  buffer: SharedArrayBuffer;
  offset?: number;
  /** Which side of the channel (default SIDE_A; the wasm worker takes the other). */
  side?: 0 | 1;
  /** yamux client role (odd stream ids); default: side A is the client. */
  client?: boolean;
  config?: EngineConfig;
  /** Heartbeat timeout published to the peer (default 10000 ms; 0: never). */
  hbTimeoutMs?: number;
  /** Liveness check period while waiting (default 100 ms). */
  checkIntervalMs?: number;
  /** Poll the channel this long before sleeping in Atomics.waitAsync (default 0: never). */
  spinUs?: number;
}

/** One yamux stream as a WHATWG stream pair. Reading reopens the peer's window as it goes;
 * writes resolve once the engine queued the bytes: at most the send buffer plus 256 KiB per
 * stream wait in the engine. */
export class YamuxStream {
  readonly id: number;
  readonly readable: ReadableStream<Uint8Array>;
  /** Accepts Uint8Array, ArrayBuffer(View) or string chunks. close(): half-close (FIN);
   * abort(): reset. */
  readonly writable: WritableStream<Uint8Array | ArrayBuffer | ArrayBufferView | string>;
  /** Resolves when the peer acknowledged the stream (at once for accepted streams). */
  readonly established: Promise<void>;
  /** Bytes written and not yet in the channel. */
  readonly unsent: number;
  /** Resets the stream: both directions fail with ERESET. */
  reset(): void;
  /** Half-closes the writing side (without taking a writer). */
  close(): Promise<void>;
}

/** The event side: a yamux session over one side of the channel; never blocks. */
export class Session implements AsyncIterable<YamuxStream> {
  static create(options: SessionOptions): Promise<Session>;
  /** Opens a stream. Rejects with YamuxError (EGOAWAY, ESHUTDOWN, ELIMIT, ...). */
  open(): Promise<YamuxStream>;
  /** Accepts the next stream the peer opens; rejects once the session ended. */
  accept(): Promise<YamuxStream>;
  [Symbol.asyncIterator](): AsyncIterator<YamuxStream>;
  /** Round trip in milliseconds. */
  ping(): Promise<number>;
  /** GoAway 0: the peer may open no new streams. */
  goAway(): void;
  /** Ends the session cleanly and closes this side of the channel. */
  close(): Promise<void>;
  /** Ends the session as a transport failure (the peer is known to be gone). */
  abort(reason?: Error): void;
  /** Resolves on a clean end, rejects with the YamuxError that ended the session. */
  readonly closed: Promise<void>;
  readonly remoteGoAway: boolean;
  readonly isClosed: boolean;
  readonly numStreams: number;
  readonly rttMs: number;
  readonly recvMemory: number;
  readonly engineMemory: number;
  readonly bytes: { in: number; out: number };
}

/** A supervised worker (see startWorker). */
export interface WorkerHandle {
  worker: Worker | import('node:worker_threads').Worker;
  postMessage(msg: unknown, transfer?: Transferable[]): void;
  onMessage(fn: (msg: any) => void): void;
  /** Exit code (1: crashed, -1: terminated through the handle). */
  readonly exited: Promise<number>;
  /** Terminates the worker and marks its side of the channel gone. */
  terminate(): Promise<void>;
}

/** Starts a module worker (browser Worker or Node.js worker_threads); when it exits or
 * crashes, its `side` of `channel` is marked gone so the other side does not hang. */
export function startWorker(url: URL | string, opts?: { channel?: Channel; side?: 0 | 1; name?: string }): Promise<WorkerHandle>;

/** The wasm worker script: post it {channel, args} (the C program's command line). */
export const wasmWorkerUrl: URL;

/** A WASI 0.2 command component running in a worker (docs/component.md). Its stdio are the
 * first three yamux streams of `session` (ids 1, 3, 5); streams opened after them reach the
 * program's wasi:sockets/tcp listener, session.accept() receives the streams it connects. */
export interface ComponentHandle {
  /** The program's standard input; close() is end of file. */
  stdin: WritableStream<Uint8Array | ArrayBuffer | ArrayBufferView | string>;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  /** The event side of its yamux session. */
  readonly session: Session;
  /** The exit status (0 or 1 through the preview 1 adapter); -1 after terminate(); rejects
   * with WasiError on a trap or a dead worker. */
  readonly exited: Promise<number>;
  /** Host counters once the program ended (ms, cpuMs in Node, polls, sleeps, waits, driver,
   * transpileMs), or null. */
  readonly stats: Promise<Record<string, unknown> | null>;
  readonly channel: { buffer: SharedArrayBuffer; offset: number; size: number; ringBytes: number; mtu: number };
  readonly worker: Worker | import('node:worker_threads').Worker;
  /** Stops the program at once: its worker is terminated, its streams and the session fail. */
  terminate(): Promise<void>;
}

/** Options of startComponent(). */
export interface ComponentOptions {
  /** The program's arguments, args[0] its name (default ['main']). */
  args?: string[];
  env?: Record<string, string>;
  /** Its name in messages (default args[0]). */
  name?: string;
  /** The event side's Session options (buffer, offset and side are set here). */
  session?: Omit<SessionOptions, 'buffer' | 'offset' | 'side'>;
  /** The worker's engine; default: auto-tuned windows up to 16 MiB, frames of one packet. */
  engine?: EngineConfig;
  /** Ring bytes per direction (a power of two, default 1 MiB) and largest packet (64 KiB). */
  ringBytes?: number;
  mtu?: number;
  /** The most the worker polls the ring before sleeping, adaptive (default 20; 0: never). */
  spinUs?: number;
  /** At exit, how long unsent output may take to drain (default 5000). */
  lingerMs?: number;
  workerUrl?: URL | string;
}

/** Starts a WASI 0.2 command component in a worker: `component` is the URL (or Node.js path) of
 * the ES module `jco transpile X.wasm --instantiation async` wrote, or in Node.js the component
 * itself (bytes, or the path or URL of its .wasm), transpiled at load time with the optional
 * peer dependency @bytecodealliance/jco-transpile. Resolves once it is instantiated. */
export function startComponent(component: URL | string | BufferSource, opts?: ComponentOptions): Promise<ComponentHandle>;

/** The component worker script (startComponent's default). */
export const componentWorkerUrl: URL;
/* ---- the WASI host: any WASI program in a wasm worker (src/host/) ---- */

/** Options of startWasi(). */
export interface WasiOptions {
  /** The program's arguments (argv[1..]); argv[0] is `name`. */
  args?: string[];
  /** argv[0] (default: the file name of the URL or path, else "main.wasm"). */
  name?: string;
  env?: Record<string, string>;
  /** Each write of the program to standard output, as bytes (default: lines to console.log). */
  stdout?: (bytes: Uint8Array) => void;
  /** Each write to standard error (default: lines to console.error). */
  stderr?: (bytes: Uint8Array) => void;
  /** 'sockets' (default): every yamux stream is a socket descriptor of the program (descriptor
   * 3 a listener, yamux.dial to open). 'raw': descriptor 3 is the queue itself and the program
   * runs its own yamux over it (this side is then the yamux client). */
  mode?: 'sockets' | 'raw';
  /** The event side's Session options (buffer, offset and side are set by startWasi). */
  session?: Omit<SessionOptions, 'buffer' | 'offset' | 'side'>;
  /** The wasm worker's engine (sockets mode); default: 64 KiB frames, the rest hashicorp's. */
  engine?: EngineConfig;
  /** Ring bytes per direction (a power of two, default 1 MiB) and largest packet (64 KiB). */
  ringBytes?: number;
  mtu?: number;
  /** The most the wasm worker polls the ring before sleeping, adaptive (default 20; 0: never). */
  spinUs?: number;
  /** At exit, how long the program's unsent stream data may take to drain (default 5000). */
  lingerMs?: number;
  /** A component's standard input, closed (end of file) after it: a ReadableStream, bytes or a
   * string; default: end of file at once. (A core module reads end of file on descriptor 0:
   * giving stdin for one is a TypeError.) */
  stdin?: ReadableStream<Uint8Array> | BufferSource | string;
}

/** A running WASI program. */
export interface WasiProcess {
  /** The event side of its streams: open() reaches the program's accept on descriptor 3,
   * accept() receives the streams it opens. */
  readonly session: Session;
  /** Its exit status; -1 after terminate(); rejects with WasiError when it traps or its worker
   * dies. */
  readonly exited: Promise<number>;
  readonly channel: { buffer: SharedArrayBuffer; offset: number; size: number; ringBytes: number; mtu: number };
  readonly worker: Worker | import('node:worker_threads').Worker;
  /** Counters of the host, after the exit. */
  readonly stats: Record<string, unknown> | null;
  /** Stops the program at once: its worker is terminated, its streams and the session fail. */
  terminate(): Promise<void>;
}

/** The program could not start (not readable, not wasm, not a WASI command, imports this host
 * lacks), trapped, or its worker died. */
export class WasiError extends Error {
  readonly name: 'WasiError';
}

/** Starts `program` (a WASI preview 1 command: a URL, a path in Node.js, bytes or a compiled
 * module; or a WASI 0.2 command component: told apart by the header's layer byte, a .js/.mjs
 * URL being a transpiled one, see startComponent) in a wasm worker bound to a new channel, and
 * the event side's Session on it. A component's stdout and stderr go to the same callbacks,
 * and `exited` resolves once both were delivered. Rejects with WasiError when the program
 * cannot start. */
export function startWasi(program: URL | string | BufferSource | WebAssembly.Module, options?: WasiOptions): Promise<WasiProcess>;

/** Reads and compiles a program as startWasi() does. */
export function loadProgram(program: URL | string | BufferSource | WebAssembly.Module): Promise<WebAssembly.Module>;

/** The wasm worker script of the WASI host. */
export const wasiWorkerUrl: URL;
