// The embedder's side of a WASI 0.2 command component: starts it in a component worker
// (worker.js) bound to a new shared-memory channel, runs the event side's Session on the other
// side of it, and opens the program's stdin, stdout and stderr as the first three yamux
// streams (ids 1, 3, 5), which it hands out as WHATWG streams. Streams opened after them
// reach the program's wasi:sockets listener; streams the program connects come out of
// session.accept(). Runs on any event loop (a page, an event worker, Node's main thread) and
// never blocks there.
import { startWorker } from '../../workers/supervise.js';
import { regionSize, SIDE_B } from '../../queue/shmq.js';
import { createBufferChannel } from '../../queue/channel.js';
import { WasiError, readProgram, attachEventSide } from '../start.js';
import { chooseBackend } from '../backends/select.js';
import { startInThread } from '../in-thread.js';
import { transpileAdvice } from './transpile.js';
import { runComponent } from './program.js';

/** URL of the component worker script. */
export const componentWorkerUrl = new URL('./worker.js', import.meta.url);

const isNode = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined';

/**
 * The layer of a WebAssembly binary from its 8-byte header (magic, version u16, layer u16):
 * 0 a core module (version 1), 1 a component (version 0x0d), -1 not WebAssembly.
 * @param {ArrayBuffer|ArrayBufferView} bytes
 */
export function wasmLayer(bytes) {
  const b = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) return -1;
  return b[6] | (b[7] << 8);
}

/** Whether `program` (a URL or a string) names a JavaScript module: a transpiled component. */
export function isModuleUrl(program) {
  if (!(program instanceof URL) && typeof program !== 'string') return false;
  const s = String(program).split(/[?#]/)[0];
  return /\.m?js$/i.test(s);
}

/** An absolute URL for a module given as a URL, a URL string or (Node.js) a path. */
async function absoluteUrl(program) {
  const s = String(program);
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);
  if (program instanceof URL || hasScheme) return new URL(s).href;
  if (isNode) {
    const { pathToFileURL } = await import('node:url');
    const path = await import('node:path');
    return pathToFileURL(path.resolve(s)).href;
  }
  return new URL(s, globalThis.location?.href).href;
}

/**
 * What the component worker loads: {url} of a transpiled ES module, or {bytes} of a raw
 * component (Node.js only: transpiled in the worker with jco's API). Throws WasiError with a
 * sentence for bytes that are not a component, or a raw component in a browser.
 */
export async function componentSource(program, what = 'the program') {
  if (program instanceof URL || typeof program === 'string') {
    if (isModuleUrl(program)) return { url: await absoluteUrl(program) };
    throw new TypeError(`${what}: give the transpiled module (X.js), or the component's bytes`);
  }
  if (program instanceof ArrayBuffer || ArrayBuffer.isView(program)) {
    const layer = wasmLayer(program);
    if (layer !== 1) throw new WasiError(`${what}: not a WASI 0.2 component (${layer === 0 ? 'a core module: startWasi runs it' : 'not WebAssembly'})`);
    if (!isNode) throw new WasiError(`${what}: ${transpileAdvice()} (in a browser, transpile it ahead of time)`);
    const b = ArrayBuffer.isView(program) ? new Uint8Array(program.buffer, program.byteOffset, program.byteLength) : new Uint8Array(program);
    return { bytes: b.slice() };
  }
  throw new TypeError(`${what}: must be a URL, a path, or bytes`);
}

/**
 * Starts the component in a supervised worker; resolves once it is instantiated.
 * @private
 */
async function launch(source, o) {
  const { name, args, env = {}, ringBytes = 1 << 20, mtu = 65536, session: sessionOptions = {}, engine, spinUs, lingerMs } = o;
  if (!regionSize(ringBytes, mtu)) throw new RangeError(`component: bad ring size ${ringBytes} or MTU ${mtu} (a power of two >= 256, MTU <= ringBytes/2 - 8)`);
  let chosen;
  try {
    chosen = chooseBackend(o.backend ?? 'auto');
  } catch (e) {
    throw new TypeError(`component: ${e.message}`);
  }
  if (chosen.missing) throw new WasiError(`${name}: ${chosen.missing}`);
  const jspi = chosen.name === 'jspi';
  // Its control words tell a dead worker from a clean exit; with JSPI, plain ArrayBuffers in
  // this thread (docs/backends.md).
  const channel = createBufferChannel({ ringBytes, mtu, shared: !jspi });
  const w = jspi
    ? startInThread({ channel, side: SIDE_B, run: runComponent })
    : await startWorker(o.workerUrl || componentWorkerUrl, { channel, side: SIDE_B, name });

  let started, exitResolve, exitReject, statsResolve;
  const startedP = new Promise((res, rej) => (started = { res, rej }));
  const exited = new Promise((res, rej) => ((exitResolve = res), (exitReject = rej)));
  const stats = new Promise((res) => (statsResolve = res));
  exited.catch(() => {});
  startedP.catch(() => {});
  let state = 'starting', terminating = false; // -> running -> exited
  const fail = (e) => {
    if (state === 'starting') started.rej(e);
    state = 'exited';
    statsResolve(null);
    exitReject(e);
  };
  w.onMessage((m) => {
    if (!m || typeof m !== 'object' || state === 'exited') return;
    if (m.type === 'started') {
      state = 'running';
      started.res();
    } else if (m.type === 'exit') {
      state = 'exited';
      statsResolve(m.stats);
      exitResolve(m.code);
      w.terminate().catch(() => {});
    } else if (m.type === 'error') {
      fail(new WasiError(`${name}: ${m.message}`));
      w.terminate().catch(() => {});
    }
  });
  w.exited.then((code) => {
    if (state === 'exited') return;
    if (terminating || code === -1) {
      const e = new WasiError(`${name}: terminated`);
      if (state === 'starting') started.rej(e);
      state = 'exited';
      statsResolve(null);
      exitResolve(-1);
    } else fail(new WasiError(`${name}: its worker died (exit ${code})`));
  });

  const session = await attachEventSide(w, channel, jspi, sessionOptions);
  session.closed.catch(() => {});
  const stdin = await session.open(), stdout = await session.open(), stderr = await session.open();
  // This side never writes stdout or stderr: FIN at once.
  stdout.writable.close().catch(() => {});
  stderr.writable.close().catch(() => {});
  w.postMessage({
    component: source.url ?? { bytes: source.bytes }, name, args, env,
    sockets: { buffer: channel.buffer, offset: channel.offset, side: SIDE_B, config: engine, spinUs, lingerMs },
  });
  try {
    await startedP;
  } catch (e) {
    session.abort(e);
    throw e;
  }
  return {
    session, channel, worker: w.worker, backend: chosen.name, exited, stats, stdin, stdout, stderr,
    async terminate() {
      terminating = true;
      await w.terminate();
    },
  };
}

/**
 * Starts a WASI 0.2 command component in a worker; its stdio as WHATWG streams.
 * @param {URL|string|BufferSource} component the URL (or, in Node.js, path) of its transpiled
 *   ES module (`jco transpile X.wasm --instantiation async -o DIR`: DIR/X.js), or (Node.js)
 *   the component itself (its bytes, or the URL or path of its .wasm), transpiled at load
 *   time (transpile.js)
 * @param {import('../../index.d.ts').ComponentOptions} [opts]
 * @returns {Promise<import('../../index.d.ts').ComponentHandle>} once the component is
 *   instantiated; rejects with WasiError when it cannot start
 */
export async function startComponent(component, opts = {}) {
  const args = (opts.args || ['main']).map(String);
  const name = opts.name || args[0];
  const prog = await readProgram(component);
  if (!prog.component) throw new WasiError(`${prog.where}: a core module, not a WASI 0.2 component (startWasi runs it)`);
  const p = await launch(prog.component, { ...opts, name, args });
  return {
    stdin: p.stdin.writable,
    stdout: p.stdout.readable,
    stderr: p.stderr.readable,
    session: p.session,
    exited: p.exited,
    stats: p.stats,
    channel: p.channel,
    worker: p.worker,
    backend: p.backend,
    terminate: p.terminate,
  };
}

/** Feeds `input` (a ReadableStream, bytes or a string; undefined: nothing) to `writable`, then
 * closes it (end of file for the program). */
async function feed(writable, input) {
  if (input instanceof ReadableStream) return input.pipeTo(writable);
  const w = writable.getWriter();
  if (typeof input === 'string') await w.write(new TextEncoder().encode(input));
  else if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) {
    await w.write(ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input));
  } else if (input !== undefined && input !== null) throw new TypeError('stdin must be a ReadableStream, bytes or a string');
  await w.close();
}

