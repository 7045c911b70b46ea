// Embeds the sockets world's type information (the `component-type` custom section that
// `jco new` reads) into the C core module, with jco's wasm-tools API: what `jco embed` does,
// which in jco 1.35.0 cannot read files (its WASI shim starts with no preopened directory).
//   node web/component/c/embed.mjs WIT_DIR WORLD CORE.wasm OUT.wasm
import fs from 'node:fs';
import path from 'node:path';
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';
import { componentEmbed } from '@bytecodealliance/jco-transpile/wasm-tools';

const [witDir, world, core, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node embed.mjs WIT_DIR WORLD CORE.wasm OUT.wasm');
  process.exit(2);
}
const dir = path.resolve(witDir);
_setPreopens({ [dir]: dir }); // wasm-tools reads the WIT package there
const bytes = await componentEmbed({ binary: fs.readFileSync(core), witPath: dir, world });
fs.writeFileSync(out, bytes);
