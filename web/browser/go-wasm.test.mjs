// The main Go-in-wasm scenario once in headless Chromium: a cross-origin isolated page
// (web/go/harness/browser.html) runs the C engine in an event worker (the web package's
// Session, web/go/harness/event-peer.js) and the Go wasip1 peer in a wasm worker
// (web/src/host/worker.js), sharing one SharedArrayBuffer. Debian's Chromium through
// playwright-core (browser/chromium.js); skipped without them or without the builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedPage, pollPage } from './chromium.js';
import { haveGoWasm, haveEngine, statsOf } from '../test/go-wasm-lib.mjs';

test('Chromium: Go-in-wasm client opens 200 streams of random sizes against the C engine', { timeout: 180_000 }, async (t) => {
  if (!haveGoWasm()) return t.skip('web/go/build.sh has not run');
  if (!haveEngine()) return t.skip('web/build.sh has not run');
  const served = await servedPage(t);
  if (!served) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  const { page, url } = served;
  const logs = [];
  page.on('pageerror', (e) => logs.push(String(e)));
  const goArgs = ['--open', '200', '--bytes', String(1 << 20), '--random-sizes', '42', '--ping', '3'];
  await page.goto(new URL(`../go/harness/browser.html?go=client&goArgs=${goArgs.join(',')}`, url).href);
  const r = await pollPage(page, () => window.goWasmResult);
  assert.ok(!r.error, `${r.error}\n${logs.join('\n')}`);
  assert.equal(r.isolated, true);
  assert.equal(r.go.code, 0, JSON.stringify(r.go.errLines.slice(-8)));
  assert.equal(r.ev.code, 0, JSON.stringify(r.ev.info));
  const s = statsOf(r.go.lines);
  assert.equal(s.streams_opened, 200);
  assert.equal(s.bytes_received, s.bytes_sent);
  assert.equal(s.pings, 3);
  assert.equal(statsOf(r.ev.lines).streams_accepted, 200);
  assert.ok(r.go.stats.host.blocks > 0, 'Go parked in poll_oneoff (Atomics.wait)');
  t.diagnostic(`Chromium: ${(s.bytes_sent / (1 << 20)).toFixed(0)} MiB echoed on 200 streams in ${s.seconds.toFixed(2)} s`);
});
