// YamuxStream: one yamux stream as a WHATWG ReadableStream / WritableStream pair.
// The readable is a byte stream: a BYOB reader (getReader({mode: 'byob'})) gets the bytes
// copied straight into its buffer (no allocation per chunk: the fast path), a default reader
// gets fresh chunks. Reading pulls from the engine only when the consumer asks
// (highWaterMark 0), so the engine's receive window reopens only as JavaScript consumes: a
// slow reader holds the peer back by at most one window. A write resolves once the engine has queued the bytes (its
// per-stream send buffer is bounded), so a fast writer waits for the window too.
import { Codes } from './errors.js';

const READ_CHUNK = 1 << 20; // largest chunk handed to the reader

const EV_WRITABLE = 2, EV_ESTABLISHED = 4, EV_RESET = 8;

export class YamuxStream {
  /**
   * @param {import('./session.js').Session} session
   * @param {number} st the engine's stream pointer
   * @param {boolean} opened opened by this side (else accepted)
   */
  constructor(session, st, opened) {
    this.session = session;
    this.st = st;
    this.e = session.engine;
    /** The stream id (odd: opened by the client side, even: by the server side). */
    this.id = this.e.x.yamux_stream_get_id(st);
    this.opened = opened;
    this.readDone = false;
    this.writeDone = false;
    this.released = false;
    this.failure = null;
    this.discarding = false;
    this.offered = false;
    this.pullWaiter = null;
    this.writeWaiter = null;
    this.closeWaiter = null;
    let established;
    /** Resolves when the peer acknowledged the stream (at once for accepted streams). */
    this.established = new Promise((res, rej) => (established = { res, rej }));
    this.established.catch(() => {});
    this.est = established;
    if (!opened) established.res();
    /** @type {ReadableStream<Uint8Array>} */
    this.readable = new ReadableStream(
      {
        type: 'bytes',
        start: (c) => void (this.rc = c),
        pull: () => this.pull(),
        cancel: () => this.cancelRead(),
      },
      { highWaterMark: 0 },
    );
    /** @type {WritableStream<Uint8Array>} */
    this.writable = new WritableStream(
      {
        write: (chunk) => this.write(chunk),
        close: () => this.closeWrite(),
        abort: (reason) => this.abortWrite(reason),
      },
      { highWaterMark: 1 },
    );
  }

  /** Bytes written and not yet taken by the channel (bounded by the engine's send buffer). */
  get unsent() {
    return this.released ? 0 : this.e.x.yamux_stream_get_unsent(this.st);
  }

  /** Resets the stream (RST to the peer): both directions fail with ERESET. */
  reset() {
    if (this.released) return;
    this.e.x.yamux_stream_reset(this.st);
    this.fail(this.e.error(Codes.ERESET));
    this.session.kick();
  }

  /** Half-closes the writing side (as writable.close(), without a writer). */
  async close() {
    const w = this.writable.getWriter();
    try {
      await w.close();
    } finally {
      w.releaseLock();
    }
  }

  /* ---- reading ---- */

  /** @private */
  pull() {
    if (this.tryRead()) return undefined;
    return new Promise((resolve) => (this.pullWaiter = resolve));
  }

  /** @private settles a pull: true when it enqueued, closed or errored the readable */
  tryRead() {
    if (this.readDone) return true;
    const x = this.e.x, st = this.st;
    const req = this.rc.byobRequest;
    if (req) {
      const n = this.e.readInto(st, req.view);
      if (n > 0) {
        req.respond(n);
        this.session.kick(); // the window update
        return true;
      }
    } else {
      const chunk = this.e.readChunk(st, READ_CHUNK);
      if (chunk) {
        this.rc.enqueue(chunk);
        this.session.kick();
        return true;
      }
    }
    if (x.yamux_stream_is_eof(st)) {
      this.rc.close();
      this.rc.byobRequest?.respond(0);
      this.finishRead();
      return true;
    }
    const err = x.yamux_stream_get_error(st);
    if (err && err !== Codes.ECLOSED) {
      this.rc.error(this.session.streamError(err));
      this.finishRead();
      return true;
    }
    return false;
  }

  /** @private zero-copy receive (on_data, during the engine's recv): payload at `ptr` of the
   * engine's memory, taken when a read is waiting for it (or discarded after a cancel);
   * returns the bytes taken. The pull is settled after the engine call returns. */
  offer(ptr, len) {
    if (this.discarding) return len;
    if (!this.pullWaiter || this.readDone || this.offered) return 0;
    const req = this.rc.byobRequest;
    let n;
    if (req) {
      n = Math.min(len, req.view.byteLength);
      new Uint8Array(req.view.buffer, req.view.byteOffset, n).set(this.e.u8.subarray(ptr, ptr + n));
      req.respond(n);
    } else {
      n = Math.min(len, READ_CHUNK);
      this.rc.enqueue(this.e.u8.slice(ptr, ptr + n));
    }
    this.offered = true;
    this.session.taken(this);
    return n;
  }

