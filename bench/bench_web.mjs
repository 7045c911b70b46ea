#!/usr/bin/env node
// Throughput between an event worker and a wasm worker over the web package (yamux over the
// shmq channel), 1, 16 and 256 streams, both directions, in Node.js worker_threads and in
// headless Chromium, next to a plain-JavaScript SharedArrayBuffer ring copy measured in the
// same run (the ceiling), and the prototype's ~90 MB/s for reference.
//   node bench/bench_web.mjs [--node-only | --browser-only] [--total MiB] [--svg FILE]
// --svg FILE also writes the table as a bar chart (the README shows bench/bench_web.svg).
// Needs web/build.sh to have run (scripts/demo and the web tests do it).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../web/src/cli/args.js';

const opts = parseCommandLine({
  name: 'bench/bench_web.mjs',
  usage: 'node bench/bench_web.mjs [--node-only | --browser-only] [--total MiB] [--svg FILE] [--event-spin-us US]',
  summary: 'Throughput between an event worker and a wasm worker, in Node.js and headless Chromium,\nbeside a plain-JavaScript SharedArrayBuffer ring copy measured in the same run.',
  options: {
    'node-only': { type: 'boolean', help: 'skip the browser part' },
    'browser-only': { type: 'boolean', help: 'skip the Node.js part' },
    total: { type: 'integer', min: 1, max: 65536, default: 512, arg: 'MiB', help: 'payload per row' },
    svg: { type: 'string', arg: 'FILE', help: 'also write the table as a bar chart (the README shows bench/bench_web.svg)' },
    'event-spin-us': { type: 'number', min: 0, max: 1e6, arg: 'US', help: 'experiment: the event side polls this long before sleeping' },
  },
});
if (opts.nodeOnly && opts.browserOnly) {
  process.stderr.write('bench/bench_web.mjs: --node-only and --browser-only exclude each other (see --help)\n');
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { runBench, benchTable } = await import(path.join(root, 'web/demo/bench.js'));
const { serve } = await import(path.join(root, 'web/demo/serve.js'));
const { launch, pollPage } = await import(path.join(root, 'web/browser/chromium.js'));
const { benchChartSvg } = await import(path.join(root, 'web/demo/chart.js'));

const total = opts.total * (1 << 20);
const spin = opts.eventSpinUs; // experiment: event side spins before sleeping
globalThis.YAMUX_BENCH_SPIN = spin;
const svgFile = opts.svg;
const chartRows = [];
const header = ['| env | streams | direction | MB/s | JS ring ceiling MB/s | ratio | vs prototype (90 MB/s) |',
  '| --- | --- | --- | --- | --- | --- | --- |'];
const lines = [...header];

if (!opts.browserOnly) {
  const rows = await runBench({ total, onRow: (r) => console.error(`node ${r.dir} ${r.streams}: ${r.mbps.toFixed(0)} MB/s`) });
  lines.push(benchTable('node', rows));
  chartRows.push(...rows.map((r) => ({ ...r, env: `Node ${process.versions.node.split('.')[0]}` })));
}
if (!opts.nodeOnly) {
  const browser = await launch();
  if (!browser) {
    console.error('chromium or playwright-core missing: browser part skipped (npm ci in web/)');
  } else {
    const { server, url } = await serve();
    try {
      const page = await browser.context.newPage();
      await page.goto(url.replace('index.html', `bench.html?total=${total}${spin !== undefined ? `&spin=${spin}` : ''}`));
      const state = await pollPage(page, () => window.yamuxBench?.state !== 'running' && window.yamuxBench?.state, null, 500);
      const res = await page.evaluate(() => window.yamuxBench);
      if (state !== 'done') throw new Error(res.error);
      lines.push(benchTable('chromium', res.rows));
      chartRows.push(...res.rows.map((r) => ({ ...r, env: 'Chromium' })));
    } finally {
      await browser.close();
      server.close();
    }
  }
}
console.log(lines.join('\n'));
if (svgFile) {
  const fs = await import('node:fs');
  fs.writeFileSync(svgFile, benchChartSvg(chartRows, { title: 'yamux between two workers, one way, MB/s (bench/bench_web.mjs)' }));
  console.error(`bench_web: chart written to ${svgFile}`);
}
