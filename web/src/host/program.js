// Runs one WASI preview 1 command under this host, wherever the host runs: in the wasm worker
// (worker.js: the Atomics backend, the guest blocks the worker) or in the embedder's own
// thread beside the event side (start.js with the JSPI backend: the guest suspends). The start
// message and the messages given to `post` are the ones worker.js documents.
import { Wasi, checkCommand } from './wasi/preview1.js';
import { lineSink } from './wasi/stdio.js';
import { ListenerFd } from './wasi/sockets.js';
import { Driver } from './streams/driver.js';
import { ShmqFd } from './shmq-fd.js';

async function loadModule(m) {
  if (m instanceof WebAssembly.Module) return m;
  if (typeof m === 'string') {
    if (typeof fetch === 'function' && !/^file:|^\//.test(m)) {
      return WebAssembly.compileStreaming ? WebAssembly.compileStreaming(fetch(m)) : WebAssembly.compile(await (await fetch(m)).arrayBuffer());
    }
    const fs = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    return WebAssembly.compile(fs.readFileSync(m.startsWith('file:') ? fileURLToPath(m) : m));
  }
  return WebAssembly.compile(m);
}

/**
 * Runs the program of start message `msg` to its end and reports through `post`: {type:
 * 'started'}, output, then {type: 'exit', code, stats} or {type: 'error', message, stack}.
 * Never rejects.
 * @param {object} msg the start message (worker.js)
 * @param {(m: object) => void} post
 * @param {object} backend the blocking primitive (backends/atomics.js or backends/jspi.js)
 */
export async function runProgram(msg, post, backend) {
  let driver = null;
  try {
    const module = await loadModule(msg.module);
    const bytes = msg.stdio === 'bytes';
    const sink = (type) => {
      if (bytes) return (data) => post({ type, data });
      const s = lineSink((line) => post({ type, line }));
      return s;
    };
    const out = sink('stdout'), err = sink('stderr');
    const fds = {};
    let qfd = null;
    if (msg.sockets) {
      const o = msg.sockets;
      driver = await Driver.create({ ...o, backend });
      fds[3] = new ListenerFd(driver.listener);
    } else if (msg.queue) {
      const { buffer, offset = 0, side, spinUs, trace } = msg.queue;
      qfd = ShmqFd.attach(buffer, offset, side, { trace, ...(spinUs !== undefined ? { spinUs } : {}) });
      fds[3] = qfd;
    }
    const wasi = new Wasi({ args: msg.args, env: msg.env || {}, stdout: out, stderr: err, fds, driver, backend });
    const why = checkCommand(module, wasi.imports);
    if (why) throw new Error(why);
    const instance = await WebAssembly.instantiate(module, wasi.imports);
    post({ type: 'started' });
    const t0 = performance.now();
    let code;
    try {
      code = await wasi.start(instance);
    } finally {
      out.flush?.();
      err.flush?.();
      await driver?.finish({ lingerMs: msg.sockets?.lingerMs });
    }
    post({
      type: 'exit', code,
      stats: {
        ms: performance.now() - t0, host: wasi.stats, waits: backend.waits, backend: backend.name,
        yields: backend.yields ?? 0, driver: driver ? driver.stats : null, queue: qfd ? qfd.stats : null,
        trace: qfd?.trace ? JSON.parse(JSON.stringify(qfd.trace)) : null,
      },
    });
  } catch (e) {
    try {
      await driver?.finish({ lingerMs: 0 });
    } catch {}
    post({ type: 'error', message: String((e && e.message) || e), stack: e && e.stack });
  }
}
