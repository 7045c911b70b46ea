// The WASI host in Node.js worker_threads: Go (GOOS=wasip1, standard library on the host's
// sockets) and C (wasi-libc) guests in a wasm worker started with startWasi(), this thread
// the event side. The scenarios are web/test/wasi-scenarios.mjs (the browser page runs the
// same ones). Needs web/build.sh, web/go/build.sh and web/guest/build.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWasi, WasiError } from '../src/host/start.js';
import * as sc from './wasi-scenarios.mjs';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const guest = (name) => {
  const go = path.join(web, 'go', 'bin', `${name}.wasm`);
  return fs.existsSync(go) ? go : path.join(web, 'guest', 'bin', `${name}.wasm`);
};
const env = { startWasi, guest };
const missing = ['wasi-guest', 'wasi-http', 'echo', 'dial', 'badcalls'].filter((n) => !fs.existsSync(guest(n)));
const skip = missing.length ? `not built: ${missing.join(', ')} (web/go/build.sh, web/guest/build.sh)` : false;
const T = { skip, timeout: 120_000 };

test('Go echo: 100 streams of random sizes up to 1 MiB and one of 32 MiB, at once, byte for byte', T, async (t) => {
  const r = await sc.echoMany(env);
  t.diagnostic(`${r.streams} streams, ${(r.bytes / (1 << 20)).toFixed(1)} MiB echoed`);
});

test('one stream of 32 MiB echoed: its payload reaches the guest\'s buffers in place, byte for byte', T, async (t) => {
  const proc = await startWasi(guest('wasi-guest'), { args: ['echo'], stdout: () => {} });
  const data = sc.pattern(4, 0, 32 << 20);
  const s = await proc.session.open();
  const [back] = await Promise.all([sc.readAll(s), sc.writeAll(s, data)]);
  assert.equal(back.length, data.length);
  assert.ok(Buffer.from(back).equals(Buffer.from(data)), 'echo differs');
  await proc.session.close();
  assert.equal(await proc.exited, 0);
  const d = proc.stats.driver;
  // Reads that find nothing buffered take the payload from the ring straight into the guest's
  // buffers. How many of them also went through a lazy poll (one reader waiting, no writer)
  // depends on scheduling: under load the echo's writer waits too, and its polls pump fully.
  assert.ok(d.inPlace > 0, `no read took its payload in place: ${JSON.stringify(d)}`);
  t.diagnostic(`in place: ${d.inPlace} bytes; lazy polls: ${d.lazyPolls}`);
});

test('Go echo: 1000 streams open at once (each granted a 256 KiB window), none refused', T, async () => {
  await sc.echoMany(env, { streams: 999, maxBytes: 4096, bigBytes: 4096 });
});

test('C echo (accept(3), poll, non-blocking read/write): 100 streams and one of 16 MiB', T, async () => {
  await sc.echoMany(env, { program: 'echo', args: [], bigBytes: 16 << 20 });
});

test('Go dials back: 50 streams of 256 KiB toward the event side, echoed, verified by the guest', T, async () => {
  await sc.dialBack(env);
});

test('C dials back (yamux_wasi_dial): 20 streams of 100000 bytes', T, async () => {
  await sc.dialBack(env, { program: 'dial', n: 20, bytes: 100000 });
});

test('half-close both ways: reading goes on after the FIN in either direction', T, async () => {
  await sc.halfClose(env);
});

test('read deadline: SetReadDeadline fails the read while the worker sleeps in poll_oneoff', T, async () => {
  await sc.readDeadline(env);
});

test('net/http (unmodified Go server on descriptor 3): 200 requests, 20 at a time, a POST and a download', T, async (t) => {
  const r = await sc.httpMany(env);
  t.diagnostic(`${r.requests} requests`);
});

test('a guest that exits mid-stream: the stream fails, the session ends, the status arrives', T, async (t) => {
  const r = await sc.exitMidStream(env);
  t.diagnostic(JSON.stringify(r));
});

test('a killed wasm worker: the stream and the session fail, exited is -1', T, async (t) => {
  const r = await sc.killedWorker(env);
  t.diagnostic(JSON.stringify(r));
});

test('bad input from the guest: EFAULT/EINVAL/EBADF/ENOTSOCK, nothing lost, the guest goes on', T, async () => {
  const got = await sc.badCalls(env);
  assert.deepEqual(got, sc.BAD_CALLS);
});

test('raw mode: the program runs its own yamux (hashicorp/yamux in Go) on the queue, descriptor 3', T, async () => {
  const peer = path.join(web, 'go', 'bin', 'yamux-wasm-peer.wasm');
  const proc = await startWasi(peer, { mode: 'raw', args: ['--listen', 'fd:3', '--mode', 'echo'], stdout: () => {}, stderr: () => {} });
  const data = sc.pattern(9, 0, 1 << 20);
  const s = await proc.session.open();
  const [back] = await Promise.all([sc.readAll(s), sc.writeAll(s, data)]);
  assert.deepEqual(back, data);
  await proc.session.close();
  assert.equal(await proc.exited, 0);
});

/* ---- startWasi's own errors ---- */

// A minimal module: (memory 1) exported as "memory", and optionally _start and one import.
function moduleBytes({ start = true, importName } = {}) {
  const sec = (id, body) => [id, body.length, ...body];
  const str = (s) => [s.length, ...new TextEncoder().encode(s)];
  const type = sec(1, [1, 0x60, 0, 0]); // one type: () -> ()
  const imp = importName ? sec(2, [1, ...str('env'), ...str(importName), 0, 0]) : [];
  const fn = sec(3, [1, 0]);
  const mem = sec(5, [1, 0, 1]);
  const exports = [...str('memory'), 2, 0];
  const fnIndex = importName ? 1 : 0;
  if (start) exports.push(...str('_start'), 0, fnIndex);
  const exp = sec(7, [start ? 2 : 1, ...exports]);
  const code = sec(10, [1, 2, 0, 0x0b]);
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imp, ...fn, ...mem, ...exp, ...code]);
}

test('startWasi: a missing file, bytes that are not wasm, a module without _start, an unknown import', async () => {
  await assert.rejects(startWasi(path.join(web, 'no-such.wasm')), (e) => e instanceof WasiError && /cannot read .*no-such\.wasm/.test(e.message));
  await assert.rejects(startWasi(new TextEncoder().encode('#!/bin/sh\n')), (e) => e instanceof WasiError && /not a WebAssembly module/.test(e.message));
  await assert.rejects(startWasi(moduleBytes({ start: false })), /not a WASI command: it exports no _start/);
  await assert.rejects(startWasi(moduleBytes({ importName: 'launch_missiles' })), /imports what this host does not provide: env\.launch_missiles/);
  await assert.rejects(startWasi(moduleBytes(), { mode: 'turbo' }), /mode must be 'sockets' or 'raw'/);
  const ok = await startWasi(moduleBytes(), { args: ['x'] });
  assert.equal(await ok.exited, 0);
});
