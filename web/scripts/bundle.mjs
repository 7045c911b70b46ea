// One ESM bundle per entry of the package (esbuild, pinned in package-lock.json), so that a
// page or a worker can load the package by URL, without a bundler and without node_modules
// paths: dist/yamux.js (the API: event side, channel, workers), dist/wasm-worker.js (the C
// program's worker) and dist/wasi-worker.js (the WASI host's worker). The engine's wasm is
// inside (base64); the C program (dist/yamux_peer.cjs) is loaded beside them.
//   node web/scripts/bundle.mjs        (web/build.sh runs it)
// A new worker entry: add it to ALL_ENTRIES (name in dist/ -> source); the plugin below points
// every new URL('...', import.meta.url) of the sources at the bundles' siblings.
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// name in dist/ -> source; an entry whose source does not exist (yet) is left out
const ALL_ENTRIES = {
  'yamux.js': 'src/index.js',
  'wasm-worker.js': 'src/workers/wasm-worker.js',
  'wasi-worker.js': 'src/host/worker.js',
  'component-worker.js': 'src/host/component/worker.js', // the WASI 0.2 component host (issue 14)
};
export const ENTRIES = Object.fromEntries(Object.entries(ALL_ENTRIES).filter(([, src]) => fs.existsSync(path.join(web, src))));

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('web/scripts/bundle.mjs: esbuild is missing: run npm ci in web/');
  process.exit(1);
}

// Sources name the workers and the built files with new URL('<relative>', import.meta.url);
// in the bundles all of them are siblings: a URL of an entry's source becomes './<entry>', a
// URL of a file in dist/ becomes './<file>', and any other relative URL fails the build
// (the bundle could not find it).
const bySource = new Map(Object.entries(ENTRIES).map(([name, src]) => [path.join(web, src), name]));
const URL_RE = /new URL\(\s*'(\.{1,2}\/[^']+)'\s*,\s*import\.meta\.url\s*\)/g;
const assetsPlugin = {
  name: 'yamux-urls',
  setup(build) {
    build.onLoad({ filter: /[\\/]web[\\/]src[\\/].*\.js$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      // Comment lines (usage examples in a header) are left as they are.
      const rewrite = (line) => (/^\s*(\/\/|\*|\/\*)/.test(line) ? line : line.replace(URL_RE, (all, rel) => {
        const target = path.resolve(path.dirname(args.path), rel);
        const entry = bySource.get(target);
        if (entry) return `new URL('./${entry}', import.meta.url)`;
        if (path.dirname(target) === path.join(web, 'dist')) return `new URL('./${path.basename(target)}', import.meta.url)`;
        throw new Error(`${path.relative(web, args.path)}: ${all} is neither an entry of web/scripts/bundle.mjs nor a file in dist/`);
      }));
      const contents = text.split('\n').map(rewrite).join('\n');
      return { contents, loader: 'js' };
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
