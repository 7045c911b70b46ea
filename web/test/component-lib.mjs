// Helpers of the WASI 0.2 component tests (Node and the Chromium page): where the built
// components are, collecting a stream's text, and a byte pattern for the echo check.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const componentDir = process.env.YAMUX_COMPONENT_DIR || path.join(webDir, 'component', 'dist');

/** URL of the transpiled component PROG (web/component/build.sh). */
export function componentUrl(prog) {
  return pathToFileURL(path.join(componentDir, prog, `${prog}.component.js`));
}

/** Whether web/component/build.sh (the guests) and web/build.sh (the engine) have run. */
export function haveComponents() {
  return fs.existsSync(path.join(webDir, 'dist', 'yamux_event.wasm.js')) &&
    ['demo', 'probe', 'probe-unpatched'].every((p) => fs.existsSync(fileURLToPath(componentUrl(p))));
}

/** All of a ReadableStream<Uint8Array> as text. */
export async function text(readable) {
  const dec = new TextDecoder();
  let s = '';
  for await (const c of readable) s += dec.decode(c, { stream: true });
  return s + dec.decode();
}
