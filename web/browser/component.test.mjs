// WASI 0.2 components in headless Chromium (issue 14, phase 1): a cross-origin isolated page
// (web/component/harness/index.html) is the embedder, each Go component guest runs in a
// module worker with this project's host, blocking in wasi:io/poll (Atomics.wait). Debian's
// Chromium through playwright-core; skipped without it or without web/component/build.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedPage, pollPage } from './chromium.js';
import { haveComponents } from '../test/component-lib.mjs';

test('Chromium: Go components sleep, tick, exit, read EOF and echo 64 MiB', { timeout: 300_000 }, async (t) => {
  if (!haveComponents()) return t.skip('web/component/build.sh has not run');
  const served = await servedPage(t);
  if (!served) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  const { page, url } = served;
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(new URL('../component/harness/index.html', url).href);
  const r = await pollPage(page, () => window.componentResult, undefined, 200);
  assert.ok(!r.error, `${r.error}\n${errors.join('\n')}`);
  assert.equal(r.isolated, true);
  assert.equal(r.demo.code, 0);
  assert.match(r.demo.out, /^hello from Go, a WASI 0\.2 component\nsleeping 300 ms\nwoke after (\d+) ms\n$/);
  assert.ok(Number(/woke after (\d+)/.exec(r.demo.out)[1]) >= 300);
  assert.ok(r.demo.stats.waits >= 1 && r.demo.stats.waits <= 4, JSON.stringify(r.demo.stats));
  assert.equal(r.timers.code, 0);
  assert.match(r.timers.out, /^order 100ms 200ms 300ms$/m);
  assert.equal(r.exit0.code, 0);
  assert.equal(r.exit3.code, 1);
  assert.equal(r.eof.out, 'read 11 bytes "hello\\nworld" err=<nil>\nagain 0 eof=true\n');
  assert.equal(r.eofEmpty.out, 'read 0 bytes "" err=<nil>\nagain 0 eof=true\n');
  assert.equal(r.echo.bad, -1, `first wrong byte at ${r.echo.bad}`);
  assert.equal(r.echo.got, 64 << 20);
  assert.equal(r.echo.code, 0);
  assert.equal(r.echo.err.trim(), `echoed ${64 << 20}`);
  t.diagnostic(`Chromium: 64 MiB echoed through the component in ${r.echo.seconds.toFixed(2)} s`);
});
