// Streams between the two real workers: counts from 1 to 1000, sizes from 0 bytes to
// 256 MiB on one stream, opened by either side or both at once; every byte verified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPair } from './harness.js';

const MiB = 1 << 20;

async function pair(t, opts) {
  const p = await startPair(opts);
  t.after(() => p.kill());
  return p;
}

test('the event side opens 1, 10, 100 and 1000 streams; echoes verified', async (t) => {
  const p = await pair(t);
  for (const [streams, bytes] of [[1, 100000], [10, 100000], [100, 50000], [1000, 16384]]) {
    const r = await p.ev.call('transfer', { streams, bytes });
    assert.equal(r.streams, streams);
    assert.equal(r.bytes, streams * bytes);
  }
  const r = await p.ev.call('transfer', { streams: 200, bytes: 300000, seed: 42 });
  assert.equal(r.streams, 200);
  assert.equal(await p.close(), 0);
  assert.equal(p.stats().streams_accepted, 1 + 10 + 100 + 1000 + 200);
});

test('sizes around the MTU and frame boundaries, from 0 bytes', async (t) => {
  const p = await pair(t, { ringBytes: 65536, mtu: 4096 });
  for (const bytes of [0, 1, 2, 4087, 4088, 4089, 16383, 16384, 16385, 65535, 65536, 65537, 3 * MiB + 5]) {
    const r = await p.ev.call('transfer', { streams: 1, bytes });
    assert.equal(r.bytes, bytes);
  }
  assert.equal(await p.close(), 0);
});

test('256 MiB on one stream, echoed and verified both ways', async (t) => {
  const p = await pair(t, { ringBytes: 4 * MiB, mtu: 256 * 1024 });
  const r = await p.ev.call('transfer', { streams: 1, bytes: 256 * MiB });
  assert.equal(r.bytes, 256 * MiB);
  t.diagnostic(`256 MiB echo: ${r.mbps.toFixed(0)} MB/s each way`);
  assert.equal(await p.close(), 0);
  assert.equal(p.stats().bytes_received, 256 * MiB);
});

test('the wasm side opens 1000 streams of random sizes; the event side echoes', async (t) => {
  const p = await pair(t, { wasmArgs: ['--open', '1000', '--bytes', '40000', '--random-sizes', '7'] });
  assert.equal(await p.line(/^verified /), 'verified 1000 streams, 0 failed', p.stderr.slice(0, 5).join('\n'));
  const acc = await p.ev.call('accepted', { count: 1000 });
  assert.equal(acc.ok, 1000);
  assert.equal(acc.failed, 0);
  assert.equal(await p.close(), 0);
});

test('both sides open streams at the same time', async (t) => {
  const p = await pair(t, { wasmArgs: ['--open', '64', '--bytes', '200000'] });
  const r = await p.ev.call('transfer', { streams: 64, bytes: 200000 });
  assert.equal(r.bytes, 64 * 200000);
  assert.equal(await p.line(/^verified /), 'verified 64 streams, 0 failed', p.stderr.slice(0, 5).join('\n'));
  assert.equal((await p.ev.call('accepted', { count: 64 })).ok, 64);
  assert.equal(await p.close(), 0);
  const s = p.stats();
  assert.equal(s.streams_opened, 64);
  assert.equal(s.streams_accepted, 64);
});
