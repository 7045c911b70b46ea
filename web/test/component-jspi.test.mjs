// WASI 0.2 components and the JSPI backend in Node.js (docs/backends.md): a component
// transpiled for JSPI (web/component/dist/PROG/jspi/, `--async-mode jspi`) needs an engine
// with JSPI even on the Atomics backend, and the JSPI backend needs a component transpiled for
// it; each refusal is one sentence. Node.js 20 has no JSPI: what needs it reports skipped with
// the reason (headless Chromium runs the components with JSPI: web/browser/jspi.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startComponent } from '../src/host/component/embed.js';
import { WasiError } from '../src/host/start.js';
import { hasJspi } from '../src/host/backends/jspi.js';
import { haveComponents, componentUrl, text } from './component-lib.mjs';

const jspiUrl = new URL('jspi/demo.component.js', componentUrl('demo'));
const skip = !haveComponents() || !fs.existsSync(fileURLToPath(jspiUrl)) ? 'web/build.sh or web/component/build.sh has not run' : false;
const NO_JSPI = `Node.js ${process.versions.node} has no JSPI (Node.js 25+); headless Chromium runs these (web/browser/jspi.test.mjs)`;

test('without JSPI: backend jspi is refused; a component transpiled for JSPI is refused with the reason', { skip: skip || (hasJspi() && 'this Node.js has JSPI'), timeout: 60_000 }, async () => {
  await assert.rejects(startComponent(componentUrl('demo'), { args: ['demo', '0'], backend: 'jspi' }), (e) => e instanceof WasiError &&
    e.message === 'demo: the JSPI backend cannot run here: this JavaScript engine has no JSPI (WebAssembly.Suspending and WebAssembly.promising: Chrome 137+, Node.js 25+)');
  await assert.rejects(startComponent(jspiUrl, { args: ['demo', '0'] }), (e) => e instanceof WasiError &&
    /demo\.component\.js was transpiled for JSPI \(--async-mode jspi\), which this JavaScript engine lacks/.test(e.message));
});

test('the plain component still runs with auto (Atomics) here', { skip, timeout: 60_000 }, async () => {
  const c = await startComponent(componentUrl('demo'), { args: ['demo', '0'] });
  assert.equal(c.backend, 'atomics');
  await c.stdin.close();
  const [out] = await Promise.all([text(c.stdout), text(c.stderr)]);
  assert.match(out, /^hello from Go, a WASI 0\.2 component\nsleeping 0 ms\nwoke after \d+ ms\n$/);
  assert.equal(await c.exited, 0);
});

test('with JSPI: a component transpiled for it runs on this thread', { skip: skip || (!hasJspi() && NO_JSPI), timeout: 60_000 }, async () => {
  const c = await startComponent(jspiUrl, { args: ['demo', '100'], backend: 'jspi' });
  assert.equal(c.backend, 'jspi');
  await c.stdin.close();
  const [out] = await Promise.all([text(c.stdout), text(c.stderr)]);
  assert.match(out, /^hello from Go, a WASI 0\.2 component\nsleeping 100 ms\nwoke after \d+ ms\n$/);
  assert.equal(await c.exited, 0);
});
