// scripts/demo's net/http line: an unmodified Go net/http server in a Node.js wasm worker,
// reached over yamux streams from this thread (the event side).
//   node web/demo/http-node.js
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer, runRequests, SERVER } from './http-demo.js';

if (process.argv.length > 2) {
  console.error(`http-node.js: no arguments expected, got ${process.argv[2]}`);
  process.exit(2);
}
if (!fs.existsSync(fileURLToPath(SERVER))) {
  console.error('net/http demo: web/go/bin/wasi-http.wasm is missing (web/go/build.sh --only wasi-http)');
  process.exit(1);
}
const server = await startServer();
const r = await runRequests(server);
const code = await server.stop();
console.log(`net/http (Go ${r.first.match(/go[\d.]+/)?.[0] ?? '?'}, wasip1) in the wasm worker, over yamux streams: ` +
  `${r.ok}/${r.requests} GET / answered 200, median ${r.medianMs.toFixed(2)} ms; ` +
  `GET /bytes ${(r.download.bytes / (1 << 20)).toFixed(0)} MiB at ${r.download.mbps.toFixed(0)} MB/s; exit ${code}`);
process.exit(r.ok === r.requests && r.download.status === 200 && code === 0 ? 0 : 1);
