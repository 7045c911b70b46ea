// The component worker: runs one jco-transpiled WASI 0.2 command component whose stdio and
// TCP sockets are yamux streams to the event side, over side B of the shared-memory queue,
// with issue 12's engine driver (web/src/host/streams/) and backend (Atomics.wait, only in
// wasi:io/poll and at exit). Node.js worker_threads and browser module workers alike.
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
import { Driver } from '../streams/driver.js';
import { HostStream, SE, READ, WRITE } from '../streams/stream.js';
import { AtomicsBackend } from '../backends/atomics.js';
import { createHost } from './host.js';
import { loadComponent, runCommand } from './run.js';
import { transpileComponent } from './transpile.js';

const isNode = typeof process === 'object' && !!process.versions?.node;
const fs = isNode ? await import('node:fs') : null;

const post = await onStart((m) => start(m));

/** This thread's CPU time in ms (Linux, Node.js), or null. */
function threadCpuMs() {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

/** The first three streams the event side opens: stdin, stdout, stderr (waits for them). */
function acceptStdio(driver) {
  const got = [];
  while (got.length < 3) {
    const r = driver.listener.accept();
    if (r instanceof HostStream) {
      got.push(r);
      continue;
    }
    if (r !== SE.AGAIN) throw new Error('the event side ended before it opened stdin, stdout and stderr');
    driver.wait(Infinity);
  }
  const [stdin, stdout, stderr] = got;
  stdin.shutdown(WRITE);
  stdout.shutdown(READ);
  stderr.shutdown(READ);
  driver.flushOut(); // the ACKs and the FIN
  return { stdin, stdout, stderr };
}

async function start(msg) {
  let driver = null;
  const backend = new AtomicsBackend();
  try {
    driver = await Driver.create({ ...msg.sockets, backend });
    const stdio = acceptStdio(driver);
    let src = msg.component, transpileMs = null;
    if (src && src.bytes) {
      src = await transpileComponent(src.bytes);
      transpileMs = src.ms;
    }
    const loaded = await loadComponent(src);
    const { imports, poller } = createHost({ args: msg.args, env: msg.env || {}, ...stdio, driver });
    const t0 = performance.now(), cpu0 = threadCpuMs();
    let code;
    try {
      code = await runCommand(loaded, imports, () => post({ type: 'started' }));
    } finally {
      driver.finish({ lingerMs: msg.sockets.lingerMs });
    }
    const cpu1 = threadCpuMs();
    post({
      type: 'exit', code,
      stats: {
        ms: performance.now() - t0, cpuMs: cpu0 === null ? null : cpu1 - cpu0, transpileMs,
        ...poller.stats, waits: backend.waits, driver: driver.stats,
      },
    });
  } catch (e) {
    try {
      driver?.finish({ lingerMs: 0 });
    } catch {}
    post({ type: 'error', message: String((e && e.message) || e), stack: e && e.stack });
  }
}
