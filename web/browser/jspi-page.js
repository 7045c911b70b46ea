// The page of web/browser/jspi.test.mjs: runs the scenario named in the query string with
// startWasi({backend}) (default 'auto'), on this page's main thread or (?in=worker) in one
// module worker. Without COOP/COEP there is no SharedArrayBuffer and 'auto' runs the guest
// beside the event side with the JSPI backend; with them it runs in a wasm worker (Atomics).
// Result: window.wasiResult (see jspi-run.js).
import { runScenario } from './jspi-run.js';

const q = new URLSearchParams(location.search);
const name = q.get('scenario');
const backend = q.get('backend') || 'auto';
const log = (s) => (document.getElementById('log').textContent += `${s}\n`);

if (q.get('in') === 'worker') {
  const w = new Worker(new URL('./jspi-worker.js', import.meta.url), { type: 'module' });
  w.onmessage = ({ data }) => {
    log(JSON.stringify(data));
    window.wasiResult = { ...data, in: 'worker' };
    w.terminate();
  };
  w.onerror = (e) => (window.wasiResult = { error: String(e.message || e), in: 'worker' });
  w.postMessage({ scenario: name, backend });
} else {
  runScenario(name, backend, log).then((r) => (window.wasiResult = { ...r, in: 'page' }));
}
