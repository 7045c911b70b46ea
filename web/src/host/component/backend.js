// The blocking primitive of the WASI 0.2 host, a swappable object with the interface of
// issue 12's backends (web/src/host/backends/ on that branch), so that both hosts share one:
//   blocking                          true: wait/sleep block the thread; false: they return
//                                     Promises (the host's poll then returns a Promise: with
//                                     jco's `--async-mode jspi` the guest suspends there)
//   wait(i32, index, value, timeoutMs) returns once i32[index] !== value was notified, or after
//                                     timeoutMs (Infinity: no limit)
//   sleep(timeoutMs), now()           a plain sleep; a monotonic clock in ms
// The host's poll computes readiness itself and asks the backend only to sleep on its
// doorbell's sequence word (doorbell.js) until it rings or a deadline passes.

/** Atomics.wait: a worker thread sleeps in the kernel, no spinning. */
export class AtomicsBackend {
  constructor() {
    if (typeof SharedArrayBuffer === 'undefined') {
      throw new Error('the Atomics backend needs SharedArrayBuffer (a cross-origin isolated page, or Node.js)');
    }
    this.blocking = true;
    this.word = new Int32Array(new SharedArrayBuffer(4));
    this.waits = 0;
  }

  wait(i32, index, value, timeoutMs) {
    this.waits++;
    return Atomics.wait(i32, index, value, timeoutMs < 0 ? 0 : timeoutMs);
  }

  sleep(timeoutMs) {
    this.wait(this.word, 0, 0, timeoutMs);
  }

  now() {
    return performance.now();
  }
}

/** Atomics.waitAsync: the same protocol from an event loop (tests of the asynchronous poll
 * path; issue 13's JSPI backend has this shape). */
export class AsyncBackend {
  constructor() {
    this.blocking = false;
    this.word = new Int32Array(new SharedArrayBuffer(4));
    this.waits = 0;
  }

  wait(i32, index, value, timeoutMs) {
    this.waits++;
    const r = Atomics.waitAsync(i32, index, value, timeoutMs < 0 ? 0 : timeoutMs);
    return r.async ? r.value : Promise.resolve(r.value);
  }

  sleep(timeoutMs) {
    return this.wait(this.word, 0, 0, timeoutMs);
  }

  now() {
    return performance.now();
  }
}
