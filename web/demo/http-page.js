// The net/http demo page: starts the Go server in a wasm worker (http-demo.js) and sends the
// requests the form describes. window.httpDemo = {state, runs: [...], error} for the browser
// test (web/browser/http-demo.test.mjs).
import { startServer, runRequests } from './http-demo.js';

const $ = (id) => document.getElementById(id);
const demo = (window.httpDemo = { state: 'starting', runs: [], error: null });
$('coi').textContent = String(crossOriginIsolated);

function row(...cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  $('result').querySelector('tbody').prepend(tr);
  $('result').hidden = false;
}

function fail(e) {
  demo.state = 'failed';
  demo.error = String(e?.stack || e);
  $('state').textContent = 'failed';
  $('error').textContent = demo.error;
}

try {
  if (!crossOriginIsolated) throw new Error('not cross-origin isolated: serve with COOP/COEP (scripts/demo --browser)');
  const server = await startServer({ log: (l) => ($('log').textContent += `${l}\n`) });
  demo.state = 'running';
  $('state').textContent = 'running';
  server.proc.exited.then((code) => {
    $('state').textContent = `exited with status ${code}`;
    demo.state = 'exited';
  }, fail);
  const send = async () => {
    const method = $('method').value, path = $('path').value;
    const body = method === 'POST' ? new TextEncoder().encode(`hello from the page at ${new Date().toISOString()}\n`) : undefined;
    const t0 = performance.now();
    const r = method === 'POST' ? await server.post(path, body) : await server.get(path);
    const ms = performance.now() - t0;
    const text = new TextDecoder().decode(r.body.subarray(0, 4096));
    demo.runs.push({ method, path, status: r.status, bytes: r.body.length, text });
    row(`${method} ${path}`, `${r.status}`, `${r.body.length} bytes`, `${ms.toFixed(1)} ms`, r.headers['content-type'] ?? '');
    $('body').textContent = text + (r.body.length > 4096 ? '\n...' : '');
    $('body').hidden = false;
  };
  $('send').onclick = () => send().catch(fail);
  $('many').onclick = async () => {
    try {
      const r = await runRequests(server, { n: 100, warmup: 400, downloadBytes: 16 << 20 });
      demo.runs.push({ many: r });
      row(`${r.requests} x GET /`, `${r.ok} x 200`, `first ${r.firstMs.toFixed(0)} ms; after ${r.warmup}: ${r.perSecond.toFixed(0)}/s, median ${r.medianMs.toFixed(2)} ms`, `GET /bytes: ${r.download.mbps.toFixed(0)} MB/s`, '');
    } catch (e) {
      fail(e);
    }
  };
  $('send').disabled = $('many').disabled = false;
  await send(); // the first request, so that the page shows an answer at once
} catch (e) {
  fail(e);
}
