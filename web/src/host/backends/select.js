// Which backend runs a WASI program (startWasi's `backend` option):
//   'atomics'  the guest in a worker of its own, blocking in Atomics.wait; needs
//              SharedArrayBuffer (a cross-origin isolated page, Node.js) and workers;
//   'jspi'     the guest in the calling thread beside the event side, suspending through
//              WebAssembly.Suspending / promising; needs JSPI (Chrome 137+, Node.js 25+);
//   'auto'     Atomics where the context has SharedArrayBuffer (cross-origin isolated), JSPI
//              otherwise.
import { hasJspi } from './jspi.js';

export const BACKENDS = Object.freeze(['auto', 'atomics', 'jspi']);

const ISOLATION = 'the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp';
const JSPI = 'JSPI (WebAssembly.Suspending and WebAssembly.promising: Chrome 137+, Node.js 25+)';

/** What this context offers: {sharedMemory, workers, jspi, isolated}. */
export function capabilities() {
  const g = globalThis;
  const isNode = typeof process === 'object' && !!process.versions?.node && typeof g.window === 'undefined';
  return {
    // Browsers define SharedArrayBuffer only when cross-origin isolated; Node.js always.
    sharedMemory: typeof g.SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false,
    workers: isNode || typeof g.Worker === 'function',
    jspi: hasJspi(),
    isolated: g.crossOriginIsolated,
  };
}

/**
 * The backend to use: {name: 'atomics' | 'jspi'}, or {missing: a sentence naming what is
 * missing} when the requested one (or, for 'auto', either) cannot run here. Throws TypeError
 * for a value that is not a backend.
 * @param {string} [requested] 'auto' (default), 'atomics' or 'jspi'
 * @param {ReturnType<typeof capabilities>} [caps]
 */
export function chooseBackend(requested = 'auto', caps = capabilities()) {
  if (!BACKENDS.includes(requested))
    throw new TypeError(`backend must be 'auto', 'atomics' or 'jspi', not ${JSON.stringify(requested)}`);
  const atomics = caps.sharedMemory && caps.workers;
  const whyNotAtomics = !caps.sharedMemory
    ? `SharedArrayBuffer is missing (${caps.isolated === false ? ISOLATION : 'this JavaScript engine does not provide it'})`
    : 'workers are missing (no Worker in this context)';
  if (requested === 'atomics') return atomics ? { name: 'atomics' } : { missing: `the Atomics backend cannot run here: ${whyNotAtomics}` };
  if (requested === 'jspi') return caps.jspi ? { name: 'jspi' } : { missing: `the JSPI backend cannot run here: this JavaScript engine has no ${JSPI}` };
  if (atomics) return { name: 'atomics' };
  if (caps.jspi) return { name: 'jspi' };
  return { missing: `no backend can run a WASI program here: ${whyNotAtomics}, and this JavaScript engine has no ${JSPI}` };
}
