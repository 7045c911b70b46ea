// The WASI host's JSPI backend in headless Chromium (docs/backends.md): a page served WITHOUT
// COOP/COEP (crossOriginIsolated false, no SharedArrayBuffer) runs the Go and C guests of
// web/test/wasi-scenarios.mjs with startWasi's default backend, 'auto', which picks JSPI: the
// guest runs on the page's main thread beside the event side, suspending in poll_oneoff.
// The same page served with COOP/COEP: 'auto' picks Atomics (a wasm worker). Also the C
// program's JSPI build (startWasmInThread) and WASI 0.2 components transpiled for JSPI, on the
// page's thread. Debian's Chromium through playwright-core (browser/chromium.js); skipped
// without them or the builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { servedPage, pollPage } from './chromium.js';
import { BAD_CALLS } from '../test/wasi-scenarios.mjs';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = ['go/bin/wasi-guest.wasm', 'go/bin/wasi-http.wasm', 'go/bin/wasi-probe.wasm', 'go/bin/yamux-wasm-peer.wasm',
  'guest/bin/echo.wasm', 'guest/bin/dial.wasm', 'guest/bin/badcalls.wasm', 'dist/yamux_event.wasm.js']
  .every((f) => fs.existsSync(path.join(web, f)));

const SCENARIOS = ['echoGo', 'echoC', 'dialGo', 'dialC', 'halfClose', 'readDeadline', 'httpMany', 'probe', 'sleep',
  'compute', 'exitMidStream', 'killedWorker', 'badCalls', 'raw', 'startErrors'];

async function run(page, url, scenario, backend = 'auto', where = 'page') {
  await page.goto(new URL(`../browser/jspi.html?scenario=${scenario}&backend=${backend}&in=${where}`, url).href);
  return pollPage(page, () => window.wasiResult);
}

test('Chromium, a page without COOP/COEP: no SharedArrayBuffer, auto picks JSPI, the WASI scenarios pass', { timeout: 900_000 }, async (t) => {
  if (!built) return t.skip('web/build.sh, web/go/build.sh or web/guest/build.sh has not run');
  const served = await servedPage(t, { isolated: false });
  if (!served) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  const { page, url } = served;
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  for (const name of SCENARIOS) {
    await t.test(name, async () => {
      const r = await run(page, url, name);
      assert.ok(!r.error, `${name}: ${r.error}\n${errors.join('\n')}`);
      assert.equal(r.isolated, false);
      assert.equal(r.sab, 'undefined');
      assert.ok(r.backends.length > 0 && r.backends.every((b) => b === 'jspi'), `backends: ${r.backends}`);
      if (name === 'badCalls') assert.deepEqual(r.result, BAD_CALLS);
      if (name === 'compute') assert.ok(r.result.yields > 0, 'the computing guest never gave the thread back');
      t.diagnostic(`${name}: ${JSON.stringify(r.result)}`);
    });
  }
  for (const name of ['echoGo', 'httpMany', 'sleep', 'killedWorker']) {
    await t.test(`${name}, in one module worker (the event side and the guest)`, async () => {
      const r = await run(page, url, name, 'auto', 'worker');
      assert.ok(!r.error, `${name}: ${r.error}`);
      assert.equal(r.in, 'worker');
      assert.equal(r.isolated, false);
      assert.equal(r.sab, 'undefined');
      assert.ok(r.backends.length > 0 && r.backends.every((b) => b === 'jspi'), `backends: ${r.backends}`);
    });
  }
  await t.test("backend 'atomics' on this page: refused with one sentence naming what is missing", async () => {
    const r = await run(page, url, 'probe', 'atomics');
    assert.equal(r.name, 'WasiError');
    assert.match(r.error, /startWasi: the Atomics backend cannot run here: SharedArrayBuffer is missing \(the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)/);
  });
});

