// The session API beyond the bugs: AbortSignal on open/accept/ping, the error classes, the
// graceful and the hard close, incomingStreams. The event side in this thread, the C program
// in a real wasm worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { YamuxError, YamuxResetError, YamuxClosedError, YamuxTimeoutError, YamuxTransportError, Codes } from '../src/index.js';
import { inProcess, readText, bytes } from './harness.js';

const T = { timeout: 60000 };

test('AbortSignal: open, accept and ping reject with the reason; the session goes on', T, async (t) => {
  // The program opens its stream only once a stream we opened has finished: nothing arrives
  // before the trigger below.
  const { session, wasm } = await inProcess(t, { wasmArgs: ['--open-after-accept', '--open', '1', '--bytes', '10', '--sink'] });
  const reason = new Error('not any more');
  await assert.rejects(session.open({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  await assert.rejects(session.ping({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  const c = new AbortController();
  const pending = session.accept({ signal: c.signal });
  c.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  await assert.rejects(session.accept({ signal: AbortSignal.timeout(1) }), { name: 'TimeoutError' });
  // The stream the wasm side opens later goes to the next accept, not the aborted ones.
  const trigger = await session.open();
  await trigger.close();
  for await (const chunk of trigger.readable) void chunk; // its echo, to the end
  const s = await session.accept();
  let got = 0;
  for await (const chunk of s.readable) got += chunk.length;
  assert.equal(got, 10);
  await s.close();
  assert.equal(await wasm.line(/^verified /), 'verified 1 streams, 0 failed');
  assert.ok((await session.ping()) > 0);
});

test('error classes: one per kind, code and codeName kept', () => {
  const cases = [
    [Codes.ERESET, YamuxResetError], [Codes.ESHUTDOWN, YamuxClosedError], [Codes.EEOF, YamuxClosedError],
    [Codes.EGOAWAY, YamuxClosedError], [Codes.EKEEPALIVE, YamuxTimeoutError], [Codes.ETIMEOUT, YamuxTimeoutError],
    [Codes.ETRANSPORT, YamuxTransportError],
  ];
  for (const [code, E] of cases) {
    const e = new E(code, 'YAMUX_X', 'text', new Error('why'));
    assert.ok(e instanceof YamuxError && e instanceof Error);
    assert.equal(e.name, E.name);
    assert.equal(e.code, code);
    assert.equal(e.message, 'yamux: text: why');
    assert.equal(e.cause.message, 'why');
  }
});

test('graceful close: open streams finish both ways, new ones are refused', T, async (t) => {
  const { session, wasm } = await inProcess(t);
  const s = await session.open();
  const w = s.writable.getWriter();
  await w.write(bytes('before close'));
  const closing = session.close();
  await assert.rejects(session.open(), YamuxClosedError);
  await assert.rejects(session.accept(), YamuxClosedError);
  await w.write(bytes(', after close'));
  await w.close();
  assert.equal(await readText(s.readable), 'before close, after close');
  await closing; // resolves once the stream finished
  assert.equal(session.isClosed, true);
  assert.equal(await wasm.exited, 0); // the program saw a clean end
});

test('graceful close with a signal: when it aborts first, the close turns hard', T, async (t) => {
  const { session } = await inProcess(t);
  const s = await session.open();
  const r = s.readable.getReader();
  const read = r.read();
  const reason = new Error('no more waiting');
  await assert.rejects(session.close({ signal: AbortSignal.abort(reason) }), (e) => e instanceof YamuxClosedError && e.cause === reason);
  await assert.rejects(read, (e) => e instanceof YamuxClosedError && e.codeName === 'YAMUX_ESHUTDOWN' && e.cause === reason);
});

test('hard close (abort): streams fail at once with the reason, closed rejects', T, async (t) => {
  const { session, wasm } = await inProcess(t, { wasmArgs: ['--mode', 'sink', '--read-delay', '3600000'] });
  const s = await session.open();
  const w = s.writable.getWriter();
  const writing = w.write(new Uint8Array(8 << 20)); // stuck: the peer reads nothing
  writing.catch(() => {});
  const reason = new Error('shutting down');
  session.abort(reason);
  await assert.rejects(writing, (e) => e instanceof YamuxClosedError && e.cause === reason);
  await assert.rejects(session.closed, (e) => e instanceof YamuxClosedError && e.cause === reason);
  await assert.rejects(session.open(), YamuxClosedError);
  wasm.handle.terminate();
});

test('incomingStreams: a ReadableStream of the streams the peer opens, closed at the end', T, async (t) => {
  const { session, wasm } = await inProcess(t, { wasmArgs: ['--open', '3', '--bytes', '1000', '--exit-when-done'] });
  let n = 0;
  for await (const s of session.incomingStreams) {
    n++;
    s.readable.pipeTo(s.writable).catch(() => {}); // echo
  }
  assert.equal(n, 3);
  assert.equal(await wasm.line(/^verified /), 'verified 3 streams, 0 failed');
  await session.closed;
});
