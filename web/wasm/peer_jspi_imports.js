// The two functions the JSPI build of the C program imports (src/shmq_wait.c with
// YAMUX_SHMQ_WAIT_EXTERNAL): its waits and wake-ups on the channel's doorbell words. They call what
// the embedder put on the module (web/src/workers/peer-jspi.js): Module.yxWait, a function
// that returns a Promise the program suspends on (the import is made a
// WebAssembly.Suspending there), and Module.yxWake.
mergeInto(LibraryManager.library, {
  yamux_shmq_host_wait: function (word, expect, timeoutMs) {
    return Module['yxWait'](word, expect, timeoutMs);
  },
  yamux_shmq_host_wake: function (word) {
    Module['yxWake'](word);
  },
});
