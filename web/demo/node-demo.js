// scripts/demo in Node.js: two workers, an event worker and a wasm worker, streams both ways
// over the shared-memory queue, every byte verified; prints the figures. (web/demo/main.js
// parses the command line and calls this.)
import { runDemo, formatTable, WHY } from './scenario.js';

/** Runs the demo and prints its table. */
export async function runNodeDemo({ streams = 32, bytes = 8 << 20 } = {}) {
  console.log(`yamux over shmq: event worker (JavaScript + wasm engine) <-> wasm worker (C, blocking)`);
  console.log(`${streams} streams opened by each side, ${(bytes / (1 << 20)).toFixed(1)} MiB each, echoed and verified\n`);
  const result = await runDemo({ streams, bytes });
  console.log(formatTable(result));
  console.log(`\n${WHY}`);
}
