// Test helpers. startPair: the two real workers the way the demo starts them (web/demo/
// pair.js). inProcess: the event side (Session) in the test's own thread, the wasm worker (the
// C program) in a real worker: the test holds the streams itself.
import { createChannel, startWorker, wasmWorkerUrl, Session, SIDE_A, SIDE_B } from '../src/index.js';

export { startPair } from '../demo/pair.js';

const enc = new TextEncoder(), dec = new TextDecoder();
export const bytes = (s) => enc.encode(s);

/**
 * Starts the wasm worker on `channel` with the C program's `args`; supervised (its side is
 * marked gone when it dies) unless `supervise` is false.
 */
export async function startWasm(channel, args = [], { side = SIDE_B, supervise = true, url = wasmWorkerUrl, start } = {}) {
  const handle = await startWorker(url, supervise ? { channel, side } : {});
  const w = { handle, lines: [], stderr: [], messages: [], exited: handle.exited };
  let waiters = [];
  handle.onMessage((m) => {
    w.messages.push(m);
    if (m?.type === 'stdout') w.lines.push(m.line);
    else if (m?.type === 'stderr' || m?.type === 'error') w.stderr.push(m.line ?? m.message);
    waiters = waiters.filter((f) => !f());
  });
  /** Resolves with the first stdout line matching `re`. */
  w.line = (re) =>
    new Promise((res) => {
      const check = () => {
        const l = w.lines.find((x) => re.test(x));
        if (l !== undefined) res(l);
        return l !== undefined;
      };
      if (!check()) waiters.push(check);
    });
  handle.postMessage(start ?? { channel, args });
  return w;
}

/** A channel, the wasm worker running `wasmArgs` on side B, and a Session on side A in this
 * thread; both torn down after the test. */
export async function inProcess(t, { wasmArgs = [], ringBytes, mtu, session = {}, supervise = true } = {}) {
  const channel = createChannel({ ringBytes, mtu });
  const wasm = await startWasm(channel, wasmArgs, { supervise });
  const s = await Session.create({ channel, side: SIDE_A, ...session });
  t.after(async () => {
    s.abort(new Error('test over'));
    await wasm.handle.terminate();
    await s.closed.catch(() => {});
  });
  return { channel, wasm, session: s };
}

/** Reads a stream to its end as text. */
export async function readText(readable) {
  let out = '';
  for await (const chunk of readable) out += dec.decode(chunk, { stream: true });
  return out + dec.decode();
}

/** Resolves once `fn()` is true, checked after each macrotask turn (for state that changes
 * without an event, as the engine's stream count). */
export async function until(fn) {
  while (!fn()) await new Promise((r) => setImmediate(r));
}

export { SIDE_A, SIDE_B };
