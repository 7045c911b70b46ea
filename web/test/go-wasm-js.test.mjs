// The GOOS=js GOARCH=wasm build of the same Go peer (web/go, transport_js.go) against the C
// engine in the event worker. Its worker (web/src/host/gojs-worker.js) never blocks: Go's
// js runtime returns to the event loop when every goroutine waits, and the queue wakes them
// through Atomics.waitAsync.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { runPair, haveGoWasm, haveEngine, statsOf, peerJsWasm } from './go-wasm-lib.mjs';

const skip = !haveGoWasm() || !fs.existsSync(peerJsWasm) ? 'web/go/build.sh has not run'
  : !haveEngine() ? 'web/build.sh has not run' : false;
const T = { timeout: 180_000 };
const MAIN = ['--open', '200', '--bytes', String(1 << 20), '--random-sizes', '42', '--ping', '3'];

function ok(r) {
  const info = JSON.stringify({ go: r.go.errLines.slice(-8), ev: r.ev.info });
  assert.equal(r.go.code, 0, info);
  assert.equal(r.ev.code, 0, info);
  return { go: statsOf(r.go.lines), ev: statsOf(r.ev.lines) };
}

describe('GOOS=js Go peer vs the C engine in the event worker', { skip }, () => {
  test('main scenario: Go client opens 200 streams of random sizes and pings', T, async () => {
    const r = await runPair({ variant: 'js', goRole: 'client', goArgs: MAIN });
    const s = ok(r);
    assert.equal(s.go.streams_opened, 200);
    assert.equal(s.go.bytes_received, s.go.bytes_sent);
    assert.equal(s.go.pings, 3);
  });

  test('Go server echoes 200 streams the C side opens', T, async () => {
    const r = await runPair({ variant: 'js', goRole: 'server', evArgs: MAIN });
    const s = ok(r);
    assert.equal(s.go.streams_accepted, 200);
    assert.equal(s.ev.bytes_received, s.ev.bytes_sent);
  });

  test('idle streams: sleeps and keepalives', T, async () => {
    const r = await runPair({
      variant: 'js', goRole: 'client',
      goArgs: ['--open', '2', '--bytes', '1000', '--read-delay', '1500', '--keepalive', '1'],
      evArgs: ['--keepalive', '1'],
    });
    ok(r);
    assert.ok(r.go.trace.out.pings >= 1 && r.go.trace.in.pingAcks >= 1, JSON.stringify(r.go.trace));
    assert.ok(r.go.trace.in.pings >= 1 && r.go.trace.out.pingAcks >= 1, JSON.stringify(r.go.trace));
  });
});
