// Loading and running a jco-transpiled command component (`jco transpile X.component.wasm -o
// DIR --instantiation async`: DIR/X.component.js and its X.component.core*.wasm beside it,
// or the same files in memory from transpile.js) with an import object (host.js), in
// Node.js or a browser worker.
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

function base64(bytes) {
  if (typeof Buffer === 'function') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Imports the ES module at `url`. jco writes it in a `.js` file, which Node.js reads as
 * CommonJS unless the nearest package.json says `"type": "module"` ("Unexpected token
 * 'export'", after a warning); such a file is imported from its text instead (the module
 * imports nothing: --instantiation async).
 */
async function importModule(url) {
  if (!isNode || url.protocol !== 'file:' || !/\.js$/i.test(url.pathname) || (await moduleScope(url))) return import(url.href);
  const fs = await import('node:fs/promises');
  return import(`data:text/javascript;base64,${base64(new Uint8Array(await fs.readFile(url)))}`);
}

/** Whether Node.js reads the .js file at `url` as an ES module: the nearest package.json. */
async function moduleScope(url) {
  const fs = await import('node:fs/promises');
  for (let dir = new URL('./', url); ; dir = new URL('../', dir)) {
    try {
      return JSON.parse(await fs.readFile(new URL('package.json', dir), 'utf8')).type === 'module';
    } catch (e) {
      if (e.code !== 'ENOENT') return false;
    }
    if (dir.pathname === '/') return false;
  }
}

/**
 * Imports a transpiled component and compiles its core modules (once each). `src` is the URL
 * of its ES module (a URL or a string, relative to the current directory in Node.js, to the
 * worker's location in a browser), or {name, files} with the files in memory (the output of
 * transpile.js: NAME.js and NAME.core*.wasm). Resolves with {where, jspi (transpiled with
 * --async-mode jspi), instantiate(imports) -> Promise of the component's exports}.
 */
export async function loadComponent(src) {
  let mod, getCore, where;
  if (src && typeof src === 'object' && src.files) {
    const js = src.files[`${src.name}.js`];
    if (!js) throw new Error(`component: no ${src.name}.js among the transpiled files`);
    where = `${src.name} (transpiled at load time)`;
    mod = await import(`data:text/javascript;base64,${base64(js)}`);
    const cores = new Map();
    getCore = (path) => {
      if (!cores.has(path)) {
        const bytes = src.files[path];
        cores.set(path, bytes ? WebAssembly.compile(bytes) : Promise.reject(new Error(`component: no core module ${path}`)));
      }
      return cores.get(path);
    };
  } else {
    const base = new URL(String(src), isNode ? `file://${process.cwd()}/` : self.location.href);
    where = base.href;
    mod = await importModule(base);
    const cores = new Map();
    getCore = (path) => {
      if (!cores.has(path)) cores.set(path, compileAt(new URL(path, base)));
      return cores.get(path);
    };
  }
  if (typeof mod.instantiate !== 'function') {
    throw new Error(`component: ${where} exports no instantiate() (transpile with --instantiation async)`);
  }
  // Transpiled with --async-mode jspi (--async-wasi-exports): its wasi:cli/run export goes
  // through WebAssembly.promising.
  const jspi = /WebAssembly\.promising\(\s*exports\d*\[\s*['"]wasi:cli\/run/.test(Function.prototype.toString.call(mod.instantiate));
  return { where, jspi, instantiate: (imports) => mod.instantiate(getCore, imports) };
}

/**
 * Instantiates a loaded command component, calls `started()`, then its wasi:cli/run. Returns
 * the exit status: 0 when run returns ok, 1 when it returns err, else the status of
 * wasi:cli/exit. A trap or a host error rejects. Blocks the thread while the program runs (a
 * worker only).
 */
export async function runCommand(loaded, imports, started = () => {}) {
  let root;
  try {
    root = await loaded.instantiate(imports);
  } catch (e) {
    if (e instanceof ComponentExit) return e.code;
    throw e;
  }
  const run = root.run || root['wasi:cli/run'];
  if (!run || typeof run.run !== 'function') throw new Error('not a WASI command: the component exports no wasi:cli/run');
  started();
  try {
    await run.run();
    return 0;
  } catch (e) {
    if (e instanceof ComponentExit) return e.code;
    if (e && e.name === 'ComponentError' && Object.prototype.hasOwnProperty.call(e, 'payload')) return 1;
    throw e;
  }
}
