// One ESM bundle per entry of the package (esbuild, pinned in package-lock.json), so that a
// page or a worker can load the package by URL, without a bundler and without node_modules
// paths: dist/yamux.js (the API: event side, channel, workers), dist/wasm-worker.js (the C
// program's worker) and dist/wasi-worker.js (the WASI host's worker). The engine's wasm is
// inside (base64); the C program (dist/yamux_peer.cjs) is loaded beside them.
//   node web/scripts/bundle.mjs        (web/build.sh runs it)
// A new worker entry: add it to ENTRIES (name in dist/ -> source), and its URL to
// src/assets.js; the plugin below points the source's URL at the bundle.
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRIES = {
  'yamux.js': 'src/index.js',
  'wasm-worker.js': 'src/workers/wasm-worker.js',
  'wasi-worker.js': 'src/host/worker.js',
};

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('web/scripts/bundle.mjs: esbuild is missing: run npm ci in web/');
  process.exit(1);
}

// src/assets.js names the workers by their source paths and dist/ files from src/; in a
// bundle all of them are siblings.
const assetsPlugin = {
  name: 'yamux-assets',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]assets\.js$/ }, async (args) => {
      let text = await fs.promises.readFile(args.path, 'utf8');
      for (const [name, src] of Object.entries(ENTRIES)) {
        const rel = `'./${path.relative(path.join(web, 'src'), path.join(web, src)).split(path.sep).join('/')}'`;
        if (name === 'yamux.js') continue;
        if (!text.includes(rel)) throw new Error(`src/assets.js has no URL ${rel} for ${name}`);
        text = text.replace(rel, `'./${name}'`);
      }
      // dist/ files are siblings of the bundles: the bundles work from any folder
      text = text.replaceAll("'../dist/", "'./");
      return { contents: text, loader: 'js' };
    });
  },
};

const started = performance.now();
await esbuild.build({
  absWorkingDir: web,
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, src]) => [name.replace(/\.js$/, ''), src])),
  outdir: 'dist',
  bundle: true,
  splitting: false,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['node:*'],
  plugins: [assetsPlugin],
  banner: { js: '// @yamux/web bundle (esbuild): see the package README' },
  logLevel: 'warning',
});
const sizes = Object.keys(ENTRIES).map((n) => `${n} ${(fs.statSync(path.join(web, 'dist', n)).size / 1024).toFixed(0)} KiB`);
console.log(`bundles: ${sizes.join(', ')} (${(performance.now() - started).toFixed(0)} ms)`);
