// Types of the package's main entry (index.js; dist/yamux.js is the same API bundled): the
// event side and the worker helpers. They need no DOM and no Node.js types: a browser worker
// (lib webworker) and Node.js (@types/node) both compile against them.
import type { Channel } from './queue/channel.js';

export { createChannel, markSideGone, SIDE_A, SIDE_B } from './queue/channel.js';
export type { Channel } from './queue/channel.js';
export { ShmqError } from './queue/shmq.js';

/** yamux_error codes (negative), by name. */
export declare const Codes: {
  readonly OK: 0; readonly EAGAIN: -1; readonly EINVAL: -2; readonly ENOMEM: -3; readonly ELIMIT: -4;
  readonly ECLOSED: -5; readonly ERESET: -6; readonly ESHUTDOWN: -7; readonly EGOAWAY: -8;
  readonly ESTREAMS_EXHAUSTED: -9; readonly ETIMEOUT: -10;
  readonly EPROTO_VERSION: -20; readonly EPROTO_TYPE: -21; readonly EPROTO_FLAGS: -22;
  readonly EPROTO_STREAM_ID: -23; readonly EPROTO_DUPLICATE_STREAM: -24; readonly EPROTO_RECV_WINDOW: -25;
  readonly EPROTO_SEND_WINDOW: -26; readonly EPROTO_STREAM_STATE: -27; readonly EPROTO_LENGTH: -28;
  readonly EREMOTE_PROTOCOL: -40; readonly EREMOTE_INTERNAL: -41; readonly EREMOTE_GOAWAY: -42;
  readonly EKEEPALIVE: -43; readonly EWRITE_TIMEOUT: -44; readonly EOPEN_TIMEOUT: -45; readonly EEOF: -46;
  readonly ETRANSPORT: -47; readonly EINTERNAL: -48;
};
/** A code's name, as in Codes ("ERESET"). */
export type CodeName = keyof typeof Codes;
/** A yamux_error value. */
export type Code = (typeof Codes)[CodeName];

/** A yamux failure: `code` (yamux_error), `codeName` ("YAMUX_ERESET"), the engine's sentence
 * as message; `cause` says why a session ended (a ShmqError: YAMUX_ECLOSED when the peer closed
 * its side, YAMUX_EPEERDEAD when it died; or the reason given to abort()). */
export declare class YamuxError extends Error {
  constructor(code: number, codeName: string, text: string, cause?: unknown);
  readonly name: string;
  readonly code: Code;
  readonly codeName: `YAMUX_${CodeName}`;
}
/** The stream was reset (by either side, or refused by the peer). */
export declare class YamuxResetError extends YamuxError {}
/** The session or stream is closed: shut down here, ended by the peer, refused after GoAway. */
export declare class YamuxClosedError extends YamuxError {}
/** A ping, keepalive, write or open got no answer in time. */
export declare class YamuxTimeoutError extends YamuxError {}
/** The channel failed: the peer died, or the shared region is corrupt. */
export declare class YamuxTransportError extends YamuxError {}

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
  /** The channel made by createChannel() (or give its `buffer` and `offset`). With the
   * channel, a peer whose worker died is told apart from a peer that closed. */
  channel?: Channel;
  /** A SharedArrayBuffer (a channel for one thread, whose buffer is a plain ArrayBuffer, is
   * given as `channel`). */
  buffer?: SharedArrayBuffer;
  offset?: number;
  /** Which side of the channel (default SIDE_A; the wasm worker takes the other). */
  side?: 0 | 1;
  /** yamux client role (odd stream ids); default: side A is the client. */
  client?: boolean;
  config?: EngineConfig;
  /** Heartbeat timeout published to the peer (default 10000 ms; 0: never). */
  hbTimeoutMs?: number;
  /** Liveness check period while waiting (default 1000 ms; shorter for heartbeats). */
  checkIntervalMs?: number;
  /** Poll the channel this long before sleeping in Atomics.waitAsync (default 0: never). */
  spinUs?: number;
}

/** Options of the calls that wait. */
export interface WaitOptions {
  /** Aborting it rejects the call with the signal's reason. */
  signal?: AbortSignal;
}

/** One yamux stream as a WHATWG stream pair. Reading reopens the peer's window as it goes;
 * writes resolve once the engine queued the bytes: at most the send buffer plus 256 KiB per
 * stream wait in the engine. */
export declare class YamuxStream {
  private constructor();
  /** The stream id (odd: opened by the client side, even: by the server side). */
  readonly id: number;
  /** A byte stream: use getReader({mode: 'byob'}) to read without an allocation per chunk.
   * cancel() resets the stream unless the peer had finished writing. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Accepts Uint8Array, ArrayBuffer(View) or string chunks. close(): half-close (FIN);
   * abort(reason) and any failed write: reset. */
  readonly writable: WritableStream<Uint8Array | ArrayBuffer | ArrayBufferView | string>;
  /** Resolves when the peer acknowledged the stream (at once for accepted streams). */
  readonly established: Promise<void>;
  /** Bytes written and not yet in the channel. */
  readonly unsent: number;
  /** Resets the stream: both directions fail with YamuxResetError (`cause`: reason). */
  reset(reason?: unknown): void;
  /** Half-closes the writing side (FIN after the queued data); needs no writer, works while
   * one is held (that writer's later writes then reject with ECLOSED). */
  close(): Promise<void>;
}

