// The stock shim's side of bench/bench_component.mjs and of the demo test: runs a command
// component once per message with the stock @bytecodealliance/preview2-shim browser shim
// (jco's sync mode: its poll cannot block, so a sleeping guest spins). This project's host
// runs through startComponent() instead (its own worker). Between runs it waits for the next
// message, so that the harness can read this thread's CPU time from outside (Chromium); in
// Node it reads its own (/proc/thread-self/schedstat: ns on CPU).
//   message: {component: URL, args: string[]}
//   posts {type: 'done', code, lines: [stdout lines], cpuNs (Node only), error?}
import { loadComponent } from '../../src/host/component/run.js';

const isNode = typeof process === 'object' && !!process.versions?.node;
let post;
if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  post = (m) => parentPort.postMessage(m);
  parentPort.on('message', (m) => start(m));
} else {
  post = (m) => self.postMessage(m);
  self.onmessage = (e) => start(e.data);
}
const loads = new Map();
// The stock shim leaves timers behind whose promises reject ("pollable has been disposed")
// once the run is over and this worker's event loop turns: not this run's result.
if (isNode) process.on('unhandledRejection', () => {});
else self.addEventListener('unhandledrejection', (e) => e.preventDefault());

async function threadCpuNs() {
  if (!isNode) return null;
  const fs = await import('node:fs');
  return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
}

async function stockImports(args, onLine) {
  const shimUrl = new URL('../../node_modules/@bytecodealliance/preview2-shim/dist/browser/index.js', import.meta.url);
  const shim = await import(shimUrl.href);
  shim.cli._setArgs(args);
  let pending = '';
  const dec = new TextDecoder();
  const sink = {
    write(b) {
      pending += dec.decode(b, { stream: true });
      let i;
      while ((i = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, i));
        pending = pending.slice(i + 1);
      }
    },
    blockingFlush() {},
  };
  shim.cli._setStdout(sink);
  shim.cli._setStderr(sink);
  const kebab = (s) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
  const imports = {};
  for (const [pkg, ns] of Object.entries(shim)) {
    for (const [iface, impl] of Object.entries(ns)) imports[`wasi:${pkg}/${kebab(iface)}`] = impl;
  }
  return imports;
}

async function start({ component, args }) {
  const lines = [];
  let code = null, error = null;
  const t0 = await threadCpuNs();
  try {
    if (!loads.has(component)) loads.set(component, loadComponent(component));
    const loaded = await loads.get(component);
    const imports = await stockImports(args, (l) => lines.push(l));
    const root = await loaded.instantiate(imports);
    try {
      root.run.run();
      code = 0;
    } catch (e) {
      if (!e || !e.exitError) throw e;
      code = e.code;
    }
  } catch (e) {
    error = String((e && e.stack) || e);
  }
  const t1 = await threadCpuNs();
  post({ type: 'done', code, lines, error, cpuNs: t0 === null ? null : t1 - t0 });
}
