// wasi:io/streams and wasi:io/error over non-blocking byte streams: issue 12's HostStream
// (web/src/host/streams/stream.js: one yamux stream; read/write return a count or an SE
// code, ready(READ|WRITE), hangup(), room(), shutdown(), close()). The non-blocking calls
// (read, check-write, write, flush) never wait; the blocking ones (blocking-read,
// blocking-write-and-flush, blocking-flush, ...) wait for the stream's readiness through the
// host's poller (poll.js), which sleeps in the engine driver. Errors reach the guest as
// stream-error values: `closed` at end of stream / when the reader is gone, else
// `last-operation-failed` with an error resource naming the failure.
import { SE, READ, WRITE } from '../streams/stream.js';
import { Pollable } from './poll.js';

/** An SE code's name, for messages. */
export function codeName(code) {
  for (const [k, v] of Object.entries(SE)) if (v === code) return k.toLowerCase();
  return `code ${code}`;
}

const symbolDispose = Symbol.dispose || Symbol.for('dispose');

/** At most this many bytes are read into the host at once, whatever length a guest asks. */
export const READ_MAX = 1 << 20;
/** The write permit check-write gives a stream that cannot say how much room it has. */
export const PERMIT_DEFAULT = 65536;
/** What blocking-write-and-flush and blocking-write-zeroes-and-flush accept at most (WIT). */
const BLOCKING_MAX = 4096;

/** wasi:io/error's error resource: a stream's failure code (SE) and a sentence. */
export class IoError extends Error {
  constructor(code, message) {
    super(message || `wasi:io/streams: ${codeName(code)}`);
    this.code = code;
  }

  toDebugString() {
    return this.message;
  }
}

const CLOSED = Object.freeze({ tag: 'closed' });
function failed(code) {
  return { tag: 'last-operation-failed', val: new IoError(code) };
}

function length(len, what) {
  if (typeof len !== 'bigint' || len < 0n) throw new TypeError(`wasi:io/streams: ${what} is not a u64`);
  return len;
}

const AGAIN = Symbol('again');
/** Calls attempt() until it returns something other than AGAIN, waiting on `pollable` in
 * between; returns a Promise when the poller's wait is asynchronous. */
function retry(pollable, attempt) {
  for (;;) {
    const v = attempt();
    if (v !== AGAIN) return v;
    const w = pollable.poller.poll([pollable]);
    if (w instanceof Promise) return w.then(() => retry(pollable, attempt));
  }
}

/**
 * An input-stream resource over a byte stream. With `owned`, dropping it closes the stream
 * (stdin's does not: the program may ask for stdin again).
 */
export class InputStream {
  constructor(poller, stream, { owned = false } = {}) {
    this.poller = poller;
    this.stream = stream;
    this.owned = owned;
    this.scratch = new Uint8Array(0);
    this.ended = false;
    this.waitOn = new Pollable(poller, { stream, events: READ });
  }

  /** @private bytes read now (a view valid until the next call), AGAIN, or throws */
  take(len) {
    if (this.ended) throw CLOSED;
    const want = Number(len > BigInt(READ_MAX) ? READ_MAX : len);
    if (want === 0) return new Uint8Array(0);
    if (this.scratch.length < want) this.scratch = new Uint8Array(Math.max(want, Math.min(READ_MAX, this.scratch.length * 2)));
    const buf = this.scratch.subarray(0, want);
    const r = this.stream.read([buf]);
    if (r > 0) return buf.subarray(0, r); // jco copies it into the guest at once
    if (r === 0) {
      this.ended = true;
      throw CLOSED;
    }
    if (r === SE.AGAIN) return AGAIN;
    throw failed(r);
  }

  /** [method]input-stream.read: what is there now, up to len (maybe nothing). */
  read(len) {
    const v = this.take(length(len, 'len'));
    return v === AGAIN ? new Uint8Array(0) : v;
  }

  /** [method]input-stream.blocking-read: waits until at least one byte (or the end). */
  blockingRead(len) {
    length(len, 'len');
    return retry(this.waitOn, () => this.take(len));
  }

  /** [method]input-stream.skip */
  skip(len) {
    return BigInt(this.read(len).length);
  }

  /** [method]input-stream.blocking-skip */
  blockingSkip(len) {
    const v = this.blockingRead(len);
    return v instanceof Promise ? v.then((b) => BigInt(b.length)) : BigInt(v.length);
  }

  /** [method]input-stream.subscribe: ready when a read would return data, the end or an error. */
  subscribe() {
    return new Pollable(this.poller, { stream: this.stream, events: READ });
  }

  [symbolDispose]() {
    if (this.owned) this.stream.close();
  }
}

/**
 * An output-stream resource over a byte stream. Bytes a write hands over that the stream
 * cannot take at once wait in `pending` (at most one permit's worth): check-write answers 0
 * until they are gone, flush pushes them, blocking-flush waits for them.
 */
export class OutputStream {
  constructor(poller, stream, { owned = false } = {}) {
    this.poller = poller;
    this.stream = stream;
    this.owned = owned;
    this.pending = null;
    this.permit = 0;
    this.error = null; // a stream-error to report on the next call
    this.waitOn = new Pollable(poller, { ready: () => this.writeReady() });
  }

