// The same-thread channel of the JSPI backend, without JSPI: a region in a plain ArrayBuffer
// whose two sides run in this one thread and wait through the queue's same-thread doorbell
// (web/src/queue/doorbell.js) instead of Atomics.wait/waitAsync/notify. Here both sides are
// event-side Sessions, so Node.js 20 (no JSPI) runs it: streams both ways, half-close, ping,
// the end of one side, and the doorbell's own rules (no missed wake-up, wake-ups in a
// macrotask of their own, timeouts, cancel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, SIDE_A, SIDE_B } from '../src/index.js';
import { createBufferChannel, markSideGone } from '../src/queue/channel.js';
import { Shmq, READABLE, ShmqError } from '../src/queue/shmq.js';
import { doorbellOf, LocalDoorbell, atomicsDoorbell } from '../src/queue/doorbell.js';
import { pattern, readAll, writeAll } from './wasi-scenarios.mjs';
import { createChannel, startWasmInThread } from '../src/index.js';
import { hasJspi } from '../src/host/backends/jspi.js';

const T = { timeout: 60_000 };

async function pair(o = {}) {
  const channel = createBufferChannel({ ringBytes: 1 << 16, mtu: 4096, shared: false, ...o });
  const a = await Session.create({ channel, side: SIDE_A });
  const b = await Session.create({ channel, side: SIDE_B });
  return { channel, a, b };
}

test('a channel in a plain ArrayBuffer: no SharedArrayBuffer anywhere, the same-thread doorbell', () => {
  const c = createBufferChannel({ shared: false });
  assert.ok(c.buffer instanceof ArrayBuffer && !(c.buffer instanceof SharedArrayBuffer));
  assert.ok(c.control instanceof ArrayBuffer && !(c.control instanceof SharedArrayBuffer));
  assert.ok(doorbellOf(c.buffer) instanceof LocalDoorbell);
  assert.equal(doorbellOf(c.buffer), doorbellOf(c.buffer), 'one doorbell per buffer');
  assert.equal(doorbellOf(new SharedArrayBuffer(8)), atomicsDoorbell);
  const q = Shmq.attach(c.buffer, 0, SIDE_B);
  assert.throws(() => q.wait(READABLE, 0, 10), /nothing can block/);
});

test('Session.create takes a plain ArrayBuffer only as a channel made for one thread (another would be a copy the peer never sees)', async () => {
  const c = createBufferChannel({ shared: false });
  await assert.rejects(Session.create({ buffer: c.buffer, offset: 0, side: SIDE_A }), {
    name: 'TypeError', message: /must be a SharedArrayBuffer \(channel\.buffer\), got ArrayBuffer \(a channel for one thread is made by createChannel\(\{shared: false\}\): pass that channel\)/,
  });
  await assert.rejects(Session.create({ channel: { ...c, shared: true }, side: SIDE_A }), { name: 'TypeError' });
  const s = await Session.create({ channel: c, side: SIDE_A });
  s.abort(new Error('done'));
  await s.closed.catch(() => {});
});

test('two Sessions in one thread: 20 streams of up to 256 KiB each way, echoed, byte for byte', T, async () => {
  const { a, b } = await pair();
  const echo = (s) => (async () => {
    for await (const st of s) st.readable.pipeTo(st.writable).catch(() => {});
  })();
  echo(a);
  echo(b);
  const round = async (from, i) => {
    const st = await from.open();
    const data = pattern(i, 0, 1000 + i * 13000);
    const [back] = await Promise.all([readAll(st), writeAll(st, data, { chunk: 7000 })]);
    assert.deepEqual(back, data, `stream ${i}`);
  };
  await Promise.all(Array.from({ length: 20 }, (_, i) => round(i % 2 ? a : b, i)));
  assert.ok((await a.ping()) >= 0);
  assert.ok((await b.ping()) >= 0);
  await a.close();
  await b.closed;
});

test('one side ends: the other side sees the end (clean close, and a side marked gone)', T, async () => {
  {
    const { a, b } = await pair();
    const st = await a.open();
    const reading = readAll(st).then(() => 'end', (e) => e);
    const accepted = await b.accept();
    await accepted.close();
    assert.equal(await reading, 'end');
    await st.close();
    assert.equal((await readAll(accepted)).length, 0); // both directions over: nothing left for close() to wait for
    await b.close();
    await a.closed; // the peer closed its side itself: a clean end
  }
  {
    const { channel, a, b } = await pair();
    const st = await a.open();
    const reading = readAll(st).then(() => 'end', (e) => e);
    await b.accept();
    b.abort(new Error('gone'));
    markSideGone(channel, SIDE_B);
    const r = await reading;
    assert.ok(r instanceof Error, `a read from a side that went away: ${r}`);
    await assert.rejects(a.closed, (e) => e.cause?.code !== undefined);
  }
});

