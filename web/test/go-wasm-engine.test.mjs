// Go-in-wasm against the project's C engine, in two Node workers sharing one shmq region:
// the Go peer (interop/go/peer on hashicorp/yamux v0.1.2, GOOS=wasip1, web/go) runs in the
// WASI worker (web/src/host), blocking in poll_oneoff; the C engine runs in the event worker
// through the web package's Session (Atomics.waitAsync, never blocks). Both peers follow
// interop/PEER_CLI.md and verify every byte they get back. Go plays the yamux client and
// the server. Needs web/go/build.sh and web/build.sh (skipped otherwise).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runPair, runWasi, runEventPeer, newRegion, haveGoWasm, haveEngine, statsOf } from './go-wasm-lib.mjs';
import { markClosed } from '../src/queue/shmq.js';

const skip = !haveGoWasm() ? 'web/go/build.sh has not run' : !haveEngine() ? 'web/build.sh has not run' : false;
const MiB = 1 << 20;
const T = { timeout: 180_000 };

/** Both exited 0; returns the parsed stats lines. */
function ok(r, what) {
  const info = JSON.stringify({ go: r.go.errLines.slice(-8), ev: r.ev.info }, null, 1);
  assert.equal(r.go.code, 0, `${what}: Go exit status\n${info}`);
  assert.equal(r.ev.code, 0, `${what}: event exit status\n${info}`);
  return { go: statsOf(r.go.lines), ev: statsOf(r.ev.lines) };
}

