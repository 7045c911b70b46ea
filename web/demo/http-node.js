// scripts/demo's net/http line: an unmodified Go net/http server in a Node.js wasm worker,
// reached over yamux streams from this thread (the event side). Builds the server first
// (web/go/build.sh --only wasi-http) when Go is installed; says so and exits 0 when not.
//   node web/demo/http-node.js [--build-only]
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, runRequests, SERVER } from './http-demo.js';

const args = process.argv.slice(2);
if (args.length > 1 || (args.length === 1 && args[0] !== '--build-only')) {
  console.error(`http-node.js: unknown argument ${args[0] === '--build-only' ? args[1] : args[0]}: expected nothing or --build-only`);
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const go = spawnSync('go', ['version'], { stdio: 'ignore' });
if (go.status === 0) {
  const b = spawnSync(path.join(root, 'web/go/build.sh'), ['--only', 'wasi-http'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) {
    console.error('net/http demo: web/go/build.sh --only wasi-http failed');
    process.exit(1);
  }
}
if (!fs.existsSync(fileURLToPath(SERVER))) {
  console.log('net/http demo: skipped (Go is not installed, web/go/bin/wasi-http.wasm not built)');
  process.exit(0);
}
if (args[0] === '--build-only') process.exit(0);
const server = await startServer();
const r = await runRequests(server, { warmup: 400 });
const code = await server.stop();
console.log(`net/http (Go ${r.first.match(/go[\d.]+/)?.[0] ?? '?'}, wasip1) in the wasm worker, over yamux streams: ` +
  `${r.ok}/${r.requests} GET / answered 200; the first in ${r.firstMs.toFixed(0)} ms, then after ${r.warmup} to warm up ` +
  `the JIT ${r.perSecond.toFixed(0)} requests/s 8 at a time, ${r.medianMs.toFixed(2)} ms median one at a time; ` +
  `GET /bytes ${(r.download.bytes / (1 << 20)).toFixed(0)} MiB at ${r.download.mbps.toFixed(0)} MB/s; exit ${code}`);
process.exit(r.ok === r.requests && r.download.status === 200 && code === 0 ? 0 : 1);
