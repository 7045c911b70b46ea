// The CPU time a wasm worker burns while a WASI 0.2 component sleeps: the seed's demo (Go,
// GOOS=wasip1, made a command component by jco) sleeping 2 s, run with this project's host
// (web/src/host/component: its stdio are yamux streams, wasi:io/poll waits in the engine
// driver, Atomics.wait on the queue's doorbell) beside the stock
// @bytecodealliance/preview2-shim browser shim (jco's sync mode: its poll cannot block, so
// the guest spins), in the same run, in Node worker_threads and in headless Chromium.
//
// Cost of the sleep = worker-thread CPU of a run sleeping SLEEP ms minus that of a run
// sleeping 0 ms (same program, same host: start-up cancels out). This host runs each time
// in a fresh component worker (startComponent); the stock shim in one worker that keeps the
// compiled modules. Thread CPU comes from /proc (ns on CPU): in Node each worker reads its
// own (/proc/thread-self/schedstat, from instantiation to exit for this host), in Chromium
// the harness samples the browser's DedicatedWorker threads every 10 ms
// (web/component/harness/cpu.mjs). Median of REPEAT.
//   node bench/bench_component.mjs [--sleep MS] [--repeat N] [--node-only]
// Needs web/build.sh and web/component/build.sh; Chromium needs /usr/bin/chromium and
// playwright-core (npm ci in web/).
import { Worker } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SLEEP = arg('--sleep', 2000);
const REPEAT = arg('--repeat', 3);
const demo = path.join(web, 'component/dist/demo/demo.component.js');
if (!fs.existsSync(demo) || !fs.existsSync(path.join(web, 'dist/yamux_event.wasm.js'))) {
  console.error('bench_component: run web/build.sh and web/component/build.sh first');
  process.exit(1);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const { startComponent } = await import(pathToFileURL(path.join(web, 'src/host/component/embed.js')).href);

/** This host in Node: a fresh component worker per run; its stats say its CPU. */
async function oursNode(sleepMs) {
  const c = await startComponent(demo, { args: ['demo', String(sleepMs)] });
  c.stdin.close().catch(() => {});
  let text = '';
  for await (const b of c.stdout) text += Buffer.from(b).toString();
  const code = await c.exited;
  if (code !== 0) throw new Error(`Node ours: exit ${code}`);
  return { cpuMs: (await c.stats).cpuMs, lines: text.split('\n') };
}

/** The stock shim in Node: one cpu-worker.js for every run. */
async function stockNodeWorker() {
  const w = new Worker(path.join(web, 'component/harness/cpu-worker.js'));
  let pending = null;
  w.on('message', (m) => pending && pending(m));
  w.on('error', (e) => pending && pending({ error: String(e) }));
  return {
    run: (sleepMs) =>
      new Promise((resolve, reject) => {
        pending = (m) => {
          pending = null;
          if (m.error || m.code !== 0) reject(new Error(`Node stock: ${m.error || 'exit ' + m.code}`));
          else resolve({ cpuMs: m.cpuNs / 1e6, lines: m.lines });
        };
        w.postMessage({ component: pathToFileURL(demo).href, args: ['demo', String(sleepMs)] });
      }),
    close: () => w.terminate(),
  };
}

async function nodeHosts() {
  const stock = await stockNodeWorker();
  return { ours: { run: oursNode }, stock, close: () => stock.close() };
}

async function chromium() {
  const exe = process.env.CHROMIUM || '/usr/bin/chromium';
  let pw;
  try {
    pw = await import(pathToFileURL(path.join(web, 'node_modules/playwright-core/index.mjs')).href);
  } catch {
    return null;
  }
  if (!fs.existsSync(exe)) return null;
  const { serve } = await import(pathToFileURL(path.join(web, 'demo/serve.js')).href);
  const { sampleWorkers } = await import(pathToFileURL(path.join(web, 'component/harness/cpu.mjs')).href);
  const { server, url } = await serve();
  const os = await import('node:os');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-component-'));
  const context = await pw.chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await context.newPage();
  await page.goto(new URL('../component/harness/cpu.html', url).href);
  while (!(await page.evaluate(() => window.cpuReady))) await new Promise((r) => setTimeout(r, 50));
  const runner = (host) => ({
    async run(sleepMs) {
      const s = sampleWorkers();
      const r = await page.evaluate(([h, m]) => window.runOnce(h, m), [host, sleepMs]);
      const cpuMs = s.stop();
      if (r.error || r.code !== 0) throw new Error(`Chromium ${host}: ${r.error || 'exit ' + r.code}`);
      return { cpuMs, lines: r.lines };
    },
  });
  return {
    ours: runner('ours'),
    stock: runner('stock'),
    async close() {
      await page.evaluate(() => window.stopStock());
      await context.close();
      server.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Per host: a warm-up run, then REPEAT pairs of a SLEEP ms and a 0 ms run. */
async function measure(env, hosts) {
  const cost = { ours: [], stock: [] };
  const whole = { ours: [], stock: [] };
  let woke = '';
  for (const host of ['ours', 'stock']) {
    const h = hosts[host];
    await h.run(0); // compiles the modules, warms the JIT
    for (let r = 0; r < REPEAT; r++) {
      const slept = await h.run(SLEEP);
      const idle = await h.run(0);
      cost[host].push(slept.cpuMs - idle.cpuMs);
      whole[host].push(slept.cpuMs);
      woke = slept.lines.find((l) => l.startsWith('woke')) || woke;
    }
  }
  await hosts.close();
  const ours = median(cost.ours), stock = median(cost.stock);
  return { env, ours, stock, ratio: ours / stock, woke, spread: cost, oursWhole: median(whole.ours), stockWhole: median(whole.stock) };
}

const rows = [];
rows.push(await measure('Node 20 worker_threads', await nodeHosts()));
if (!process.argv.includes('--node-only')) {
  const c = await chromium();
  if (c) {
    rows.push(await measure('Chromium (headless) worker', c));
  } else {
    console.error('bench_component: Chromium skipped (no /usr/bin/chromium or playwright-core)');
  }
}
console.log(`\nworker CPU during a ${SLEEP} ms time.Sleep of a Go WASI 0.2 component (median of ${REPEAT}; run minus a 0 ms run)\n`);
console.log('| env | this host: sleep / whole run, ms | stock preview2-shim (browser, sync): sleep / whole run, ms | this / stock (sleep) |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.env} | ${r.ours.toFixed(1)} / ${r.oursWhole.toFixed(1)} | ${r.stock.toFixed(0)} / ${r.stockWhole.toFixed(0)} | ${(100 * r.ratio).toFixed(2)}% |`);
}
console.log(`\n(the guest said: "${rows[0].woke}"; every run, ms: ${rows.map((r) => `${r.env}: ours ${r.spread.ours.map((x) => x.toFixed(1)).join(' ')}, stock ${r.spread.stock.map((x) => x.toFixed(0)).join(' ')}`).join('; ')})`);
