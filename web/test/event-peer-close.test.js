// The event side against a scripted peer on the other side of the queue (one thread, no
// workers): a peer that publishes its last frames and closes while our output waits for ring
// space. Output closed is not end of input: every packet published before the close is read
// (docs/shmq.md 4.5), then the session ends with EEOF.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../src/event/session.js';
import { Shmq, format, regionSize, SIDE_A, SIDE_B } from '../src/queue/shmq.js';

const RING = 4096, MTU = 1024;

function header(type, flags, id, len) {
  const h = new Uint8Array(12), dv = new DataView(h.buffer);
  h[1] = type;
  dv.setUint16(2, flags);
  dv.setUint32(4, id);
  dv.setUint32(8, len);
  return h;
}

const tick = () => new Promise((r) => setImmediate(r));

test('a peer closing while our output is blocked: its last frames are still read', async () => {
  const sab = new SharedArrayBuffer(regionSize(RING, MTU));
  format(sab, 0, RING, MTU);
  const session = await Session.create({
    buffer: sab, side: SIDE_A, client: false, hbTimeoutMs: 0,
    config: { enableKeepalive: false, writeTimeoutMs: 0 },
  });
  const peer = Shmq.attach(sab, 0, SIDE_B);
  // Pings the session must answer, while the peer never reads: the answers fill our ring,
  // then the engine holds the rest of the input back.
  const pings = new Uint8Array(85 * 12);
  let op = 0;
  for (let round = 0; round < 1000 && !(session.pump_.holdLen > 0 && session.pump_.outBlocked); round++) {
    for (let i = 0; i < 85; i++) pings.set(header(2, 1, 0, op++), i * 12);
    peer.send(pings);
    await tick();
  }
  assert.ok(session.pump_.holdLen > 0 && session.pump_.outBlocked, 'our output waits for space');
  // The peer's last words: stream 1 with "hello" and FIN, GoAway 0; then it closes.
  const last = new Uint8Array(41);
  last.set(header(1, 1, 1, 0), 0);
  last.set(header(0, 4, 1, 5), 12);
  last.set(new TextEncoder().encode('hello'), 24);
  last.set(header(3, 0, 0, 0), 29);
  let sent = false;
  for (let i = 0; i < 1000 && !sent; i++) {
    sent = peer.send(last);
    if (!sent) await tick();
  }
  assert.ok(sent);
  peer.close();
  const st = await session.accept();
  const chunks = [];
  for await (const c of st.readable) chunks.push(...c);
  assert.equal(new TextDecoder().decode(Uint8Array.from(chunks)), 'hello');
  assert.equal(session.remoteGoAway, true);
  await session.closed; // GoAway 0, then the end of the queue: a clean end
});
