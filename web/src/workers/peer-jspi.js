// The package's C program (web/wasm/peer_*.c) in the calling thread, for pages without
// SharedArrayBuffer: its JSPI build (dist/yamux_peer_jspi.cjs, Emscripten 3.1.6 without
// threads) imports its two waiting primitives (src/shmq_wait.c with YAMUX_SHMQ_WAIT_EXTERNAL);
// here the wait is a WebAssembly.Suspending function on the channel's same-thread doorbell
// (web/src/queue/doorbell.js) and main runs through WebAssembly.promising, so the program
// suspends where the threaded build blocks in Atomics.wait, and this thread's event loop
// (the event side's Session) runs meanwhile. Emscripten 3.1.6 has no -sJSPI: the wrapping is
// done by hand in its instantiateWasm hook.
//
// The channel is createChannel({shared: false}): the program's memory, not shared and never
// growing (the event side's views of it stay valid). The handle has startWorker()'s shape:
//   const wasm = startWasmInThread({channel, side: SIDE_B});
//   wasm.onMessage((m) => ...);                    // {type: 'stdout'|'stderr', line}, {type: 'exit', code}
//   wasm.postMessage({channel, args: [...]});      // starts it, as the wasm worker's first message
import { claimSide, markSideGone, SIDE_A, SIDE_B } from '../queue/channel.js';
import { doorbellOf } from '../queue/doorbell.js';
import { macrotask } from '../event/schedule.js';
import { hasJspi } from '../host/backends/jspi.js';
import { peerJspiScriptUrl } from '../assets.js';

const isNode = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined';
const never = new Promise(() => {});

