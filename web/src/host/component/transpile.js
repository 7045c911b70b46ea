// Transpiling a raw WASI 0.2 component at load time (Node.js only), with jco's API
// (`@bytecodealliance/jco-transpile`, an optional peer dependency of this package: about
// 105 MB installed, most of it binaryen, which this path does not run). It runs in the
// component worker, so the embedder's event loop never waits for it. Measured on the demo
// (a 2.7 MB Go component): ~0.2 s to import jco, 0.6-3 s for the first transpile on this
// shared 2-core machine, ~0.6 s for the next ones, ~190 MB resident meanwhile. Browsers take
// a component transpiled ahead of time (`jco transpile X.wasm --instantiation async -o DIR`).

/** The jco package this path needs (the version web/package.json pins in its devDependencies). */
export const JCO_TRANSPILE = '@bytecodealliance/jco-transpile';

/** What to say of a raw component that cannot be transpiled here (after its name). */
export function transpileAdvice() {
  return `a WASI 0.2 component: running it needs ${JCO_TRANSPILE} (npm install ${JCO_TRANSPILE}@0.15) ` +
    'or a module transpiled ahead of time: jco transpile X.wasm --instantiation async -o DIR, then pass DIR/X.js';
}

/**
 * Transpiles `bytes` (a component) to {name, files, ms}: NAME.js (an ES module with
 * `instantiate(getCore, imports)`) and NAME.core*.wasm, in memory. Throws an Error with a
 * sentence (for the caller to prefix with the program's name) when jco is missing or the
 * bytes are not a valid component.
 * @param {Uint8Array} bytes
 */
export async function transpileComponent(bytes) {
  let jco;
  try {
    jco = await import(JCO_TRANSPILE);
  } catch (e) {
    if (e && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND')) throw new Error(transpileAdvice(), { cause: e });
    throw e;
  }
  const name = 'component';
  const t0 = performance.now();
  let out;
  try {
    out = await jco.transpileBytes(bytes, { name, instantiation: 'async', emitTypescriptDeclarations: false });
  } catch (e) {
    throw new Error(`jco cannot transpile it: ${String((e && e.message) || e).split('\n')[0]}`, { cause: e });
  }
  return { name, files: out.files, ms: performance.now() - t0 };
}
