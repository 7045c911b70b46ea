// A worker running a Go program built with GOOS=js GOARCH=wasm (web/go, transport_js.go)
// with one side of a shared-memory queue as "fd:3". Unlike the WASI worker, it never blocks:
// Go's js runtime returns to this event loop whenever every goroutine waits, and the queue
// wakes them through Atomics.waitAsync (a blocking Atomics.wait would freeze every
// goroutine). Node.js worker_threads or a browser module worker.
//
// Start message: {module, wasmExec (URL or path of Go's wasm_exec.js), args, env,
//                 queue: {buffer, offset, side, spinUs?, trace?}}
// Messages posted: as worker.js ({type: 'stdout'|'stderr', line}, {type: 'exit', code,
// stats}, {type: 'error', message}).
import { lineSink } from './wasi/stdio.js';
import { ShmqFd } from './shmq-fd.js';
import { onStart } from '../workers/port.js';
import { READABLE, WRITABLE, ShmqError } from '../queue/shmq.js';

const SCRATCH = 256 * 1024;

const post = await onStart((m) => start(m));

/** The queue object transport_js.go expects (see there). */
function jsQueue(qfd) {
  const rbuf = new Uint8Array(SCRATCH), wbuf = new Uint8Array(SCRATCH);
  const waiters = []; // {events, cb}
  const q = qfd.q;
  let looping = false, armed = null, armedFor = 0, flushQueued = false, stopped = false;
  // What read/write leave pending (a small write in an open record, consumed packets) is
  // flushed by the next call of another kind, or once Go returns to the event loop.
  const later = () => {
    if (qfd.hasPending && !flushQueued) {
      flushQueued = true;
      queueMicrotask(() => {
        flushQueued = false;
        qfd.flushPending();
      });
    }
  };
  const toShmq = (ev) => (ev & 1 ? READABLE : 0) | (ev & 2 ? WRITABLE : 0);
  // One waiter loop for both directions, on the one doorbell (two concurrent waitAsync calls
  // would keep re-arming it with different values and wake each other).
  async function loop() {
    looping = true;
    await null; // never call back into Go from inside its call
    while (waiters.length) {
      const want = waiters.reduce((a, w) => a | w.events, 0);
      let ready = 0;
      try {
        const a = q.arm(toShmq(want), qfd.mtu);
        ready = a.ready;
        if (!ready) {
          armed = a;
          armedFor = want;
          const r = Atomics.waitAsync(a.i32, a.index, a.value, a.timeoutMs);
          if (r.async) await r.value;
          armed = null;
          q.disarm();
          const err = q.checkPeer();
          if (err) throw new ShmqError(err);
          ready = qfd.ready(want);
        }
      } catch (e) {
        if (!(e instanceof ShmqError)) throw e;
        armed = null;
        ready = 3; // over: let both directions find out
      }
      if (stopped) break;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].events & ready) {
          try {
            waiters.splice(i, 1)[0].cb();
          } catch (e) {
            if (!/already exited/.test(e?.message)) throw e; // a wake-up after the exit
          }
        }
      }
    }
    looping = false;
  }
  return {
    rbuf, wbuf,
    read: (max) => {
      qfd.flushPending('read');
      const r = qfd.read([rbuf.subarray(0, Math.min(max, SCRATCH))]);
      later();
      return r;
    },
    write: (n) => {
      qfd.flushPending('write');
      const r = qfd.write([wbuf.subarray(0, n)]);
      later();
      return r;
    },
    wait: (events, cb) => {
      qfd.flushPending();
      waiters.push({ events, cb });
      if (!looping) loop();
      else if (armed && (armedFor | events) !== armedFor) {
        Atomics.notify(armed.i32, armed.index); // re-arm for the new direction too
      }
    },
    close: () => qfd.close(),
    /** The program exited: drop the waiters (their callbacks are gone with it). */
    stop: () => {
      stopped = true;
      waiters.length = 0;
      if (armed) Atomics.notify(armed.i32, armed.index);
    },
  };
}

/** A globalThis.fs for wasm_exec.js: stdout/stderr to sinks, everything else ENOSYS. */
function makeFs(sinks) {
  const enosys = () => Object.assign(new Error('not implemented'), { code: 'ENOSYS' });
  const base = {
    constants: { O_WRONLY: -1, O_RDWR: -1, O_CREAT: -1, O_TRUNC: -1, O_APPEND: -1, O_EXCL: -1, O_DIRECTORY: -1 },
    writeSync(fd, buf) {
      const s = sinks[fd];
      if (s) s(buf.slice());
      return buf.length;
    },
    write(fd, buf, offset, length, position, callback) {
      if (offset !== 0 || length !== buf.length || position !== null) return callback(enosys());
      callback(null, this.writeSync(fd, buf));
    },
    fsync: (fd, cb) => cb(null),
  };
  return new Proxy(base, {
    get: (t, k) => (k in t ? t[k] : (...args) => args[args.length - 1]?.(enosys())),
  });
}

async function start(msg) {
  try {
    const out = lineSink((line) => post({ type: 'stdout', line }));
    const err = lineSink((line) => post({ type: 'stderr', line }));
    globalThis.fs = makeFs({ 1: out, 2: err });
    if (!globalThis.Go) {
      const url = msg.wasmExec instanceof URL ? msg.wasmExec.href
        : /^[a-z]+:/.test(msg.wasmExec) ? msg.wasmExec : `file://${msg.wasmExec}`;
      await import(url);
    }
    const { buffer, offset = 0, side, spinUs, trace } = msg.queue;
    const qfd = ShmqFd.attach(buffer, offset, side, { trace, ...(spinUs !== undefined ? { spinUs } : {}) });
    const jq = jsQueue(qfd);
    globalThis.yamuxQueues = { 3: jq };
    const go = new globalThis.Go();
    go.argv = msg.args;
    go.env = msg.env || {};
    let code = 0;
    go.exit = (c) => (code = c);
    const module = msg.module instanceof WebAssembly.Module ? msg.module : await WebAssembly.compile(msg.module);
    const instance = await WebAssembly.instantiate(module, go.importObject);
    const t0 = performance.now();
    await go.run(instance);
    jq.stop();
    out.flush();
    err.flush();
    qfd.close();
    post({
      type: 'exit', code,
      stats: { ms: performance.now() - t0, queue: qfd.stats, trace: qfd.trace ? JSON.parse(JSON.stringify(qfd.trace)) : null },
    });
  } catch (e) {
    post({ type: 'error', message: String(e?.stack || e) });
  }
}
