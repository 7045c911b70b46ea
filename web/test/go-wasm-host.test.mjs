// The WASI preview 1 host of the wasm worker (web/src/host): the Go probe program (args,
// env, clocks, random, stdio, exit status, timers through poll_oneoff) and the queue
// descriptor's fd_read / fd_write / poll_oneoff semantics against a JavaScript shmq peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Wasi } from '../src/host/wasi/preview1.js';
import { E, POLL_READ, POLL_WRITE, FILETYPE, FDFLAG_NONBLOCK } from '../src/host/wasi/errno.js';
import { AtomicsBackend } from '../src/host/backends/atomics.js';
import { ShmqFd } from '../src/host/shmq-fd.js';
import { Shmq, SIDE_A, SIDE_B } from '../src/queue/shmq.js';
import { runWasi, newRegion, haveGoWasm, probeWasm } from './go-wasm-lib.mjs';

const skipGo = haveGoWasm() ? false : 'web/go/build.sh has not run';

test('wasi-probe: args, env, random, clocks, sleeping goroutines, exit status', { skip: skipGo, timeout: 60_000 }, async () => {
  const h = runWasi({ wasm: probeWasm, args: ['a b', '7'], env: { YAMUX_PROBE: 'x' } });
  const { code, stats } = await h.done;
  assert.equal(code, 7);
  assert.deepEqual(h.lines, [
    'args ["a b" "7"]',
    'env YAMUX_PROBE=x',
    'random ok true',
    'wallclock true',
    'sleeps [10 20 30] ticks 3 elapsed>=30ms true',
  ]);
  assert.deepEqual(h.errLines, ['to stderr']);
  assert.ok(stats.host.blocks > 0, 'the scheduler parked in poll_oneoff');
});

function pair(ring = 4096, mtu = 1000) {
  const sab = newRegion(ring, mtu);
  const fd = ShmqFd.attach(sab, 0, SIDE_A, { spinUs: 0 });
  const peer = Shmq.attach(sab, 0, SIDE_B, { spinUs: 0 });
  return { fd, peer };
}
const bytes = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

test('queue descriptor: fdstat says non-blocking socket', () => {
  const { fd } = pair();
  assert.equal(fd.filetype, FILETYPE.SOCKET_STREAM);
  assert.equal(fd.fdflags & FDFLAG_NONBLOCK, FDFLAG_NONBLOCK);
});

test('queue descriptor: fd_read drains packets in order, splits one that does not fit', () => {
  const { fd, peer } = pair();
  assert.equal(fd.read([new Uint8Array(10)]), -E.AGAIN);
  assert.equal(fd.ready(POLL_READ), 0);
  const a = bytes(100, 1), b = bytes(200, 2), c = bytes(300, 3);
  for (const p of [a, b, c]) assert.ok(peer.send(p));
  assert.equal(fd.ready(POLL_READ), POLL_READ);
  const x = new Uint8Array(60), y = new Uint8Array(90);
  assert.equal(fd.read([x, y]), 150); // iovecs filled in order
  assert.deepEqual([...x, ...y], [...a, ...b.subarray(0, 50)]);
  const z = new Uint8Array(1000);
  assert.equal(fd.read([z]), 450);
  assert.deepEqual(z.subarray(0, 450), new Uint8Array([...b.subarray(50), ...c]));
  assert.equal(fd.read([z]), -E.AGAIN);
  // Every packet was released: the producer has its whole ring back.
  assert.equal(peer.poll(2, 1000), 2);
});

test('queue descriptor: fd_write cuts at the MTU, short count when full, then EAGAIN', () => {
  const { fd, peer } = pair(4096, 1000);
  const data = bytes(2500, 5);
  assert.equal(fd.write([data.subarray(0, 1200), data.subarray(1200)]), 2500);
  const got = [];
  for (let p; (p = peer.recv());) got.push(p);
  assert.deepEqual(got.map((p) => p.length), [1000, 1000, 500]);
  assert.deepEqual(new Uint8Array(got.flatMap((p) => [...p])), data);
  // Fill the 4 KiB ring: some bytes go in, then nothing.
  const big = bytes(10000, 9);
  const n = fd.write([big]);
  assert.ok(n > 0 && n < big.length, `short count ${n}`);
  assert.equal(fd.write([big]), -E.AGAIN);
  assert.equal(fd.ready(POLL_WRITE), 0);
  while (peer.recv());
  assert.equal(fd.ready(POLL_WRITE), POLL_WRITE);
});

