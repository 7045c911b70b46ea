// A macrotask: runs `fn` soon, after pending I/O and messages get their turn (unlike a
// microtask, which could starve the event loop while data keeps arriving).
const hasImmediate = typeof setImmediate === 'function';
let channel, queue;

/** Schedules `fn` as a macrotask (setImmediate in Node.js, a MessageChannel in browsers). */
export function macrotask(fn) {
  if (hasImmediate) {
    setImmediate(fn);
    return;
  }
  if (!channel) {
    queue = [];
    channel = new MessageChannel();
    channel.port1.onmessage = () => queue.shift()?.();
  }
  queue.push(fn);
  channel.port2.postMessage(0);
}
