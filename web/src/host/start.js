// Starting a WASI program in a wasm worker, from the event side (a page, an event worker or
// Node.js's main thread): one call creates the channel, starts the supervised wasm worker
// (web/src/host/worker.js) and the event side's Session on the other side of the channel.
// With the JSPI backend (backends/select.js: a context without SharedArrayBuffer) there is no
// wasm worker: the program runs in this thread (in-thread.js), suspending in its waiting
// imports, over a channel in a plain ArrayBuffer.
//
//   const proc = await startWasi(new URL('./server.wasm', import.meta.url), { args: ['-v'] });
//   const s = await proc.session.open();      // the guest accepts it on descriptor 3
//   const code = await proc.exited;           // the exit status
import { Session } from '../event/session.js';
import { startWorker } from '../workers/supervise.js';
import { regionSize, SIDE_A, SIDE_B } from '../queue/shmq.js';
import { createBufferChannel } from '../queue/channel.js';
import { chooseBackend } from './backends/select.js';
import { startInThread } from './in-thread.js';
import { lineSink } from './wasi/stdio.js';
import { componentSource, startComponentProcess, wasmLayer, isModuleUrl } from './component/embed.js';

/** URL of the wasm worker script (for bundlers and custom supervision). */
export const wasiWorkerUrl = new URL('./worker.js', import.meta.url);

const isNode = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined';

/** A failure of the program itself: it could not start, trapped, or its worker died. */
export class WasiError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'WasiError';
  }
}

/**
 * Reads and compiles `program`: a WebAssembly.Module, bytes (ArrayBuffer or a view), or a
 * URL / URL string / (Node.js) file path. Throws WasiError with a sentence (a WASI 0.2
 * component is refused here: startWasi runs it).
 * @returns {Promise<WebAssembly.Module>}
 */
export async function loadProgram(program) {
  const p = await readProgram(program);
  if (p.component) throw new WasiError(`${p.where}: a WASI 0.2 component, not a core module (startWasi runs it)`);
  return p.module;
}

/**
 * Reads `program` and tells a core module from a WASI 0.2 component (the layer byte of its
 * header; a .js/.mjs URL or path is a transpiled component): {module, where} or
 * {component: embed.js's componentSource(), where}.
 */
export async function readProgram(program) {
  if (program instanceof WebAssembly.Module) return { module: program, where: 'the program' };
  let bytes, where = 'the program';
  if (program instanceof ArrayBuffer || ArrayBuffer.isView(program)) {
    bytes = program;
  } else if (program instanceof URL || typeof program === 'string') {
    where = String(program);
    if (isModuleUrl(program)) return { component: await componentSource(program, where), where };
    try {
      bytes = await readBytes(program);
    } catch (e) {
      throw new WasiError(`cannot read ${where}: ${e.message}`, { cause: e });
    }
  } else {
    throw new TypeError('startWasi: the program must be a URL, a path, bytes or a WebAssembly.Module');
  }
  if (wasmLayer(bytes) === 1) return { component: await componentSource(bytes, where), where };
  try {
    return { module: await WebAssembly.compile(bytes), where };
  } catch (e) {
    throw new WasiError(`${where}: not a WebAssembly module: ${e.message.replace(/^WebAssembly\.compile\(\): /, '')}`, { cause: e });
  }
}

