// The yamux-wasi command (web/bin/yamux-wasi.mjs) as a user runs it: a child process, TCP
// through --listen and --dial-to (curl when installed, Node's http and net otherwise), the
// program's output and exit status passed through, and every bad input answered with one
// line and a non-zero status with nothing left running (each case has the test's deadline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pattern } from './wasi-scenarios.mjs';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(web, 'bin', 'yamux-wasi.mjs');
const bin = (name) => path.join(web, 'go', 'bin', `${name}.wasm`);
const need = ['wasi-http', 'wasi-guest', 'wasi-probe'].filter((n) => !fs.existsSync(bin(n)));
const skip = need.length ? `not built: ${need.join(', ')} (web/go/build.sh)` : false;
const haveCurl = spawnSync('curl', ['--version']).status === 0;

/** Runs the command to its end: {code, stdout, stderr}. */
function run(args, { input } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}

/** Starts the command and resolves once it printed "listening HOST:PORT" on stderr:
 * {addr, host, port, proc, done -> {code, stdout, stderr}}. */
function serve(args) {
  const p = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  const done = new Promise((resolve) => p.on('close', (code) => resolve({ code, stdout, stderr })));
  return new Promise((resolve, reject) => {
    p.stderr.on('data', (d) => {
      stderr += d;
      const m = /^listening (.+):(\d+)$/m.exec(stderr);
      if (m) resolve({ addr: `${m[1]}:${m[2]}`, host: m[1], port: Number(m[2]), proc: p, done });
    });
    done.then((r) => reject(new Error(`exited ${r.code} before listening: ${r.stderr}`)));
  });
}

function oneLine(s) {
  const lines = s.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line expected, got: ${s}`);
  return lines[0];
}

const BAD_ARGS = [ // the rule of every command (web/src/cli/args.js, tests/cli)
  [[], /^yamux-wasi: missing PROGRAM\.wasm \(see --help\)$/],
  [['--bogus', 'x.wasm'], /^yamux-wasi: unknown option --bogus/],
  [['--listen'], /^yamux-wasi: --listen needs a value: HOST:PORT/],
  [['--listen', '--dial-to', '1.2.3.4:5', 'x.wasm'], /^yamux-wasi: --listen needs a value: HOST:PORT/],
  [['--listen', 'abc', 'x.wasm'], /^yamux-wasi: --listen: expected HOST:PORT .*, got 'abc'/],
  [['--listen', '127.0.0.1:65536', 'x.wasm'], /^yamux-wasi: --listen: expected HOST:PORT .*, got '127\.0\.0\.1:65536'/],
  [['--listen=:80', 'x.wasm'], /^yamux-wasi: --listen: expected HOST:PORT .*, got ':80'/],
  [['--dial-to', '127.0.0.1:0', 'x.wasm'], /^yamux-wasi: --dial-to: expected HOST:PORT \(port from 1 to 65535\), got '127\.0\.0\.1:0'/],
  [['--dial-to', 'localhost', 'x.wasm'], /^yamux-wasi: --dial-to: expected HOST:PORT/],
  [['--listen', '127.0.0.1:0', '--listen', '127.0.0.1:0', 'x.wasm'], /^yamux-wasi: --listen given twice/],
  [['--'], /^yamux-wasi: missing PROGRAM\.wasm/],
];

test('bad arguments: one line naming the argument and what it accepts, exit status 2', async () => {
  for (const [args, re] of BAD_ARGS) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: status ${r.code}`);
    assert.match(oneLine(r.stderr), re, args.join(' '));
    assert.equal(r.stdout, '');
  }
});

test('--help prints the usage, exit status 0', async () => {
  for (const a of ['--help', '-h']) {
    const r = await run([a, 'ignored.wasm']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: yamux-wasi \[--listen HOST:PORT\] \[--dial-to HOST:PORT\] \[--backend NAME\] PROGRAM\.wasm \[ARGS\.\.\.\]\n/);
    assert.match(r.stdout, /Exit status 2: bad arguments/);
    assert.equal(r.stderr, '');
  }
});

test('a missing module, a file that is not wasm, a module that is not a WASI command: one line, status 1', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yamux-wasi cli '));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const text = path.join(dir, 'notes.wasm');
  fs.writeFileSync(text, 'hello\n');
  const reactor = path.join(dir, 'reactor.wasm'); // (module (memory (export "memory") 1))
  fs.writeFileSync(reactor, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, ...new TextEncoder().encode('memory'), 2, 0]));
  const cases = [
    [[path.join(dir, 'nope.wasm')], /^yamux-wasi: .*nope\.wasm: cannot read: no such file$/],
    [[dir], /^yamux-wasi: .*: not a file$/],
    [[text], /^yamux-wasi: .*notes\.wasm: not a WebAssembly module: /],
    [[reactor], /^yamux-wasi: reactor\.wasm: not a WASI command: it exports no _start$/],
  ];
  for (const [args, re] of cases) {
    const r = await run(args);
    assert.equal(r.code, 1, `${args}: ${r.code} ${r.stderr}`);
    assert.match(oneLine(r.stderr), re);
  }
});

