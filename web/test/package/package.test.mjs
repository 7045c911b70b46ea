// The package as a user gets it: `npm pack` (its prepack builds dist/ and checks the file
// list), installed from the tarball into a fresh project whose path has a space; then the
// README's example (its code blocks, verbatim) in Node.js workers and in headless Chromium,
// and strict TypeScript (a browser worker with lib webworker and no @types/node, and a
// Node.js program) against the installed types.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../..');
const tsc = path.join(web, 'node_modules/typescript/bin/tsc');
let project; // the user's project: a path with a space

/** The README's code blocks that start with a "file: NAME" comment, by name. */
function readmeFiles() {
  const text = fs.readFileSync(path.join(web, 'README.md'), 'utf8');
  const files = {};
  for (const m of text.matchAll(/```(?:js|html)\n(?:\/\/|<!--) file: (\S+?)(?: -->)?\n([\s\S]*?)```/g)) files[m[1]] = m[0].split('\n').slice(1, -1).join('\n') + '\n';
  return files;
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'yamux web user '));
  run('npm', ['pack', '--pack-destination', project, '--loglevel=error'], web); // prepack: build, check
  const tarball = path.join(project, fs.readdirSync(project).find((f) => f.endsWith('.tgz')));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], project);
  for (const [name, text] of Object.entries(readmeFiles())) fs.writeFileSync(path.join(project, name), text);
});

after(() => fs.rmSync(project, { recursive: true, force: true }));

test('the tarball holds what the exports name, built, and nothing of the tests', () => {
  const pkgDir = path.join(project, 'node_modules/@yamux/web');
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  for (const entry of ['.', './wasm-worker', './wasi-worker', './component-worker', './bundle', './bundle/wasm-worker', './bundle/wasi-worker', './bundle/component-worker'])
    assert.ok(pkg.exports[entry], `exports ${entry}`);
  for (const f of ['LICENSE', 'dist/yamux.js', 'dist/wasm-worker.js', 'dist/wasi-worker.js', 'dist/component-worker.js', 'dist/yamux_peer.cjs', 'dist/yamux_event.wasm.js', 'src/index.d.ts'])
    assert.ok(fs.existsSync(path.join(pkgDir, f)), f);
  assert.ok(!fs.existsSync(path.join(pkgDir, 'test')) && !fs.existsSync(path.join(pkgDir, 'demo')));
  // Every public entry resolves from the user's project.
  const out = run(process.execPath, ['--input-type=module', '-e', `
    const m = await import('@yamux/web');
    const b = await import('@yamux/web/bundle');
    for (const e of ['@yamux/web/shmq', '@yamux/web/channel']) await import(e);
    for (const e of ['@yamux/web/wasm-worker', '@yamux/web/wasi-worker', '@yamux/web/bundle/wasm-worker']) import.meta.resolve(e);
    console.log(Object.keys(m).sort().join(' ') === Object.keys(b).sort().join(' '), m.wasmWorkerUrl.pathname.includes('%20'));
  `], project);
  assert.equal(out.trim(), 'true true');
  // The bin, as npx runs it from the user's project.
  assert.match(run(path.join(project, 'node_modules/.bin/yamux-wasi'), ['--help'], project), /^usage: yamux-wasi /);
});

test('the README example runs in Node.js workers from the installed tarball', () => {
  assert.ok(fs.existsSync(path.join(project, 'main.js')) && fs.existsSync(path.join(project, 'event-worker.js')), 'README blocks');
  const out = run(process.execPath, ['main.js'], project);
  assert.match(out, /^event worker: stream 1 echoed: hello, wasm worker$/m);
  assert.match(out, /^event worker: echoed stream 2$/m);
  assert.match(out, /^event worker: echoed stream 4$/m);
  assert.match(out, /^wasm worker: verified 2 streams, 0 failed$/m);
  assert.match(out, /^wasm worker exit code: 0$/m);
  assert.doesNotMatch(out, /Yamux\w*Error/);
});

test('the README startWasi example serves HTTP from a Go net/http server in Node.js, from the installed tarball', (t) => {
  const server = path.join(web, 'go/bin/wasi-http.wasm'); // web/go/build.sh --only wasi-http
  if (!fs.existsSync(server)) return t.skip('web/go/bin/wasi-http.wasm is not built (web/go/build.sh --only wasi-http)');
  assert.ok(fs.existsSync(path.join(project, 'wasi.js')), 'README block');
  fs.copyFileSync(server, path.join(project, 'server.wasm'));
  const out = run(process.execPath, ['wasi.js'], project);
  assert.match(out, /^backend: atomics\nHTTP\/1\.1 200 OK\nhello from Go .*, request 1\nexited: -1\n$/);
});

