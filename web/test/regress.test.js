// Regression tests for the bugs of issue 11, each failing before its fix: the event side in
// this thread, the C program in a real wasm worker (test/harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Session, createChannel, startWorker, wasmWorkerUrl, SIDE_A, SIDE_B,
  YamuxResetError, YamuxClosedError, YamuxTransportError,
} from '../src/index.js';
import { inProcess, startWasm, readText, bytes, until } from './harness.js';
import { startPair } from './harness.js';

const T = { timeout: 60000 }; // a bug that hangs fails here instead of stalling the suite

test('writer.abort() while a write waits for a slow peer resets the stream at once', T, async (t) => {
  // The peer reads nothing (it sleeps before each read): the 4 MiB write stays in flight.
  const { session } = await inProcess(t, { wasmArgs: ['--mode', 'sink', '--read-delay', '3600000'] });
  const s = await session.open();
  const w = s.writable.getWriter();
  const writing = w.write(new Uint8Array(4 << 20));
  writing.catch(() => {});
  await until(() => s.unsent > 0); // the engine holds what the window does not let out
  const reason = new Error('enough');
  await w.abort(reason); // hung until the write finished
  await assert.rejects(writing);
  await assert.rejects(s.readable.getReader().read(), (e) => e instanceof YamuxResetError && e.cause === reason);
  await session.ping(); // the RST left before the answer came back
  assert.equal(session.numStreams, 0);
});

test('a rejected write resets the stream: readable settles, nothing stays half-open', T, async (t) => {
  const { session } = await inProcess(t);
  const s = await session.open();
  const w = s.writable.getWriter();
  await assert.rejects(w.write(42), { name: 'TypeError', message: /chunk must be a Uint8Array.*got number/ });
  await assert.rejects(s.readable.getReader().read(), (e) => e instanceof YamuxResetError && e.cause instanceof TypeError);
  await session.ping();
  assert.equal(session.numStreams, 0);
  await assert.rejects(s.close(), YamuxResetError); // a rejection with the reset, not a throw
});

test('accept() after the session ended rejects', T, async (t) => {
  const { session } = await inProcess(t);
  await session.close();
  await assert.rejects(session.accept(), YamuxClosedError);
  await assert.rejects(session.open(), YamuxClosedError);
  await assert.rejects(session.ping(), YamuxClosedError);
});

test('the package works from a path with a space (the wasm worker loads its program)', T, async (t) => {
  const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yamux web '));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const d of ['src', 'dist']) fs.cpSync(path.join(web, d), path.join(dir, d), { recursive: true });
  fs.copyFileSync(path.join(web, 'package.json'), path.join(dir, 'package.json'));
  const pkg = await import(pathToFileURL(path.join(dir, 'src/index.js')).href);
  assert.match(fileURLToPath(pkg.wasmWorkerUrl), / /);
  const channel = pkg.createChannel();
  const wasm = await startWasm(channel, ['--mode', 'echo'], { url: pkg.wasmWorkerUrl });
  const session = await pkg.Session.create({ channel, side: pkg.SIDE_A });
  t.after(async () => {
    session.abort();
    await wasm.handle.terminate();
  });
  const died = wasm.exited.then((code) => {
    throw new Error(`the wasm worker exited (${code}): ${wasm.stderr.join(' | ')}`);
  });
  const echo = (async () => {
    const s = await session.open();
    const w = s.writable.getWriter();
    await w.write(bytes('hello from a path with a space'));
    await w.close();
    return readText(s.readable);
  })();
  assert.equal(await Promise.race([echo, died]), 'hello from a path with a space');
});

test('liveness is on by default: an unsupervised wasm worker that dies fails the event side', T, async (t) => {
  const { session, wasm } = await inProcess(t, { supervise: false });
  const s = await session.open();
  const w = s.writable.getWriter();
  await w.write(bytes('ping'));
  const r = s.readable.getReader();
  assert.equal(new TextDecoder().decode((await r.read()).value), 'ping');
  await wasm.handle.terminate(); // nobody marks its side gone: only its heartbeat stops
  await assert.rejects(r.read(), (e) => e instanceof YamuxTransportError && e.cause?.codeName === 'YAMUX_EPEERDEAD');
  await assert.rejects(session.closed, YamuxTransportError);
});

