// Session control across the workers: ping both ways, reset both ways, GoAway both ways,
// close, keepalive while idle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPair } from './harness.js';

async function pair(t, opts) {
  const p = await startPair(opts);
  t.after(() => p.kill());
  return p;
}

test('ping: answered both ways, round trips reported', async (t) => {
  const p = await pair(t, { wasmArgs: ['--ping', '3'] });
  const { rtts } = await p.ev.call('ping', { count: 5 });
  assert.equal(rtts.length, 5);
  for (const r of rtts) assert.ok(r > 0);
  t.diagnostic(`event -> wasm ping: ${rtts.map((r) => (r * 1000).toFixed(0)).join(', ')} us`);
  for (let i = 0; i < 3; i++) await p.line(/^ping \d+$/);
  assert.equal(p.lines.filter((l) => l.startsWith('ping ')).length, 3);
  assert.equal(await p.close(), 0);
});

test('reset by the event side: its stream fails with ERESET, the session goes on', async (t) => {
  const p = await pair(t);
  const r = await p.ev.call('resetAfter', { bytes: 100000 });
  for (const e of r.errors) assert.equal(e?.codeName, 'YAMUX_ERESET');
  assert.match(r.errors[0].message, /reset/);
  assert.equal((await p.ev.call('transfer', { streams: 4, bytes: 100000 })).bytes, 400000);
  assert.equal(await p.close(), 0);
});

test('reset by the wasm side: the event side sees ERESET on the accepted streams', async (t) => {
  // Beyond the window plus the send buffer (2 x 256 KiB): the writer must wait for the event
  // side to accept and read (a stream reset while still in the accept backlog is dropped).
  const p = await pair(t, { wasmArgs: ['--open', '3', '--bytes', '1000000', '--reset-after', '600000'] });
  const acc = await p.ev.call('accepted', { count: 3 });
  assert.equal(acc.failed, 3);
  for (const e of acc.errors) assert.equal(e.codeName, 'YAMUX_ERESET');
  await p.line(/^verified /);
  assert.equal(await p.close(), 0);
  assert.equal(p.stats().resets, 3);
});

test('GoAway from the wasm side: existing streams finish, new opens fail with EGOAWAY', async (t) => {
  const p = await pair(t, { wasmArgs: ['--open', '2', '--bytes', '300000', '--goaway'] });
  assert.equal((await p.ev.call('accepted', { count: 2 })).ok, 2);
  await p.ev.call('waitRemoteGoAway');
  await assert.rejects(p.ev.call('open'), (e) => e.codeName === 'YAMUX_EGOAWAY' && /GoAway/i.test(e.message));
  assert.equal(await p.close(), 0);
});

test('GoAway from the event side: the wasm program cannot open, pings still work', async (t) => {
  const p = await pair(t, { wasmArgs: ['--ping', '1', '--open', '1', '--bytes', '10'], deferWasm: true });
  await p.ev.call('goAway');
  await p.startWasm(); // it attaches after the GoAway was queued for it
  assert.equal(await p.wasm.exited, 1);
  assert.match(p.stderr.join('\n'), /open: .*GoAway/i);
  await p.line(/^ping \d+$/);
});

test('close from the event side ends both sides cleanly', async (t) => {
  const p = await pair(t);
  await p.ev.call('transfer', { streams: 3, bytes: 5000 });
  assert.equal(await p.close(), 0);
  assert.match(p.lines.at(-1), /^stats /);
});

test('keepalive while idle: the blocked wasm side answers the event side pings', async (t) => {
  const p = await pair(t, { attach: { config: { keepaliveIntervalMs: 20 } }, wasmArgs: ['--keepalive', '1'] });
  let rtt = 0;
  for (let i = 0; i < 500 && !rtt; i++) {
    rtt = (await p.ev.call('stats')).rttMs;
    if (!rtt) await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(rtt > 0, 'no keepalive answer');
  assert.equal(await p.close(), 0);
});
