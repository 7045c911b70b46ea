// The page of the CPU measurements (bench/bench_component.mjs, web/browser/component.test.mjs)
// in Chromium: window.runOnce(host, sleepMs) runs the seed's demo once and resolves with
// {code, lines}; the harness samples the browser's DedicatedWorker threads meanwhile.
//   ours   startComponent(): a component worker with this project's host, stdio over yamux
//   stock  the stock preview2-shim (jco's sync mode) in one worker kept for every run
import { startComponent } from '../../src/host/component/embed.js';

const component = new URL('../dist/demo/demo.component.js', import.meta.url);
let stock = null;

async function ours(sleepMs) {
  const c = await startComponent(component, { args: ['demo', String(sleepMs)] });
  c.stdin.close().catch(() => {});
  let text = '';
  const dec = new TextDecoder();
  for await (const b of c.stdout) text += dec.decode(b, { stream: true });
  return { code: await c.exited, lines: text.split('\n').filter(Boolean) };
}

function stockRun(sleepMs) {
  if (!stock) stock = new Worker(new URL('./cpu-worker.js', import.meta.url), { type: 'module', name: 'cpu-worker' });
  return new Promise((resolve) => {
    stock.onmessage = (e) => resolve(e.data);
    stock.onerror = (e) => resolve({ error: String(e.message || e) });
    stock.postMessage({ component: component.href, args: ['demo', String(sleepMs)] });
  });
}

window.runOnce = async (host, sleepMs) => {
  try {
    const r = host === 'ours' ? await ours(sleepMs) : await stockRun(sleepMs);
    return { code: r.code, lines: r.lines, error: r.error || null };
  } catch (e) {
    return { error: String(e?.stack || e) };
  }
};
window.stopStock = () => {
  stock?.terminate();
  stock = null;
};
window.cpuReady = true;
