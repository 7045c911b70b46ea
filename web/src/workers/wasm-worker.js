// The wasm worker: runs the C program (dist/yamux_peer.cjs, web/wasm/peer_*.c) on the
// channel's memory. The first message starts it: {channel, side?, args?} (side: SIDE_A or
// SIDE_B, default the program's --side, else SIDE_B; args: the program's command line).
// Afterwards the program blocks in Atomics.wait and never returns to this event loop until it
// exits; later messages are ignored (one program per worker). Its output lines are posted as
// {type: 'stdout'|'stderr', line}, its end once as {type: 'exit', code}; a start that cannot
// be done as {type: 'error', message}, then exit code 2.
import { parentPort } from './supervise.js';
import { claimSide, SIDE_A, SIDE_B } from '../queue/channel.js';
import { peerScriptUrl } from '../assets.js';

const isNode = typeof process === 'object' && !!process.versions?.node;
const sideName = (s) => (s === SIDE_A ? 'A' : 'B');

async function loadFactory() {
  if (isNode) {
    const { createRequire } = await import('node:module');
    const { fileURLToPath } = await import('node:url');
    return createRequire(import.meta.url)(fileURLToPath(peerScriptUrl));
  }
  // Emscripten 3.1.6 emits a classic script (module workers have no importScripts).
  const res = await fetch(peerScriptUrl);
  if (!res.ok) throw new Error(`cannot load ${peerScriptUrl}: HTTP ${res.status}`);
  const text = await res.text();
  return new Function(`${text}\nreturn createYamuxPeer;`)();
}

/** The side the start message asks for (throws a sentence when it contradicts itself). */
function sideOf(msg, args) {
  const i = args.lastIndexOf('--side');
  const fromArgs = i >= 0 ? ({ a: SIDE_A, b: SIDE_B })[args[i + 1]] : undefined;
  if (i >= 0 && fromArgs === undefined) throw new Error(`--side takes a or b, got ${args[i + 1]}`);
  if (msg.side !== undefined && msg.side !== SIDE_A && msg.side !== SIDE_B)
    throw new Error(`side must be SIDE_A (0) or SIDE_B (1), got ${String(msg.side)}`);
  if (msg.side !== undefined && fromArgs !== undefined && msg.side !== fromArgs)
    throw new Error(`the message says side ${sideName(msg.side)} but the arguments say --side ${args[i + 1]}`);
  const side = msg.side ?? fromArgs ?? SIDE_B;
  if (msg.supervisedSide !== undefined && msg.supervisedSide !== side)
    throw new Error(`the program would attach side ${sideName(side)} of the channel, but its worker is supervised as side ` +
      `${sideName(msg.supervisedSide)} (startWorker's side): give both the same side`);
  return side;
}

const port = await parentPort();
let started = false, running = false, exited = false;
const exit = (code) => {
  if (exited) return;
  exited = true;
  port.postMessage({ type: 'exit', code });
};

async function start(msg) {
  const channel = msg?.channel;
  if (!channel || !(channel.memory instanceof WebAssembly.Memory) || !(channel.buffer instanceof SharedArrayBuffer))
    throw new Error('the start message must be {channel, side?, args?} with the channel createChannel() made');
  const args = (msg.args ?? []).map(String);
  const side = sideOf(msg, args);
  claimSide(channel, side);
  if (!args.includes('--side')) args.unshift('--side', side === SIDE_A ? 'a' : 'b');
  const create = await loadFactory();
  running = true;
  const post = (type) => (line) => port.postMessage({ type, line });
  await create({
    wasmMemory: channel.memory,
    arguments: args,
    print: post('stdout'),
    printErr: post('stderr'),
    onExit: exit,
    quit: (code) => {
      exit(code);
      port.exit(code);
    },
  });
}

port.onMessage((msg) => {
  if (started) {
    port.postMessage({ type: 'stderr', line: 'yamux wasm worker: message ignored: the program was started already (one program per worker)' });
    return;
  }
  started = true;
  start(msg).catch((e) => {
    // 2: the start could not be done; 1: the program failed (a trap)
    const code = running ? 1 : 2;
    port.postMessage({ type: 'error', message: `yamux wasm worker: ${e?.message ?? e}` });
    exit(code);
    port.exit(code);
  });
});
