// The worker side of the start handshake, the same in Node.js worker_threads and in browser
// workers: a worker receives one start message (Node: `workerData` when given, else the first
// message; browsers: the first message) and answers its parent with `post(message)`.

/**
 * Returns `post(message)` for answering the parent, and calls `start(message)` with the start
 * message once it is there (never before this function has returned).
 * @param {(message: any) => unknown} start
 * @returns {Promise<(message: any) => void>}
 */
export async function onStart(start) {
  const isNode =
    typeof process === 'object' && !!process.versions?.node && typeof WorkerGlobalScope === 'undefined';
  if (isNode) {
    const { parentPort, workerData } = await import('node:worker_threads');
    if (!parentPort) return () => {};
    if (workerData) setImmediate(() => start(workerData));
    else parentPort.once('message', (m) => start(m));
    return (m) => parentPort.postMessage(m);
  }
  self.onmessage = (e) => {
    self.onmessage = null;
    start(e.data);
  };
  return (m) => self.postMessage(m);
}
