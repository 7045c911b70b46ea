// The CPU time a wasm worker burns while a WASI 0.2 component sleeps: the seed's demo (Go,
// GOOS=wasip1, made a command component by jco) sleeping 2 s, run with this project's host
// (web/src/host/component: wasi:io/poll blocks in Atomics.wait) beside the stock
// @bytecodealliance/preview2-shim browser shim (jco's sync mode: its poll cannot block, so
// the guest spins), in the same run, in Node worker_threads and in headless Chromium.
//
// Cost of the sleep = worker-thread CPU of a run sleeping SLEEP ms minus that of a run
// sleeping 0 ms (same program, same host: start-up cancels out). Thread CPU comes from
// /proc/<tid>/schedstat (ns on CPU): in Node the worker reads its own, in Chromium the
// harness reads the DedicatedWorker thread of the browser it launched. Median of REPEAT.
//   node bench/bench_component.mjs [--sleep MS] [--repeat N] [--node-only]
// Needs web/component/build.sh (and web/build.sh is not needed); Chromium needs
// /usr/bin/chromium and playwright-core (npm ci in web/).
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
if (!fs.existsSync(demo)) {
  console.error('bench_component: run web/component/build.sh first');
  process.exit(1);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A Node worker running cpu-worker.js: run(host, sleepMs) -> {cpuMs, lines}. */
async function nodeWorker() {
  const w = new Worker(path.join(web, 'component/harness/cpu-worker.js'));
  let pending = null;
  w.on('message', (m) => {
    if (m.type === 'done' && pending) pending(m);
  });
  w.on('error', (e) => pending && pending({ error: String(e) }));
  return {
    run: (host, sleepMs) =>
      new Promise((resolve, reject) => {
        pending = (m) => {
          pending = null;
          if (m.error || m.code !== 0) reject(new Error(`Node ${host}: ${m.error || 'exit ' + m.code}`));
          else resolve({ cpuMs: m.cpuNs / 1e6, lines: m.lines });
        };
        w.postMessage({ component: pathToFileURL(demo).href, host, args: ['demo', String(sleepMs)] });
      }),
    close: () => w.terminate(),
  };
}

/** Thread CPU (ns) of every DedicatedWorker thread under process `pid` (and its children),
 * as a Map tid -> ns. */
function workerThreadsNs(pid) {
  const kids = new Map();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(p));
    } catch {}
  }
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) pids.push(...(kids.get(pids[i]) || []));
  const out = new Map();
  for (const p of pids) {
    let tids = [];
    try {
      tids = fs.readdirSync(`/proc/${p}/task`);
    } catch {}
    for (const t of tids) {
      try {
        if (!fs.readFileSync(`/proc/${p}/task/${t}/comm`, 'utf8').startsWith('DedicatedWorker')) continue;
        out.set(t, Number(fs.readFileSync(`/proc/${p}/task/${t}/schedstat`, 'utf8').split(' ')[0]));
      } catch {}
    }
  }
  return out;
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
  // The browser process: the one whose command line names this profile (its children are
  // found from /proc by parent id).
  const pid = Number(fs.readdirSync('/proc').find((p) => {
    try {
      return /^\d+$/.test(p) && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`--user-data-dir=${profile}`) &&
        !fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type=');
    } catch {
      return false;
    }
  }));
  const run = async (host, sleepMs) => {
    const before = workerThreadsNs(pid);
    await page.evaluate(([h, s]) => window.runCpu(h, s), [host, sleepMs]);
    let st;
    for (;;) {
      st = await page.evaluate(() => window.cpuState);
      if (st.phase === 'done') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = workerThreadsNs(pid);
    if (st.error || st.code !== 0) throw new Error(`Chromium ${host}: ${st.error || 'exit ' + st.code}`);
    // What every DedicatedWorker thread of this browser used during the run: the page has one.
    let ns = 0;
    for (const [tid, v] of after) ns += v - (before.get(tid) || 0);
    return { cpuMs: ns / 1e6, lines: st.lines };
  };
  return {
    async worker() {
      await page.evaluate(() => window.startWorker());
      return { run, close: () => page.evaluate(() => window.stopWorker()) };
    },
    async close() {
      await context.close();
      server.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Per host, one worker: a warm-up run, then REPEAT pairs of a SLEEP ms and a 0 ms run. */
async function measure(env, newWorker) {
  const cost = { ours: [], stock: [] };
  const whole = { ours: [], stock: [] };
  let woke = '';
  for (const host of ['ours', 'stock']) {
    const w = await newWorker();
    try {
      await w.run(host, 0); // compiles the modules, warms the JIT
      for (let r = 0; r < REPEAT; r++) {
        const slept = await w.run(host, SLEEP);
        const idle = await w.run(host, 0);
        cost[host].push(slept.cpuMs - idle.cpuMs);
        whole[host].push(slept.cpuMs);
        woke = slept.lines.find((l) => l.startsWith('woke')) || woke;
      }
    } finally {
      await w.close();
    }
  }
  const ours = median(cost.ours), stock = median(cost.stock);
  return { env, ours, stock, ratio: ours / stock, woke, spread: cost, oursWhole: median(whole.ours), stockWhole: median(whole.stock) };
}

const rows = [];
rows.push(await measure('Node 20 worker_threads', nodeWorker));
if (!process.argv.includes('--node-only')) {
  const c = await chromium();
  if (c) {
    try {
      rows.push(await measure('Chromium (headless) worker', c.worker));
    } finally {
      await c.close();
    }
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
