// Loading and running a jco-transpiled command component (`jco transpile X.component.wasm -o
// DIR --instantiation async`: DIR/X.component.js and its X.component.core*.wasm beside it)
// with an import object (host.js), in Node.js or a browser worker.
import { ComponentExit } from './cli.js';

const isNode = typeof process === 'object' && !!process.versions?.node;

async function compileAt(url) {
  if (isNode && url.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    return WebAssembly.compile(await fs.readFile(url));
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`component: ${url}: HTTP ${res.status}`);
  return WebAssembly.compileStreaming ? WebAssembly.compileStreaming(res) : WebAssembly.compile(await res.arrayBuffer());
}

/**
 * Imports the transpiled module at `url` (its ES module, a URL or a string) and compiles its
 * core modules. Resolves with `instantiate(imports)` -> Promise of the component's exports.
 */
export async function loadComponent(url) {
  const base = new URL(String(url), isNode ? `file://${process.cwd()}/` : self.location.href);
  const mod = await import(base.href);
  if (typeof mod.instantiate !== 'function') {
    throw new Error(`component: ${base.href} exports no instantiate() (transpile with --instantiation async)`);
  }
  const cores = new Map();
  const getCore = (path) => {
    if (!cores.has(path)) cores.set(path, compileAt(new URL(path, base)));
    return cores.get(path);
  };
  return { url: base, instantiate: (imports) => mod.instantiate(getCore, imports) };
}

/**
 * Instantiates a loaded command component and calls its wasi:cli/run. Returns the exit
 * status: 0 when run returns ok, 1 when it returns err, else the status of wasi:cli/exit. A
 * trap or a host error rejects. Blocks the thread while the program runs (a worker only).
 */
export async function runCommand(loaded, imports) {
  let root;
  try {
    root = await loaded.instantiate(imports);
  } catch (e) {
    if (e instanceof ComponentExit) return e.code;
    throw e;
  }
  const run = root.run || root['wasi:cli/run'];
  if (!run || typeof run.run !== 'function') throw new Error('component: not a command (no wasi:cli/run export)');
  try {
    await run.run();
    return 0;
  } catch (e) {
    if (e instanceof ComponentExit) return e.code;
    if (e && e.name === 'ComponentError' && Object.prototype.hasOwnProperty.call(e, 'payload')) return 1;
    throw e;
  }
}
