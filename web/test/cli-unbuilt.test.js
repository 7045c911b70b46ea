// Regression: yamux-wasi answered bad arguments only once web/build.sh had run (it imported
// the host, and so dist/layout.js, before it parsed its command line): on a clean clone the
// suite's cli.args test, which may run before the web build, saw a module-not-found trace and
// status 1 instead of one line and status 2. Here the command runs from a copy of its sources
// without dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('yamux-wasi without dist/: bad arguments are one line and status 2, --help works', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yamux-wasi-unbuilt-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const d of ['bin', 'src']) fs.cpSync(path.join(web, d), path.join(dir, d), { recursive: true });
  fs.copyFileSync(path.join(web, 'package.json'), path.join(dir, 'package.json'));
  assert.ok(!fs.existsSync(path.join(dir, 'dist')));
  const cli = path.join(dir, 'bin', 'yamux-wasi.mjs');
  for (const [args, re] of [[['--bogus', 'x.wasm'], /^yamux-wasi: unknown option --bogus; /], [[], /^yamux-wasi: missing PROGRAM\.wasm/],
    [['--backend', 'x', 'p.wasm'], /^yamux-wasi: --backend: expected one of auto, atomics, jspi, got 'x'/]]) {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  }
  const h = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /^usage: yamux-wasi /);
});

// Regression: with good arguments, the same unbuilt copy died with an ERR_MODULE_NOT_FOUND
// stack trace (dist/layout.js); now one line names the missing file and web/build.sh, status 1.
test('yamux-wasi without dist/: good arguments name web/build.sh in one line, status 1', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yamux-wasi-unbuilt-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const d of ['bin', 'src']) fs.cpSync(path.join(web, d), path.join(dir, d), { recursive: true });
  fs.copyFileSync(path.join(web, 'package.json'), path.join(dir, 'package.json'));
  const program = path.join(dir, 'program.wasm');
  fs.writeFileSync(program, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])); // an empty module
  const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'yamux-wasi.mjs'), '--backend', 'atomics', program], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, `yamux-wasi: ${path.join(dir, 'dist', 'layout.js')} is missing: in a source checkout, run web/build.sh first\n`);
  assert.equal(r.stdout, '');
});
