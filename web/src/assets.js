// Where the package's files are, as URLs relative to this module (literal, so that bundlers
// that follow new URL(..., import.meta.url) find them). web/scripts/bundle.mjs rewrites them
// for the bundles in dist/, where all of these files are siblings.

/** The wasm worker's script (startWorker(wasmWorkerUrl, ...)). */
export const wasmWorkerUrl = new URL('./workers/wasm-worker.js', import.meta.url);

/** The WASI worker's script: runs a WASI preview 1 program with the channel as a socket. */
export const wasiWorkerUrl = new URL('./host/worker.js', import.meta.url);

/** The C program the wasm worker runs (Emscripten, one file). */
export const peerScriptUrl = new URL('../dist/yamux_peer.cjs', import.meta.url);

/** The same C program built for one thread and JSPI (workers/peer-jspi.js runs it). */
export const peerJspiScriptUrl = new URL('../dist/yamux_peer_jspi.cjs', import.meta.url);
