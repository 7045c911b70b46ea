// The wasm worker: runs one WASI preview 1 command (Go GOOS=wasip1, C on wasi-libc, ...)
// under the host of web/src/host/wasi/. Works as a Node.js worker_threads worker and as a
// browser module worker. Once the program runs, the worker blocks (Atomics.wait, only in
// poll_oneoff) and never returns to its event loop until the program exits.
//
// Two modes, chosen by the start message:
//   sockets  the host runs the yamux engine (web/src/host/streams/) over side `side` of the
//            queue; descriptor 3 is a listener whose sock_accept gives a socket per stream
//            the event side opens, and yamux.dial opens streams toward it;
//   raw      descriptor 3 is the queue itself (web/src/host/shmq-fd.js): the guest runs its
//            own yamux over it (web/go/cmd/yamux-wasm-peer).
//
// Start message (one): {
//   module: WebAssembly.Module | ArrayBuffer | Uint8Array | string (URL or path),
//   args: string[] (argv, argv[0] the program name), env: {name: value},
//   stdio: 'lines' (default: {type, line} per line) | 'bytes' ({type, data} per write),
//   sockets: {buffer, offset, side, config?, spinUs?, checkIntervalMs?, lingerMs?}   or
//   queue: {buffer, offset, side, spinUs?, trace?}     (raw mode; neither: no descriptor 3)
// }
// Messages posted: {type: 'started'} once the program is instantiated, then
// {type: 'stdout' | 'stderr', line | data}, then {type: 'exit', code, stats}; or
// {type: 'error', message, stack} when the module cannot run (not a WASI command, imports
// this host lacks) or traps.
import { AtomicsBackend } from './backends/atomics.js';
import { runProgram } from './program.js';
import { onStart } from '../workers/port.js';

const post = await onStart((m) => {
  let backend;
  try {
    backend = new AtomicsBackend();
  } catch (e) {
    post({ type: 'error', message: e.message });
    return;
  }
  return runProgram(m, post, backend);
});
