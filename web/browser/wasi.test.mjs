// The WASI host in headless Chromium: every scenario of web/test/wasi-scenarios.mjs (Go and C
// guests in a module worker blocking in Atomics.wait, the page the event side) on a
// cross-origin isolated page (web/browser/wasi.html). Debian's Chromium through
// playwright-core (browser/chromium.js); skipped without them or without the builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { servedPage, pollPage } from './chromium.js';
import { BAD_CALLS } from '../test/wasi-scenarios.mjs';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = ['go/bin/wasi-guest.wasm', 'go/bin/wasi-http.wasm', 'guest/bin/echo.wasm', 'guest/bin/dial.wasm',
  'guest/bin/badcalls.wasm', 'dist/yamux_event.wasm.js'].every((f) => fs.existsSync(path.join(web, f)));

const SCENARIOS = ['echoGo', 'echoC', 'dialGo', 'dialC', 'halfClose', 'readDeadline', 'httpMany', 'exitMidStream',
  'killedWorker', 'badCalls'];

test('Chromium: the WASI host scenarios with Go and C guests', { timeout: 600_000 }, async (t) => {
  if (!built) return t.skip('web/build.sh, web/go/build.sh or web/guest/build.sh has not run');
  const served = await servedPage(t);
  if (!served) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  const { page, url } = served;
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  for (const name of SCENARIOS) {
    await t.test(name, async () => {
      await page.goto(new URL(`../browser/wasi.html?scenario=${name}`, url).href);
      const r = await pollPage(page, () => window.wasiResult);
      assert.ok(!r.error, `${name}: ${r.error}\n${errors.join('\n')}`);
      assert.equal(r.isolated, true);
      if (name === 'badCalls') assert.deepEqual(r.result, BAD_CALLS);
      t.diagnostic(`${name}: ${JSON.stringify(r.result)}`);
    });
  }
});
