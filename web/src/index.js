// @yamux/web: yamux streams between an event worker (this package's Session, never blocking)
// and a wasm worker (a C program using the library's blocking API) over a shared-memory
// packet queue (docs/shmq.md).
export { Session } from './session.js';
export { YamuxStream } from './stream.js';
export { YamuxError, Codes } from './errors.js';
export { createChannel, markSideGone, SIDE_A, SIDE_B } from './channel.js';
export { startWorker } from './host.js';
export { ShmqError } from './shmq.js';

/** URL of the wasm-worker script, for startWorker(). */
export const wasmWorkerUrl = new URL('./wasm-worker.js', import.meta.url);
