// The blocking primitive of the wasm worker with SharedArrayBuffer: Atomics.wait, on a word
// another worker notifies (the queue's doorbell) or on a private word for a plain sleep.
// The host blocks nowhere else: poll_oneoff and the final flush at exit call wait() or
// sleep(), never a read or a write.
//
// The interface, for other backends (issue 13's JSPI backend makes these asynchronous and the
// imports that call them WebAssembly.Suspending):
//   wait(i32, index, value, timeoutMs)  returns once i32[index] !== value was notified, or
//                                       after timeoutMs (Infinity: no limit)
//   sleep(timeoutMs)                    returns after timeoutMs
//   now()                               a monotonic clock in milliseconds
//   blocking                            true: wait/sleep block the calling thread

export class AtomicsBackend {
  constructor() {
    if (typeof SharedArrayBuffer === 'undefined')
      throw new Error('the Atomics backend needs SharedArrayBuffer (a cross-origin isolated page, or Node.js)');
    this.blocking = true;
    this.word = new Int32Array(new SharedArrayBuffer(4));
    this.waits = 0;
  }

  wait(i32, index, value, timeoutMs) {
    this.waits++;
    return Atomics.wait(i32, index, value, timeoutMs);
  }

  sleep(timeoutMs) {
    this.waits++;
    Atomics.wait(this.word, 0, 0, timeoutMs);
  }

  now() {
    return performance.now();
  }
}
