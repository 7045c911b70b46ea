// The queue's liveness duty counts in real time across calls (docs/shmq.md 4.6): a side that
// waits in short slices still beats, and still finds a silent peer dead. Before, each wait
// started its slice afresh: waits shorter than the slice never beat nor checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Shmq, format, regionSize, READABLE, SIDE_A, SIDE_B, EPEERDEAD, EPEERRESET, ECLOSED } from '../src/queue/shmq.js';

const RING = 4096, MTU = 1000;

function region() {
  const sab = new SharedArrayBuffer(regionSize(RING, MTU));
  format(sab, 0, RING, MTU);
  return sab;
}

test('short waits beat every slice and notice a silent peer', () => {
  let sab = region();
  const a = Shmq.attach(sab, 0, SIDE_A, { hbTimeoutMs: 200, spinUs: 0 }); // a slice: 50 ms
  Shmq.attach(sab, 0, SIDE_B, { spinUs: 0 });
  const hb = new Int32Array(sab, 0x40 + 4, 1);
  let last = Atomics.load(hb, 0), beats = 0;
  for (let i = 0; i < 40; i++) { // 800 ms of 20 ms waits
    assert.equal(a.wait(READABLE, 0, 20), 0);
    const v = Atomics.load(hb, 0);
    beats += v !== last ? 1 : 0;
    last = v;
  }
  assert.ok(beats >= 4, `beats ${beats}`); // about 16
  sab = region();
  const c = Shmq.attach(sab, 0, SIDE_A, { spinUs: 0 });
  Shmq.attach(sab, 0, SIDE_B, { hbTimeoutMs: 60 }); // then silent
  let err = null;
  for (let i = 0; i < 600 && !err; i++) {
    try {
      c.wait(READABLE, 0, 5);
    } catch (e) {
      err = e;
    }
  }
  assert.equal(err?.code, EPEERDEAD);
});

test('a restarted side learns the conversation is over; attaching rings the bell', () => {
  const sab = region();
  const a = Shmq.attach(sab, 0, SIDE_A, { spinUs: 0 });
  const b = Shmq.attach(sab, 0, SIDE_B, { spinUs: 0 });
  assert.equal(b.arm(READABLE).ready, 0); // B sleeps on its doorbell
  const bell = new Int32Array(sab, 0x100, 1);
  assert.equal(Atomics.load(bell, 0), READABLE);
  const a2 = Shmq.attach(sab, 0, SIDE_A, { spinUs: 0 }); // A restarts
  assert.equal(Atomics.load(bell, 0), 0); // rung: B re-checks at once
  assert.equal(b.checkPeer(), EPEERRESET);
  assert.throws(() => a2.recv(), (e) => e.code === ECLOSED); // B closed: A learns it
  void a;
});