test('Chromium, a page without COOP/COEP: the C program (its JSPI build) and the event side in one thread', { timeout: 300_000 }, async (t) => {
  if (!fs.existsSync(path.join(web, 'dist/yamux_peer_jspi.cjs'))) return t.skip('web/build.sh has not run');
  const served = await servedPage(t, { isolated: false });
  if (!served) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  const { page, url } = served;
  const args = ['--mode', 'echo', '--open', '4', '--bytes', '1000000'];
  await page.goto(new URL(`../browser/peer-jspi.html?args=${encodeURIComponent(JSON.stringify(args))}`, url).href);
  const lines = await pollPage(page, () => window.peerResult);
  const text = lines.join('\n');
  assert.match(text, /^isolated false, SharedArrayBuffer undefined$/m);
  assert.match(text, /^stream 1 echoed 8388608 bytes, verified$/m);
  assert.match(text, /^echoed stream 2$/m);
  assert.match(text, /^echoed stream 8$/m);
  assert.match(text, /^wasm: verified 4 streams, 0 failed$/m);
  assert.match(text, /^ping true$/m);
  assert.match(text, /^exit code: 0$/m, text);
});

const COMPONENT_SCENARIOS = ['demo', 'timers', 'exitCodes', 'eofAfterClose', 'argsEnv', 'echo', 'stdinAfterExit', 'killed',
  'sockets', 'socketErrors', 'viaStartWasi'];
const haveJspiComponents = ['demo', 'probe', 'sockets'].every((p) => fs.existsSync(path.join(web, `component/dist/${p}/jspi/${p}.component.js`)));

async function component(page, url, scenario, extra = '') {
  await page.goto(new URL(`../browser/jspi-component.html?scenario=${scenario}${extra}`, url).href);
  return pollPage(page, () => window.componentResult, undefined, 200);
}

test('Chromium, a page without COOP/COEP: WASI 0.2 components transpiled for JSPI run on the page\'s thread', { timeout: 600_000 }, async (t) => {
  if (!haveJspiComponents) return t.skip('web/component/build.sh has not run');
  const served = await servedPage(t, { isolated: false });
  if (!served) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  const { page, url } = served;
  for (const name of COMPONENT_SCENARIOS) {
    await t.test(name, async () => {
      const r = await component(page, url, name);
      assert.ok(!r.error, `${name}: ${r.error}`);
      assert.equal(r.isolated, false);
      assert.equal(r.sab, 'undefined');
      assert.ok(r.backends.length > 0 && r.backends.every((b) => b === 'jspi'), `backends: ${r.backends}`);
      if (name === 'demo') t.diagnostic(`demo, 2 s sleep: ${r.result.stats.waits} waits, ${r.result.stats.polls} polls`);
    });
  }
  await t.test('a component transpiled without JSPI: refused with what to transpile with', async () => {
    const r = await component(page, url, 'demo', '&plain=1');
    assert.equal(r.name, 'WasiError');
    assert.match(r.message, /demo\.component\.js was transpiled without JSPI, which the JSPI backend needs \(jco transpile X\.component\.wasm --instantiation async --async-mode jspi --async-wasi-imports --async-wasi-exports; or run it with the Atomics backend\)$/);
  });
});

test('Chromium, the same page with COOP/COEP: auto picks Atomics; jspi may be chosen there too', { timeout: 300_000 }, async (t) => {
  if (!built) return t.skip('web/build.sh, web/go/build.sh or web/guest/build.sh has not run');
  const served = await servedPage(t);
  if (!served) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  const { page, url } = served;
  for (const [name, backend, want] of [['probe', 'auto', 'atomics'], ['echoC', 'auto', 'atomics'], ['probe', 'jspi', 'jspi'], ['echoC', 'jspi', 'jspi']]) {
    await t.test(`${name}, backend ${backend}`, async () => {
      const r = await run(page, url, name, backend);
      assert.ok(!r.error, `${name}: ${r.error}`);
      assert.equal(r.isolated, true);
      assert.equal(r.sab, 'function');
      assert.ok(r.backends.every((b) => b === want), `backends: ${r.backends}, want ${want}`);
    });
  }
  for (const name of ['demo', 'sockets']) {
    await t.test(`a component transpiled for JSPI, ${name}: auto runs it in a worker (Atomics)`, { skip: !haveJspiComponents && 'web/component/build.sh has not run' }, async () => {
      const r = await component(page, url, name);
      assert.ok(!r.error, `${name}: ${r.error}`);
      assert.equal(r.isolated, true);
      assert.ok(r.backends.every((b) => b === 'atomics'), `backends: ${r.backends}`);
    });
  }
});
