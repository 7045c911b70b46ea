// WASI 0.2 components in a wasm worker (issue 14, phase 1): Go (GOOS=wasip1) programs made
// command components by jco, run by this project's host (web/src/host/component) in Node
// worker_threads, stdio carried by shared-memory pipes with doorbells. Needs
// web/component/build.sh (skipped otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { startComponent } from '../src/host/component/embed.js';
import { createHost } from '../src/host/component/host.js';
import { createStdio, attachStdio } from '../src/host/component/pipe.js';
import { AsyncBackend } from '../src/host/component/backend.js';
import { SE } from '../src/host/component/byte-stream.js';
import { patchGoModule, RESERVED } from '../component/go-adapter-memory.mjs';
import { componentUrl, haveComponents, componentDir, text } from './component-lib.mjs';

const skip = haveComponents() ? false : 'web/component/build.sh has not run';
const enc = new TextEncoder();

async function run(prog, args, { stdin, env } = {}) {
  const c = await startComponent(componentUrl(prog), { args: [prog, ...args], env });
  const w = c.stdin.getWriter();
  const feeding = (async () => {
    if (stdin) await w.write(typeof stdin === 'string' ? enc.encode(stdin) : stdin);
    await w.close();
  })();
  const [out, err] = await Promise.all([text(c.stdout), text(c.stderr)]);
  await feeding;
  return { code: await c.exited, out, err, stats: await c.stats };
}

test('the seed demo: time.Sleep blocks the worker in Atomics.wait, output reaches stdout', { skip }, async () => {
  const r = await run('demo', ['300']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines[0], 'hello from Go, a WASI 0.2 component');
  assert.equal(lines[1], 'sleeping 300 ms');
  const woke = /^woke after (\d+) ms$/.exec(lines[2]);
  assert.ok(woke && Number(woke[1]) >= 300, lines[2]);
  // One sleep: the host slept in the backend a handful of times, it did not spin.
  assert.ok(r.stats.waits >= 1 && r.stats.waits <= 4, JSON.stringify(r.stats));
});

test('goroutines with timers wake in order while a ticker runs', { skip }, async () => {
  const r = await run('probe', ['timers']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^order 100ms 200ms 300ms$/m);
  const ticks = Number(/^ticks (\d+)/m.exec(r.out)[1]);
  assert.ok(ticks >= 1, r.out);
  assert.ok(r.stats.waits >= 3, JSON.stringify(r.stats));
});

test('regression: without the adapter memory fix, Go and the adapter share pages (a ticker traps)', { skip }, async () => {
  await assert.rejects(run('probe-unpatched', ['timers']), /unreachable|Cannot read|RuntimeError/);
});

test('stdin to stdout: 64 MiB echoed, verified byte for byte', { skip, timeout: 300_000 }, async () => {
  const total = 64 << 20, chunk = 1 << 20;
  const c = await startComponent(componentUrl('probe'), { args: ['probe', 'echo'], ringBytes: 1 << 18 });
  const pattern = (i) => (i * 2654435761) >>> 24; // a byte per position, not periodic at 2^k
  const block = (off) => Uint8Array.from({ length: chunk }, (_, k) => pattern(off + k));
  const feeding = (async () => {
    const w = c.stdin.getWriter();
    for (let off = 0; off < total; off += chunk) await w.write(block(off));
    await w.close();
  })();
  let got = 0, bad = -1;
  for await (const ch of c.stdout) {
    for (let k = 0; k < ch.length && bad < 0; k++) if (ch[k] !== pattern(got + k)) bad = got + k;
    got += ch.length;
  }
  await feeding;
  assert.equal(bad, -1, `first wrong byte at ${bad}`);
  assert.equal(got, total);
  assert.equal(await c.exited, 0);
  assert.equal((await text(c.stderr)).trim(), `echoed ${total}`);
});

test('exit codes: 0, and a non-zero status arrives as 1 (the adapter maps proc_exit(n) to err)', { skip }, async () => {
  const ok = await run('probe', ['exit', '0']);
  assert.equal(ok.code, 0);
  assert.equal(ok.out, 'exiting 0\n');
  const three = await run('probe', ['exit', '3']);
  assert.equal(three.out, 'exiting 3\n');
  assert.equal(three.code, 1);
  const usage = await run('probe', []);
  assert.equal(usage.code, 1);
  assert.match(usage.err, /usage: probe/);
});

test('stdin closed by the embedder: the guest reads end of file, twice, no hang', { skip }, async () => {
  const some = await run('probe', ['eof'], { stdin: 'hello\nworld' });
  assert.equal(some.code, 0);
  assert.equal(some.out, 'read 11 bytes "hello\\nworld" err=<nil>\nagain 0 eof=true\n');
  const none = await run('probe', ['eof']);
  assert.equal(none.out, 'read 0 bytes "" err=<nil>\nagain 0 eof=true\n');
});

test('arguments and environment reach the guest', { skip }, async () => {
  const r = await run('probe', ['env', 'a b', 'c'], { env: { PROBE_ONE: '1', PROBE_TWO: 'x=y', OTHER: 'no' } });
  assert.equal(r.out, 'args probe env a b c\nenv PROBE_ONE=1 PROBE_TWO=x=y\n');
});

test('writing stdin of a program that ended fails with a clear error, and nothing hangs', { skip }, async () => {
  const c = await startComponent(componentUrl('probe'), { args: ['probe', 'exit', '0'] });
  assert.equal(await c.exited, 0);
  await text(c.stdout);
  const w = c.stdin.getWriter();
  await assert.rejects(w.write(new Uint8Array(1 << 20)), /stdin is closed/);
});

