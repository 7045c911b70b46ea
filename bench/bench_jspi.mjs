#!/usr/bin/env node
// The WASI host's two backends side by side in headless Chromium, in one run: an unmodified
// Go program (web/go/cmd/wasi-guest) whose sockets are yamux streams to the page, run with
// the Atomics backend (a wasm worker, a cross-origin isolated page) and with the JSPI backend
// (the page's main thread, a page without COOP/COEP). Throughput with 1 and 16 streams in both
// directions (MiB/s, best of --repeat interleaved rounds) and the ping round trip (the mean of
// --pings in a row, best round). Prints a markdown table with the JSPI / Atomics ratios. The cells are in
// bench/jspi-bench-lib.mjs.
//
//   node bench/bench_jspi.mjs [--mib N] [--repeat N] [--pings N]
//
// Needs web/build.sh, web/go/build.sh, /usr/bin/chromium and playwright-core (npm ci in web/).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../web/src/cli/args.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const o = parseCommandLine({
  name: 'bench_jspi',
  usage: 'node bench/bench_jspi.mjs [--mib N] [--repeat N] [--pings N]',
  summary: 'Throughput and ping round trip of a Go program on the WASI host, Atomics backend beside JSPI, in headless Chromium.',
  options: {
    mib: { type: 'integer', min: 1, max: 4096, default: 128, help: 'MiB moved per throughput cell' },
    repeat: { type: 'integer', min: 1, max: 100, default: 3, help: 'interleaved rounds; the best of each cell is kept' },
    pings: { type: 'integer', min: 10, max: 100000, default: 2000, help: 'ping round trips per round' },
  },
});

const need = ['web/dist/yamux_event.wasm.js', 'web/go/bin/wasi-guest.wasm'].filter((f) => !fs.existsSync(path.join(root, f)));
if (need.length) {
  process.stderr.write(`bench_jspi: not built: ${need.join(', ')} (run web/build.sh and web/go/build.sh)\n`);
  process.exit(1);
}

/** Serves the repository; with ?isolated=1 a page gets COOP/COEP (SharedArrayBuffer). */
function serveRoot() {
  const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const file = path.resolve(root, '.' + decodeURIComponent(u.pathname));
    const isolated = u.searchParams.get('isolated') === '1' || /\.m?js$|\.wasm$/.test(file);
    const headers = isolated
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store' }
      : { 'Cache-Control': 'no-store' };
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, base: `http://127.0.0.1:${server.address().port}/` })));
}

const { launch } = await import('../web/browser/chromium.js');
const browser = await launch();
if (!browser) {
  process.stderr.write('bench_jspi: needs /usr/bin/chromium and playwright-core (npm ci in web/)\n');
  process.exit(1);
}
const { server, base } = await serveRoot();

async function openPage(isolated) {
  const page = await browser.context.newPage();
  page.on('console', (m) => process.stderr.write(`  [chromium] ${m.text()}\n`));
  page.on('pageerror', (e) => process.stderr.write(`  [chromium] ${e}\n`));
  await page.goto(`${base}bench/bench_jspi.html${isolated ? '?isolated=1' : ''}`);
  const facts = await poll(page, () => window.ready);
  if (facts.isolated !== isolated) throw new Error(`the page is ${facts.isolated ? '' : 'not '}cross-origin isolated`);
  return { page, facts };
}

async function poll(page, fn) {
  for (;;) {
    const v = await page.evaluate(fn);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function cell(page, ...args) {
  await page.evaluate((a) => window.cell(...a), args);
  const r = await poll(page, () => window.cellResult);
  if (r.error) throw new Error(`${args.join(' ')}: ${r.error}`);
  return r.value;
}

const BACKENDS = ['atomics', 'jspi'];
const THROUGHPUT = [['out', 1], ['out', 16], ['in', 1], ['in', 16]];
try {
  const pages = { atomics: await openPage(true), jspi: await openPage(false) };
  const best = {}, pings = {};
  const keep = (k, v) => (best[k] = Math.max(best[k] ?? 0, v));
  for (let r = 0; r < o.repeat; r++) {
    for (const [dir, n] of THROUGHPUT) {
      for (const b of BACKENDS) {
        const v = await cell(pages[b].page, 'throughput', b, dir, n, o.mib);
        process.stderr.write(`round ${r + 1}: ${b} ${dir} ${n} streams: ${v.toFixed(0)} MiB/s\n`);
        keep(`${b}:${dir}:${n}`, v);
      }
    }
    for (const b of BACKENDS) {
      const v = await cell(pages[b].page, 'ping', b, o.pings);
      process.stderr.write(`round ${r + 1}: ${b} ping: ${v.toFixed(1)} us\n`);
      pings[b] = Math.min(pings[b] ?? Infinity, v);
    }
  }
  const f0 = (x) => x.toFixed(0), ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  console.log(`\n### The WASI host's backends in Chromium ${pages.atomics.facts.version}: Atomics beside JSPI\n`);
  console.log(`Go (wasi-guest source/sink) <-> the page's Session; ${o.mib} MiB per cell in 64 KiB writes, best of ${o.repeat} interleaved rounds; ` +
    `ping: the mean of ${o.pings} round trips in a row from the event side while the program waits, best round. Load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}.\n`);
  console.log('| cell | Atomics (wasm worker, isolated page) | JSPI (main thread, no COOP/COEP) | JSPI / Atomics |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [dir, n] of THROUGHPUT) {
    const a = best[`atomics:${dir}:${n}`], j = best[`jspi:${dir}:${n}`];
    const what = `${n} stream${n > 1 ? 's' : ''}, ${dir === 'out' ? 'wasm -> event' : 'event -> wasm'} (MiB/s)`;
    console.log(`| ${what} | ${f0(a)} | ${f0(j)} | ${ratio(j, a)} |`);
  }
  const a = pings.atomics, j = pings.jspi;
  console.log(`| ping round trip (us) | ${a.toFixed(1)} | ${j.toFixed(1)} | ${ratio(j, a)} |`);
} finally {
  await browser.close();
  server.close();
}
