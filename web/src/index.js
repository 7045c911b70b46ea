// @yamux/web: yamux streams between an event worker (this package's Session, never blocking)
// and a wasm worker (a C program using the library's blocking API, or a WASI program) over a
// shared-memory packet queue (docs/shmq.md).
export { Session } from './event/session.js';
export { YamuxStream } from './event/stream.js';
export {
  YamuxError, YamuxResetError, YamuxClosedError, YamuxTimeoutError, YamuxTransportError, Codes,
} from './event/errors.js';
export { createChannel, markSideGone, SIDE_A, SIDE_B } from './queue/channel.js';
export { startWorker, parentPort } from './workers/supervise.js';
/** The C program in this thread with JSPI, for pages without SharedArrayBuffer. */
export { startWasmInThread } from './workers/peer-jspi.js';
export { ShmqError } from './queue/shmq.js';
export { wasmWorkerUrl, wasiWorkerUrl } from './assets.js';

/** A WASI program in a wasm worker, its sockets as yamux streams (docs/wasi-host.md). */
export { startWasi, loadProgram, WasiError } from './host/start.js';

/** WASI 0.2 command components in a worker (docs/component.md). */
export { startComponent, componentWorkerUrl } from './host/component/embed.js';
