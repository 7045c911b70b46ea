// The yamux-wasi command (web/bin/yamux-wasi.mjs) running WASI 0.2 components, as a user runs
// it: a child process with a raw component (transpiled at start with jco's API) or a
// transpiled module, its standard input piped to the component's stdin stream, its output
// and exit status passed through, and TCP on --listen / --dial-to reaching the component's
// wasi:sockets/tcp listener and connects. Needs web/build.sh and web/component/build.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveComponents, componentDir } from './component-lib.mjs';
import { pattern } from './component-scenarios.mjs';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(web, 'bin', 'yamux-wasi.mjs');
const skip = haveComponents() ? false : 'web/build.sh or web/component/build.sh has not run';
const wasm = (prog) => path.join(componentDir, prog, `${prog}.component.wasm`);
const js = (prog) => path.join(componentDir, prog, `${prog}.component.js`);
const skipSockets = skip || (fs.existsSync(js('sockets')) ? false : 'the sockets component was not built');

/** Runs the command to its end: {code, stdout (Buffer), stderr}. */
function run(args, { input } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    let stderr = '';
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    p.stdin.on('error', () => {}); // the program may end before it read everything
    p.stdin.end(input);
  });
}

test('a raw component: transpiled at start, its output and exit status are the command\'s', { skip, timeout: 120_000 }, async () => {
  const r = await run([wasm('demo'), '50']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /^hello from Go, a WASI 0\.2 component\nsleeping 50 ms\nwoke after \d+ ms\n$/);
  const three = await run([wasm('probe'), 'exit', '3']);
  assert.equal(three.code, 1, 'the adapter maps proc_exit(3) to err: status 1');
  assert.equal(three.stdout.toString(), 'exiting 3\n');
});

test('standard input is the component\'s stdin: 8 MiB echoed byte for byte, then end of file', { skip, timeout: 120_000 }, async () => {
  const data = pattern(0, 8 << 20);
  const r = await run([js('probe'), 'echo'], { input: data });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.length, data.length);
  assert.ok(r.stdout.equals(Buffer.from(data)), 'echo differs');
  assert.equal(r.stderr.trim(), `echoed ${data.length}`);
});

test('--listen and --dial-to reach a component\'s wasi:sockets/tcp listener and connect', { skip: skipSockets, timeout: 120_000 }, async () => {
  // Where the component's connect goes: answers what it receives.
  let heard = '';
  const upstream = net.createServer({ allowHalfOpen: true }, (c) => {
    c.on('data', (d) => (heard += d));
    c.on('end', () => c.end(`tcp says hi to ${heard.trim()}`));
  });
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const p = spawn(process.execPath, [cli, '--listen', '127.0.0.1:0', '--dial-to', `127.0.0.1:${upstream.address().port}`, js('sockets'), 'serve', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  const done = new Promise((res) => p.on('close', res));
  const port = await new Promise((resolve, reject) => {
    p.stderr.on('data', (d) => {
      stderr += d;
      const m = /^listening 127\.0\.0\.1:(\d+)$/m.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    done.then((code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
  });
  const ask = (text) => new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => c.end(text));
    let got = '';
    c.on('data', (d) => (got += d));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
  assert.equal(await ask('hello over tcp'), 'HELLO OVER TCP');
  assert.equal(await ask('x'.repeat(200000)), 'X'.repeat(200000));
  const code = await done;
  upstream.close();
  assert.equal(code, 0, stderr);
  assert.equal(heard, 'hello from a wasi:sockets component\n');
  assert.equal(stdout, 'served 2 streams, 200014 bytes\nreply: tcp says hi to hello from a wasi:sockets component\n');
});

test('a file with a component header that jco cannot read: one line, status 1', { skip, timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yamux-wasi component '));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'broken.wasm');
  fs.writeFileSync(bad, new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 7, 7, 7]));
  const r = await run([bad]);
  assert.equal(r.code, 1);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^yamux-wasi: broken\.wasm: .*jco cannot transpile it: /);
});

test('--help says that components run too', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout.toString(), /WASI 0\.2 command component/);
});
