#!/usr/bin/env node
// Throughput of a Go program whose sockets are the WASI host's yamux streams (issue 12),
// beside the existing path (the Go program runs hashicorp/yamux over the raw queue) and the
// web package's C program (Emscripten), in one run, in Node.js workers and in headless
// Chromium. Prints markdown tables; see bench/wasi-bench-lib.mjs for what a cell is.
//
//   node bench/bench_wasi.mjs [--mib N] [--repeat N] [--node-only | --browser-only]
//   node bench/bench_wasi.mjs --profile [--mib N]     where the time goes (Node, CPU profiles)
//
// Needs web/build.sh and web/go/build.sh; Chromium rows need /usr/bin/chromium and
// playwright-core (npm ci in web/).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: node bench/bench_wasi.mjs [--mib N] [--repeat N] [--windows W] [--node-only | --browser-only]
       node bench/bench_wasi.mjs --profile [--mib N]
  --mib N         MiB moved per cell (default 256)
  --repeat N      interleaved rounds, the best of each cell is kept (default 3)
  --windows W     default (yamux's 256 KiB on every side), large (16 MiB on every side) or both
  --node-only     only the Node.js rows; --browser-only: only the Chromium rows
  --profile       CPU profiles of both workers for the host cells with 16 streams (Node)
`;

function parse(argv) {
  const o = { mib: 256, repeat: 3, windows: ['default'], node: true, browser: true, profile: false, cell: null };
  const num = (a, v, min) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) {
      process.stderr.write(`bench_wasi: ${a} expects an integer >= ${min}, not ${JSON.stringify(v ?? '')} (see --help)\n`);
      process.exit(2);
    }
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a === '--mib') o.mib = num(a, argv[++i], 1);
    else if (a === '--repeat') o.repeat = num(a, argv[++i], 1);
    else if (a === '--windows') {
      const v = argv[++i];
      if (!['default', 'large', 'both'].includes(v)) {
        process.stderr.write(`bench_wasi: --windows expects default, large or both, not ${JSON.stringify(v ?? '')} (see --help)\n`);
        process.exit(2);
      }
      o.windows = v === 'both' ? ['default', 'large'] : [v];
    } else if (a === '--node-only') o.browser = false;
    else if (a === '--browser-only') o.node = false;
    else if (a === '--profile') o.profile = true;
    else if (a === '--cell') o.cell = argv[++i]; // internal: one cell, for --profile
    else {
      process.stderr.write(`bench_wasi: unknown argument ${a} (see --help)\n`);
      process.exit(2);
    }
  }
  if (!o.node && !o.browser) {
    process.stderr.write('bench_wasi: --node-only and --browser-only exclude each other (see --help)\n');
    process.exit(2);
  }
  return o;
}

const o = parse(process.argv.slice(2));
const need = ['web/dist/yamux_event.wasm.js', 'web/dist/yamux_peer.cjs', 'web/go/bin/wasi-guest.wasm', 'web/go/bin/yamux-wasm-peer.wasm']
  .filter((f) => !fs.existsSync(path.join(root, f)));
if (need.length) {
  process.stderr.write(`bench_wasi: not built: ${need.join(', ')} (run web/build.sh and web/go/build.sh)\n`);
  process.exit(1);
}
const lib = await import('./wasi-bench-lib.mjs');
const fmt = (x) => (x == null || Number.isNaN(x) ? 'n/a' : x.toFixed(0));
const ratio = (a, b) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

/** Serves the repository with COOP/COEP (cross-origin isolated pages). */
function serveRoot() {
  const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.cjs': 'text/javascript', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const file = path.resolve(root, '.' + decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, base: `http://127.0.0.1:${server.address().port}/` })));
}

