// Starting and supervising workers the same way in browsers and in Node.js worker_threads.
// A worker started here reports its death: when it exits, crashes or is terminated through
// the handle, the side of the channel it owned is marked closed (markSideGone), so the
// other side's streams fail instead of hanging.
import { markSideGone } from '../queue/channel.js';

const isNode = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined';

/**
 * @typedef {object} WorkerHandle
 * @property {(msg: any, transfer?: any[]) => void} postMessage
 * @property {(fn: (msg: any) => void) => void} onMessage
 * @property {Promise<number>} exited resolves with the exit code (1 for a crash, -1 when
 *   terminated)
 * @property {() => Promise<void>} terminate terminates it and marks its side gone
 */

/**
 * Starts a module worker from `url`, supervising its side `side` of `channel` (both may be
 * omitted: no supervision).
 * @param {URL|string} url
 * @param {{channel?: object, side?: number, name?: string}} [opts]
 * @returns {Promise<WorkerHandle>}
 */
export async function startWorker(url, opts = {}) {
  if (opts === null || typeof opts !== 'object') throw new TypeError('yamux: startWorker(url, options): options must be an object');
  const { channel, side } = opts;
  if ((channel === undefined) !== (side === undefined))
    throw new TypeError('yamux: startWorker: give both options.channel and options.side (the side the worker attaches), or neither');
  if (side !== undefined && side !== 0 && side !== 1) throw new RangeError(`yamux: startWorker: side must be SIDE_A (0) or SIDE_B (1), got ${String(side)}`);
  const listeners = [];
  let exitResolve;
  const exited = new Promise((r) => (exitResolve = r));
  let gone = false, terminating = false;
  const onGone = (code) => {
    if (gone) return;
    gone = true;
    if (channel && side !== undefined) markSideGone(channel, side);
    exitResolve(terminating ? -1 : code);
  };
  let w;
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    w = new Worker(url instanceof URL ? url : new URL(url), { name: opts.name });
    w.on('message', (m) => listeners.forEach((f) => f(m)));
    w.on('error', (e) => {
      listeners.forEach((f) => f({ type: 'error', message: String(e?.stack || e) }));
      onGone(1);
    });
    w.on('exit', (code) => onGone(code));
  } else {
    w = new Worker(url, { type: 'module', name: opts.name });
    w.onmessage = (e) => {
      if (e.data?.type === 'exit') onGone(e.data.code);
      listeners.forEach((f) => f(e.data));
    };
    w.onerror = (e) => {
      listeners.forEach((f) => f({ type: 'error', message: String(e.message || e) }));
      onGone(1);
    };
  }
  // A start message naming the supervised channel carries the supervised side, so that the
  // worker refuses to attach another one (see wasm-worker.js).
  const annotate = (m) =>
    channel && m && typeof m === 'object' && m.channel?.buffer === channel.buffer && m.supervisedSide === undefined
      ? { ...m, supervisedSide: side }
      : m;
  return {
    worker: w,
    side,
    postMessage: (m, t) => w.postMessage(annotate(m), t),
    onMessage: (fn) => listeners.push(fn),
    exited,
    async terminate() {
      terminating = !gone;
      await w.terminate();
      onGone(-1);
    },
  };
}

/**
 * Inside a worker: the port to the parent, the same way in browsers and Node.js.
 * @returns {Promise<{postMessage: (m: any) => void, onMessage: (fn: (m: any) => void) => void, exit: (code: number) => void}>}
 */
export async function parentPort() {
  if (isNode) {
    const wt = await import('node:worker_threads');
    const port = wt.parentPort;
    return {
      postMessage: (m) => port.postMessage(m),
      onMessage: (fn) => port.on('message', fn),
      exit: (code) => process.exit(code),
    };
  }
  return {
    postMessage: (m) => self.postMessage(m),
    onMessage: (fn) => self.addEventListener('message', (e) => fn(e.data)),
    exit: (code) => {
      self.postMessage({ type: 'exit', code });
      self.close();
    },
  };
}
