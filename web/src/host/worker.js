// The wasm worker: runs one WASI preview 1 command (Go GOOS=wasip1, C on wasi-libc, ...)
// under the host of web/src/host/wasi/. Works as a Node.js worker_threads worker and as a
// browser module worker. Once the program runs, the worker blocks (Atomics.wait, only in
// poll_oneoff) and never returns to its event loop until the program exits.
//
// Two modes, chosen by the start message:
//   sockets  the host runs the yamux engine (web/src/host/streams/) over side `side` of the
//            queue; descriptor 3 is a listener whose sock_accept gives a socket per stream
//            the event side opens, and yamux.dial opens streams toward it;
//   raw      descriptor 3 is the queue itself (web/src/host/shmq-fd.js): the guest runs its
//            own yamux over it (web/go/cmd/yamux-wasm-peer).
//
// Start message (one): {
//   module: WebAssembly.Module | ArrayBuffer | Uint8Array | string (URL or path),
//   args: string[] (argv, argv[0] the program name), env: {name: value},
//   stdio: 'lines' (default: {type, line} per line) | 'bytes' ({type, data} per write),
//   sockets: {buffer, offset, side, config?, spinUs?, checkIntervalMs?, lingerMs?}   or
//   queue: {buffer, offset, side, spinUs?, trace?}     (raw mode; neither: no descriptor 3)
// }
// Messages posted: {type: 'started'} once the program is instantiated, then
// {type: 'stdout' | 'stderr', line | data}, then {type: 'exit', code, stats}; or
// {type: 'error', message, stack} when the module cannot run (not a WASI command, imports
// this host lacks) or traps.
import { Wasi, checkCommand } from './wasi/preview1.js';
import { lineSink } from './wasi/stdio.js';
import { ListenerFd } from './wasi/sockets.js';
import { Driver } from './streams/driver.js';
import { AtomicsBackend } from './backends/atomics.js';
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
    const { fileURLToPath } = await import('node:url');
    return WebAssembly.compile(fs.readFileSync(m.startsWith('file:') ? fileURLToPath(m) : m));
  }
  return WebAssembly.compile(m);
}

async function start(msg) {
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
    const backend = new AtomicsBackend();
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
      code = wasi.start(instance);
    } finally {
      out.flush?.();
      err.flush?.();
      driver?.finish({ lingerMs: msg.sockets?.lingerMs });
    }
    post({
      type: 'exit', code,
      stats: {
        ms: performance.now() - t0, host: wasi.stats, waits: backend.waits,
        driver: driver ? driver.stats : null, queue: qfd ? qfd.stats : null,
        trace: qfd?.trace ? JSON.parse(JSON.stringify(qfd.trace)) : null,
      },
    });
  } catch (e) {
    try {
      driver?.finish({ lingerMs: 0 });
    } catch {}
    post({ type: 'error', message: String((e && e.message) || e), stack: e && e.stack });
  }
}
