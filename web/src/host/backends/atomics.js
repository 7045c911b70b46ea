// The blocking primitive of the wasm worker with SharedArrayBuffer: Atomics.wait, on a word
// another worker notifies (the queue's doorbell) or on a private word for a plain sleep.
// The host blocks nowhere else: poll_oneoff and the final flush at exit call wait() or
// sleep(), never a read or a write.
//
// The interface of a backend (the other one, jspi.js, makes wait/sleep asynchronous and the
// imports that call them WebAssembly.Suspending):
//   name                                'atomics' | 'jspi'
//   blocking                            true: wait/sleep block the calling thread; false:
//                                       they return Promises (the callers go on in them)
//   wait(i32, index, value, timeoutMs)  returns once i32[index] !== value was notified, or
//                                       after timeoutMs (Infinity: no limit)
//   sleep(timeoutMs)                    returns after timeoutMs
//   now()                               a monotonic clock in milliseconds
//   suspending(fn)                      the import object for a host function that may wait
//   promising(fn)                       the export to call for the guest's entry point
//   yieldDue()                          a Promise when the guest should give its thread
//                                       back before going on (JSPI), else undefined
//   kill()                              the guest is terminated: a wait never returns
// The queue's doorbell (web/src/queue/doorbell.js) is the same primitive for the event side.
import { atomicsDoorbell } from '../../queue/doorbell.js';

export class AtomicsBackend {
  constructor() {
    if (typeof SharedArrayBuffer === 'undefined')
      throw new Error('the Atomics backend needs SharedArrayBuffer (a cross-origin isolated page, or Node.js)');
    this.name = 'atomics';
    this.blocking = true;
    this.word = new Int32Array(new SharedArrayBuffer(4));
    this.waits = 0;
  }

  wait(i32, index, value, timeoutMs) {
    this.waits++;
    return atomicsDoorbell.wait(i32, index, value, timeoutMs);
  }

  sleep(timeoutMs) {
    this.waits++;
    atomicsDoorbell.wait(this.word, 0, 0, timeoutMs);
  }

  now() {
    return performance.now();
  }

  /** The wait blocks inside the call: the host function as it is. */
  suspending(fn) {
    return fn;
  }

  /** The guest runs to its end inside the call: the export as it is. */
  promising(fn) {
    return fn;
  }

  /** The worker is the guest's own: it never has to give it back. */
  yieldDue() {
    return undefined;
  }

  /** The worker is terminated as a whole (supervise.js). */
  kill() {}
}
