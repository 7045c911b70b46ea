// Node.js in strict TypeScript (@types/node): starts both workers on one channel.
import { createChannel, startWorker, wasmWorkerUrl, SIDE_A, SIDE_B, type Channel, type WorkerHandle } from '@yamux/web';
import { fileURLToPath } from 'node:url';

const channel: Channel = createChannel({ ringBytes: 1 << 20, mtu: 1 << 16 });
const wasm: WorkerHandle = await startWorker(wasmWorkerUrl, { channel, side: SIDE_B });
wasm.onMessage((m: { type: string; line?: string }) => {
  if (m.line !== undefined) console.log(m.line);
});
wasm.postMessage({ channel, args: ['--mode', 'echo'] });
const events = await startWorker(new URL('./event-worker.js', import.meta.url), { channel, side: SIDE_A, name: 'events' });
events.postMessage({ channel });
const code: number = await wasm.exited;
console.log(fileURLToPath(wasmWorkerUrl), code, events.side);
await events.terminate();
