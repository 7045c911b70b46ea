// The embedder's API: starts a WASI 0.2 command component in a component worker (worker.js)
// and gives its stdio as WHATWG streams. Runs on an event loop (a page, an event worker,
// Node's main thread) and never blocks: it sleeps with Atomics.waitAsync on its doorbell,
// which the worker rings when it writes output or reads input.
import { createStdio, attachStdio, markHostGone } from './pipe.js';
import { SE, codeName } from './byte-stream.js';

/** URL of the component worker script. */
export const componentWorkerUrl = new URL('./worker.js', import.meta.url);

const CHUNK = 65536;
const isNode = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined';

/** A module worker (Node worker_threads or a browser Worker): {post, onMessage, exited,
 * terminate}; `exited` resolves when it is gone, whatever the reason. (The web package's
 * startWorker supervises an shmq channel side; these pipes have their own markHostGone.) */
async function spawn(url, name) {
  const listeners = [];
  let gone;
  const exited = new Promise((r) => (gone = r));
  let w;
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    w = new Worker(url instanceof URL ? url : new URL(url), { name });
    w.on('message', (m) => listeners.forEach((f) => f(m)));
    w.on('error', (e) => listeners.forEach((f) => f({ type: 'error', message: String((e && e.stack) || e) })));
    w.on('exit', (code) => gone(code));
  } else {
    w = new Worker(url, { type: 'module', name });
    w.onmessage = (e) => listeners.forEach((f) => f(e.data));
    w.onerror = (e) => {
      e.preventDefault?.();
      listeners.forEach((f) => f({ type: 'error', message: String(e.message || e) }));
      gone(1);
    };
  }
  return {
    post: (m) => w.postMessage(m),
    onMessage: (f) => listeners.push(f),
    exited,
    async terminate() {
      await w.terminate();
      gone(-1);
    },
  };
}

/**
 * Starts `component` (URL of a transpiled component's ES module, see web/component/build.sh).
 * @param {URL|string} component
 * @param {{args?: string[], env?: Record<string, string>, ringBytes?: number, name?: string,
 *   workerUrl?: URL|string}} [opts] args[0] is the program's name; ringBytes: each stdio
 *   pipe's ring (default 64 KiB)
 * @returns {Promise<{stdin: WritableStream<Uint8Array>, stdout: ReadableStream<Uint8Array>,
 *   stderr: ReadableStream<Uint8Array>, exited: Promise<number>, stats: Promise<object>,
 *   terminate: () => Promise<void>}>} exited resolves with the exit status once the program
 *   ended, and rejects when it trapped or the worker died
 */
export async function startComponent(component, opts = {}) {
  const desc = createStdio({ ringBytes: opts.ringBytes });
  const io = attachStdio(desc, 'embedder');
  const worker = await spawn(opts.workerUrl || componentWorkerUrl, opts.name || 'component');
  let resolveExit, rejectExit, resolveStats;
  const exited = new Promise((res, rej) => ((resolveExit = res), (rejectExit = rej)));
  const stats = new Promise((res) => (resolveStats = res));
  exited.catch(() => {});
  let ended = false;
  worker.onMessage((m) => {
    if (m.type === 'exit') {
      ended = true;
      resolveStats(m.stats);
      resolveExit(m.code);
      worker.terminate().catch(() => {});
    } else if (m.type === 'error') {
      ended = true;
      markHostGone(desc);
      resolveStats(null);
      rejectExit(new Error(`component: ${m.message}`));
      worker.terminate().catch(() => {});
    }
  });
  worker.exited.then((c) => {
    markHostGone(desc);
    if (!ended) {
      resolveStats(null);
      rejectExit(new Error(`component: the worker ended (${c}) before the program`));
    }
  });
  const pump = new StdioPump(io);
  worker.post({
    component: String(component),
    args: (opts.args || ['main']).map(String),
    env: opts.env || {},
    stdio: desc,
  });
  return {
    stdin: pump.stdin,
    stdout: pump.stdout,
    stderr: pump.stderr,
    exited,
    stats,
    terminate: () => worker.terminate(),
  };
}

/** Moves bytes between the pipes and the WHATWG streams, one loop for all three. */
class StdioPump {
  constructor(io) {
    this.io = io;
    this.outs = [this.output(io.stdout), this.output(io.stderr)];
    this.input = { chunk: null, off: 0, resolve: null, reject: null, closing: null, done: false };
    const input = this.input;
    this.stdout = this.outs[0].readable;
    this.stderr = this.outs[1].readable;
    this.stdin = new WritableStream({
      write: (chunk) =>
        new Promise((resolve, reject) => {
          if (!(chunk instanceof Uint8Array)) throw new TypeError('stdin takes Uint8Array chunks');
          if (input.done || io.stdin.hangup()) {
            input.done = true;
            throw new Error('component: stdin is closed (the program ended or closed it)');
          }
          Object.assign(input, { chunk, off: 0, resolve, reject });
          io.bell.ring();
        }),
      close: () =>
        new Promise((resolve) => {
          if (input.done) return resolve();
          input.closing = resolve;
          io.bell.ring();
        }),
      abort: () => {
        input.done = true;
        io.stdin.close();
      },
    });
    this.loop();
  }

  output(pipe) {
    const o = { pipe, ctrl: null, done: false };
    o.readable = new ReadableStream(
      {
        start: (c) => {
          o.ctrl = c;
        },
        pull: () => this.io.bell.ring(),
        cancel: () => {
          o.done = true;
          pipe.close();
        },
      },
      { highWaterMark: 4 },
    );
    return o;
  }

  /** @private one pass over the three pipes; returns whether anything moved */
  step() {
    let moved = false;
    for (const o of this.outs) {
      while (!o.done && o.ctrl.desiredSize > 0) {
        const buf = new Uint8Array(CHUNK);
        const r = o.pipe.read([buf]);
        if (r > 0) {
          o.ctrl.enqueue(r === CHUNK ? buf : buf.slice(0, r));
          moved = true;
          continue;
        }
        if (r !== SE.AGAIN) {
          o.done = true;
          if (r === 0) o.ctrl.close();
          else o.ctrl.error(new Error(`component: output pipe failed (${codeName(r)})`));
          moved = true;
        }
        break;
      }
    }
    const i = this.input;
    if (!i.done && i.chunk) {
      const r = this.io.stdin.write([i.chunk.subarray(i.off)]);
      if (r > 0) {
        i.off += r;
        moved = true;
        if (i.off === i.chunk.length) {
          const res = i.resolve;
          Object.assign(i, { chunk: null, resolve: null, reject: null });
          res();
        }
      } else if (r !== SE.AGAIN) {
        const rej = i.reject;
        Object.assign(i, { chunk: null, resolve: null, reject: null, done: true });
        rej(new Error('component: stdin is closed (the program ended or closed it)'));
        moved = true;
      }
    }
    if (!i.done && !i.chunk && i.closing) {
      this.io.stdin.close();
      i.done = true;
      i.closing();
      moved = true;
    }
    if (!i.done && !i.chunk && this.io.stdin.hangup()) i.done = true; // the program is gone
    return moved;
  }

  async loop() {
    for (;;) {
      const seen = this.io.bell.arm();
      if (this.step()) {
        this.io.bell.disarm();
        continue;
      }
      if (this.outs.every((o) => o.done) && this.input.done) break;
      await this.io.bell.waitAsync(seen, Infinity);
      this.io.bell.disarm();
    }
    this.io.bell.disarm();
  }
}
