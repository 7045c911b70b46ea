// The page of web/browser/component.test.mjs: runs the scenario named in the query string
// (web/test/component-scenarios.mjs) with startComponent(). This page's main thread is the
// embedder and the event side of the yamux session (Atomics.waitAsync, never blocks); the
// guest runs in a module worker that blocks in wasi:io/poll (Atomics.wait).
// Result: window.componentResult = {isolated, result} or {isolated, error}.
import { startComponent } from '../../src/host/component/embed.js';
import { startWasi } from '../../src/host/start.js';
import * as sc from '../../test/component-scenarios.mjs';

/** A raw component in a browser: refused with a sentence (transpile it ahead of time). */
async function rawInBrowser(env) {
  const url = new URL('../dist/probe/probe.component.wasm', import.meta.url);
  const e = await env.startWasi(url, { stdout: () => {} }).then(() => null, (x) => x);
  sc.check(e && e.name === 'WasiError' && /a WASI 0\.2 component: running it needs .*in a browser, transpile it ahead of time/.test(e.message),
    `a raw component in a browser: ${e && e.message}`);
  return e.message;
}

const SCENARIOS = {
  demo: (env) => sc.demo(env, 2000),
  timers: sc.timers,
  exitCodes: sc.exitCodes,
  eofAfterClose: sc.eofAfterClose,
  argsEnv: sc.argsEnv,
  echo: (env) => sc.echo(env, 64 << 20),
  stdinAfterExit: sc.stdinAfterExit,
  killed: sc.killed,
  sockets: (env) => sc.sockets(env, 3),
  socketErrors: sc.socketErrors,
  viaStartWasi: sc.viaStartWasi,
  rawInBrowser,
};

const url = (prog) => new URL(`../dist/${prog}/${prog}.component.js`, import.meta.url);
const name = new URLSearchParams(location.search).get('scenario');
const log = (s) => (document.getElementById('log').textContent += `${s}\n`);

async function main() {
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
  const run = SCENARIOS[name];
  if (!run) throw new Error(`no scenario ${name}`);
  log(`running ${name}`);
  const r = await run({ startComponent, startWasi, url });
  // Facts small enough to report (the demo's stats, the echo's time).
  return r && typeof r === 'object' ? JSON.parse(JSON.stringify(r, (k, v) => (k === 'out' && v.length > 500 ? v.slice(0, 500) : v))) : r ?? null;
}

main().then(
  (result) => {
    log(`done: ${JSON.stringify(result)}`);
    window.componentResult = { isolated: crossOriginIsolated, result };
  },
  (e) => {
    log(`failed: ${e?.stack || e}`);
    window.componentResult = { isolated: crossOriginIsolated, error: String(e?.stack || e) };
  },
);
