// The WASI host's two backends in Node.js (web/src/host/backends/, docs/backends.md): the
// choice startWasi makes (`backend: 'auto' | 'atomics' | 'jspi'`) and its one-sentence
// refusal when the context lacks what a backend needs; then the WASI scenarios with each
// backend this Node.js has. Node.js 20 has no JSPI: the JSPI runs report skipped with the
// reason (headless Chromium runs them: web/browser/jspi.test.mjs). Needs web/build.sh,
// web/go/build.sh and web/guest/build.sh for the scenarios.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWasi, WasiError } from '../src/host/start.js';
import { chooseBackend, capabilities } from '../src/host/backends/select.js';
import { hasJspi } from '../src/host/backends/jspi.js';
import * as sc from './wasi-scenarios.mjs';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const guest = (name) => {
  const go = path.join(web, 'go', 'bin', `${name}.wasm`);
  return fs.existsSync(go) ? go : path.join(web, 'guest', 'bin', `${name}.wasm`);
};
const missing = ['wasi-guest', 'wasi-http', 'wasi-probe', 'yamux-wasm-peer', 'echo', 'dial', 'badcalls'].filter((n) => !fs.existsSync(guest(n)));
const notBuilt = missing.length ? `not built: ${missing.join(', ')} (web/go/build.sh, web/guest/build.sh)` : false;
const NO_JSPI = `Node.js ${process.versions.node} has no JSPI (WebAssembly.Suspending, WebAssembly.promising: Node.js 25+); ` +
  'headless Chromium runs these (web/browser/jspi.test.mjs)';

// A minimal WASI command: (memory 1) exported, and an empty _start.
const EMPTY = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1,
  7, 19, 2, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 0, 6, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0, 0, 10, 4, 1, 2, 0, 0x0b]);

const ISOLATED = { sharedMemory: true, workers: true, jspi: true, isolated: true };
const PLAIN_PAGE = { sharedMemory: false, workers: true, jspi: true, isolated: false };
const NEITHER = { sharedMemory: false, workers: true, jspi: false, isolated: false };

test('chooseBackend: auto picks Atomics where SharedArrayBuffer is, JSPI elsewhere; explicit choices are kept', () => {
  assert.deepEqual(chooseBackend('auto', ISOLATED), { name: 'atomics' });
  assert.deepEqual(chooseBackend(undefined, ISOLATED), { name: 'atomics' });
  assert.deepEqual(chooseBackend('auto', PLAIN_PAGE), { name: 'jspi' });
  assert.deepEqual(chooseBackend('jspi', ISOLATED), { name: 'jspi' });
  assert.deepEqual(chooseBackend('atomics', { ...ISOLATED, jspi: false }), { name: 'atomics' });
  // Node.js 20: SharedArrayBuffer and workers, no JSPI.
  assert.deepEqual(chooseBackend('auto', { sharedMemory: true, workers: true, jspi: false, isolated: undefined }), { name: 'atomics' });
});

