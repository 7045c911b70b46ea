// The net/http demo, the same in Node.js (web/demo/http-node.js, a line of scripts/demo) and
// on a page (web/demo/http.html): an unmodified Go net/http server (web/go/cmd/wasi-http,
// GOOS=wasip1) runs in a wasm worker under the WASI host; this side opens a yamux stream per
// request (the server accepts it on descriptor 3) and speaks HTTP/1.1 over it.
import { startWasi } from '../src/host/start.js';
import { fetchOverStream } from './http-client.js';

export const SERVER = new URL('../go/bin/wasi-http.wasm', import.meta.url);

/**
 * Starts the server; `log(line)` gets its log lines. Resolves with {proc, get(path), post(path,
 * bytes), stop()}.
 */
export async function startServer({ log = () => {} } = {}) {
  let pending = '';
  const lines = (b) => {
    pending += new TextDecoder().decode(b);
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      log(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  };
  const proc = await startWasi(SERVER, { stdout: lines, stderr: lines });
  return {
    proc,
    get: (path) => fetchOverStream(proc.session, 'GET', path),
    post: (path, body) => fetchOverStream(proc.session, 'POST', path, body),
    /** Asks the server to exit (GET /exit?code=0) and resolves with its exit status. */
    async stop() {
      await fetchOverStream(proc.session, 'GET', '/exit?code=0');
      return proc.exited;
    },
  };
}

/**
 * The demo's run: one GET / (timed: it includes compiling the server's hot code), `warmup`
 * more untimed (Go's wasm code starts in V8's baseline tier: the first few hundred requests
 * take 2-20 ms, then well under 1 ms), `n` timed `concurrency` at a time (requests per
 * second), `n` timed one at a time (median latency), then one large download (after one
 * untimed when warming up). Resolves with {requests, ok, warmup, firstMs, perSecond,
 * medianMs, download: {status, bytes, mbps}, first: body text}.
 */
export async function runRequests(server, { n = 100, warmup = 0, concurrency = 8, downloadBytes = 16 << 20 } = {}) {
  let ok = 0;
  const get = async () => {
    const r = await server.get('/');
    if (r.status === 200) ok++;
    return r;
  };
  const t1 = performance.now();
  const first = new TextDecoder().decode((await get()).body);
  const firstMs = performance.now() - t1;
  const parallel = async (count) => {
    let next = 0;
    const one = async () => {
      while (next < count) {
        next++;
        await get();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, one));
  };
  await parallel(warmup);
  const tp = performance.now();
  await parallel(n);
  const perSecond = n / ((performance.now() - tp) / 1000);
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await get();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  if (warmup) await server.get(`/bytes?n=${downloadBytes}`);
  const t0 = performance.now();
  const d = await server.get(`/bytes?n=${downloadBytes}`);
  const ms = performance.now() - t0;
  return {
    requests: 1 + warmup + 2 * n, ok, warmup, firstMs, perSecond, medianMs: times[Math.floor(times.length / 2)], first,
    download: { status: d.status, bytes: d.body.length, mbps: d.body.length / 1e3 / ms },
  };
}
