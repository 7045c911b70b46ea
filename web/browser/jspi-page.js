// The page of web/browser/jspi.test.mjs: runs the scenario named in the query string with
// startWasi({backend}) (default 'auto'). Without COOP/COEP this page has no SharedArrayBuffer,
// and 'auto' runs the guest on this page's main thread with the JSPI backend, beside the
// event side; with them it runs in a wasm worker (Atomics). Result: window.wasiResult =
// {isolated, sab, backends, result} or {..., error}.
import { startWasi } from '../src/host/start.js';
import { SCENARIOS } from '../test/wasi-scenarios.mjs';

const GO = new Set(['wasi-guest', 'wasi-http', 'wasi-probe', 'yamux-wasm-peer']);
const guest = (name) => new URL(GO.has(name) ? `../go/bin/${name}.wasm` : `../guest/bin/${name}.wasm`, import.meta.url);
const q = new URLSearchParams(location.search);
const name = q.get('scenario');
const backend = q.get('backend') || 'auto';
const log = (s) => (document.getElementById('log').textContent += `${s}\n`);
const backends = [];
const facts = () => ({ isolated: crossOriginIsolated, sab: typeof SharedArrayBuffer, backends });

async function main() {
  const run = SCENARIOS[name];
  if (!run) throw new Error(`no scenario ${name}`);
  log(`running ${name} with backend ${backend}`);
  return run({
    guest,
    startWasi: async (program, options) => {
      const p = await startWasi(program, { ...options, backend });
      backends.push(p.backend);
      return p;
    },
  });
}

main().then(
  (result) => {
    log(`done: ${JSON.stringify(result)}`);
    window.wasiResult = { ...facts(), result };
  },
  (e) => {
    log(`failed: ${e?.stack || e}`);
    window.wasiResult = { ...facts(), error: String(e?.stack || e), name: e?.name };
  },
);
