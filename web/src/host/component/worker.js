// The component worker: runs one jco-transpiled WASI 0.2 command component with its stdio
// on shared-memory pipes (pipe.js), blocking in wasi:io/poll (Atomics.wait on its doorbell).
// Node.js worker_threads and browser module workers alike.
//
// Start message (one): {component: URL of the transpiled ES module, args: string[],
//   env: {name: value}, stdio: createStdio()'s object}
// Posts {type: 'exit', code, stats} once the program ended (its stdout and stderr are closed
// first, so the embedder reads to their end), or {type: 'error', message, stack}.
import { onStart } from '../../workers/port.js';
import { attachStdio } from './pipe.js';
import { createHost } from './host.js';
import { AtomicsBackend } from './backend.js';
import { loadComponent, runCommand } from './run.js';

const post = await onStart((m) => start(m));

async function start(msg) {
  let stdio = null;
  try {
    stdio = attachStdio(msg.stdio, 'host');
    const backend = new AtomicsBackend();
    const { imports, poller } = createHost({
      args: msg.args, env: msg.env || {}, stdin: stdio.stdin, stdout: stdio.stdout, stderr: stdio.stderr,
      bell: stdio.bell, backend,
    });
    const loaded = await loadComponent(msg.component);
    const t0 = performance.now();
    const code = await runCommand(loaded, imports);
    closeAll(stdio);
    post({ type: 'exit', code, stats: { ms: performance.now() - t0, ...poller.stats, waits: backend.waits } });
  } catch (e) {
    if (stdio) closeAll(stdio);
    post({ type: 'error', message: String((e && e.message) || e), stack: e && e.stack });
  }
}

function closeAll(stdio) {
  stdio.stdout.close();
  stdio.stderr.close();
  stdio.stdin.close();
}
