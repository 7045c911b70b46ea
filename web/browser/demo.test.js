// The demo page in headless Chromium: served with COOP/COEP, it must be cross-origin
// isolated, run the multi-stream transfer (both workers real browser workers) with every byte
// verified, and report its figures, live and final.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedPage, pollPage } from './chromium.js';

test('demo page in Chromium: isolated, streams both ways verified, figures reported', async (t) => {
  const served = await servedPage(t);
  if (!served) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  const { page, url } = served;
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  await page.goto(`${url}?streams=16&bytes=${4 << 20}`);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  const state = await pollPage(page, () => window.yamuxDemo?.state !== 'running' && window.yamuxDemo?.state);
  const demo = await page.evaluate(() => window.yamuxDemo);
  assert.equal(state, 'done', `${demo.error}\n${logs.join('\n')}`);
  const { rows, total, oneWay } = demo.result;
  assert.equal(total.verified, true);
  assert.equal(oneWay.length, 2);
  for (const r of oneWay) assert.ok(r.mbps > 0 && Number.isFinite(r.mbps));
  assert.equal(total.streams, 32);
  assert.equal(total.bytes, 32 * (4 << 20));
  for (const r of [...rows, total]) {
    assert.ok(r.mbps > 0 && Number.isFinite(r.mbps));
    assert.ok(r.rttMs > 0);
  }
  assert.ok(demo.live && demo.live.bytes >= 2 * total.bytes, 'live figures were shown');
  assert.ok(demo.samples.length >= 2, 'live samples');
  const points = await page.evaluate(() => document.querySelector('#chart polyline')?.getAttribute('points').split(' ').length);
  assert.equal(points, demo.samples.length, 'the live chart draws every sample');
  const shown = await page.evaluate(() => document.querySelectorAll('#result tbody tr').length);
  assert.equal(shown, 5);
  t.diagnostic(`Chromium: ${[...rows, ...oneWay].map((r) => `${r.what} ${r.mbps.toFixed(0)} MB/s`).join(', ')}; ` +
    `both ${total.mbps.toFixed(0)} MB/s, ping ${(total.rttMs * 1000).toFixed(0)} us`);
});
