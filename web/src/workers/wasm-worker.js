// The wasm worker: runs the C program (dist/yamux_peer.cjs, web/wasm/peer_*.c) on the
// channel's memory. The first message is {channel, args}; afterwards the program blocks in
// Atomics.wait and never returns to this event loop until it exits. Its output lines are
// posted as {type: 'stdout'|'stderr', line}, its end as {type: 'exit', code}.
import { parentPort } from './supervise.js';

const isNode = typeof process === 'object' && !!process.versions?.node;

async function loadFactory() {
  const url = new URL('../../dist/yamux_peer.cjs', import.meta.url);
  if (isNode) {
    const { createRequire } = await import('node:module');
    return createRequire(import.meta.url)(url.pathname);
  }
  // Emscripten 3.1.6 emits a classic script (module workers have no importScripts).
  const text = await (await fetch(url)).text();
  return new Function(`${text}\nreturn createYamuxPeer;`)();
}

const port = await parentPort();
port.onMessage(async (msg) => {
  const { channel, args = [] } = msg;
  const create = await loadFactory();
  const post = (type) => (line) => port.postMessage({ type, line });
  await create({
    wasmMemory: channel.memory,
    arguments: args.map(String),
    print: post('stdout'),
    printErr: post('stderr'),
    onExit: (code) => port.postMessage({ type: 'exit', code }),
    quit: (code) => {
      port.postMessage({ type: 'exit', code });
      port.exit(code);
    },
  });
});
