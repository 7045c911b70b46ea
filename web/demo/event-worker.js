// The event worker of the demo, the tests and the benchmark: a yamux session over the
// channel (the package's event side, never blocking) driven by messages from the page or
// the test: {id, cmd, ...} -> {id, result} | {id, error: {name, message, code, codeName}}.
import { Session } from '../src/index.js';
import { parentPort } from '../src/workers/supervise.js';
import { writePattern, readVerify, echo, randomSizes } from './workload.js';

const port = await parentPort();
let session;
let acceptMode = 'echo';
let slowDelayMs = 0;
const accepted = { ok: 0, failed: 0, errors: [], bytes: 0, waiters: [] };
let recvMemoryMax = 0;
let unsentMax = 0; // largest backlog of written bytes the engine held for one stream
const live = { bytes: 0 }; // payload bytes moved by the running command (for live figures)

function errorInfo(e) {
  const c = e?.cause;
  return { name: e?.name, message: String(e?.message ?? e), code: e?.code, codeName: e?.codeName,
    cause: c ? { name: c.name, code: c.code, codeName: c.codeName, message: String(c.message ?? c) } : undefined };
}

function acceptedDone(err) {
  if (err) {
    accepted.failed++;
    accepted.errors.push(errorInfo(err));
  } else accepted.ok++;
  accepted.waiters = accepted.waiters.filter((w) => !w());
}

async function serve(stream) {
  try {
    if (acceptMode === 'echo') await echo(stream, (n) => (live.bytes += n));
    else {
      const n = await readVerify(stream, stream.id, {
        verify: acceptMode === 'verify',
        delayMs: slowDelayMs,
        onChunk: (k) => {
          live.bytes += k;
          recvMemoryMax = Math.max(recvMemoryMax, session.recvMemory);
        },
      });
      accepted.bytes += n;
      await stream.close();
    }
    acceptedDone(null);
  } catch (e) {
    acceptedDone(e);
  }
}

async function acceptLoop() {
  for await (const s of session) serve(s);
}

/** Opens `streams` streams (sizes from `bytes` or random), writes the payload, reads the
 * echo (or, with sink, expects nothing back) and verifies it. */
async function transfer({ streams = 1, bytes = 0, seed, writeSize = 1 << 20, sink = false, verify = true }) {
  const sizes = seed !== undefined ? randomSizes(seed, streams, bytes) : new Array(streams).fill(bytes);
  const t0 = performance.now();
  let total = 0;
  await Promise.all(
    sizes.map(async (size) => {
      const s = await session.open();
      const [, got] = await Promise.all([
        writePattern(s, size, writeSize, (n) => {
          if (sink) live.bytes += n;
          unsentMax = Math.max(unsentMax, s.unsent);
        }),
        readVerify(s, s.id, { verify: verify && !sink, onChunk: (n) => (live.bytes += n) }),
      ]);
      if (got !== (sink ? 0 : size)) throw new Error(`stream ${s.id}: ${got} of ${sink ? 0 : size} bytes came back`);
      total += size;
    }),
  );
  const ms = performance.now() - t0;
  return { streams, bytes: total, ms, mbps: total / 1e6 / (ms / 1000), unsentMax, engineMemory: session.engineMemory };
}

const commands = {
  async attach({ channel, side = 0, config, hbTimeoutMs, spinUs, accept = 'echo', delayMs = 0 }) {
    acceptMode = accept;
    slowDelayMs = delayMs;
    session = await Session.create({ channel, side, config, hbTimeoutMs, spinUs });
    acceptLoop();
    session.closed.catch(() => {});
    return { ok: true };
  },
  transfer,
  async ping({ count = 1 }) {
    const rtts = [];
    for (let i = 0; i < count; i++) rtts.push(await session.ping());
    return { rtts };
  },
  async accepted({ count = 0 }) {
    if (accepted.ok + accepted.failed < count)
      await new Promise((res) => accepted.waiters.push(() => accepted.ok + accepted.failed >= count && (res(), true)));
    return { ok: accepted.ok, failed: accepted.failed, errors: accepted.errors, bytes: accepted.bytes, recvMemoryMax };
  },
  async goAway() {
    session.goAway();
    return {};
  },
  async waitRemoteGoAway() {
    while (!session.remoteGoAway) await new Promise((r) => setTimeout(r, 5));
    return {};
  },
  async open() {
    const s = await session.open();
    return { id: s.id };
  },
  async resetAfter({ bytes = 0 }) {
    const s = await session.open();
    const w = s.writable.getWriter();
    if (bytes) await w.write(new Uint8Array(bytes));
    s.reset();
    const errs = await Promise.allSettled([w.write(new Uint8Array(1)), s.readable.getReader().read()]);
    return { errors: errs.map((r) => (r.status === 'rejected' ? errorInfo(r.reason) : null)) };
  },
  /** Writes and reads until the session fails; reports how the streams failed. */
  async untilFailure({ streams = 4, bytes = 1 << 30 }) {
    const res = await Promise.allSettled(Array.from({ length: streams }, () => transfer({ streams: 1, bytes })));
    const closed = await session.closed.then(() => null, errorInfo);
    return { results: res.map((r) => (r.status === 'rejected' ? errorInfo(r.reason) : r.value)), closed };
  },
  /** Opens a stream and waits for data that never comes: resolves with the read's error. */
  async hold() {
    const s = await session.open();
    try {
      await s.readable.getReader().read();
      return null;
    } catch (e) {
      return errorInfo(e);
    }
  },
  async stats() {
    return { numStreams: session.numStreams, rttMs: session.rttMs, bytes: session.bytes, live: live.bytes, recvMemory: session.recvMemory };
  },
  async close() {
    await session.close();
    return {};
  },
  async closed() {
    return await session.closed.then(() => ({ clean: true }), (e) => ({ clean: false, error: errorInfo(e) }));
  },
};

port.onMessage(async (msg) => {
  const { id, cmd } = msg;
  try {
    const result = await commands[cmd](msg);
    port.postMessage({ id, result });
  } catch (e) {
    port.postMessage({ id, error: errorInfo(e) });
  }
});
port.postMessage({ type: 'ready' });
