// scripts/demo: checks the command line first (a bad argument costs no build), installs and
// builds what the demo needs (scripts/setup, web/build.sh), then runs it in Node.js workers
// or serves the demo page.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../src/cli/args.js';

export const demoSpec = {
  name: 'scripts/demo',
  usage: 'scripts/demo [--streams N] [--bytes SIZE]   |   scripts/demo --browser [--port P] [--streams N] [--bytes SIZE]',
  summary:
    'Two workers, an event worker (JavaScript + the C engine in wasm, never blocking) and a wasm\n' +
    'worker (a C program blocking in Atomics.wait), open streams both ways over the shared-memory\n' +
    'queue; every byte is echoed and verified. Prints streams, MB/s and the ping round trip;\n' +
    'then a Go net/http server in a wasm worker answers requests over yamux streams. With\n' +
    '--browser, serves both demos as cross-origin-isolated pages and prints their URLs.',
  options: {
    streams: { type: 'integer', min: 1, max: 1000, default: 32, arg: 'N', help: 'streams opened by each side' },
    bytes: { type: 'size', min: 1, max: 1 << 30, default: 8 << 20, arg: 'SIZE', help: 'bytes per stream (e.g. 65536, 64K, 8M)' },
    browser: { type: 'boolean', help: 'serve the demo page instead of running in Node.js' },
    port: { type: 'port', default: 8080, arg: 'P', help: 'with --browser: the port to serve on (0: any free port)' },
  },
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function run(cmd, quiet) {
  const r = spawnSync(cmd, [], { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`scripts/demo: ${path.relative(root, cmd)} failed (${r.error?.message ?? `exit ${r.status}`})\n`);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const o = parseCommandLine(demoSpec, argv);
  if (!o.browser && argv.some((a) => a === '--port' || a.startsWith('--port='))) {
    process.stderr.write('scripts/demo: --port: only with --browser (see --help)\n');
    process.exit(2);
  }
  run(path.join(root, 'scripts/setup'), false); // emscripten and friends, when missing
  run(path.join(root, 'web/build.sh'), true);
  const httpDemo = (args) => spawnSync(process.execPath, [path.join(root, 'web/demo/http-node.js'), ...args], { stdio: 'inherit' }).status;
  if (o.browser) {
    if (httpDemo(['--build-only']) !== 0) process.exit(1); // the net/http page's Go server
    const { serve } = await import('./serve.js');
    const { url } = await serve(o.port);
    console.log(`demo page (cross-origin isolated): ${url}?streams=${o.streams}&bytes=${o.bytes}`);
    console.log(`net/http demo (Go in a wasm worker): ${new URL('http.html', url)}`);
    console.log('(Ctrl-C to stop)');
  } else {
    const { runNodeDemo } = await import('./node-demo.js');
    await runNodeDemo(o);
    process.exitCode = httpDemo([]) ?? 1; // one line: a Go net/http server in a wasm worker
  }
}
