// @yamux/web: yamux streams between an event worker (this package's Session, never blocking)
// and a wasm worker (a C program using the library's blocking API) over a shared-memory
// packet queue (docs/shmq.md).
export { Session } from './event/session.js';
export { YamuxStream } from './event/stream.js';
export { YamuxError, Codes } from './event/errors.js';
export { createChannel, markSideGone, SIDE_A, SIDE_B } from './queue/channel.js';
export { startWorker } from './workers/supervise.js';
export { ShmqError } from './queue/shmq.js';

/** URL of the wasm-worker script, for startWorker(). */
export const wasmWorkerUrl = new URL('./workers/wasm-worker.js', import.meta.url);

/** WASI 0.2 command components in a worker (docs/component.md). */
export { startComponent, componentWorkerUrl } from './host/component/embed.js';
export { startWasi, loadProgram, WasiError, wasiWorkerUrl } from './host/start.js';