  /** @private pushes pending bytes; returns whether none are left (throws on error) */
  push() {
    if (this.error) throw this.error;
    if (!this.pending) return true;
    const r = this.stream.write([this.pending]);
    if (r > 0) {
      this.pending = r === this.pending.length ? null : this.pending.subarray(r);
      return this.pending === null;
    }
    if (r === SE.AGAIN || r === 0) return false;
    this.pending = null;
    this.error = r === SE.PIPE ? CLOSED : failed(r);
    throw this.error;
  }

  /** @private readiness for check-write (also true when an error waits to be reported) */
  writeReady() {
    try {
      if (!this.push()) return false;
    } catch {
      return true;
    }
    return (this.stream.ready(WRITE) & WRITE) !== 0;
  }

  /** [method]output-stream.check-write: bytes a write may hand over now. */
  checkWrite() {
    if (!this.push()) return (this.permit = 0), 0n;
    if (!(this.stream.ready(WRITE) & WRITE)) return (this.permit = 0), 0n;
    if (this.stream.hangup && this.stream.hangup()) throw (this.error = CLOSED);
    const room = this.stream.room ? this.stream.room() : PERMIT_DEFAULT;
    this.permit = room > 0 ? room : PERMIT_DEFAULT; // writable with no room: the write reports why
    return BigInt(this.permit);
  }

  /** [method]output-stream.write: hands over at most what check-write permitted. */
  write(contents) {
    if (this.error) throw this.error;
    if (contents.length > this.permit) {
      throw new Error(`wasi:io/streams: write of ${contents.length} bytes exceeds the ${this.permit} check-write permitted`);
    }
    this.permit -= contents.length;
    if (contents.length === 0) return;
    const r = this.stream.write([contents]);
    if (r === SE.PIPE) throw (this.error = CLOSED);
    if (r < 0 && r !== SE.AGAIN) throw (this.error = failed(r));
    const took = r > 0 ? r : 0;
    if (took < contents.length) this.pending = contents.slice(took);
  }

  /** [method]output-stream.flush: starts pushing what waits (never blocks). */
  flush() {
    this.push();
    this.permit = 0;
  }

  /** [method]output-stream.blocking-flush: returns when nothing waits in the host. */
  blockingFlush() {
    this.permit = 0;
    return retry(this.waitOn, () => (this.push() ? undefined : AGAIN));
  }

  /** [method]output-stream.blocking-write-and-flush: up to 4096 bytes, all of them. */
  blockingWriteAndFlush(contents) {
    if (contents.length > BLOCKING_MAX) {
      throw new Error(`wasi:io/streams: blocking-write-and-flush of ${contents.length} bytes (at most ${BLOCKING_MAX})`);
    }
    const r = this.blockingFlush();
    const rest = () => {
      let off = 0;
      return retry(this.waitOn, () => {
        if (this.error) throw this.error;
        if (off < contents.length) {
          const n = this.stream.write([off ? contents.subarray(off) : contents]);
          if (n === SE.PIPE) throw (this.error = CLOSED);
          if (n < 0 && n !== SE.AGAIN) throw (this.error = failed(n));
          if (n > 0) off += n;
        }
        return off < contents.length ? AGAIN : undefined;
      });
    };
    return r instanceof Promise ? r.then(rest) : rest();
  }

  /** [method]output-stream.write-zeroes */
  writeZeroes(len) {
    const n = length(len, 'len');
    if (n > BigInt(this.permit)) throw new Error(`wasi:io/streams: write-zeroes of ${n} bytes exceeds the ${this.permit} check-write permitted`);
    this.write(new Uint8Array(Number(n)));
  }

  /** [method]output-stream.blocking-write-zeroes-and-flush */
  blockingWriteZeroesAndFlush(len) {
    const n = length(len, 'len');
    if (n > BigInt(BLOCKING_MAX)) throw new Error(`wasi:io/streams: blocking-write-zeroes-and-flush of ${n} bytes (at most ${BLOCKING_MAX})`);
    return this.blockingWriteAndFlush(new Uint8Array(Number(n)));
  }

  /** [method]output-stream.splice: moves what is there, within the permit. */
  splice(src, len) {
    const n = Number(this.checkWrite());
    const bytes = src.read(length(len, 'len') < BigInt(n) ? len : BigInt(n));
    this.write(bytes);
    return BigInt(bytes.length);
  }

  /** [method]output-stream.blocking-splice: waits for input, then writes all of it. */
  blockingSplice(src, len) {
    const data = src.blockingRead(length(len, 'len') < BigInt(BLOCKING_MAX) ? len : BigInt(BLOCKING_MAX));
    const write = (b) => {
      const copy = b.slice();
      const w = this.blockingWriteAndFlush(copy);
      return w instanceof Promise ? w.then(() => BigInt(copy.length)) : BigInt(copy.length);
    };
    return data instanceof Promise ? data.then(write) : write(data);
  }

  /** [method]output-stream.subscribe: ready when check-write would permit bytes (or fail). */
  subscribe() {
    return new Pollable(this.poller, { ready: () => this.writeReady() });
  }

  [symbolDispose]() {
    if (this.owned) this.stream.close();
  }
}

/** wasi:io/error and wasi:io/streams. */
export function streamsImports() {
  return {
    'wasi:io/error': { Error: IoError },
    'wasi:io/streams': { InputStream, OutputStream },
  };
}
