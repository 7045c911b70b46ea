// The JavaScript shmq (web/src/queue/shmq.js) against the C one (src/shmq*.c compiled into the
// engine module): the same region, one side each, byte for byte. Single-threaded and
// deterministic: the C functions are called from JavaScript on the module's memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Q from '../src/queue/shmq.js';
import { instantiateEngine } from '../src/event/engine.js';

const RING = 4096, MTU = 1000;

/** The C shmq on a region inside the engine module's memory. */
async function cSide() {
  const x = await instantiateEngine();
  const mem = x.memory;
  const size = x.yamux_shmq_region_size(RING, MTU);
  const raw = x.malloc(size + 64);
  const region = (raw + 63) & ~63;
  const out = x.malloc(4);
  let q = 0;
  const tmp = x.malloc(MTU + 64);
  const u8 = () => new Uint8Array(mem.buffer);
  const u32 = () => new Uint32Array(mem.buffer);
  return {
    x, mem, size, region, q,
    format: () => x.yamux_shmq_format(region, size, RING, MTU),
    attach(side) {
      const r = x.yamux_shmq_new(out, region, size, side, 0);
      this.q = q = r === 0 ? new Uint32Array(mem.buffer)[out >> 2] : 0;
      return r;
    },
    send(bytes) {
      u8().set(bytes, tmp);
      return x.yamux_shmq_send(q, tmp, bytes.length);
    },
    recv() {
      const r = x.yamux_shmq_recv(q, tmp, MTU, tmp + MTU);
      if (r < 0) return r;
      const len = u32()[(tmp + MTU) >> 2];
      return u8().slice(tmp, tmp + len);
    },
    bytes: () => u8().slice(region, region + size),
  };
}

const packet = (seed, len) => Uint8Array.from({ length: len }, (_, i) => (seed * 131 + i * 7) & 0xff);

test('regionSize and format match the C layout byte for byte', async () => {
  const c = await cSide();
  assert.equal(Q.regionSize(RING, MTU), c.size);
  assert.equal(Q.regionSize(RING, RING / 2 - 7), 0);
  assert.equal(Q.regionSize(1000, 10), 0);
  assert.equal(c.format(), 0);
  const js = new ArrayBuffer(c.size + 64);
  Q.format(js, 64, RING, MTU);
  assert.deepEqual(new Uint8Array(js, 64, c.size), c.bytes());
});

test('C side A and JavaScript side B exchange packets through wrap-around and padding', async () => {
  const c = await cSide();
  c.format();
  assert.equal(c.attach(Q.SIDE_A), 0);
  const b = Q.Shmq.attach(c.mem.buffer, c.region, Q.SIDE_B);
  let sent = 0, got = 0, back = 0;
  for (let round = 0; round < 200; round++) {
    // C sends a burst of varied sizes until the ring is full, JavaScript drains it.
    for (;;) {
      const p = packet(sent, (sent * 37) % (MTU + 1));
      const r = c.send(p);
      if (r === Q.EAGAIN) break;
      assert.equal(r, 0);
      sent++;
      if (sent % 7 === 0) break;
    }
    for (let p; (p = b.recv()) !== null; got++) assert.deepEqual(p, packet(got, (got * 37) % (MTU + 1)));
    // JavaScript answers with batched zero-copy records, C receives them.
    for (let i = 0; i < 3; i++) {
      const p = packet(1000 + back + i, (back + i) * 53 % (MTU + 1));
      const view = b.reserve(p.length);
      if (!view) break;
      view.set(p);
      b.commit(p.length, Q.MORE);
    }
    b.flush();
    for (let p; !((p = c.recv()) === Q.EAGAIN); back++) assert.deepEqual(p, packet(1000 + back, back * 53 % (MTU + 1)));
  }
  assert.equal(got, sent);
  assert.ok(sent > 500 && back > 300);
});

test('close: the peer receives what was sent, then ECLOSED', async () => {
  const c = await cSide();
  c.format();
  c.attach(Q.SIDE_A);
  const b = Q.Shmq.attach(c.mem.buffer, c.region, Q.SIDE_B);
  c.send(packet(1, 10));
  c.x.yamux_shmq_close(c.q);
  assert.deepEqual(b.recv(), packet(1, 10));
  assert.throws(() => b.recv(), (e) => e instanceof Q.ShmqError && e.code === Q.ECLOSED);
  assert.throws(() => b.send(packet(2, 3)), (e) => e.code === Q.ECLOSED);
  b.close();
  assert.equal(c.recv(), Q.ECLOSED);
});