/** The event side: a yamux session over one side of the channel; never blocks. */
export declare class Session implements AsyncIterable<YamuxStream> {
  private constructor();
  /** Attaches `side` of the channel (a side serves one session: a side in use throws). */
  static create(options: SessionOptions): Promise<Session>;
  /** Opens a stream (waits while the stream limit is reached). Rejects with
   * YamuxClosedError (EGOAWAY, ESHUTDOWN), YamuxError, or the signal's reason. */
  open(options?: WaitOptions): Promise<YamuxStream>;
  /** Accepts the next stream the peer opens; rejects with YamuxClosedError once the session
   * ended or is closing, or with the signal's reason. */
  accept(options?: WaitOptions): Promise<YamuxStream>;
  [Symbol.asyncIterator](): AsyncIterator<YamuxStream>;
  /** The streams the peer opens (as WebTransport's incomingBidirectionalStreams); closes
   * when the session ends or closes. */
  readonly incomingStreams: ReadableStream<YamuxStream>;
  /** Round trip in milliseconds. */
  ping(options?: WaitOptions): Promise<number>;
  /** GoAway 0: the peer may open no new streams. */
  goAway(): void;
  /** Graceful close: GoAway, no new streams either way, every open stream finishes, then the
   * session ends and this side of the channel closes. Resolves with `closed`. When `signal`
   * aborts first, the close turns hard (abort(signal.reason)). */
  close(options?: WaitOptions): Promise<void>;
  /** Hard close: ends at once; every stream fails with YamuxClosedError (ESHUTDOWN, `cause`:
   * reason); `closed` rejects with the same error. */
  abort(reason?: unknown): void;
  /** Resolves on a clean end (closed here, or the peer closed its side); rejects with the
   * YamuxError that ended the session otherwise. */
  readonly closed: Promise<void>;
  readonly remoteGoAway: boolean;
  readonly isClosed: boolean;
  readonly numStreams: number;
  readonly rttMs: number;
  readonly recvMemory: number;
  readonly engineMemory: number;
  readonly bytes: { in: number; out: number };
}

/** The worker behind a handle: a browser Worker or a Node.js worker_threads Worker. */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: any): void;
  terminate(): unknown;
}

/** A supervised worker (see startWorker). */
export interface WorkerHandle {
  readonly worker: WorkerLike;
  /** The side of the channel it is supervised as (undefined: unsupervised). */
  readonly side: 0 | 1 | undefined;
  postMessage(message: unknown, transfer?: any[]): void;
  /** Messages the worker posts; the wasm worker posts {type: 'stdout' | 'stderr', line},
   * {type: 'exit', code} and {type: 'error', message}. */
  onMessage(fn: (message: any) => void): void;
  /** Exit code (1: crashed, -1: terminated through the handle). */
  readonly exited: Promise<number>;
  /** Terminates the worker and marks its side of the channel gone. */
  terminate(): Promise<void>;
}

/** Starts a module worker (browser Worker or Node.js worker_threads); when it exits or
 * crashes, its `side` of `channel` is marked gone so the other side does not hang. */
export declare function startWorker(url: URL | string, options?: { channel?: Channel; side?: 0 | 1; name?: string }): Promise<WorkerHandle>;

/** The package's C program in this thread, for pages without SharedArrayBuffer (JSPI:
 * WebAssembly.Suspending/promising, Chrome 137+, Node.js 25+; its Emscripten build wrapped by
 * hand). `channel`: createChannel({shared: false}). The handle is startWorker()'s, without a
 * worker: post it {channel, args} once; terminate() drops the program where it is suspended.
 * Throws TypeError without JSPI or with a shared channel. */
export declare function startWasmInThread(options: { channel: Channel; side?: 0 | 1 }): Omit<WorkerHandle, 'worker'> & { readonly worker: null; readonly backend: 'jspi' };

/** Inside a worker: the port to its parent, the same way in browsers and Node.js. */
export declare function parentPort(): Promise<{
  postMessage(message: unknown): void;
  onMessage(fn: (message: any) => void): void;
  exit(code: number): void;
}>;

/** The wasm worker script: post it {channel, side?, args?} (args: the C program's command
 * line, see the package README). */
