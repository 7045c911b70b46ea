// Runs one scenario of web/test/wasi-scenarios.mjs with startWasi({backend}) in this context
// (the page of jspi.html, or the module worker jspi-worker.js), and says where it ran:
// {isolated, sab, backends, result} or {..., error, name}.
import { startWasi } from '../src/host/start.js';
import { SCENARIOS } from '../test/wasi-scenarios.mjs';

const GO = new Set(['wasi-guest', 'wasi-http', 'wasi-probe', 'yamux-wasm-peer']);
const guest = (name) => new URL(GO.has(name) ? `../go/bin/${name}.wasm` : `../guest/bin/${name}.wasm`, import.meta.url);

export async function runScenario(name, backend = 'auto', log = () => {}) {
  const backends = [];
  const facts = () => ({ isolated: globalThis.crossOriginIsolated, sab: typeof SharedArrayBuffer, backends });
  try {
    const run = SCENARIOS[name];
    if (!run) throw new Error(`no scenario ${name}`);
    log(`running ${name} with backend ${backend}`);
    const result = await run({
      guest,
      startWasi: async (program, options) => {
        const p = await startWasi(program, { ...options, backend });
        backends.push(p.backend);
        return p;
      },
    });
    log(`done: ${JSON.stringify(result)}`);
    return { ...facts(), result };
  } catch (e) {
    log(`failed: ${e?.stack || e}`);
    return { ...facts(), error: String(e?.stack || e), name: e?.name };
  }
}
