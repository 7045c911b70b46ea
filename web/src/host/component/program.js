// Runs one jco-transpiled WASI 0.2 command component under this host, wherever the host runs:
// in the component worker (worker.js: the Atomics backend) or in the embedder's own thread
// beside the event side (embed.js with the JSPI backend, through ../in-thread.js). The start
// message and the messages given to `post` are the ones worker.js documents. With JSPI the
// component must have been transpiled for it (`jco transpile --instantiation async
// --async-mode jspi --async-wasi-imports --async-wasi-exports`): its blocking imports are then
// WebAssembly.Suspending functions that await what this host's poll and streams return.
import { Driver, runWaits } from '../streams/driver.js';
import { HostStream, SE, READ, WRITE } from '../streams/stream.js';
import { hasJspi } from '../backends/jspi.js';
import { createHost } from './host.js';
import { loadComponent, runCommand } from './run.js';
import { transpileComponent } from './transpile.js';

const isNode = typeof process === 'object' && !!process.versions?.node;
const fs = isNode ? await import('node:fs') : null;

/** What to transpile with for the JSPI backend. */
export const JSPI_TRANSPILE = 'jco transpile X.component.wasm --instantiation async --async-mode jspi --async-wasi-imports --async-wasi-exports';

/** This thread's CPU time in ms (Linux, Node.js), or null. */
function threadCpuMs() {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

/** The first three streams the event side opens: stdin, stdout, stderr (waits for them; a
 * generator whose yields are the driver's waits, see runWaits). */
function* acceptStdio(driver) {
  const got = [];
  while (got.length < 3) {
    const r = driver.listener.accept();
    if (r instanceof HostStream) {
      got.push(r);
      continue;
    }
    if (r !== SE.AGAIN) throw new Error('the event side ended before it opened stdin, stdout and stderr');
    yield driver.wait(Infinity);
  }
  const [stdin, stdout, stderr] = got;
  stdin.shutdown(WRITE);
  stdout.shutdown(READ);
  stderr.shutdown(READ);
  driver.flushOut(); // the ACKs and the FIN
  return { stdin, stdout, stderr };
}

/**
 * Runs the component of start message `msg` to its end and reports through `post`: {type:
 * 'started'}, then {type: 'exit', code, stats} or {type: 'error', message, stack}. Never
 * rejects.
 * @param {object} msg the start message (worker.js)
 * @param {(m: object) => void} post
 * @param {object} backend backends/atomics.js or backends/jspi.js
 */
export async function runComponent(msg, post, backend) {
  let driver = null;
  try {
    driver = await Driver.create({ ...msg.sockets, backend });
    const stdio = await runWaits(acceptStdio(driver));
    let src = msg.component, transpileMs = null;
    if (src && src.bytes) {
      src = await transpileComponent(src.bytes);
      transpileMs = src.ms;
    }
    const loaded = await loadComponent(src);
    if (!backend.blocking && !loaded.jspi)
      throw new Error(`${loaded.where} was transpiled without JSPI, which the JSPI backend needs (${JSPI_TRANSPILE}; or run it with the Atomics backend)`);
    if (loaded.jspi && !hasJspi())
      throw new Error(`${loaded.where} was transpiled for JSPI (--async-mode jspi), which this JavaScript engine lacks (WebAssembly.Suspending and WebAssembly.promising: Chrome 137+, Node.js 25+)`);
    const { imports, poller } = createHost({ args: msg.args, env: msg.env || {}, ...stdio, driver });
    const t0 = performance.now(), cpu0 = threadCpuMs();
    let code;
    try {
      code = await runCommand(loaded, imports, () => post({ type: 'started' }));
    } finally {
      await driver.finish({ lingerMs: msg.sockets.lingerMs });
    }
    const cpu1 = threadCpuMs();
    post({
      type: 'exit', code,
      stats: {
        ms: performance.now() - t0, cpuMs: cpu0 === null ? null : cpu1 - cpu0, transpileMs,
        ...poller.stats, waits: backend.waits, backend: backend.name, driver: driver.stats,
      },
    });
  } catch (e) {
    try {
      await driver?.finish({ lingerMs: 0 });
    } catch {}
    post({ type: 'error', message: String((e && e.message) || e), stack: e && e.stack });
  }
}