test('a worker that dies ends the streams and rejects exited', { skip }, async () => {
  const c = await startComponent(componentUrl('demo'), { args: ['demo', '60000'] });
  const reader = c.stdout.getReader();
  const first = await reader.read(); // the program runs
  assert.ok(first.value.length > 0);
  await c.terminate();
  await assert.rejects(c.exited, /worker ended/);
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
});

/* ---- the host's parts, without a component ---- */

test('pipe: wraps around, keeps order, end of stream after the last byte, SE.PIPE once the reader left', () => {
  const d = createStdio({ ringBytes: 64 });
  const h = attachStdio(d, 'host'), e = attachStdio(d, 'embedder');
  let sent = 0, recv = 0;
  const buf = new Uint8Array(50);
  for (let round = 0; round < 20; round++) {
    const out = Uint8Array.from({ length: 50 }, (_, k) => (sent + k) & 0xff);
    const n = e.stdin.write([out.subarray(0, 30), out.subarray(30)]);
    assert.ok(n > 0 && n <= 50);
    sent += n;
    const r = h.stdin.read([buf.subarray(0, 7), buf.subarray(7)]);
    for (let k = 0; k < r; k++) assert.equal(buf[k], (recv + k) & 0xff);
    recv += r;
  }
  e.stdin.close();
  for (let r; (r = h.stdin.read([buf])) > 0; ) recv += r;
  assert.equal(recv, sent);
  assert.equal(h.stdin.read([buf]), 0);
  e.stdout.close();
  assert.equal(h.stdout.write([new Uint8Array(1)]), SE.PIPE);
  assert.equal(h.stdin.read([buf]), 0, 'end of stream stays end of stream');
});

test('poll with an asynchronous backend: returns a Promise that settles when stdin gets data', async () => {
  const d = createStdio();
  const h = attachStdio(d, 'host'), e = attachStdio(d, 'embedder');
  const { imports } = createHost({ stdin: h.stdin, stdout: h.stdout, stderr: h.stderr, bell: h.bell, backend: new AsyncBackend() });
  const stdin = imports['wasi:cli/stdin'].getStdin();
  const p = imports['wasi:io/poll'].poll([stdin.subscribe(), imports['wasi:clocks/monotonic-clock'].subscribeDuration(60_000_000_000n)]);
  assert.ok(p instanceof Promise);
  setImmediate(() => e.stdin.write([enc.encode('x')]));
  assert.deepEqual([...(await p)], [0]);
  assert.deepEqual([...stdin.read(10n)], [120]);
});

test('poll across workers: a worker blocked in poll wakes when the other side writes', async () => {
  const d = createStdio();
  const src = `
    import { workerData, parentPort } from 'node:worker_threads';
    const { createHost } = await import(${JSON.stringify(new URL('../src/host/component/host.js', import.meta.url).href)});
    const { attachStdio } = await import(${JSON.stringify(new URL('../src/host/component/pipe.js', import.meta.url).href)});
    const h = attachStdio(workerData, 'host');
    const { imports, poller } = createHost({ stdin: h.stdin, stdout: h.stdout, stderr: h.stderr, bell: h.bell });
    const stdin = imports['wasi:cli/stdin'].getStdin();
    parentPort.postMessage('polling');
    const got = stdin.blockingRead(100n);
    parentPort.postMessage({ got: new TextDecoder().decode(got), stats: poller.stats });`;
  const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(src)}`), { workerData: d });
  const msgs = [];
  const done = new Promise((res) => w.on('message', (m) => (msgs.push(m), typeof m === 'object' && res(m))));
  await new Promise((res) => w.once('message', res)); // 'polling'
  const e = attachStdio(d, 'embedder');
  // Write once the worker announced its sleep (it has looked at stdin and found nothing).
  while (!e.hostBell.armed()) await new Promise((res) => setImmediate(res));
  e.stdin.write([enc.encode('wake up')]);
  const m = await done;
  await w.terminate();
  assert.equal(m.got, 'wake up');
  assert.equal(m.stats.polls, 1);
  // It slept once, unless the bytes came between its arming and its look at stdin.
  assert.ok(m.stats.sleeps <= 1, JSON.stringify(m.stats));
});

test('unsupported interfaces answer with their error instead of trapping', () => {
  const d = createStdio();
  const h = attachStdio(d, 'host');
  const { imports } = createHost({ stdin: h.stdin, stdout: h.stdout, stderr: h.stderr, bell: h.bell });
  assert.throws(() => imports['wasi:sockets/tcp-create-socket@0.2.3'].createTcpSocket('ipv4'), (e) => e === 'not-supported');
  assert.deepEqual(imports['wasi:filesystem/preopens'].getDirectories(), []);
  assert.throws(() => imports['wasi:http/outgoing-handler@0.2.0'].handle(), /wasi:http\/outgoing-handler#handle: not provided by this host/);
  assert.throws(() => imports['wasi:random/random'].getRandomBytes(1n << 40n), /at most/);
  assert.equal(imports['wasi:random/random'].getRandomBytes(32n).length, 32);
});

test('go-adapter-memory: reserves a gap below Go\'s heap and exports the adapter allocator', { skip }, async () => {
  const original = fs.readFileSync(`${componentDir}/probe-unpatched/probe-unpatched.wasm`);
  const patched = patchGoModule(original);
  const m = await WebAssembly.compile(patched);
  assert.ok(WebAssembly.Module.exports(m).some((e) => e.name === 'cabi_realloc_adapter'));
  assert.ok(patchGoModule(patched).equals(patched), 'idempotent: an allocator is already exported');
  assert.ok(patched.length > original.length && RESERVED % 65536 === 0);
  // A module that is not Go's is refused with a sentence, not patched blindly.
  const notGo = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 1, 11, 1, 0]);
  assert.throws(() => patchGoModule(notGo), /found 0 Go moduledata candidates/);
});