export declare const wasmWorkerUrl: URL;
/** The WASI worker script: runs a WASI preview 1 program with the channel as descriptor 3. */
export declare const wasiWorkerUrl: URL;

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
  readonly channel: { buffer: SharedArrayBuffer | ArrayBuffer; offset: number; size: number; ringBytes: number; mtu: number };
  /** 'atomics' (in `worker`) or 'jspi' (in this thread). */
  readonly backend: 'atomics' | 'jspi';
  /** The component worker (null with JSPI). */
  readonly worker: WorkerLike | null;
  /** Stops the program at once: its worker is terminated (JSPI: it is dropped where it is
   * suspended), its streams and the session fail. */
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
  /** As startWasi's (docs/backends.md); 'jspi' needs the component transpiled for it (`jco
   * transpile --instantiation async --async-mode jspi --async-wasi-imports
   * --async-wasi-exports`), and a component so transpiled needs an engine with JSPI on either
   * backend. */
  backend?: 'auto' | 'atomics' | 'jspi';
  workerUrl?: URL | string;
}

/** Starts a WASI 0.2 command component in a worker: `component` is the URL (or Node.js path) of
 * the ES module `jco transpile X.wasm --instantiation async` wrote, or in Node.js the component
 * itself (bytes, or the path or URL of its .wasm), transpiled at load time with the optional
 * peer dependency @bytecodealliance/jco-transpile. Resolves once it is instantiated. */
export declare function startComponent(component: URL | string | ArrayBuffer | ArrayBufferView, opts?: ComponentOptions): Promise<ComponentHandle>;

/** The component worker script (startComponent's default). */
export declare const componentWorkerUrl: URL;
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
  /** How the program blocks (docs/backends.md): 'atomics' runs it in a wasm worker that waits
   * in Atomics.wait (needs SharedArrayBuffer: a cross-origin isolated page, or Node.js);
   * 'jspi' runs it in this thread beside the event side, suspending in its waiting imports
   * (WebAssembly.Suspending/promising: Chrome 137+, Node.js 25+; no SharedArrayBuffer, no
   * COOP/COEP); 'auto' (default) picks Atomics where SharedArrayBuffer is, JSPI elsewhere.
   * When the chosen one cannot run here, startWasi rejects with a WasiError naming what is
   * missing. A component with JSPI must be transpiled for it (see ComponentOptions). */
  backend?: 'auto' | 'atomics' | 'jspi';
  /** A component's standard input, closed (end of file) after it: a ReadableStream, bytes or a
   * string; default: end of file at once. (A core module reads end of file on descriptor 0:
   * giving stdin for one is a TypeError.) */
  stdin?: ReadableStream<Uint8Array> | ArrayBuffer | ArrayBufferView | string;
}

/** A running WASI program. */
export interface WasiProcess {
  /** The event side of its streams: open() reaches the program's accept on descriptor 3,
   * accept() receives the streams it opens. */
  readonly session: Session;
  /** Its exit status; -1 after terminate(); rejects with WasiError when it traps or its worker
   * dies. */
  readonly exited: Promise<number>;
  /** SharedArrayBuffers with the Atomics backend, plain ArrayBuffers with JSPI. */
  readonly channel: { buffer: SharedArrayBuffer | ArrayBuffer; offset: number; size: number; ringBytes: number; mtu: number };
  /** The backend that runs it: 'atomics' (in `worker`) or 'jspi' (in this thread). */
  readonly backend: 'atomics' | 'jspi';
  /** The wasm worker (null with JSPI: the program runs in this thread). */
  readonly worker: WorkerLike | null;
  /** Counters of the host, after the exit. */
  readonly stats: Record<string, unknown> | null;
  /** Stops the program at once: its worker is terminated (JSPI: the program is dropped where
   * it is suspended), its streams and the session fail. */
  terminate(): Promise<void>;
}

/** The program could not start (not readable, not wasm, not a WASI command, imports this host
 * lacks), trapped, or its worker died. */
export declare class WasiError extends Error {
  readonly name: 'WasiError';
}

/** A compiled WebAssembly.Module (typed here without the DOM library). */
export interface WasmModuleLike {
  readonly [Symbol.toStringTag]?: string;
}

/** A program: its URL, a path (Node.js), its bytes or a compiled module. */
export type ProgramSource = URL | string | ArrayBuffer | ArrayBufferView | WasmModuleLike;

/** Starts `program` (a WASI preview 1 command: a URL, a path in Node.js, bytes or a compiled
 * module; or a WASI 0.2 command component: told apart by the header's layer byte, a .js/.mjs
 * URL being a transpiled one, see startComponent) in a wasm worker bound to a new channel (or,
 * with the JSPI backend, in this thread), and the event side's Session on it. A component's stdout and stderr go to the same callbacks,
 * and `exited` resolves once both were delivered. Rejects with WasiError when the program
 * cannot start. */
export declare function startWasi(program: ProgramSource, options?: WasiOptions): Promise<WasiProcess>;

/** Reads and compiles a program as startWasi() does. */
export declare function loadProgram(program: ProgramSource): Promise<WasmModuleLike>;

