// scripts/demo: two Node.js workers, an event worker and a wasm worker, streams both ways
// over the shared-memory queue, every byte verified; prints the figures.
//   node web/demo/node-demo.js [--streams N] [--bytes B]
import { runDemo, formatTable, WHY } from './scenario.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const streams = opt('--streams', 32), bytes = opt('--bytes', 8 << 20);
console.log(`yamux over shmq: event worker (JavaScript + wasm engine) <-> wasm worker (C, blocking)`);
console.log(`${streams} streams opened by each side, ${(bytes / (1 << 20)).toFixed(1)} MiB each, echoed and verified\n`);
const result = await runDemo({ streams, bytes });
console.log(formatTable(result));
console.log(`\n${WHY}`);
