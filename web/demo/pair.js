// Starts the two real workers of a demo or a test: the wasm worker (the C program with `wasmArgs`) and
// the event worker (web/demo/event-worker.js) on a fresh channel, both supervised (a worker
// that exits is marked gone on the channel). Works in Node.js and in browsers.
import { createChannel, startWorker, wasmWorkerUrl, SIDE_A, SIDE_B } from '../src/index.js';


const eventWorkerUrl = new URL('./event-worker.js', import.meta.url);

/** An RPC client for the event worker: call(cmd, args) resolves with its result or rejects
 * with an Error carrying name/code/codeName. */
function rpc(handle) {
  let next = 1;
  const pending = new Map();
  let ready;
  const readyP = new Promise((r) => (ready = r));
  handle.onMessage((m) => {
    if (m?.type === 'ready') return ready();
    const p = pending.get(m?.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(Object.assign(new Error(m.error.message), m.error));
    else p.resolve(m.result);
  });
  handle.exited.then((code) => {
    for (const p of pending.values()) p.reject(new Error(`event worker exited (${code})`));
    pending.clear();
  });
  return {
    ready: readyP,
    call(cmd, args = {}) {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        handle.postMessage({ id, cmd, ...args });
      });
    },
  };
}

/**
 * @param {object} o
 * @param {string[]} [o.wasmArgs] the C program's command line
 * @param {number} [o.ringBytes]
 * @param {number} [o.mtu]
 * @param {object} [o.attach] options of the event worker's attach command
 */
export async function startPair({ wasmArgs = [], ringBytes, mtu, attach = {}, deferWasm = false } = {}) {
  const channel = createChannel({ ringBytes, mtu });
  const lines = [];
  const stderr = [];
  let lineWaiters = [];
  const pair = {};
  pair.startWasm = async () => {
    const wasm = await startWorker(wasmWorkerUrl, { channel, side: SIDE_B, name: 'wasm' });
    wasm.onMessage((m) => {
      if (m?.type === 'stdout') lines.push(m.line);
      else if (m?.type === 'stderr' || m?.type === 'error') stderr.push(m.line ?? m.message);
      lineWaiters = lineWaiters.filter((w) => !w());
    });
    wasm.postMessage({ channel, args: ['--side', 'b', ...wasmArgs] });
    pair.wasm = wasm;
    return wasm;
  };
  if (!deferWasm) await pair.startWasm();
  const evh = await startWorker(eventWorkerUrl, { channel, side: SIDE_A, name: 'event' });
  const ev = rpc(evh);
  await ev.ready;
  await ev.call('attach', { channel, side: SIDE_A, ...attach });
  return Object.assign(pair, {
    channel,
    ev,
    evWorker: evh,
    lines,
    stderr,
    /** Resolves with the first stdout line of the C program matching `re`. */
    line(re) {
      return pair.linesMatching(re, 1).then((found) => found[0]);
    },
    /** Resolves with the first `count` stdout lines matching `re`, once there are as many. */
    linesMatching(re, count) {
      return new Promise((res) => {
        const check = () => {
          const found = lines.filter((x) => re.test(x));
          if (found.length >= count) res(found.slice(0, count));
          return found.length >= count;
        };
        if (!check()) lineWaiters.push(check);
      });
    },
    /** The C program's final statistics line, parsed. */
    stats() {
      const l = lines.find((x) => x.startsWith('stats '));
      return l ? JSON.parse(l.slice(6)) : null;
    },
    /** Closes the session from the event side, then waits for both workers to exit. */
    async close() {
      await ev.call('close');
      const code = await pair.wasm.exited;
      await evh.terminate();
      return code;
    },
    async kill() {
      await Promise.all([pair.wasm?.terminate(), evh.terminate()]);
    },
  });
}
