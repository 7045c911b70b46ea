// The blocking primitive with JSPI (JavaScript Promise Integration): the guest runs in the
// embedder's own thread, beside the event side, without SharedArrayBuffer. The host's imports
// that may wait are WebAssembly.Suspending functions and the guest's entry point is called
// through WebAssembly.promising: when such an import returns a Promise, the guest's whole
// wasm stack is suspended and the thread goes back to its event loop (the event side's
// Session, timers, I/O, the page); the Promise settling resumes the guest where it was.
//
// The interface is AtomicsBackend's (atomics.js), asynchronous: wait() and sleep() return
// Promises (or a value when there is nothing to wait for). wait() waits on the queue's
// same-thread doorbell (web/src/queue/doorbell.js): the event side's notify() wakes it in a
// macrotask of its own. Sleeps and timeouts are timers whose wake-up also comes in a
// macrotask of its own, so that the guest's next timer is not nested in this one (browsers
// clamp timers nested five deep to 4 ms).
//
// Who runs when: the guest runs until it calls a waiting import; the host pumps its engine
// (its output goes into the ring and rings the event side's doorbell), then, when nothing is
// ready, arms its own doorbell and suspends. The event side runs: it reads the ring, acts,
// writes, rings the guest's doorbell; the guest resumes in a later task. A guest that
// computes gives the thread back at least every `sliceMs` (10 ms): poll_oneoff,
// clock_time_get and sched_yield then suspend for one macrotask (yieldDue), so the page and
// the event side keep running; a guest that neither polls nor reads the clock keeps the
// thread until it does.
import { doorbellOf, LocalDoorbell } from '../../queue/doorbell.js';
import { macrotask } from '../../event/schedule.js';

/** A guest that has run this long without giving the thread back yields at its next clock
 * read, sched_yield or poll_oneoff. */
export const SLICE_MS = 10;

const never = new Promise(() => {});

/** Whether this JavaScript engine has JSPI (WebAssembly.Suspending and promising). */
export function hasJspi() {
  return typeof WebAssembly === 'object' && typeof WebAssembly.Suspending === 'function' &&
    typeof WebAssembly.promising === 'function';
}

export class JspiBackend {
  /** @param {{sliceMs?: number}} [o] */
  constructor({ sliceMs = SLICE_MS } = {}) {
    if (!hasJspi())
      throw new Error('the JSPI backend needs WebAssembly.Suspending and WebAssembly.promising (JavaScript Promise Integration: Chrome 137+, Node.js 25+)');
    this.name = 'jspi';
    this.blocking = false;
    this.sliceMs = sliceMs;
    this.word = new Int32Array(new ArrayBuffer(4)); // a private word for plain sleeps
    this.bell = new LocalDoorbell();
    this.pending = null; // {bell, i32, index}: the wait the guest is suspended in
    this.killed = false;
    this.resumedAt = performance.now(); // when the guest last got the thread back
    this.waits = 0;
    this.yields = 0;
  }

  /**
   * Resolves once i32[index] was notified (the queue's same-thread doorbell) or after
   * `timeoutMs`; returns 'not-equal' at once (no Promise) when the word changed already.
   */
  wait(i32, index, value, timeoutMs) {
    this.waits++;
    return this.waitOn(doorbellOf(i32.buffer), i32, index, value, timeoutMs);
  }

  /** Resolves after `timeoutMs`. */
  sleep(timeoutMs) {
    this.waits++;
    return this.waitOn(this.bell, this.word, 0, 0, timeoutMs);
  }

  /** @private */
  waitOn(bell, i32, index, value, timeoutMs) {
    const r = bell.waitAsync(i32, index, value, timeoutMs);
    if (!r.async) return r.value;
    this.pending = { bell, i32, index };
    return r.value.then((v) => {
      this.pending = null;
      if (this.killed) return never;
      this.resumedAt = performance.now();
      return v;
    });
  }

  now() {
    return performance.now();
  }

  /** The import object of a host function that may return a Promise. */
  suspending(fn) {
    return new WebAssembly.Suspending(fn);
  }

  /** The guest's entry point, returning a Promise of its end. */
  promising(fn) {
    return WebAssembly.promising(fn);
  }

  /** A Promise resolved in a macrotask when the guest has kept the thread for a slice. */
  yieldDue() {
    if (performance.now() - this.resumedAt < this.sliceMs) return undefined;
    this.yields++;
    return new Promise((resolve) =>
      macrotask(() => {
        if (this.killed) return;
        this.resumedAt = performance.now();
        resolve();
      }),
    );
  }

  /** The guest is terminated: the wait it is suspended in is dropped and never returns (its
   * suspended stack becomes garbage), and so is any later one. */
  kill() {
    this.killed = true;
    const p = this.pending;
    if (p) p.bell.cancel(p.i32, p.index);
    this.pending = null;
  }
}