for (const goRole of ['client', 'server']) {
  describe(`Go-in-wasm as yamux ${goRole} vs the C engine in the event worker`, { skip }, () => {
    test('small: Go opens 8 streams of 1000 bytes, echoed by C', T, async () => {
      const r = await runPair({ goRole, goArgs: ['--open', '8', '--bytes', '1000'] });
      const s = ok(r, 'small');
      assert.equal(s.go.streams_opened, 8);
      assert.equal(s.go.bytes_received, 8000);
      assert.equal(s.ev.streams_accepted, 8);
      assert.equal(r.go.trace.out.syn, 8);
    });

    test('small: C opens 8 streams of 1000 bytes, echoed by Go', T, async () => {
      const r = await runPair({ goRole, evArgs: ['--open', '8', '--bytes', '1000'] });
      const s = ok(r, 'small reverse');
      assert.equal(s.ev.bytes_received, 8000);
      assert.equal(s.go.streams_accepted, 8);
    });

    test('large: Go sends 64 MiB on one stream and verifies the echo', T, async () => {
      const r = await runPair({ goRole, goArgs: ['--open', '1', '--bytes', String(64 * MiB)] });
      const s = ok(r, 'large');
      assert.equal(s.go.bytes_received, 64 * MiB);
      assert.equal(r.go.trace.in.dataBytes, 64 * MiB);
    });

    test('large: C sends 64 MiB on one stream and verifies Go\'s echo', T, async () => {
      const r = await runPair({ goRole, evArgs: ['--open', '1', '--bytes', String(64 * MiB)] });
      const s = ok(r, 'large reverse');
      assert.equal(s.ev.bytes_received, 64 * MiB);
    });

    test('1000 concurrent streams of random sizes', T, async () => {
      const args = ['--open', '1000', '--bytes', '20000', '--random-sizes', '7'];
      const r = await runPair(goRole === 'client' ? { goRole, goArgs: args } : { goRole, evArgs: args });
      const s = ok(r, '1000 streams');
      const opener = goRole === 'client' ? s.go : s.ev, echo = goRole === 'client' ? s.ev : s.go;
      assert.equal(opener.streams_opened, 1000);
      assert.equal(echo.streams_accepted, 1000);
      assert.equal(opener.bytes_received, opener.bytes_sent);
    });

    test('both sides open 100 streams at once', T, async () => {
      const args = ['--open', '100', '--bytes', '50000'];
      const r = await runPair({ goRole, goArgs: args, evArgs: args });
      const s = ok(r, 'both open');
      for (const x of [s.go, s.ev]) {
        assert.equal(x.streams_opened, 100);
        assert.equal(x.streams_accepted, 100);
        assert.equal(x.bytes_received, 2 * 100 * 50000); // own echoes + the remote's streams
      }
    });

    test('half-close: Go writes and half-closes, the C sink half-closes back without data', T, async () => {
      const r = await runPair({ goRole, goArgs: ['--open', '20', '--bytes', '100000', '--sink'], evArgs: ['--mode', 'sink'] });
      const s = ok(r, 'half-close');
      assert.equal(s.ev.bytes_received, 20 * 100000);
      assert.equal(s.go.bytes_received, 0);
      assert.equal(r.go.trace.out.fin, 20, 'one FIN per stream from Go');
      assert.equal(r.go.trace.in.fin, 20, 'one FIN per stream from C');
      assert.equal(r.go.trace.in.dataBytes, 0);
    });

    test('half-close: C writes and half-closes, the Go sink half-closes back without data', T, async () => {
      const r = await runPair({ goRole, evArgs: ['--open', '20', '--bytes', '100000', '--sink'], goArgs: ['--mode', 'sink'] });
      const s = ok(r, 'half-close reverse');
      assert.equal(s.go.bytes_received, 20 * 100000);
      assert.equal(r.go.trace.out.dataBytes, 0);
      assert.equal(r.go.trace.out.fin, 20);
      assert.equal(r.go.trace.in.fin, 20);
    });

    test('non-default windows: 4 MiB on the Go side, 1 MiB on the C side', T, async () => {
      const r = await runPair({
        goRole,
        goArgs: ['--open', '4', '--bytes', String(8 * MiB), '--window', String(4 * MiB)],
        evArgs: ['--window', String(MiB)],
      });
      ok(r, 'windows');
      // Announced as deltas over the initial 256 KiB with the SYN (Go) and the ACK (C).
      assert.ok(r.go.trace.out.windowDeltas.includes(4 * MiB - 262144), JSON.stringify(r.go.trace.out));
      assert.ok(r.go.trace.in.windowDeltas.includes(MiB - 262144), JSON.stringify(r.go.trace.in));
    });

    test('ping: 10 from Go, answered by C', T, async () => {
      const r = await runPair({ goRole, goArgs: ['--ping', '10'] });
      const s = ok(r, 'ping');
      assert.equal(r.go.lines.filter((l) => /^ping \d+$/.test(l)).length, 10);
      assert.equal(s.go.pings, 10);
      assert.equal(r.go.trace.out.pings, 10);
      assert.equal(r.go.trace.in.pingAcks, 10);
    });

    test('ping: 10 from C, answered by Go', T, async () => {
      const r = await runPair({ goRole, evArgs: ['--ping', '10'] });
      const s = ok(r, 'ping reverse');
      assert.equal(r.ev.lines.filter((l) => /^ping \d+$/.test(l)).length, 10);
      assert.equal(s.ev.pings, 10);
      assert.equal(r.go.trace.in.pings, 10);
      assert.equal(r.go.trace.out.pingAcks, 10);
    });

    test('GoAway from Go: the C side sees it, streams finish', T, async () => {
      const r = await runPair({ goRole, goArgs: ['--open', '4', '--bytes', '100000', '--goaway'] });
      ok(r, 'goaway');
      assert.deepEqual(r.go.trace.out.goAways, [0]);
      assert.equal(r.ev.info.remoteGoAway, true);
    });

    test('GoAway from C: Go sees code 0 and exits cleanly', T, async () => {
      const r = await runPair({ goRole, evArgs: ['--open', '4', '--bytes', '100000', '--goaway'] });
      ok(r, 'goaway reverse');
      assert.ok(r.go.trace.in.goAways.length >= 1 && r.go.trace.in.goAways.every((c) => c === 0), JSON.stringify(r.go.trace.in));
    });

    test('slow reader on the C side: Go waits on the window', T, async () => {
      const r = await runPair({ goRole, goArgs: ['--open', '2', '--bytes', String(2 * MiB)], evArgs: ['--read-delay', '5'] });
      const s = ok(r, 'slow C reader');
      assert.equal(s.go.bytes_received, 4 * MiB);
    });

    test('slow reader on the Go side (time.Sleep before every read)', T, async () => {
      const r = await runPair({ goRole, goArgs: ['--open', '2', '--bytes', String(2 * MiB), '--read-delay', '5'] });
      const s = ok(r, 'slow Go reader');
      assert.equal(s.go.bytes_received, 4 * MiB);
    });

    test('idle streams: Go sleeps (time.Sleep) while both keepalives fire', T, async () => {
      // Each Go stream sends 1000 bytes, then sleeps 1.5 s before each read of its echo:
      // ~3 s of idle streams, with 1 s keepalives on both sides. Go's sleeps and keepalive
      // timers wake it from poll_oneoff's clock subscription; C's pings wake it through the
      // queue descriptor's fd_read subscription.
      const r = await runPair({
        goRole,
        goArgs: ['--open', '2', '--bytes', '1000', '--read-delay', '1500', '--keepalive', '1'],
        evArgs: ['--keepalive', '1'],
      });
      const s = ok(r, 'idle keepalive');
      assert.equal(s.go.bytes_received, 2000);
      const t = r.go.trace;
      assert.ok(t.out.pings >= 1, `Go's keepalive pinged: ${JSON.stringify(t.out)}`);
      assert.ok(t.in.pingAcks >= 1, `C answered: ${JSON.stringify(t.in)}`);
      assert.ok(t.in.pings >= 1, `C's keepalive pinged: ${JSON.stringify(t.in)}`);
      assert.ok(t.out.pingAcks >= 1, `Go answered: ${JSON.stringify(t.out)}`);
      assert.ok(r.ev.info.rttMs > 0, 'C measured a round trip');
      assert.ok(r.go.stats.host.blocks > 0, 'Go parked in poll_oneoff');
    });
  });
}