// The event side publishes its heartbeat timeout (10 s by default) and the C library's waits
// check it however short they are (issue 10): the program notices within that timeout, not
// when its keepalive fails (~40 s).
test('liveness is on by default: an unsupervised wasm program notices a dead event side', T, async (t) => {
  const channel = createChannel();
  const wasm = await startWasm(channel, ['--open', '1', '--bytes', String(1 << 30)], { supervise: false });
  const ev = await startWorker(new URL('../demo/event-worker.js', import.meta.url));
  t.after(() => Promise.all([wasm.handle.terminate(), ev.terminate()]));
  const ready = new Promise((res) => ev.onMessage((m) => m?.type === 'ready' && res()));
  await ready;
  const attached = new Promise((res) => ev.onMessage((m) => m?.id === 1 && res(m)));
  ev.postMessage({ id: 1, cmd: 'attach', channel, side: SIDE_A });
  assert.deepEqual((await attached).result, { ok: true }); // the event side is attached: it lived
  await wasm.line(/^ready$/);
  await ev.terminate(); // unsupervised: the channel is not marked
  assert.equal(await wasm.exited, 4, wasm.stderr.join(' | ')); // EXIT_TRANSPORT
  assert.match(wasm.stderr.join('\n'), /peer died/);
});

test('WorkerHandle.exited is -1 for a worker terminated through the handle', T, async () => {
  const h = await startWorker(wasmWorkerUrl); // waits for its start message
  await h.terminate();
  assert.equal(await h.exited, -1);
});

test('the wasm worker starts once: a second message is ignored, its exit is posted once', T, async (t) => {
  const channel = createChannel();
  const start = { channel, args: ['--mode', 'echo'] };
  const wasm = await startWasm(channel, [], { start });
  wasm.handle.postMessage(start); // at once: while the first start is loading the program
  const session = await Session.create({ channel, side: SIDE_A });
  t.after(() => wasm.handle.terminate());
  const s = await session.open();
  const w = s.writable.getWriter();
  await w.write(bytes('once'));
  await w.close();
  assert.equal(await readText(s.readable), 'once');
  await session.close();
  assert.equal(await wasm.exited, 0, wasm.stderr.join(' | '));
  await new Promise((r) => setImmediate(r));
  assert.equal(wasm.messages.filter((m) => m?.type === 'exit').length, 1);
  assert.ok(!wasm.messages.some((m) => m?.type === 'error'), wasm.stderr.join(' | '));
  // The second message arrives while the program loads (its wasm compiles asynchronously):
  // it is answered with a line, not run.
  for (const line of wasm.stderr) assert.match(line, /message ignored: the program was started already/);
});

test('a side attaches once: a second session, or a program on the wrong side, is refused', T, async (t) => {
  const channel = createChannel();
  const s1 = await Session.create({ channel, side: SIDE_A });
  t.after(() => s1.abort());
  await assert.rejects(Session.create({ channel, side: SIDE_A }), /side A of this channel is already in use/);
  await assert.rejects(Session.create({ buffer: channel.buffer, offset: channel.offset, side: SIDE_A }), /side A of this channel is already in use/);
  // Supervised as B, told to attach A: refused before it attaches anything.
  const wrong = await startWasm(channel, ['--side', 'a']);
  t.after(() => wrong.handle.terminate());
  assert.equal(await wrong.exited, 2);
  assert.match(wrong.stderr.join('\n'), /would attach side A of the channel, but its worker is supervised as side B/);
  // (Its supervisor marked side B gone when it exited.) A program asking for a side that
  // another program took is refused too.
  const other = createChannel();
  const b1 = await startWasm(other, ['--mode', 'echo']);
  t.after(() => b1.handle.terminate());
  await b1.line(/^ready$/);
  const b2 = await startWasm(other, ['--mode', 'echo'], { supervise: false });
  t.after(() => b2.handle.terminate());
  assert.equal(await b2.exited, 2);
  assert.match(b2.stderr.join('\n'), /side B of this channel is already in use/);
});

test('YamuxStream.close() while the user holds a writer half-closes', T, async (t) => {
  const { session } = await inProcess(t);
  const s = await session.open();
  const w = s.writable.getWriter();
  await w.write(bytes('held'));
  await s.close(); // threw: the writable is locked
  assert.equal(await readText(s.readable), 'held');
  await assert.rejects(w.write(bytes('late')), (e) => e instanceof YamuxClosedError && e.codeName === 'YAMUX_ECLOSED');
});

test('reader.cancel() tells the peer: it stops sending (its stream is reset)', T, async (t) => {
  const { session, wasm } = await inProcess(t, { wasmArgs: ['--open', '1', '--bytes', String(1 << 30), '--sink'] });
  const s = await session.accept();
  const r = s.readable.getReader();
  assert.ok((await r.read()).value.length > 0);
  await r.cancel(new Error('seen enough'));
  // Without the reset the peer would write its whole GiB into the void and report success.
  assert.equal(await wasm.line(/^verified /), 'verified 1 streams, 1 failed');
});