test('chooseBackend: one sentence naming what is missing', () => {
  const neither = chooseBackend('auto', NEITHER).missing;
  assert.match(neither, /^no backend can run a WASI program here: SharedArrayBuffer is missing \(the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\), and this JavaScript engine has no JSPI \(WebAssembly\.Suspending and WebAssembly\.promising: Chrome 137\+, Node\.js 25\+\)$/);
  assert.equal(neither.split(/\.\s/).length, 1, 'one sentence');
  assert.match(chooseBackend('atomics', PLAIN_PAGE).missing, /^the Atomics backend cannot run here: SharedArrayBuffer is missing \(the page is not cross-origin isolated/);
  assert.match(chooseBackend('atomics', { ...ISOLATED, workers: false }).missing, /^the Atomics backend cannot run here: workers are missing/);
  assert.match(chooseBackend('jspi', NEITHER).missing, /^the JSPI backend cannot run here: this JavaScript engine has no JSPI \(WebAssembly\.Suspending/);
  assert.throws(() => chooseBackend('turbo', ISOLATED), { name: 'TypeError', message: "backend must be 'auto', 'atomics' or 'jspi', not \"turbo\"" });
});

test('capabilities of this Node.js: SharedArrayBuffer and workers; JSPI as the engine has it', () => {
  const c = capabilities();
  assert.equal(c.sharedMemory, true);
  assert.equal(c.workers, true);
  assert.equal(c.jspi, hasJspi());
});

test('startWasi in this Node.js: auto runs the program in a worker (Atomics); jspi is refused here with the sentence', async () => {
  const p = await startWasi(EMPTY, { args: ['x'] });
  assert.equal(p.backend, 'atomics');
  assert.ok(p.worker, 'a worker runs the program');
  assert.equal(await p.exited, 0);
  const q = await startWasi(EMPTY, { args: ['x'], backend: 'atomics' });
  assert.equal(q.backend, 'atomics');
  assert.equal(await q.exited, 0);
  await assert.rejects(startWasi(EMPTY, { backend: 'turbo' }), { name: 'TypeError', message: /^startWasi: backend must be 'auto', 'atomics' or 'jspi'/ });
  if (hasJspi()) return; // Node.js 25+: the scenarios below run it
  await assert.rejects(startWasi(EMPTY, { backend: 'jspi' }), (e) => e instanceof WasiError &&
    e.message === 'startWasi: the JSPI backend cannot run here: this JavaScript engine has no JSPI (WebAssembly.Suspending and WebAssembly.promising: Chrome 137+, Node.js 25+)');
});

test('yamux-wasi --backend: jspi where this Node.js has none is one line and status 1; atomics runs the program', { skip: notBuilt, timeout: 60_000 }, () => {
  const cli = path.join(web, 'bin', 'yamux-wasi.mjs');
  const probe = guest('wasi-probe');
  const a = spawnSync(process.execPath, [cli, '--backend', 'atomics', probe, '4'], { encoding: 'utf8' });
  assert.equal(a.status, 4, a.stderr);
  assert.match(a.stdout, /^sleeps \[10 20 30\] ticks 3 elapsed>=30ms true$/m);
  const j = spawnSync(process.execPath, [cli, '--backend', 'jspi', probe, '4'], { encoding: 'utf8' });
  if (hasJspi()) {
    assert.equal(j.status, 4, j.stderr);
    assert.match(j.stdout, /^sleeps \[10 20 30\] ticks 3 elapsed>=30ms true$/m);
  } else {
    assert.equal(j.status, 1);
    assert.equal(j.stdout, '');
    assert.equal(j.stderr, 'yamux-wasi: startWasi: the JSPI backend cannot run here: this JavaScript engine has no JSPI ' +
      '(WebAssembly.Suspending and WebAssembly.promising: Chrome 137+, Node.js 25+)\n');
  }
});

// With Atomics, wasi-host.test.mjs runs the others; with JSPI (Node.js 25+) all of them.
const SCENARIOS = {
  atomics: ['probe', 'sleep', 'compute', 'raw', 'startErrors'],
  jspi: ['echoGo', 'echoC', 'dialGo', 'dialC', 'halfClose', 'readDeadline', 'httpMany', 'probe', 'sleep', 'compute',
    'exitMidStream', 'killedWorker', 'badCalls', 'raw', 'startErrors'],
};
for (const backend of ['atomics', 'jspi']) {
  const skip = notBuilt || (backend === 'jspi' && !hasJspi() ? NO_JSPI : false);
  for (const name of SCENARIOS[backend]) {
    test(`${backend}: ${name}`, { skip, timeout: 120_000 }, async (t) => {
      const procs = [];
      const env = {
        guest,
        startWasi: async (prog, o) => {
          const p = await startWasi(prog, { ...o, backend });
          procs.push(p);
          return p;
        },
      };
      const r = await sc.SCENARIOS[name](env);
      assert.ok(procs.length > 0 && procs.every((p) => p.backend === backend), `ran with ${procs.map((p) => p.backend)}`);
      if (name === 'badCalls') assert.deepEqual(r, sc.BAD_CALLS);
      t.diagnostic(JSON.stringify(r));
    });
  }
}