test('queue descriptor: end of file after the peer closes, EPIPE on write, hangup', () => {
  const { fd, peer } = pair();
  peer.send(bytes(10, 1));
  peer.close();
  assert.equal(fd.ready(POLL_READ | POLL_WRITE), POLL_READ | POLL_WRITE);
  assert.equal(fd.hangup(), true);
  const buf = new Uint8Array(100);
  assert.equal(fd.read([buf]), 10, 'what was sent before the close is delivered');
  assert.equal(fd.read([buf]), 0);
  assert.equal(fd.write([buf]), -E.PIPE);
});

test('queue descriptor: sock_shutdown closes this side for the peer', () => {
  const { fd, peer } = pair();
  assert.equal(fd.write([bytes(5, 1)]), 5);
  assert.equal(fd.shutdown(2), E.SUCCESS);
  assert.equal(peer.recv().length, 5);
  assert.throws(() => peer.recv(), /closed/);
  assert.equal(fd.read([new Uint8Array(4)]), 0);
});

/** A Wasi host over a plain memory, to call poll_oneoff directly. */
function hostWith(fd) {
  const w = new Wasi({ fds: { 3: fd }, backend: new AtomicsBackend() });
  const memory = new WebAssembly.Memory({ initial: 1 });
  w.bind(memory);
  const dv = new DataView(memory.buffer);
  const sub = (i, userdata, tag, f) => {
    const p = 1024 + 48 * i;
    dv.setBigUint64(p, userdata, true);
    dv.setUint8(p + 8, tag);
    f(p + 16);
  };
  const poll = (n) => {
    const errno = w.imports.wasi_snapshot_preview1.poll_oneoff(1024, 4096, n, 8192);
    const count = dv.getUint32(8192, true);
    const evs = [];
    for (let i = 0; i < count; i++) {
      const q = 4096 + 32 * i;
      evs.push({ userdata: dv.getBigUint64(q, true), error: dv.getUint16(q + 8, true), type: dv.getUint8(q + 10), hangup: dv.getUint16(q + 24, true) & 1 });
    }
    return { errno, evs };
  };
  return { dv, sub, poll };
}

test('poll_oneoff: fd_read readiness, clock expiry, hangup', () => {
  const { fd, peer } = pair();
  const h = hostWith(fd);
  // fd_read on fd 3 plus a 5 ms relative clock: nothing to read, the clock fires.
  h.sub(0, 11n, 1, (p) => h.dv.setUint32(p, 3, true));
  h.sub(1, 22n, 0, (p) => {
    h.dv.setUint32(p, 1, true); // monotonic
    h.dv.setBigUint64(p + 8, 5_000_000n, true);
  });
  let r = h.poll(2);
  assert.equal(r.errno, 0);
  assert.deepEqual(r.evs.map((e) => [e.userdata, e.type]), [[22n, 0]]);
  // Data waiting: the fd event comes at once.
  peer.send(bytes(3, 0));
  r = h.poll(2);
  assert.deepEqual(r.evs.map((e) => [e.userdata, e.type, e.hangup]), [[11n, 1, 0]]);
  // An unknown descriptor: an event with EBADF.
  h.sub(0, 33n, 2, (p) => h.dv.setUint32(p, 9, true));
  r = h.poll(1);
  assert.deepEqual(r.evs.map((e) => [e.userdata, e.type, e.error]), [[33n, 2, E.BADF]]);
  // The peer closed: readable (end of file) with the hangup flag.
  fd.read([new Uint8Array(10)]);
  peer.close();
  h.sub(0, 44n, 1, (p) => h.dv.setUint32(p, 3, true));
  r = h.poll(1);
  assert.deepEqual(r.evs.map((e) => [e.userdata, e.type, e.hangup]), [[44n, 1, 1]]);
});
