// The net/http demo page (web/demo/http.html) in headless Chromium: the Go server starts in
// a wasm worker, the page's first GET / is answered, then a POST and the 100-request run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { servedPage, pollPage } from './chromium.js';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('Chromium: the net/http demo page answers GET, POST and 601 requests', { timeout: 180_000 }, async (t) => {
  if (!fs.existsSync(path.join(web, 'go/bin/wasi-http.wasm'))) return t.skip('web/go/build.sh has not run');
  const served = await servedPage(t);
  if (!served) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  const { page, url } = served;
  await page.goto(new URL('http.html', url).href);
  let d = await pollPage(page, () => (window.httpDemo.runs.length || window.httpDemo.error ? window.httpDemo : null));
  assert.equal(d.error, null);
  assert.equal(d.runs[0].status, 200);
  assert.match(d.runs[0].text, /^hello from Go go[\d.]+ in the wasm worker, request 1\n$/);
  await page.selectOption('#method', 'POST');
  await page.fill('#path', '/echo');
  await page.click('#send');
  d = await pollPage(page, () => (window.httpDemo.runs.length >= 2 || window.httpDemo.error ? window.httpDemo : null));
  assert.equal(d.error, null);
  assert.equal(d.runs[1].status, 200);
  assert.match(d.runs[1].text, /^hello from the page at /);
  await page.click('#many');
  d = await pollPage(page, () => (window.httpDemo.runs.length >= 3 || window.httpDemo.error ? window.httpDemo : null));
  assert.equal(d.error, null);
  const m = d.runs[2].many;
  assert.equal(m.requests, 601); // 1 + 400 to warm up + 100 at a time 8 + 100 one at a time
  assert.equal(m.ok, m.requests);
  assert.equal(m.download.status, 200);
  assert.equal(m.download.bytes, 16 << 20);
  t.diagnostic(`first request ${m.firstMs.toFixed(0)} ms; after ${m.warmup}: ${m.perSecond.toFixed(0)} requests/s 8 at a time, ` +
    `median ${m.medianMs.toFixed(2)} ms one at a time; 16 MiB download at ${m.download.mbps.toFixed(0)} MB/s`);
});
