// The queue's waiting primitive: one interface, two implementations, chosen by the buffer the
// region lives in (doorbellOf):
//
//   a SharedArrayBuffer   the two sides run in two threads: Atomics.wait / waitAsync / notify
//                         on the doorbell word (docs/shmq.md 4.3);
//   a plain ArrayBuffer   the two sides run in one thread (the JSPI backend: a guest suspended
//                         in WebAssembly.Suspending imports and the event side's Session share
//                         one event loop, no SharedArrayBuffer). Nothing may block there:
//                         waitAsync registers the waiter on the word (after the same value
//                         check Atomics.waitAsync makes, so the queue's arm-then-recheck
//                         protocol misses no wake-up), notify wakes it.
//
// The interface (the shapes of the Atomics calls):
//   canBlock                               whether wait() may be called
//   wait(i32, index, value, timeoutMs)     blocks: 'ok' | 'not-equal' | 'timed-out'
//   waitAsync(i32, index, value, timeoutMs) {async: false, value: 'not-equal' | 'timed-out'}
//                                          or {async: true, value: Promise<'ok' | 'timed-out'>}
//   notify(i32, index)                     wakes the waiters on the word: how many
//
// Same-thread wake-ups resolve in a macrotask of their own, never inside notify() and never in
// the notifier's microtasks: the woken side runs after the notifier's task ends, so the two
// sides take turns with the rest of the event loop (I/O, timers, rendering) instead of
// starving it with a chain of microtasks, and a guest woken by a timer does not inherit its
// timer nesting level (browsers clamp nested timers to 4 ms).
import { macrotask } from '../event/schedule.js';

/** The longest delay a timer takes (2^31 - 1 ms, about 24.8 days): timers given more fire at
 * once. A longer timeout is no timeout. */
const TIMER_MAX_MS = 2147483647;

/** The doorbell of a SharedArrayBuffer: Atomics itself. */
export const atomicsDoorbell = Object.freeze({
  canBlock: true,
  wait: (i32, index, value, timeoutMs) => Atomics.wait(i32, index, value, timeoutMs),
  waitAsync: (i32, index, value, timeoutMs) => Atomics.waitAsync(i32, index, value, timeoutMs),
  notify: (i32, index) => Atomics.notify(i32, index),
});

/** The doorbell of a plain ArrayBuffer whose two sides run in one thread. */
export class LocalDoorbell {
  constructor() {
    this.canBlock = false;
    /** byte address in the buffer -> Set of waiters {resolve, timer} */
    this.waiters = new Map();
    this.stats = { waits: 0, notified: 0, timedOut: 0 };
  }

  /** Nothing can block in one thread: the caller has the wrong backend. */
  wait() {
    throw new TypeError('yamux: a channel in a plain ArrayBuffer serves two sides in one thread, where nothing can block (use waitAsync, or a SharedArrayBuffer channel between workers)');
  }

  /**
   * Resolves once notify() is called on i32[index] (after this call) or after `timeoutMs`
   * (Infinity: no limit); at once with 'not-equal' when i32[index] !== value.
   */
  waitAsync(i32, index, value, timeoutMs = Infinity) {
    if (Atomics.load(i32, index) !== value) return { async: false, value: 'not-equal' };
    if (!(timeoutMs > 0)) return { async: false, value: 'timed-out' };
    this.stats.waits++;
    const at = i32.byteOffset + 4 * index;
    let set = this.waiters.get(at);
    if (!set) this.waiters.set(at, (set = new Set()));
    const w = { resolve: null, timer: null };
    const p = new Promise((resolve) => (w.resolve = resolve));
    set.add(w);
    if (timeoutMs <= TIMER_MAX_MS) {
      w.timer = setTimeout(() => {
        if (!this.take(at, w)) return;
        this.stats.timedOut++;
        macrotask(() => w.resolve('timed-out'));
      }, timeoutMs);
    }
    return { async: true, value: p };
  }

  /** Wakes every waiter on i32[index] (each in a macrotask of its own); returns how many. */
  notify(i32, index) {
    const at = i32.byteOffset + 4 * index;
    const set = this.waiters.get(at);
    if (!set) return 0;
    this.waiters.delete(at);
    for (const w of set) {
      clearTimeout(w.timer);
      macrotask(() => w.resolve('ok'));
    }
    this.stats.notified += set.size;
    return set.size;
  }

  /** Drops every waiter on i32[index] without waking it: its promise never settles (a
   * terminated guest's suspended stack is then garbage). */
  cancel(i32, index) {
    const at = i32.byteOffset + 4 * index;
    const set = this.waiters.get(at);
    if (!set) return;
    this.waiters.delete(at);
    for (const w of set) clearTimeout(w.timer);
  }

  /** @private removes waiter `w`; false when it was woken already */
  take(at, w) {
    const set = this.waiters.get(at);
    if (!set || !set.delete(w)) return false;
    if (!set.size) this.waiters.delete(at);
    return true;
  }
}

const local = new WeakMap(); // ArrayBuffer -> LocalDoorbell

/**
 * The doorbell of `buffer`: Atomics for a SharedArrayBuffer, the buffer's LocalDoorbell for a
 * plain ArrayBuffer (one per buffer, shared by everything in this thread that attaches it).
 * @param {ArrayBuffer|SharedArrayBuffer} buffer
 */
export function doorbellOf(buffer) {
  if (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer) return atomicsDoorbell;
  let d = local.get(buffer);
  if (!d) local.set(buffer, (d = new LocalDoorbell()));
  return d;
}