test('an unreachable --dial-to and a --listen address in use: one line, status 1', { skip }, async (t) => {
  const closed = net.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const { port: freePort } = closed.address();
  await new Promise((r) => closed.close(r));
  let r = await run(['--dial-to', `127.0.0.1:${freePort}`, bin('wasi-http')]);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), new RegExp(`^yamux-wasi: --dial-to 127\\.0\\.0\\.1:${freePort}: cannot connect: ECONNREFUSED$`));
  const busy = net.createServer();
  await new Promise((res) => busy.listen(0, '127.0.0.1', res));
  t.after(() => busy.close());
  r = await run(['--listen', `127.0.0.1:${busy.address().port}`, bin('wasi-http')]);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /^yamux-wasi: --listen 127\.0\.0\.1:\d+: EADDRINUSE$/);
});

test('the program\'s stdout and stderr pass through, its exit status is the command\'s', { skip }, async () => {
  const r = await run([bin('wasi-probe'), 'a b', '7']);
  assert.equal(r.code, 7);
  assert.equal(r.stdout.split('\n')[0], 'args ["a b" "7"]');
  assert.match(r.stdout, /^sleeps \[10 20 30\] ticks 3 elapsed>=30ms true$/m);
  assert.equal(r.stderr, 'to stderr\n');
});

test('--listen: an unmodified Go net/http server reached with curl (or Node\'s http) through TCP', { skip, timeout: 120_000 }, async () => {
  const s = await serve(['--listen', '127.0.0.1:0', bin('wasi-http')]);
  const url = `http://${s.addr}`;
  if (haveCurl) {
    const c = spawnSync('curl', ['-sS', '-i', `${url}/`], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(c.stdout, /\r\n\r\nhello from Go go[\d.]+ in the wasm worker, request 1\n$/);
    const big = spawnSync('curl', ['-sS', `${url}/bytes?n=${8 << 20}`], { maxBuffer: 64 << 20 });
    assert.equal(big.status, 0);
    assert.deepEqual(new Uint8Array(big.stdout), pattern(0, 0, 8 << 20));
  }
  // 200 requests over 10 keep-alive connections, each a stream carrying many requests.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const get = (p) => new Promise((resolve, reject) => {
    http.get(`${url}${p}`, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
  const all = await Promise.all(Array.from({ length: 200 }, () => get('/')));
  assert.ok(all.every((r) => r.status === 200 && /^hello from Go/.test(r.body)));
  agent.destroy();
  const bye = await get('/exit?code=5');
  assert.equal(bye.body, 'exiting with 5\n');
  const r = await s.done;
  assert.equal(r.code, 5);
  assert.match(r.stderr, /serving HTTP on descriptor 3/);
});

test('--listen: bytes both ways with half-close (TCP FIN <-> yamux FIN)', { skip, timeout: 60_000 }, async () => {
  const s = await serve(['--listen', '127.0.0.1:0', bin('wasi-guest'), 'echo']);
  const data = pattern(3, 0, 3 << 20);
  const back = await new Promise((resolve, reject) => {
    const c = net.connect({ host: s.host, port: s.port, allowHalfOpen: true });
    const parts = [];
    c.on('data', (d) => parts.push(d));
    c.on('end', () => resolve(Buffer.concat(parts)));
    c.on('error', reject);
    c.end(data); // our FIN after the data: the guest's io.Copy ends, it half-closes back
  });
  assert.equal(back.length, data.length);
  assert.ok(back.equals(data));
  s.proc.kill('SIGTERM');
  await s.done;
});

test('--dial-to: the streams the program opens are connected to a TCP server', { skip, timeout: 60_000 }, async (t) => {
  const echo = net.createServer({ allowHalfOpen: true }, (c) => {
    c.pipe(c);
  });
  await new Promise((r) => echo.listen(0, '127.0.0.1', r));
  t.after(() => echo.close());
  const r = await run(['--dial-to', `127.0.0.1:${echo.address().port}`, bin('wasi-guest'), 'dial', '10', '300000']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'dial ok 10 300000\n');
});

test('without --dial-to, a stream the program opens is reset, with one warning', { skip, timeout: 60_000 }, async () => {
  const r = await run([bin('wasi-guest'), 'dial', '3', '10']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^yamux-wasi: the program opened a stream, but no --dial-to was given: reset\n/);
  assert.match(r.stderr, /connection reset by peer/i);
});
