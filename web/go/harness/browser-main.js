// The page of the browser run: one shmq region in a SharedArrayBuffer, the C engine in an
// event worker (event-peer.js), the Go wasip1 peer in a wasm worker (src/host/worker.js).
// The result lands in window.goWasmResult: {go: {code, lines, errLines, stats}, ev: {code,
// lines, info}, isolated} (or {error}).
import { format, regionSize } from '../../src/queue/shmq.js';

const params = new URLSearchParams(location.search);
const list = (k) => (params.get(k) ? params.get(k).split(',') : []);
const goRole = params.get('go') || 'client';
const log = (s) => (document.getElementById('log').textContent += `${s}\n`);

function worker(url, msg, name) {
  const w = new Worker(new URL(url, import.meta.url), { type: 'module', name });
  const h = { lines: [], errLines: [] };
  h.done = new Promise((resolve, reject) => {
    w.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'stdout') {
        h.lines.push(m.line);
        log(`[${name}] ${m.line}`);
      } else if (m.type === 'stderr') h.errLines.push(m.line);
      else if (m.type === 'exit') resolve(m);
      else if (m.type === 'error') reject(new Error(`${name}: ${m.message}`));
    };
    w.onerror = (e) => reject(new Error(`${name}: ${e.message}`));
  });
  w.postMessage(msg);
  return h;
}

async function main() {
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
  const ring = 1 << 20, mtu = 65536;
  const buffer = new SharedArrayBuffer(regionSize(ring, mtu));
  format(buffer, 0, ring, mtu);
  const goClient = goRole === 'client';
  const ev = worker('./event-peer.js', {
    buffer, offset: 0, side: goClient ? 1 : 0,
    args: [goClient ? '--listen' : '--connect', 'fd:3', '--stats', ...list('evArgs')],
  }, 'event');
  const go = worker('../../src/host/worker.js', {
    module: new URL('../bin/yamux-wasm-peer.wasm', import.meta.url).href,
    args: ['yamux-wasm-peer', goClient ? '--connect' : '--listen', 'fd:3', '--stats', ...list('goArgs')],
    env: {},
    queue: { buffer, offset: 0, side: goClient ? 0 : 1, trace: true },
  }, 'go');
  const [g, e] = await Promise.all([go.done, ev.done]);
  return {
    isolated: crossOriginIsolated,
    go: { code: g.code, lines: go.lines, errLines: go.errLines, stats: g.stats },
    ev: { code: e.code, lines: ev.lines, info: e.info },
  };
}

main().then(
  (r) => (window.goWasmResult = r),
  (e) => (window.goWasmResult = { error: String(e?.stack || e) }),
);