test('strict TypeScript: a browser worker (lib webworker, no @types/node) and a Node.js program', () => {
  const cases = {
    browser: { file: 'browser-worker.ts', options: { lib: ['es2022', 'webworker'], types: [], module: 'esnext', moduleResolution: 'bundler' } },
    node: { file: 'node-main.ts', options: { lib: ['es2022'], types: ['node'], typeRoots: [path.join(web, 'node_modules/@types')], module: 'nodenext', moduleResolution: 'nodenext' } },
  };
  for (const [name, c] of Object.entries(cases)) {
    const dir = path.join(project, `types-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(here, 'types', c.file), path.join(dir, c.file));
    const compilerOptions = { strict: true, noEmit: true, target: 'es2022', skipLibCheck: false, ...c.options };
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [c.file] }));
    const r = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `tsc (${name}):\n${r.stdout}${r.stderr}`);
  }
  // And a mistake is caught: the types are not `any`.
  const bad = path.join(project, 'types-browser', 'bad.ts');
  fs.writeFileSync(bad, "import { Session, Codes } from '@yamux/web';\nconst n: -5 = Codes.ERESET;\nvoid Session.create({ side: 3 });\n");
  fs.writeFileSync(path.join(project, 'types-browser', 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', lib: ['es2022', 'webworker'], types: [], module: 'esnext', moduleResolution: 'bundler' },
    files: ['bad.ts'],
  }));
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(project, 'types-browser')], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /TS2322.*'-6' is not assignable to type '-5'/);
  assert.match(r.stdout, /'3' is not assignable to type '0 \| 1/);
});

test('the README page runs in headless Chromium from the installed bundles', async (t) => {
  const { launch, pollPage } = await import('../../browser/chromium.js');
  const browser = await launch();
  if (!browser) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  // browser-worker.js: event-worker.js with its import pointed at the bundle (the README's step)
  const worker = fs.readFileSync(path.join(project, 'event-worker.js'), 'utf8');
  assert.match(worker, /from '@yamux\/web';/);
  fs.writeFileSync(path.join(project, 'browser-worker.js'), worker.replace("from '@yamux/web';", "from './node_modules/@yamux/web/dist/yamux.js';"));
  const { serve } = await import('../../demo/serve.js');
  const { server, url } = await serve(0, project, '/index.html');
  t.after(async () => {
    await browser.close();
    server.close();
  });
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  const log = await pollPage(page, () => {
    const text = document.getElementById('log')?.textContent ?? '';
    return /wasm worker exit code/.test(text) && text;
  });
  assert.match(log, /^event worker: stream 1 echoed: hello, wasm worker$/m, errors.join('\n'));
  assert.match(log, /^event worker: echoed stream 2$/m);
  assert.match(log, /^wasm worker: verified 2 streams, 0 failed$/m);
  assert.match(log, /^wasm worker exit code: 0$/m);
  // Everything came from the installed package's bundles, nothing from web/src.
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  assert.ok(loaded.some((u) => u.endsWith('/node_modules/@yamux/web/dist/wasm-worker.js')), loaded.join('\n'));
  assert.ok(!loaded.some((u) => u.includes('/src/')), loaded.join('\n'));
});

test('the README pages without COOP/COEP (JSPI) run in headless Chromium from the installed bundles', async (t) => {
  const server = path.join(web, 'go/bin/wasi-http.wasm'); // web/go/build.sh --only wasi-http
  if (!fs.existsSync(server)) return t.skip('web/go/bin/wasi-http.wasm is not built (web/go/build.sh --only wasi-http)');
  const { launch, pollPage } = await import('../../browser/chromium.js');
  const browser = await launch();
  if (!browser) return t.skip('no /usr/bin/chromium or playwright-core (npm ci in web/)');
  assert.ok(fs.existsSync(path.join(project, 'jspi.html')) && fs.existsSync(path.join(project, 'jspi-c.html')), 'README blocks');
  fs.copyFileSync(server, path.join(project, 'server.wasm'));
  const { serve } = await import('../../demo/serve.js');
  const { server: http, url } = await serve(0, project, '/jspi.html', { isolated: false });
  t.after(async () => {
    await browser.close();
    http.close();
  });
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const logOf = async (name, done) => {
    await page.goto(new URL(name, url).href);
    return pollPage(page, (re) => {
      const text = document.getElementById('log')?.textContent ?? '';
      return new RegExp(re, 'm').test(text) && text;
    }, done);
  };
  const go = await logOf('jspi.html', '^exited: ');
  assert.match(go, /^cross-origin isolated: false, backend: jspi$/m, errors.join('\n'));
  assert.match(go, /^HTTP\/1\.1 200 OK$/m);
  assert.match(go, /^hello from Go .*, request 1$/m);
  assert.match(go, /^exited: -1$/m);
  const c = await logOf('jspi-c.html', '^exit code: ');
  assert.match(c, /^echoed: hello, C program$/m, errors.join('\n'));
  assert.match(c, /^wasm: verified 2 streams, 0 failed$/m);
  assert.match(c, /^exit code: 0$/m);
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  assert.ok(loaded.some((u) => u.endsWith('/node_modules/@yamux/web/dist/yamux.js')), loaded.join('\n'));
  assert.ok(!loaded.some((u) => u.includes('/src/')), loaded.join('\n'));
});
