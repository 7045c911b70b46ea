// The event worker of the Go-in-wasm tests and benchmark: the project's C engine (the web
// package's Session, web/src/event/session.js: engine in wasm, Atomics.waitAsync, never blocks)
// speaking the command contract of interop/PEER_CLI.md on one side of a channel.
//
// Start message: {buffer, offset, side, args: [...PEER_CLI options]} where the role is
// --connect (client, odd ids) or --listen (server); the address is ignored (fd:3 style).
// Supported options: --open N --bytes B --random-sizes SEED --window W --keepalive S
// --mode echo|sink --sink --write-size W --read-delay MS --ping N --goaway --stats.
// Posts {type: 'stdout', line} per PEER_CLI output line (ping, stats), {type: 'exit', code,
// info} at the end, {type: 'error', message} on a failure of the harness itself.
// Works in Node.js worker_threads and in browser module workers.
import { Session, Codes } from '../../src/event/session.js';
import { onStart } from '../../src/workers/port.js';

const post = await onStart((m) => main(m));

const out = (line) => post({ type: 'stdout', line });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* ---- payload pattern and sizes (PEER_CLI.md) ---- */

// Byte k of stream S is (k*31 + S*7 + (k>>8)) & 0xFF: with j = k & 255 and m = k >> 8 it is
// (j*31 + m + S*7) & 0xFF, so the payload of every stream is one 64 KiB sequence BASE (the
// stream with S*7 = 0 mod 256), read from offset 256 * (S*7 mod 256): copies, no arithmetic.
const PERIOD = 65536;
const READ_BUF = 256 * 1024; // bytes a read may take at once
const BASE = (() => {
  const b = new Uint8Array(2 * PERIOD); // twice: any window of up to 64 KiB is contiguous
  for (let k = 0; k < b.length; k++) b[k] = ((k & 0xff) * 31 + ((k >> 8) & 0xff)) & 0xff;
  return b;
})();

/** Bytes [off, off + n) of stream id's payload, n <= 64 KiB, as a view (do not modify). */
function patternView(id, off, n) {
  const start = (off + 256 * ((id * 7) & 0xff)) % PERIOD;
  return BASE.subarray(start, start + n);
}

/** Fills dst with bytes [off, off + dst.length) of stream id's payload. */
export function fillPattern(dst, id, off) {
  for (let i = 0; i < dst.length;) {
    const n = Math.min(PERIOD, dst.length - i);
    dst.set(patternView(id, off + i, n), i);
    i += n;
  }
}

/** Index of the first byte where a differs from stream id's payload at off, or -1. */
function mismatch(a, id, off) {
  for (let i = 0; i < a.length;) {
    const n = Math.min(PERIOD, a.length - i);
    const want = patternView(id, off + i, n), got = a.subarray(i, i + n);
    if (typeof Buffer === 'function') {
      if (Buffer.compare(got, want) !== 0) {
        for (let k = 0; k < n; k++) if (got[k] !== want[k]) return i + k;
      }
    } else {
      for (let k = 0; k < n; k++) if (got[k] !== want[k]) return i + k;
    }
    i += n;
  }
  return -1;
}

function* splitmix64(seed) {
  let s = BigInt.asUintN(64, BigInt(seed));
  for (;;) {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    yield z ^ (z >> 31n);
  }
}

function parseArgs(args) {
  const o = {
    client: false, open: 0, bytes: 0, seed: null, window: 262144, keepalive: 30, mode: 'echo',
    sink: false, writeSize: 65536, readDelay: 0, ping: 0, goaway: false, stats: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i], v = () => args[++i];
    switch (a) {
      case '--connect': o.client = true; v(); break;
      case '--listen': o.client = false; v(); break;
      case '--once': break;
      case '--open': o.open = Number(v()); break;
      case '--bytes': o.bytes = Number(v()); break;
      case '--random-sizes': o.seed = v(); break;
      case '--window': o.window = Number(v()); break;
      case '--keepalive': o.keepalive = Number(v()); break;
      case '--mode': o.mode = v(); break;
      case '--sink': o.sink = true; break;
      case '--write-size': o.writeSize = Number(v()); break;
      case '--read-delay': o.readDelay = Number(v()); break;
      case '--ping': o.ping = Number(v()); break;
      case '--goaway': o.goaway = true; break;
      case '--stats': o.stats = true; break;
      default: throw new Error(`event-peer: unsupported option ${a}`);
    }
  }
  return o;
}

function sizes(o) {
  const r = [];
  const g = o.seed !== null ? splitmix64(o.seed) : null;
  for (let i = 0; i < o.open; i++) r.push(g ? Number(g.next().value % BigInt(o.bytes + 1)) : o.bytes);
  return r;
}

/* ---- streams ---- */

// Reads with a BYOB reader into one reused buffer (the stream's fast path: no allocation per
// chunk); `onChunk` must be done with the view when its promise settles.
async function readAll(o, s, onChunk) {
  const reader = s.readable.getReader({ mode: 'byob' });
  let buf = new ArrayBuffer(READ_BUF);
  try {
    for (;;) {
      if (o.readDelay) await sleep(o.readDelay);
      const { value, done } = await reader.read(new Uint8Array(buf));
      if (done) return;
      await onChunk(value);
      buf = value.buffer;
    }
  } finally {
    reader.releaseLock();
  }
}

async function serveStream(o, st, s) {
  const w = s.writable.getWriter();
  try {
    await readAll(o, s, async (chunk) => {
      st.bytesReceived += chunk.length;
      if (o.mode === 'echo') {
        await w.write(chunk);
        st.bytesSent += chunk.length;
      }
    });
    await w.close();
  } catch {
    // a reset stream or an ended session just stops it
  } finally {
    w.releaseLock();
  }
}

