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
 * The demo's run: `n` GET requests, `concurrency` at a time, then one large download.
 * Resolves with {requests, ok, medianMs, download: {bytes, mbps}, first: body text}.
 */
export async function runRequests(server, { n = 100, concurrency = 8, downloadBytes = 16 << 20 } = {}) {
  const times = [];
  let ok = 0, first = null, next = 0;
  const one = async () => {
    while (next < n) {
      next++;
      const t0 = performance.now();
      const r = await server.get('/');
      times.push(performance.now() - t0);
      if (r.status === 200) ok++;
      first ??= new TextDecoder().decode(r.body);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  times.sort((a, b) => a - b);
  const t0 = performance.now();
  const d = await server.get(`/bytes?n=${downloadBytes}`);
  const ms = performance.now() - t0;
  return {
    requests: n, ok, medianMs: times[Math.floor(times.length / 2)], first,
    download: { status: d.status, bytes: d.body.length, mbps: d.body.length / 1e3 / ms },
  };
}