/** Reads `readable` to its end into `sink(bytes)`; a failed stream (a killed worker) ends it. */
async function drain(readable, sink) {
  const r = readable.getReader();
  try {
    for (;;) {
      const { value, done } = await r.read();
      if (done) break;
      sink(value);
    }
  } catch {
    // the session failed: what arrived was delivered
  }
  sink.flush?.();
}

/**
 * startWasi() for a component (web/src/host/start.js): the program's stdout and stderr go to
 * the `stdout` / `stderr` sinks, its stdin is options.stdin (end of file when absent), and
 * `exited` resolves once the status is known and both outputs were delivered.
 * @param {{url?: string, bytes?: Uint8Array}} source from componentSource()
 * @returns {Promise<import('../../index.d.ts').WasiProcess>}
 */
export async function startComponentProcess(source, options, { name, stdout, stderr }) {
  const { args = [], env = {} } = options;
  const p = await launch(source, { ...options, name, args: [name, ...args.map(String)], env });
  feed(p.stdin.writable, options.stdin).catch(() => {}); // fails when the program ended first
  const outputs = Promise.all([drain(p.stdout.readable, stdout), drain(p.stderr.readable, stderr)]);
  let stats = null;
  p.stats.then((s) => (stats = s));
  const exited = outputs.then(() => p.exited);
  exited.catch(() => {});
  return {
    session: p.session,
    exited,
    channel: p.channel,
    worker: p.worker,
    backend: p.backend,
    get stats() {
      return stats;
    },
    terminate: p.terminate,
  };
}
