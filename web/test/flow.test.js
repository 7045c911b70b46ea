// Flow control across the workers: a slow consumer on either side holds the writer back
// (bounded memory), and half-closed streams keep carrying the other direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPair } from './harness.js';

const MiB = 1 << 20, WINDOW = 256 * 1024;

async function pair(t, opts) {
  const p = await startPair(opts);
  t.after(() => p.kill());
  return p;
}

test('slow reader on the event side: the wasm writer is held to one window', async (t) => {
  const p = await pair(t, {
    wasmArgs: ['--open', '1', '--bytes', String(8 * MiB), '--sink'],
    attach: { accept: 'verify', delayMs: 3 },
  });
  const acc = await p.ev.call('accepted', { count: 1 });
  assert.equal(acc.ok, 1, JSON.stringify(acc.errors));
  assert.equal(acc.bytes, 8 * MiB);
  t.diagnostic(`event-side receive memory peaked at ${acc.recvMemoryMax} bytes`);
  assert.ok(acc.recvMemoryMax <= WINDOW, `receive memory ${acc.recvMemoryMax} > window`);
  assert.equal(await p.line(/^verified /), 'verified 1 streams, 0 failed', p.stderr.slice(0, 5).join('\n'));
  assert.equal(await p.close(), 0);
});

test('slow reader on the wasm side: event-side writes wait, engine memory stays bounded', async (t) => {
  const p = await pair(t, { wasmArgs: ['--read-delay', '1', '--write-size', '65536'] });
  const r = await p.ev.call('transfer', { streams: 2, bytes: 6 * MiB, writeSize: MiB });
  assert.equal(r.bytes, 12 * MiB);
  t.diagnostic(`largest unsent backlog ${r.unsentMax} bytes, engine memory ${r.engineMemory} bytes`);
  // Queued at most the send buffer (256 KiB) plus one piece queued by reference (256 KiB).
  assert.ok(r.unsentMax <= 2 * WINDOW, `unsent ${r.unsentMax} > send buffer + one piece`);
  assert.ok(r.engineMemory <= 64 * MiB, `engine memory grew to ${r.engineMemory}`); // its initial size
  assert.equal(await p.close(), 0);
});

test('half-close: each side keeps reading after it finished writing', async (t) => {
  // Event-opened streams: the event side half-closes first and reads the echo to its end;
  // wasm-opened streams: the wasm side does the same while the event side echoes.
  const p = await pair(t, { wasmArgs: ['--open', '8', '--bytes', String(MiB)] });
  const r = await p.ev.call('transfer', { streams: 8, bytes: MiB });
  assert.equal(r.bytes, 8 * MiB);
  assert.equal(await p.line(/^verified /), 'verified 8 streams, 0 failed', p.stderr.slice(0, 5).join('\n'));
  assert.equal((await p.ev.call('accepted', { count: 8 })).ok, 8);
  assert.equal(await p.close(), 0);
});
