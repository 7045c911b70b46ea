// The blocking primitive of the WASI 0.2 host, kept a swappable object: the host's poll
// computes readiness itself and asks the backend only to sleep until the doorbell rings or a
// deadline passes. Issue 13 adds a JSPI backend (`async: true`, wait returns a Promise; the
// host's poll then returns a Promise and the component is transpiled with jco's
// `--async-mode jspi` so that wasi:io/poll suspends the guest instead of blocking).

/**
 * @typedef {object} Backend
 * @property {boolean} async whether wait() returns a Promise
 * @property {(bell: import('./doorbell.js').Doorbell, seen: number, timeoutMs: number) => (void|Promise<void>)} wait
 *   sleeps until `bell` moves from `seen` or `timeoutMs` passes (Infinity: no limit)
 */

/** Atomics.wait on the doorbell: a worker thread sleeps in the kernel, no spinning. */
export class AtomicsBackend {
  constructor() {
    this.async = false;
    this.stats = { waits: 0 };
  }

  wait(bell, seen, timeoutMs) {
    this.stats.waits++;
    bell.wait(seen, timeoutMs);
  }
}

/** Atomics.waitAsync on the doorbell: for hosts driven from an event loop (and tests of the
 * asynchronous poll path); the same doorbell protocol. */
export class AsyncBackend {
  constructor() {
    this.async = true;
    this.stats = { waits: 0 };
  }

  wait(bell, seen, timeoutMs) {
    this.stats.waits++;
    return bell.waitAsync(seen, timeoutMs).then(() => {});
  }
}
