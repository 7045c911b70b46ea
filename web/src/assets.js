// Where the package's files are, as URLs relative to this module. Kept one folder below the
// package root, like the bundles in dist/ (web/scripts/bundle.mjs), so that '../dist/...'
// resolves the same from both; the worker scripts' paths are rewritten for the bundles.

/** The wasm worker's script (startWorker(wasmWorkerUrl, ...)). */
export const wasmWorkerUrl = new URL('./workers/wasm-worker.js', import.meta.url);

/** The WASI worker's script: runs a WASI preview 1 program with the channel as a socket. */
export const wasiWorkerUrl = new URL('./host/worker.js', import.meta.url);

/** The C program the wasm worker runs (Emscripten, one file). */
export const peerScriptUrl = new URL('../dist/yamux_peer.cjs', import.meta.url);