describe('a side that dies never hangs the other', { skip }, () => {
  // Waits (polling the region) until ring `ring` has carried `bytes` bytes.
  async function until(buffer, ring, bytes) {
    const i32 = new Int32Array(buffer, 0, 256);
    while ((Atomics.load(i32, (0x140 + 0x80 * ring) / 4) >>> 0) < bytes) await new Promise((r) => setTimeout(r, 5));
  }

  test('the event worker is terminated mid-transfer: Go ends with an error', T, async () => {
    const buffer = newRegion(1 << 20, 65536);
    const ev = runEventPeer({ buffer, side: 1, args: ['--listen', 'fd:3'] });
    ev.done.catch(() => {});
    const go = runWasi({ args: ['--connect', 'fd:3', '--open', '1', '--bytes', String(256 * MiB)], queue: { buffer, offset: 0, side: 0 } });
    await until(buffer, 0, 4 * MiB);
    await ev.worker.terminate();
    markClosed(buffer, 0, 1); // what the web package's supervisor does for a worker it lost
    const { code } = await go.done;
    assert.equal(code, 1, go.errLines.join('\n'));
  });

  test('the event worker dies without a supervisor: Go declares it dead (heartbeat)', T, async () => {
    const buffer = newRegion(1 << 20, 65536);
    const ev = runEventPeer({ buffer, side: 1, args: ['--listen', 'fd:3'], hbTimeoutMs: 400 });
    ev.done.catch(() => {});
    const go = runWasi({ args: ['--connect', 'fd:3', '--open', '1', '--bytes', String(256 * MiB)], queue: { buffer, offset: 0, side: 0 } });
    await until(buffer, 0, 4 * MiB);
    await ev.worker.terminate(); // its side stays "open": only its heartbeat stops
    const { code } = await go.done;
    assert.equal(code, 1, go.errLines.join('\n'));
  });

  test('the Go worker is terminated mid-transfer: the C side ends with an error', T, async () => {
    const buffer = newRegion(1 << 20, 65536);
    const ev = runEventPeer({ buffer, side: 1, args: ['--listen', 'fd:3', '--open', '1', '--bytes', String(256 * MiB)] });
    const go = runWasi({ args: ['--connect', 'fd:3'], queue: { buffer, offset: 0, side: 0 } });
    go.done.catch(() => {});
    await until(buffer, 1, 4 * MiB);
    await go.worker.terminate();
    markClosed(buffer, 0, 0);
    const { code, info } = await ev.done;
    assert.equal(code, 1, JSON.stringify(info));
  });
});