async function exercise(o, st, s, size) {
  const id = s.id;
  const writer = (async () => {
    const w = s.writable.getWriter();
    try {
      const buf = o.writeSize > PERIOD ? new Uint8Array(o.writeSize) : null;
      for (let off = 0; off < size;) {
        const n = Math.min(o.writeSize, size - off);
        // The engine copies a chunk before write() resolves: a view of BASE (or one reused
        // buffer for writes above 64 KiB) is never modified while it is in use.
        let chunk;
        if (buf) {
          chunk = buf.subarray(0, n);
          fillPattern(chunk, id, off);
        } else {
          chunk = patternView(id, off, n);
        }
        await w.write(chunk);
        st.bytesSent += n;
        off += n;
      }
      await w.close();
    } finally {
      w.releaseLock();
    }
  })();
  let got = 0;
  const reader = readAll(o, s, (chunk) => {
    st.bytesReceived += chunk.length;
    if (o.sink) throw new Error(`stream ${id}: the sink sent ${chunk.length} bytes back`);
    if (got + chunk.length > size) throw new Error(`stream ${id}: echo longer than ${size}`);
    const at = mismatch(chunk, id, got);
    if (at >= 0) throw new Error(`stream ${id}: echo differs at offset ${got + at}`);
    got += chunk.length;
  });
  await Promise.all([writer, reader]);
  if (!o.sink && got !== size) throw new Error(`stream ${id}: echo ended after ${got} of ${size} bytes`);
}

const PROTOCOL = new Set([
  Codes.EPROTO_VERSION, Codes.EPROTO_TYPE, Codes.EPROTO_FLAGS, Codes.EPROTO_STREAM_ID,
  Codes.EPROTO_DUPLICATE_STREAM, Codes.EPROTO_RECV_WINDOW, Codes.EPROTO_SEND_WINDOW,
  Codes.EPROTO_STREAM_STATE, Codes.EPROTO_LENGTH, Codes.EREMOTE_PROTOCOL, Codes.EREMOTE_INTERNAL,
]);

async function main(msg) {
  try {
    const o = parseArgs(msg.args || []);
    const st = { streamsOpened: 0, streamsAccepted: 0, bytesSent: 0, bytesReceived: 0, pings: 0 };
    const config = {
      maxStreamWindow: o.window,
      streamSendBuffer: Math.max(o.window, 262144),
      enableKeepalive: o.keepalive > 0,
      keepaliveIntervalMs: o.keepalive > 0 ? o.keepalive * 1000 : undefined,
      ...(msg.config || {}),
    };
    const sess = await Session.create({
      buffer: msg.buffer, offset: msg.offset ?? 0, side: msg.side, client: o.client, config,
      hbTimeoutMs: msg.hbTimeoutMs ?? 0,
    });
    const t0 = performance.now();
    let gateOpen;
    const gate = new Promise((r) => (gateOpen = r));
    const served = [];
    const acceptLoop = (async () => {
      for await (const s of sess) {
        st.streamsAccepted++;
        served.push(gate.then(() => serveStream(o, st, s)));
      }
    })();

    let ok = true;
    const errors = [];
    const work = o.open > 0 || o.ping > 0 || o.goaway;
    if (work) {
      const pings = (async () => {
        for (let i = 0; i < o.ping; i++) {
          const ms = await sess.ping();
          st.pings++;
          out(`ping ${Math.round(ms * 1e6)}`);
        }
      })().catch((e) => {
        ok = false;
        errors.push(`ping: ${e.message}`);
      });
      const runs = [];
      for (const size of sizes(o)) {
        let s;
        try {
          s = await sess.open();
        } catch (e) {
          ok = false;
          errors.push(`open: ${e.message}`);
          break;
        }
        st.streamsOpened++;
        runs.push(exercise(o, st, s, size).catch((e) => {
          ok = false;
          errors.push(e.message);
        }));
      }
      gateOpen();
      await Promise.all(runs);
      await pings;
      if (o.goaway) sess.goAway();
      // Wait until no stream is left (the remote's streams included), then close.
      while (sess.numStreams > 0 && !sess.isClosed) await sleep(2);
      await sess.close().catch(() => {});
    } else {
      gateOpen();
    }
    let code = 0, endErr = null;
    try {
      await sess.closed;
    } catch (e) {
      endErr = e;
    }
    await acceptLoop;
    await Promise.all(served);
    if (endErr && PROTOCOL.has(endErr.code)) code = 3;
    else if (!ok) code = 1;
    else if (o.open > 0 && endErr && endErr.code !== Codes.EEOF && endErr.code !== Codes.ESHUTDOWN) code = 1;
    const seconds = (performance.now() - t0) / 1000;
    if (o.stats) {
      out(`stats ${JSON.stringify({
        streams_opened: st.streamsOpened, streams_accepted: st.streamsAccepted,
        bytes_sent: st.bytesSent, bytes_received: st.bytesReceived, seconds, pings: st.pings,
      })}`);
    }
    post({
      type: 'exit', code,
      info: {
        errors, endError: endErr ? { code: endErr.code, name: endErr.codeName, message: endErr.message } : null,
        remoteGoAway: sess.remoteGoAway, rttMs: sess.rttMs, channelBytes: sess.bytes, seconds,
      },
    });
  } catch (e) {
    post({ type: 'error', message: String(e?.stack || e) });
  }
}
