// The guest in the embedder's own thread, for the JSPI backend: a handle with the shape of
// startWorker()'s (web/src/workers/supervise.js), so that startWasi (and startComponent)
// drive a program the same way wherever it runs. Its postMessage(start message) runs the
// program (program.js, or component/program.js for a component) with a JspiBackend: the guest suspends in its waiting imports and this thread's event loop, the
// event side's Session included, runs meanwhile. terminate() drops the guest where it is
// suspended (it never resumes) and marks its side of the channel gone, as a supervisor does
// for a dead worker: the event side's streams fail instead of waiting.
//
// Messages reach onMessage listeners in microtasks, never inside the guest's call: a
// listener that throws cannot unwind the guest, and output arrives in order, at the guest's
// next suspension at the latest.
import { markSideGone } from '../queue/channel.js';
import { macrotask } from '../event/schedule.js';
import { JspiBackend } from './backends/jspi.js';
import { runProgram } from './program.js';

/**
 * @param {{channel: object, side: number, run?: Function}} o the channel, the side the program
 *   attaches, and what runs the start message: run(msg, post, backend) (default: a WASI
 *   preview 1 command, program.js)
 * @returns {import('../workers/supervise.js').WorkerHandle & {worker: null, backend: JspiBackend}}
 */
export function startInThread({ channel, side, run = runProgram }) {
  const listeners = [];
  let exitResolve;
  const exited = new Promise((r) => (exitResolve = r));
  let gone = false, terminating = false, started = false;
  const backend = new JspiBackend();
  const onGone = (code) => {
    if (gone) return;
    gone = true;
    markSideGone(channel, side);
    exitResolve(terminating ? -1 : code);
  };
  const post = (m) => queueMicrotask(() => {
    if (!terminating) for (const f of listeners) f(m);
  });
  return {
    worker: null,
    backend,
    side,
    /** Starts the program (the first message; later ones are ignored, as a worker's). */
    postMessage(m) {
      if (started) return;
      started = true;
      macrotask(() => run(m, post, backend).then(() => queueMicrotask(() => onGone(0))));
    },
    onMessage: (fn) => listeners.push(fn),
    exited,
    async terminate() {
      terminating = !gone;
      backend.kill();
      onGone(-1);
    },
  };
}