  /** @private after offer(): the waiting pull is done */
  settleOffer() {
    this.offered = false;
    const w = this.pullWaiter;
    this.pullWaiter = null;
    w?.();
  }

  /** @private */
  cancelRead() {
    this.readDone = true;
    this.discarding = true; // keep the window open: discard what the peer still sends
    this.e.discard(this.st);
    this.session.kick();
    this.maybeRelease();
  }

  /** @private */
  finishRead() {
    this.readDone = true;
    this.maybeRelease();
  }

  /* ---- writing ---- */

  /** @private */
  async write(chunk) {
    const data = toBytes(chunk);
    let off = 0;
    while (off < data.length) {
      if (this.released) throw this.failure ?? this.e.error(Codes.ERESET);
      const n = this.e.write(this.st, off ? data.subarray(off) : data);
      if (n > 0) {
        off += n;
        this.session.kick();
      } else if (n === Codes.EAGAIN) {
        await new Promise((resolve) => (this.writeWaiter = resolve));
      } else if (n < 0) {
        throw this.session.streamError(n);
      }
    }
  }

  /** @private half-close; resolves once the queued data and the FIN are in the channel */
  async closeWrite() {
    const x = this.e.x;
    const r = x.yamux_stream_close_write(this.st);
    if (r < 0) throw this.session.streamError(r);
    this.session.kick();
    this.session.closing.add(this);
    try {
      while (!this.released && x.yamux_stream_get_unsent(this.st) > 0) {
        const err = x.yamux_stream_get_error(this.st);
        if (err && err !== Codes.ECLOSED) throw this.session.streamError(err);
        await new Promise((resolve) => (this.closeWaiter = resolve));
      }
    } finally {
      this.session.closing.delete(this);
    }
    if (this.failure) throw this.failure;
    this.writeDone = true;
    this.maybeRelease();
  }

  /** @private */
  abortWrite() {
    this.reset();
  }

  /* ---- engine events ---- */

  /** @private called by the session after engine calls, with the events seen meanwhile */
  onEvents(ev) {
    if (ev & EV_ESTABLISHED) this.est.res();
    if (ev & EV_RESET) {
      this.fail(this.e.error(Codes.ERESET));
      return;
    }
    this.poke();
  }

  /** @private re-tries whatever waits on this stream */
  poke() {
    if (this.released) return;
    if (this.discarding && this.e.discard(this.st)) this.session.kick();
    if (this.pullWaiter && this.tryRead()) {
      const w = this.pullWaiter;
      this.pullWaiter = null;
      w();
    }
    if (this.writeWaiter) {
      const w = this.writeWaiter;
      this.writeWaiter = null;
      w();
    }
    if (this.closeWaiter) {
      const w = this.closeWaiter;
      this.closeWaiter = null;
      w();
    }
    if (!this.readDone || !this.writeDone) {
      const err = this.e.x.yamux_stream_get_error(this.st);
      if (err && err !== Codes.ECLOSED && !this.opened) this.est.res();
      if (err && err !== Codes.ECLOSED) this.est.rej(this.session.streamError(err));
    }
  }

  /** @private both directions fail with `err`; the handle goes back to the engine */
  fail(err) {
    if (this.released) return;
    this.failure = err;
    this.est.rej(err);
    if (!this.readDone) {
      this.readDone = true;
      try {
        this.rc.error(err);
      } catch {}
    }
    this.writeDone = true;
    const waiters = [this.pullWaiter, this.writeWaiter, this.closeWaiter];
    this.pullWaiter = this.writeWaiter = this.closeWaiter = null;
    this.release();
    for (const w of waiters) w?.();
  }

  /** @private */
  maybeRelease() {
    if (this.readDone && this.writeDone) this.release();
  }

  /** @private gives the handle back: the engine finishes the stream on its own */
  release() {
    if (this.released) return;
    this.released = true;
    this.session.forget(this);
    this.e.x.yamux_stream_release(this.st);
    this.session.kick();
  }
}

function toBytes(chunk) {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && chunk instanceof SharedArrayBuffer))
    return new Uint8Array(chunk);
  if (typeof chunk === 'string') return new TextEncoder().encode(chunk);
  throw new TypeError('yamux: a stream chunk must be a Uint8Array, ArrayBuffer(View) or string');
}

export { EV_WRITABLE };