let loaded;
/** The Emscripten factory and the wasm binary it embeds (SINGLE_FILE). */
function loadProgram() {
  loaded ??= (async () => {
    let text, create;
    if (isNode) {
      const { createRequire } = await import('node:module');
      const { fileURLToPath } = await import('node:url');
      const fs = await import('node:fs/promises');
      const file = fileURLToPath(peerJspiScriptUrl);
      text = await fs.readFile(file, 'utf8');
      create = createRequire(import.meta.url)(file);
    } else {
      const res = await fetch(peerJspiScriptUrl);
      if (!res.ok) throw new Error(`cannot load ${peerJspiScriptUrl}: HTTP ${res.status}`);
      text = await res.text();
      create = new Function(`${text}\nreturn createYamuxPeerJspi;`)();
    }
    const m = /["']data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)["']/.exec(text);
    if (!m) throw new Error(`${peerJspiScriptUrl}: no embedded wasm binary (built with -sSINGLE_FILE?)`);
    const bin = atob(m[1]);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return { create, module: await WebAssembly.compile(bytes) };
  })();
  return loaded;
}

/**
 * Starts the package's C program in this thread on side `side` of `channel` (made by
 * createChannel({shared: false})). Returns a handle shaped as startWorker()'s: post it the
 * start message {channel, args} once; it reports {type: 'stdout'|'stderr', line} and {type:
 * 'exit', code}; `exited` resolves with the exit status (-1 after terminate()).
 * @param {{channel: object, side?: number}} o
 */
export function startWasmInThread({ channel, side = SIDE_B } = {}) {
  if (!hasJspi())
    throw new TypeError('yamux: startWasmInThread needs JSPI (WebAssembly.Suspending and WebAssembly.promising: Chrome 137+, Node.js 25+)');
  if (!channel || !(channel.memory instanceof WebAssembly.Memory) || !(channel.buffer instanceof ArrayBuffer))
    throw new TypeError('yamux: startWasmInThread: the channel must be createChannel({shared: false})');
  if (side !== SIDE_A && side !== SIDE_B) throw new RangeError(`yamux: startWasmInThread: side must be SIDE_A (0) or SIDE_B (1), got ${String(side)}`);
  const listeners = [];
  let exitResolve;
  const exited = new Promise((r) => (exitResolve = r));
  let started = false, gone = false, killed = false;
  const post = (m) => queueMicrotask(() => {
    if (!killed) for (const f of listeners) f(m);
  });
  const end = (code) => {
    if (gone) return;
    gone = true;
    markSideGone(channel, side); // harmless when the program closed its side itself
    if (!killed) post({ type: 'exit', code });
    queueMicrotask(() => exitResolve(killed ? -1 : code));
  };
  const bell = doorbellOf(channel.buffer);
  let pending = null; // the doorbell word the program is suspended on
  const run = async (msg) => {
    const args = (msg?.args ?? []).map(String);
    if (args.includes('--side') && args[args.lastIndexOf('--side') + 1] !== (side === SIDE_A ? 'a' : 'b'))
      throw new Error(`the arguments say ${args.join(' ')}, but this program runs on side ${side === SIDE_A ? 'A' : 'B'}`);
    claimSide(channel, side);
    // No spinning in one thread: the peer cannot answer while this side spins.
    const argv = ['--side', side === SIDE_A ? 'a' : 'b', '--spin-us', '0', ...args];
    const { create, module } = await loadProgram();
    const i32 = new Int32Array(channel.buffer);
    let exports;
    await create({
      wasmMemory: channel.memory,
      print: (line) => post({ type: 'stdout', line }),
      printErr: (line) => post({ type: 'stderr', line }),
      quit: (code, toThrow) => {
        throw toThrow; // unwinds the program: main's promise rejects with it
      },
      yxWait(ptr, expect, timeoutMs) {
        const r = bell.waitAsync(i32, ptr >> 2, expect | 0, timeoutMs);
        if (!r.async) return undefined;
        pending = ptr >> 2;
        return r.value.then(() => {
          pending = null;
          return killed ? never : undefined;
        });
      },
      yxWake: (ptr) => void bell.notify(i32, ptr >> 2),
      instantiateWasm(imports, receive) {
        if (typeof imports.env?.yamux_shmq_host_wait !== 'function') throw new Error('the JSPI build imports no env.yamux_shmq_host_wait');
        imports.env.yamux_shmq_host_wait = new WebAssembly.Suspending(imports.env.yamux_shmq_host_wait);
        WebAssembly.instantiate(module, imports).then((instance) => {
          exports = { ...instance.exports, main: WebAssembly.promising(instance.exports.main) };
          receive({ exports }, module);
        }, (e) => post({ type: 'error', message: String(e?.message || e) }));
        return {};
      },
    });
    // argv in the program's memory (its own allocator), then main.
    const enc = new TextEncoder();
    const strs = ['yamux-peer', ...argv].map((a) => enc.encode(`${a}\0`));
    const vec = exports.malloc(4 * (strs.length + 1));
    const u8 = new Uint8Array(channel.buffer), dv = new DataView(channel.buffer);
    strs.forEach((b, i) => {
      const p = exports.malloc(b.length);
      u8.set(b, p);
      dv.setUint32(vec + 4 * i, p, true);
    });
    dv.setUint32(vec + 4 * strs.length, 0, true);
    try {
      const code = await exports.main(strs.length, vec);
      exports.__stdio_exit?.(); // what exit() would flush
      return code;
    } catch (e) {
      if (e && e.name === 'ExitStatus' && typeof e.status === 'number') return e.status;
      throw e;
    }
  };
  return {
    worker: null,
    side,
    backend: 'jspi',
    postMessage(msg) {
      if (started) {
        post({ type: 'stderr', line: 'yamux wasm program: message ignored: the program was started already (one program per handle)' });
        return;
      }
      started = true;
      macrotask(() => run(msg).then(end, (e) => {
        post({ type: 'error', message: `yamux wasm program: ${e?.message ?? e}` });
        end(1);
      }));
    },
    onMessage: (fn) => listeners.push(fn),
    exited,
    /** Drops the program where it is suspended (it never resumes) and marks its side gone. */
    async terminate() {
      if (gone) return;
      killed = true;
      if (pending !== null) bell.cancel(new Int32Array(channel.buffer), pending);
      end(-1);
    },
  };
}
