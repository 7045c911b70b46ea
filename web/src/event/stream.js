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
    this.userClosed = false; // close() with a writer held: the sink takes no more writes
    this.closeP = null;
    this.abortHooked = false;
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
        cancel: (reason) => this.cancelRead(reason),
      },
      { highWaterMark: 0 },
    );
    /** @type {WritableStream<Uint8Array>} */
    this.writable = new WritableStream(
      {
        start: (c) => void (this.wc = c),
        write: (chunk, c) => this.write(chunk, c),
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

  /**
   * Resets the stream (RST to the peer): both directions fail with YamuxResetError (`cause`:
   * `reason`, when given).
   * @param {unknown} [reason]
   */
  reset(reason) {
    if (this.released) return;
    this.e.x.yamux_stream_reset(this.st);
    this.fail(this.e.error(Codes.ERESET, reason));
    this.session.kick();
  }

  /**
   * Half-closes the writing side (FIN after the queued data), without taking a writer.
   * Resolves once the FIN is in the channel; rejects with the stream's error when it failed.
   * While a writer is held, the FIN follows what that writer has handed over so far, and its
   * later writes reject with YamuxClosedError (ECLOSED).
   */
  async close() {
    if (this.failure) throw this.failure;
    if (this.writeDone) return;
    if (!this.writable.locked) {
      const w = this.writable.getWriter();
      try {
        await w.close();
      } finally {
        w.releaseLock();
      }
      return;
    }
    this.userClosed = true;
    await this.closeWrite();
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

  /** @private reader.cancel(): nothing more is wanted. yamux has no "stop sending": unless the
   * peer already finished writing, the stream is reset so that the peer stops at once. */
  cancelRead(reason) {
    this.readDone = true;
    if (this.released) return;
    this.e.discard(this.st);
    if (this.e.x.yamux_stream_is_eof(this.st)) {
      this.session.kick(); // the window update for what was discarded
      this.maybeRelease();
      return;
    }
    this.reset(reason);
  }

  /** @private */
  finishRead() {
    this.readDone = true;
    this.maybeRelease();
  }

  /* ---- writing ---- */

  /** @private the sink's write: any error that ends the writable resets the stream */
  async write(chunk, c) {
    try {
      const data = toBytes(chunk);
      const signal = c?.signal;
      let off = 0;
      while (off < data.length) {
        if (this.userClosed || (this.writeDone && !this.failure)) throw this.e.error(Codes.ECLOSED);
        if (this.released) throw this.failure ?? this.e.error(Codes.ERESET);
        if (signal?.aborted) throw signal.reason;
        const n = this.e.write(this.st, off ? data.subarray(off) : data);
        if (n > 0) {
          off += n;
          this.session.kick();
        } else if (n === Codes.EAGAIN) {
          await this.writable_(signal);
        } else if (n < 0) {
          throw this.session.streamError(n);
        }
      }
    } catch (e) {
      // A write that fails here ends the stream for the peer too (RST); when the session
      // itself ended, the stream ends with the session's error instead (the readable still
      // delivers what arrived first).
      if (!this.released && !this.userClosed && !this.session.ended) this.reset(e);
      throw e;
    }
  }

  /** @private waits until the engine can take more, or `signal` aborts */
  writable_(signal) {
    // The signal is the writable's own (one per stream): hook it once, on the first wait.
    if (signal && !this.abortHooked) {
      this.abortHooked = true;
      signal.addEventListener('abort', () => {
        const w = this.writeWaiter;
        this.writeWaiter = null;
        w?.();
      }, { once: true });
    }
    return new Promise((resolve) => (this.writeWaiter = resolve));
  }

  /** @private half-close; resolves once the queued data and the FIN are in the channel */
  closeWrite() {
    this.closeP ??= this.closeWrite_();
    return this.closeP;
  }

  /** @private */
  async closeWrite_() {
    if (this.released) {
      if (this.failure) throw this.failure;
      return;
    }
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

  /** @private writer.abort(reason): reset at once (also reached through the write's signal) */
  abortWrite(reason) {
    this.reset(reason);
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
    if (!this.writeDone) this.wc?.error(err); // no-op unless the writable is still writable
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

function detached(buf) {
  if (buf.byteLength !== 0) return false;
  if (typeof buf.detached === 'boolean') return buf.detached;
  try {
    new Uint8Array(buf, 0, 0);
    return false;
  } catch {
    return true;
  }
}

function toBytes(chunk) {
  let u8;
  if (chunk instanceof Uint8Array) u8 = chunk;
  else if (ArrayBuffer.isView(chunk)) u8 = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  else if (chunk instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && chunk instanceof SharedArrayBuffer))
    u8 = detached(chunk) ? new Uint8Array(0) : new Uint8Array(chunk);
  else if (typeof chunk === 'string') return new TextEncoder().encode(chunk);
  else {
    const got = chunk === null ? 'null' : typeof chunk === 'object' ? chunk.constructor?.name ?? 'object' : typeof chunk;
    throw new TypeError(`yamux: a stream chunk must be a Uint8Array, ArrayBuffer(View) or string, got ${got}`);
  }
  if (u8.length === 0 && (detached(u8.buffer) || (chunk instanceof ArrayBuffer && detached(chunk))))
    throw new TypeError('yamux: the chunk\'s ArrayBuffer is detached (it was transferred): there is nothing to send');
  return u8;
}

export { EV_WRITABLE };