test('a peer that closed cleanly and a peer that died end the session differently', T, async (t) => {
  // Clean: the wasm program finishes its stream and exits, closing its side (GoAway first).
  const clean = await inProcess(t, { wasmArgs: ['--open', '1', '--bytes', '1000', '--sink', '--exit-when-done'] });
  const mine = await clean.session.open();
  const held = mine.readable.getReader().read();
  const theirs = await clean.session.accept();
  assert.equal((await readText(theirs.readable)).length, 1000);
  await theirs.close();
  const e1 = await held.then(() => null, (e) => e);
  assert.ok(e1 instanceof YamuxClosedError, String(e1));
  assert.equal(e1.codeName, 'YAMUX_EEOF');
  assert.equal(e1.cause?.codeName, 'YAMUX_ECLOSED');
  await clean.session.closed; // resolves: a clean end
  assert.equal(await clean.wasm.exited, 0);

  // Dead: its worker is terminated; the supervisor marks its side gone.
  const dead = await inProcess(t);
  const s = await dead.session.open();
  const read = s.readable.getReader().read();
  await dead.wasm.handle.terminate();
  const e2 = await read.then(() => null, (e) => e);
  assert.ok(e2 instanceof YamuxTransportError, String(e2));
  assert.equal(e2.cause?.codeName, 'YAMUX_EPEERDEAD');
  await assert.rejects(dead.session.closed, YamuxTransportError);
});

test('a write waiting when the peer dies ends the stream with the transport error, not a reset', T, async (t) => {
  // Found by failure.test.js (flaky): the write path's "reset on error" turned the session's
  // death into a reset of the stream.
  const { session, wasm } = await inProcess(t, { wasmArgs: ['--mode', 'sink', '--read-delay', '3600000'] });
  const s = await session.open();
  const w = s.writable.getWriter();
  const writing = w.write(new Uint8Array(4 << 20)); // waits: the peer reads nothing
  writing.catch(() => {});
  await until(() => s.unsent > 0);
  await wasm.handle.terminate(); // no read pending: the waiting write sees the end first
  await assert.rejects(writing, YamuxTransportError);
  await assert.rejects(s.readable.getReader().read(), (e) => e instanceof YamuxTransportError && e.cause?.codeName === 'YAMUX_EPEERDEAD');
});

test('bad arguments get sentences, not V8 internals', T, async (t) => {
  await assert.rejects(Session.create(), { name: 'TypeError', message: /Session\.create\(options\): options must be an object/ });
  await assert.rejects(Session.create({ buffer: new ArrayBuffer(1 << 16) }), {
    name: 'TypeError', message: /must be a SharedArrayBuffer \(channel\.buffer\), got ArrayBuffer/,
  });
  await assert.rejects(Session.create({ channel: createChannel(), side: 2 }), { name: 'RangeError', message: /side must be SIDE_A/ });
  await assert.rejects(Session.create({ buffer: new SharedArrayBuffer(100) }), { name: 'RangeError', message: /leaves no room for a region header/ });
  await assert.rejects(Session.create({ buffer: new SharedArrayBuffer(4096) }), { name: 'ShmqError', message: /not a formatted shmq region/ });
  assert.throws(() => createChannel({ ringBytes: 1000 }), { name: 'RangeError', message: /power of two/ });
  const { session } = await inProcess(t);
  const s = await session.open();
  const w = s.writable.getWriter();
  const chunk = new Uint8Array(16);
  structuredClone(chunk.buffer, { transfer: [chunk.buffer] }); // detaches it
  await assert.rejects(w.write(chunk), { name: 'TypeError', message: /detached/ });
  const s2 = await session.open();
  const ab = new ArrayBuffer(8);
  structuredClone(ab, { transfer: [ab] });
  await assert.rejects(s2.writable.getWriter().write(ab), { name: 'TypeError', message: /detached/ });
  await assert.rejects(session.open({ signal: 'soon' }), { name: 'TypeError', message: /AbortSignal/ });
});

test('the RPC pair still closes cleanly (graceful close with the streams done)', T, async (t) => {
  const p = await startPair();
  t.after(() => p.kill());
  await p.ev.call('transfer', { streams: 4, bytes: 100000 });
  assert.equal(await p.close(), 0);
});