async function readBytes(program) {
  const str = String(program);
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(str) && !/^[a-z]:[\\/]/i.test(str);
  if (isNode && (!hasScheme || str.startsWith('file:'))) {
    const fs = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    return new Uint8Array(await fs.readFile(str.startsWith('file:') ? fileURLToPath(str) : str));
  }
  const res = await fetch(program);
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Lines of a byte sink to `log` (the default stdout/stderr). */
function logLines(log) {
  const s = lineSink(log);
  const f = (bytes) => s(bytes);
  f.flush = () => s.flush();
  return f;
}

/**
 * The embedder's side of a started program's channel (side A): a Session; the program's
 * worker is terminated when it cannot be created. In one thread (JSPI) the program cannot
 * die apart from this side, and may compute for long between two turns of the event loop:
 * no heartbeat timeout then (closing still tells). Shared by startWasi and startComponent.
 * @private
 */
export async function attachEventSide(w, channel, jspi, sessionOptions) {
  try {
    return await Session.create({ ...(jspi ? { hbTimeoutMs: 0 } : {}), ...sessionOptions, channel, side: SIDE_A });
  } catch (e) {
    await w.terminate();
    throw e;
  }
}

/**
 * Starts `program` (a WASI preview 1 command, or a WASI 0.2 command component: see
 * docs/component.md) in a wasm worker bound to a new channel, and the event side's Session
 * on the other side of it.
 * @param {URL|string|BufferSource|WebAssembly.Module} program
 * @param {import('../index.d.ts').WasiOptions} [options]
 * @returns {Promise<import('../index.d.ts').WasiProcess>}
 */
export async function startWasi(program, options = {}) {
  const {
    args = [], env = {}, mode = 'sockets', name, ringBytes = 1 << 20, mtu = 65536,
    session: sessionOptions = {}, engine, spinUs, lingerMs, backend = 'auto',
  } = options;
  if (mode !== 'sockets' && mode !== 'raw') throw new TypeError(`startWasi: mode must be 'sockets' or 'raw', not ${JSON.stringify(mode)}`);
  if (!Array.isArray(args)) throw new TypeError('startWasi: args must be an array of strings');
  if (!regionSize(ringBytes, mtu)) throw new RangeError(`startWasi: bad ring size ${ringBytes} or MTU ${mtu} (a power of two >= 256, MTU <= ringBytes/2 - 8)`);
  let chosen;
  try {
    chosen = chooseBackend(backend);
  } catch (e) {
    throw new TypeError(`startWasi: ${e.message}`);
  }
  if (chosen.missing) throw new WasiError(`startWasi: ${chosen.missing}`);
  const jspi = chosen.name === 'jspi';
  const prog = await readProgram(program);
  const argv0 = name ?? programName(program);
  if (prog.component) {
    // A WASI 0.2 component (docs/component.md): its stdio are yamux streams, piped to the
    // stdout/stderr sinks; its TCP sockets are the other streams of the session.
    if (mode !== 'sockets') throw new TypeError("startWasi: a component runs in 'sockets' mode only");
    return startComponentProcess(prog.component, { ...options, backend: chosen.name }, {
      name: argv0,
      stdout: options.stdout ?? logLines((l) => console.log(l)),
      stderr: options.stderr ?? logLines((l) => console.error(l)),
    });
  }
  if (options.stdin !== undefined) throw new TypeError('startWasi: stdin is for components (a core module reads end of file on descriptor 0)');
  const module = prog.module;

  // The control words of the channel tell a dead worker from a clean exit. With JSPI both sides
  // live in this thread: plain ArrayBuffers, the queue's same-thread doorbell.
  const channel = createBufferChannel({ ringBytes, mtu, shared: !jspi });
  const w = jspi ? startInThread({ channel, side: SIDE_B }) : await startWorker(wasiWorkerUrl, { channel, side: SIDE_B, name: argv0 });
  const out = options.stdout ?? logLines((l) => console.log(l));
  const err = options.stderr ?? logLines((l) => console.error(l));

  let started, exitResolve, exitReject;
  const startedP = new Promise((res, rej) => (started = { res, rej }));
  const exited = new Promise((res, rej) => ((exitResolve = res), (exitReject = rej)));
  exited.catch(() => {});
  let state = 'starting'; // -> running -> exited
  const end = () => {
    out.flush?.();
    err.flush?.();
  };
  w.onMessage((m) => {
    if (!m || typeof m !== 'object') return;
    if (m.type === 'stdout') out(m.data);
    else if (m.type === 'stderr') err(m.data);
    else if (m.type === 'started') {
      state = 'running';
      started.res();
    } else if (m.type === 'exit') {
      state = 'exited';
      end();
      stats = m.stats;
      exitResolve(m.code);
      w.terminate().catch(() => {});
    } else if (m.type === 'error') {
      const e = new WasiError(`${argv0}: ${m.message}`);
      if (state === 'starting') started.rej(e);
      state = 'exited';
      end();
      exitReject(e);
      w.terminate().catch(() => {});
    }
  });
  let stats = null, terminating = false;
  w.exited.then((code) => {
    if (state === 'exited') return;
    const killed = terminating || code === -1;
    const e = new WasiError(killed ? `${argv0}: terminated` : `${argv0}: its worker died (exit ${code})`);
    if (state === 'starting') started.rej(e);
    state = 'exited';
    end();
    if (killed) exitResolve(-1);
    else exitReject(e);
  });

  const session = await attachEventSide(w, channel, jspi, sessionOptions);
  const where = { buffer: channel.buffer, offset: channel.offset, side: SIDE_B };
  w.postMessage({
    module, args: [argv0, ...args.map(String)], env, stdio: 'bytes',
    ...(mode === 'sockets' ? { sockets: { ...where, config: engine, spinUs, lingerMs } } : { queue: { ...where, spinUs } }),
  });
  try {
    await startedP;
  } catch (e) {
    session.abort(e);
    throw e;
  }
  return {
    session,
    exited,
    channel,
    /** 'atomics' (the program in a worker) or 'jspi' (in this thread). */
    backend: chosen.name,
    worker: w.worker,
    /** Counters of the host (after the exit). */
    get stats() {
      return stats;
    },
    /** Stops the program at once: its worker is terminated (JSPI: it is dropped where it is
     * suspended), the session fails. */
    async terminate() {
      terminating = true;
      await w.terminate();
    },
  };
}

function programName(program) {
  if (program instanceof URL || typeof program === 'string') {
    const s = String(program).split(/[?#]/)[0];
    return decodeURIComponent(s.slice(s.lastIndexOf('/') + 1)) || 'main.wasm';
  }
  return 'main.wasm';
}