async function chromium() {
  const { launch } = await import('../web/browser/chromium.js');
  const browser = await launch();
  if (!browser) {
    process.stderr.write('bench_wasi: no Chromium or playwright-core: browser rows skipped\n');
    return null;
  }
  const { server, base } = await serveRoot();
  try {
    const page = await browser.context.newPage();
    page.on('console', (m) => process.stderr.write(`  [chromium] ${m.text()}\n`));
    await page.goto(`${base}bench/bench_wasi.html?mib=${o.mib}&repeat=${o.repeat}&windows=${o.windows.join(',')}`);
    for (;;) {
      const r = await page.evaluate(() => window.benchResult);
      if (r) {
        if (r.error) throw new Error(r.error);
        return { cells: r.cells, version: r.version };
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  } finally {
    await browser.close();
    server.close();
  }
}

function table(rows) {
  console.log(`\n### A Go program's sockets as the WASI host's yamux streams, beside the existing paths (MiB/s)\n`);
  const w = o.windows.map((x) => (x === 'large' ? '"16M": a fixed 16 MiB receive window on every side' : '"256K": yamux\'s default on every side')).join('; ');
  console.log(`${o.mib} MiB per cell in 64 KiB writes, one direction, best of ${o.repeat} interleaved rounds; 1 MiB rings, 64 KiB MTU; event side: the web package's Session (web/go/harness/event-peer.js, BYOB reads). Windows: ${w}.\n`);
  console.log('| env | windows | streams | direction | Go, host streams | Go, own yamux on the raw queue | C (Emscripten) | host / raw | host / C |');
  console.log('| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [env, cells] of rows) {
    for (const w of lib.WINDOWS) {
      for (const n of lib.STREAMS) {
        for (const dir of lib.DIRS) {
          const k = (kind) => cells[`${w}:${kind}:${dir}:${n}`];
          const h = k('host'), r = k('raw'), c = k('c');
          if (h === undefined && r === undefined && c === undefined) continue;
          const what = dir === 'out' ? 'wasm -> event' : 'event -> wasm';
          console.log(`| ${env} | ${w === 'large' ? '16M' : '256K'} | ${n} | ${what} | ${fmt(h)} | ${fmt(r)} | ${fmt(c)} | ${ratio(h, r)} | ${ratio(h, c)} |`);
        }
      }
    }
  }
}

/* ---- --profile: where the time goes ---- */

// Categories of a profile sample (self time): [name, test(functionName, file)], file being
// the last two segments of the script's path ("host/poll.js" style) or "guest" for Go.
const CATEGORIES = [
  ['idle: the host sleeping in poll_oneoff (Atomics.wait)', (f, u) => f === 'wait' && (u === 'backends/atomics.js' || u === 'queue/doorbell.js')],
  ['idle: event loop', (f) => f === '(idle)'],
  ['queue: waking the other side (Atomics.notify)', (f, u) => (f === 'ringBell' && u === 'queue/shmq.js') || (f === 'notify' && u === 'queue/doorbell.js')],
  ['queue: shmq.js (indices, records, readiness, spinning)', (f, u) => u === 'queue/shmq.js'],
  ['copies ring <-> engine (event/pump.js)', (f, u) => u === 'event/pump.js'],
  ['WASI host: imports, poll, streams (host/*)', (f, u) => /^(wasi|streams|backends)\//.test(u)],
  ['copies guest or JS <-> engine (event/engine.js)', (f, u) => u === 'event/engine.js'],
  ['C engine (wasm)', (f, u) => /^wasm-function/.test(f) && u !== 'guest'],
  ['Go runtime: memmove / memclr', (f) => /^runtime\.(memmove|memclr)/.test(f)],
  ['Go runtime: scheduler, netpoll, timers, GC, malloc', (f) => /^(runtime|internal_|sync|time)[._]/.test(f)],
  ['Go: program, net, io', (f, u) => u === 'guest'],
  ['event side JS: Session, YamuxStream', (f, u) => /^event\/(session|stream|schedule)\.js$/.test(u)],
  ['event side JS: WHATWG streams, promises', (f, u) => /(readablestream|writablestream|queuingstrategies|util|promises|task_queues|webidl)$/.test(u)],
  ['harness: event-peer.js', (f, u) => u === 'harness/event-peer.js'],
  ['V8: GC', (f) => f === '(garbage collector)'],
  ['V8: (program), builtins outside JS functions', (f) => f === '(program)'],
];

function categorize(file) {
  const p = JSON.parse(fs.readFileSync(file));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const acc = new Map();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const cf = byId.get(p.samples[i]).callFrame, dt = p.timeDeltas[i] || 0;
    let u = cf.url.split('/').slice(-2).join('/');
    if (/^wasm:/.test(cf.url) && !/^wasm-function/.test(cf.functionName)) u = 'guest'; // Go's wasm (named functions)
    const c = CATEGORIES.find(([, t]) => t(cf.functionName, u));
    const k = c ? c[0] : 'other (startup, compile, ...)';
    acc.set(k, (acc.get(k) || 0) + dt);
    total += dt;
  }
  return { acc, total };
}

function runSelf(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => (code ? reject(new Error(`exit ${code}`)) : resolve(out.trim())));
  });
}

async function profile() {
  const self = fileURLToPath(import.meta.url);
  for (const [cell, title] of [['host:out:16', 'Go program -> event side, 16 streams'], ['host:in:16', 'event side -> Go program, 16 streams']]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-wasi-prof-'));
    try {
      const out = await runSelf(['--cpu-prof', `--cpu-prof-dir=${dir}`, self, '--mib', String(o.mib), '--cell', cell]);
      console.log(`\n#### ${title} (this run: ${out})\n`);
      const profs = fs.readdirSync(dir).map((f) => categorize(path.join(dir, f)));
      const isHost = (x) => x.acc.has('Go runtime: scheduler, netpoll, timers, GC, malloc');
      const host = profs.find(isHost), ev = profs.find((x) => !isHost(x) && x.acc.has('event side JS: Session, YamuxStream'));
      console.log("| share of each worker's time | wasm worker (Go + WASI host + engine) | event worker (Session + engine) |");
      console.log('| --- | ---: | ---: |');
      const pct = (x, k) => (x && x.acc.get(k) ? `${((100 * x.acc.get(k)) / x.total).toFixed(1)}%` : '');
      for (const k of [...CATEGORIES.map(([name]) => name), 'other (startup, compile, ...)'])
        if (host?.acc.get(k) || ev?.acc.get(k)) console.log(`| ${k} | ${pct(host, k)} | ${pct(ev, k)} |`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (o.cell) {
  const [kind, dir, n, windows] = o.cell.split(':');
  console.log(`${fmt(await lib.cell(kind, dir, Number(n), o.mib, { windows }))} MiB/s`);
  process.exit(0);
}
if (o.profile) {
  await profile();
  process.exit(0);
}
console.error(`bench_wasi: ${o.mib} MiB per cell, best of ${o.repeat}, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0].toFixed(1)}`);
const rows = [];
if (o.node) rows.push(['Node ' + process.versions.node.split('.')[0], await lib.runAll({ mib: o.mib, repeat: o.repeat, windows: o.windows, log: (l) => console.error(`  node ${l}`) })]);
if (o.browser) {
  const r = await chromium();
  if (r) rows.push([`Chromium ${r.version}`, r.cells]);
}
table(rows);
process.exit(0);
