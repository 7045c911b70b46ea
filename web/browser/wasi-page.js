// The page of web/browser/wasi.test.mjs: runs the scenario named in the query string with
// startWasi() (this page's main thread is the event side: Atomics.waitAsync, never blocks;
// the guest runs in a module worker that blocks in Atomics.wait). Result: window.wasiResult
// = {isolated, result} or {isolated, error}.
import { startWasi } from '../src/host/start.js';
import { SCENARIOS } from '../test/wasi-scenarios.mjs';

const GO = new Set(['wasi-guest', 'wasi-http', 'wasi-probe']);
const guest = (name) => new URL(GO.has(name) ? `../go/bin/${name}.wasm` : `../guest/bin/${name}.wasm`, import.meta.url);
const name = new URLSearchParams(location.search).get('scenario');
const log = (s) => (document.getElementById('log').textContent += `${s}\n`);

async function main() {
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
  const run = SCENARIOS[name];
  if (!run) throw new Error(`no scenario ${name}`);
  log(`running ${name}`);
  return run({ startWasi, guest });
}

main().then(
  (result) => {
    log(`done: ${JSON.stringify(result)}`);
    window.wasiResult = { isolated: crossOriginIsolated, result };
  },
  (e) => {
    log(`failed: ${e?.stack || e}`);
    window.wasiResult = { isolated: crossOriginIsolated, error: String(e?.stack || e) };
  },
);
