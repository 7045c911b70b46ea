// The wasm worker: runs one WASI preview 1 command (a Go GOOS=wasip1 program) with a
// shared-memory queue as descriptor 3. Works as a Node.js worker_threads worker and as a
// browser module worker. It blocks (Atomics.wait in poll_oneoff) and never returns to its
// event loop until the program exits.
//
// Start message (one): {
//   module: WebAssembly.Module | ArrayBuffer | Uint8Array | string (URL),
//   args: string[] (argv, argv[0] the program name), env: {name: value},
//   queue: {buffer: SharedArrayBuffer, offset, side, spinUs?, trace?}  (optional: no fd 3
//          without; `buffer`/`offset` as in a web channel; trace: count yamux frames)
// }
// Messages posted: {type: 'stdout' | 'stderr', line}, then {type: 'exit', code, stats},
// or {type: 'error', message, stack} if the module traps or fails to load.
import { Wasi, lineSink, runWasi } from './wasi.js';
import { ShmqFd } from './shmq-fd.js';
import { onStart } from '../workers/port.js';

const post = await onStart((m) => start(m));

async function loadModule(m) {
  if (m instanceof WebAssembly.Module) return m;
  if (typeof m === 'string') {
    if (typeof fetch === 'function' && !/^file:|^\//.test(m)) {
      return WebAssembly.compileStreaming ? WebAssembly.compileStreaming(fetch(m)) : WebAssembly.compile(await (await fetch(m)).arrayBuffer());
    }
    const fs = await import('node:fs');
    return WebAssembly.compile(fs.readFileSync(m.startsWith('file:') ? new URL(m) : m));
  }
  return WebAssembly.compile(m);
}

async function start(msg) {
  try {
    const module = await loadModule(msg.module);
    const out = lineSink((line) => post({ type: 'stdout', line }));
    const err = lineSink((line) => post({ type: 'stderr', line }));
    const fds = {};
    let qfd = null;
    if (msg.queue) {
      const { buffer, offset = 0, side, spinUs, trace } = msg.queue;
      qfd = ShmqFd.attach(buffer, offset, side, { trace, ...(spinUs !== undefined ? { spinUs } : {}) });
      fds[3] = qfd;
    }
    const wasi = new Wasi({ args: msg.args, env: msg.env || {}, stdout: out, stderr: err, fds });
    const t0 = performance.now();
    const code = await runWasi(module, wasi);
    out.flush();
    err.flush();
    post({
      type: 'exit', code,
      stats: {
        ms: performance.now() - t0, host: wasi.stats, queue: qfd ? qfd.stats : null,
        trace: qfd?.trace ? JSON.parse(JSON.stringify(qfd.trace)) : null,
      },
    });
  } catch (e) {
    post({ type: 'error', message: String(e && e.message || e), stack: e && e.stack });
  }
}
