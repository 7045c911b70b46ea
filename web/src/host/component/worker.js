// The component worker: runs one jco-transpiled WASI 0.2 command component whose stdio and
// TCP sockets are yamux streams to the event side, over side B of the shared-memory queue,
// with issue 12's engine driver (web/src/host/streams/) and backend (Atomics.wait, only in
// wasi:io/poll and at exit). Node.js worker_threads and browser module workers alike. The
// runner is program.js (the JSPI backend runs it in the embedder's thread instead).
//
// Start message (one): {
//   component: URL (string) of the transpiled ES module | {bytes: Uint8Array} a raw component
//              (Node.js: transpiled here with jco's API, transpile.js),
//   name: the program's name in messages, args: string[] (args[0] the name), env: {name: value},
//   sockets: {buffer, offset, side, config?, spinUs?, checkIntervalMs?, lingerMs?}
// }
// Stdio: the first three streams the event side opens are the program's stdin, stdout and
// stderr, in that order (embed.js opens them before it posts this message). This side sends
// FIN on stdin at once (it never writes there) and drops what arrives on stdout and stderr.
// Posts {type: 'started'} once the component is instantiated, then {type: 'exit', code, stats}
// after its streams were drained and the session ended, or {type: 'error', message, stack}.
import { onStart } from '../../workers/port.js';
import { AtomicsBackend } from '../backends/atomics.js';
import { runComponent } from './program.js';

const post = await onStart((m) => runComponent(m, post, new AtomicsBackend()));
