// Failures: a worker terminated mid-transfer (either one) and a corrupted ring are detected
// by the other side: its streams fail with clear errors, nothing hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPair } from './harness.js';
import { SIDE_A, SIDE_B } from '../src/index.js';

const MiB = 1 << 20;

async function pair(t, opts) {
  const p = await startPair(opts);
  t.after(() => p.kill());
  return p;
}

/** Resolves once the event worker has moved at least `bytes` of payload. */
async function moved(p, bytes) {
  while ((await p.ev.call('stats')).live < bytes) await new Promise((r) => setTimeout(r, 5));
}

test('the wasm worker is terminated mid-transfer: the event side streams fail', async (t) => {
  const p = await pair(t);
  const run = p.ev.call('untilFailure', { streams: 4, bytes: 1 << 30 });
  await moved(p, 4 * MiB);
  await p.wasm.terminate();
  const r = await run;
  assert.equal(r.results.length, 4);
  for (const e of r.results) {
    // a dead peer, not a clean close: the supervisor marked its side gone
    assert.equal(e.name, 'YamuxTransportError', JSON.stringify(e));
    assert.equal(e.cause?.codeName, 'YAMUX_EPEERDEAD', JSON.stringify(e));
    assert.match(e.message, /^yamux: /);
  }
  assert.equal(r.closed?.name, 'YamuxTransportError', 'the session must end with an error');
  t.diagnostic(`stream error: ${r.results[0].message}`);
});

test('the event worker is terminated mid-transfer: the wasm program ends, reporting it', async (t) => {
  const p = await pair(t, { wasmArgs: ['--open', '4', '--bytes', String(1 << 30)] });
  await moved(p, 4 * MiB);
  await p.evWorker.terminate();
  const code = await p.wasm.exited;
  assert.notEqual(code, 0);
  assert.match(p.stderr.join('\n'), /unfinished|transport|channel/);
  t.diagnostic(`wasm program: exit ${code}: ${p.stderr.join(' | ')}`);
});

test('a corrupted ring seen by the wasm side: it reports corruption and ends', async (t) => {
  const p = await pair(t);
  const run = p.ev.call('untilFailure', { streams: 2, bytes: 1 << 30 });
  await moved(p, MiB);
  // Side A's state word read as "closed before ever attaching": corruption (spec 5).
  const i32 = new Int32Array(p.channel.buffer, p.channel.offset, 256);
  Atomics.store(i32, (0x40 + 0x40 * SIDE_A) / 4, 1);
  assert.equal(await p.wasm.exited, 4);
  assert.match(p.stderr.join('\n'), /channel: shared region corrupt.*YAMUX_ECORRUPT/);
  const r = await run; // the event side then sees the channel end: its streams fail
  for (const e of r.results) assert.match(e.name, /^Yamux\w*Error$/);
  t.diagnostic(`wasm side: ${p.stderr.join(' | ')}`);
});

test('a corrupted ring seen by the event side: its streams fail with the cause', async (t) => {
  const p = await pair(t);
  const held = p.ev.call('hold'); // a stream waiting for data
  await p.ev.call('ping');
  // A record announced by the wasm side's tail with a length beyond the MTU.
  const i32 = new Int32Array(p.channel.buffer, p.channel.offset, p.channel.size / 4);
  const tailW = 0x1c0 / 4, tail = Atomics.load(i32, tailW);
  const pos = (1024 + p.channel.ringBytes + (tail & (p.channel.ringBytes - 1))) / 4;
  i32[pos] = p.channel.mtu + 1;
  Atomics.store(i32, tailW, tail + 8);
  Atomics.store(i32, 0xc0 / 4, 0);
  Atomics.notify(i32, 0xc0 / 4);
  const e = await held;
  assert.equal(e.codeName, 'YAMUX_ETRANSPORT', JSON.stringify(e));
  assert.match(e.message, /transport error: shmq: shared region corrupt/);
  const closed = await p.ev.call('closed');
  assert.equal(closed.error.codeName, 'YAMUX_ETRANSPORT');
  assert.equal(await p.wasm.exited, 0); // it saw the event side close the channel
  t.diagnostic(`event side: ${e.message}`);
});