test('the same-thread doorbell: wakes in a macrotask, never a missed wake-up, timeouts, cancel', async () => {
  const d = new LocalDoorbell();
  const i32 = new Int32Array(new ArrayBuffer(16));
  assert.deepEqual(d.waitAsync(i32, 1, 5, 100), { async: false, value: 'not-equal' });
  assert.deepEqual(d.waitAsync(i32, 1, 0, 0), { async: false, value: 'timed-out' });
  // A notify after the waiter registered wakes it, in a later macrotask than the notifier's.
  const r = d.waitAsync(i32, 1, 0, Infinity);
  assert.equal(r.async, true);
  let woke = false;
  r.value.then(() => (woke = true));
  assert.equal(d.notify(i32, 2), 0, 'another word wakes nobody');
  assert.equal(d.notify(i32, 1), 1);
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(woke, false, 'woken inside the notifier\'s microtasks');
  assert.equal(await r.value, 'ok');
  assert.equal(d.notify(i32, 1), 0, 'a waiter is woken once');
  // Two views of the same word are the same word.
  const view = new Int32Array(i32.buffer, 4, 2);
  const r2 = d.waitAsync(view, 0, 0, Infinity);
  assert.equal(d.notify(i32, 1), 1);
  assert.equal(await r2.value, 'ok');
  // A timeout.
  const r3 = d.waitAsync(i32, 3, 0, 5);
  assert.equal(await r3.value, 'timed-out');
  // Regression: a timeout beyond what a timer takes (2^31 ms) used to fire at once (a
  // guest's far clock turned into a busy loop of 1 ms sleeps); it is no timeout.
  const far = d.waitAsync(i32, 2, 0, 2 ** 32);
  let early = null;
  far.value.then((v) => (early = v));
  await new Promise((res) => setTimeout(res, 30));
  assert.equal(early, null, 'a wait of 2^32 ms ended after 30 ms');
  assert.equal(d.notify(i32, 2), 1);
  assert.equal(await far.value, 'ok');
  // cancel: the waiter is never woken.
  const r4 = d.waitAsync(i32, 3, 0, 5);
  let settled = false;
  r4.value.then(() => (settled = true));
  d.cancel(i32, 3);
  assert.equal(d.notify(i32, 3), 0);
  await new Promise((res) => setTimeout(res, 20));
  assert.equal(settled, false);
});

test('the queue\'s arm-then-wait protocol over the same-thread doorbell: the producer wakes the armed consumer', async () => {
  const c = createBufferChannel({ ringBytes: 4096, mtu: 256, shared: false });
  const qa = Shmq.attach(c.buffer, 0, SIDE_A);
  const qb = Shmq.attach(c.buffer, 0, SIDE_B);
  const got = qb.waitAsync(READABLE, 0, Infinity); // arms, then waits on the doorbell
  await Promise.resolve();
  assert.ok(qa.send(new Uint8Array([1, 2, 3])));
  assert.equal(await got, READABLE);
  assert.deepEqual([...qb.recv()], [1, 2, 3]);
  // The peer closes while the consumer waits: the wait ends with ECLOSED.
  const ending = qb.waitAsync(READABLE, 0, Infinity);
  qa.close();
  await assert.rejects(ending, (e) => e instanceof ShmqError && e.codeName === 'YAMUX_ECLOSED');
});

test('createChannel({shared: false}): the C program\'s fixed-size, unshared memory; startWasmInThread needs JSPI', () => {
  const c = createChannel({ shared: false });
  assert.ok(c.buffer instanceof ArrayBuffer && !(c.buffer instanceof SharedArrayBuffer));
  assert.ok(c.control instanceof ArrayBuffer);
  assert.equal(c.memory.buffer, c.buffer);
  assert.throws(() => c.memory.grow(1), RangeError, 'the memory never grows (the event side\'s views stay valid)');
  if (!hasJspi()) {
    assert.throws(() => startWasmInThread({ channel: c }), { name: 'TypeError', message: /needs JSPI \(WebAssembly\.Suspending and WebAssembly\.promising: Chrome 137\+, Node\.js 25\+\)/ });
  } else {
    assert.throws(() => startWasmInThread({ channel: createChannel() }), /createChannel\(\{shared: false\}\)/);
  }
});