test('markClosed: a supervisor closes a dead side for it', async () => {
  const c = await cSide();
  c.format();
  c.attach(Q.SIDE_A);
  const b = Q.Shmq.attach(c.mem.buffer, c.region, Q.SIDE_B);
  b.send(packet(3, 5));
  assert.equal(Q.markClosed(c.mem.buffer, c.region, Q.SIDE_B), true);
  assert.equal(Q.markClosed(c.mem.buffer, c.region, Q.SIDE_B), false);
  assert.deepEqual(c.recv(), packet(3, 5));
  assert.equal(c.recv(), Q.ECLOSED);
});

test('corruption is detected on both sides, never followed', async () => {
  const c = await cSide();
  c.format();
  c.attach(Q.SIDE_A);
  const b = Q.Shmq.attach(c.mem.buffer, c.region, Q.SIDE_B);
  const i32 = new Int32Array(c.mem.buffer, c.region, c.size / 4);
  // A record length beyond the MTU, written by a hostile C side.
  c.send(packet(4, 16));
  i32[(Q.DATA_OFFSET) / 4] = MTU + 1;
  assert.throws(() => b.recv(), (e) => e.code === Q.ECORRUPT && /corrupt/.test(e.message));
  assert.equal(b.error, Q.ECORRUPT);
  // A tail that is not a multiple of 8, written by a hostile JavaScript side.
  i32[0x1c0 / 4] = 12;
  assert.equal(c.recv(), Q.ECORRUPT);
});

test('generation: a re-attached peer is a reset', async () => {
  const c = await cSide();
  c.format();
  c.attach(Q.SIDE_A);
  const b = Q.Shmq.attach(c.mem.buffer, c.region, Q.SIDE_B);
  assert.equal(c.recv(), Q.EAGAIN);
  Q.Shmq.attach(c.mem.buffer, c.region, Q.SIDE_B); // B again
  assert.equal(c.recv(), Q.EPEERRESET);
  assert.equal(b.checkPeer(), 0);
});

test('liveness: a peer that publishes a heartbeat timeout and stops is declared dead', async () => {
  const sab = new SharedArrayBuffer(Q.regionSize(RING, MTU));
  Q.format(sab, 0, RING, MTU);
  const a = Q.Shmq.attach(sab, 0, Q.SIDE_A, { hbTimeoutMs: 20 });
  const b = Q.Shmq.attach(sab, 0, Q.SIDE_B);
  assert.equal(b.checkPeer(), 0);
  a.heartbeat();
  await new Promise((r) => setTimeout(r, 60)); // A stops beating for longer than it promised
  assert.equal(b.checkPeer(), 0); // the beat above is seen as progress: alive until now
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(b.checkPeer(), Q.EPEERDEAD);
  await assert.rejects(b.waitAsync(Q.READABLE, 0, 1000), (e) => e.code === Q.EPEERDEAD);
});

test('arm and waitAsync: the producer wakes a sleeping consumer', async (t) => {
  const keepAlive = setInterval(() => {}, 1000); // a pending waitAsync does not hold Node's loop
  t.after(() => clearInterval(keepAlive));
  const sab = new SharedArrayBuffer(Q.regionSize(RING, MTU));
  Q.format(sab, 0, RING, MTU);
  const a = Q.Shmq.attach(sab, 0, Q.SIDE_A);
  const b = Q.Shmq.attach(sab, 0, Q.SIDE_B);
  const armed = b.arm(Q.READABLE);
  assert.equal(armed.ready, 0);
  assert.equal(Atomics.load(armed.i32, armed.index), Q.READABLE);
  b.disarm();
  const p = b.waitAsync(Q.READABLE, 0, 5000);
  a.send(packet(9, 9));
  assert.equal(await p, Q.READABLE);
  assert.deepEqual(b.recv(), packet(9, 9));
  assert.equal(await b.waitAsync(Q.READABLE, 0, 1), 0); // timed out: nothing came
  // WRITABLE: fill A's ring, then a consumer release wakes it.
  while (a.send(packet(1, MTU)));
  const w = a.waitAsync(Q.WRITABLE, MTU, 5000);
  b.recv();
  assert.equal(await w, Q.WRITABLE);
});

test('errors carry the C names and sentences', () => {
  assert.equal(Q.errname(Q.ECORRUPT), 'YAMUX_ECORRUPT');
  const e = new Q.ShmqError(Q.EPEERDEAD);
  assert.equal(e.codeName, 'YAMUX_EPEERDEAD');
  assert.match(e.message, /peer died/);
  assert.throws(() => Q.Shmq.attach(new SharedArrayBuffer(4096), 0, Q.SIDE_A), (x) => x.code === Q.EBADMAGIC);
});
