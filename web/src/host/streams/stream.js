// The wasm worker's view of yamux streams, independent of any ABI: a HostStream is a
// non-blocking byte stream over one engine stream (read/write/shutdown/close, level-triggered
// readiness), a HostListener hands out the streams the event side opens. WASI preview 1
// descriptors wrap them (web/src/host/wasi/sockets.js); a WASI 0.2 host's input/output
// streams and pollables can wrap the same objects.
//
// Results are byte counts (>= 0; a read of 0 is the end of the stream) or one of the SE
// codes below, never exceptions. Nothing here blocks: AGAIN means "ask the driver to wait".
import { Codes } from '../../event/errors.js';

/** Failure codes of stream calls (negative). */
export const SE = Object.freeze({
  AGAIN: -1, // nothing to read yet / no room to write: wait for readiness
  PIPE: -2, // writing after this side shut down, or the session is over
  RESET: -3, // the stream was reset, or the session ended before its end of stream
  DOWN: -4, // the session is over (the event side closed or is gone)
  REFUSED: -5, // the event side accepts no new streams (GoAway)
  LIMIT: -6, // too many streams, or out of engine memory
  INVAL: -7, // a call on a closed object, or bad arguments
});

/** Readiness bits (the same values as wasi/errno.js POLL_READ / POLL_WRITE). */
export const READ = 1, WRITE = 2;

export class HostStream {
  /**
   * @param {import('./driver.js').Driver} driver
   * @param {number} st the engine's stream pointer (this object holds the handle)
   */
  constructor(driver, st) {
    this.d = driver;
    this.e = driver.engine;
    this.x = driver.x;
    this.st = st;
    /** The yamux stream id (even: opened by the wasm side, odd: by the event side). */
    this.id = this.x.yamux_stream_get_id(st);
    this.rdShut = false;
    this.wrShut = false;
    this.released = false;
    driver.held.add(this);
  }

  /**
   * Copies received bytes into `chunks` (Uint8Arrays, filled in order): the count, 0 at the
   * end of the stream (or after shutdown(READ)), SE.AGAIN, or SE.RESET. With `peek` the
   * bytes stay (at most one contiguous piece is copied).
   * @param {Uint8Array[]} chunks
   * @param {boolean} [peek]
   */
  read(chunks, peek = false) {
    if (this.released) return SE.INVAL;
    if (this.rdShut) return 0;
    const cur = { ci: 0, pos: 0 };
    let n = peek ? this.peekOut(chunks) : this.copyOut(chunks, cur);
    if (n === 0 && hasRoom(chunks)) {
      // Nothing buffered: pull what the ring holds. This stream's payload goes straight
      // into the caller's buffers (the engine's on_data), the rest into the engine.
      const sink = peek ? null : new Sink(this, chunks, cur);
      this.d.pumpIn(sink);
      if (sink) {
        n = sink.n;
        if (sink.n) this.d.stats.inPlace += sink.n;
      }
      n += peek ? this.peekOut(chunks) : this.copyOut(chunks, cur);
    }
    if (n > 0) {
      if (!peek) this.d.flushOut(); // a window update, once half the window was read
      return n;
    }
    if (!hasRoom(chunks)) return 0;
    const x = this.x;
    if (x.yamux_stream_is_eof(this.st)) return 0;
    const err = x.yamux_stream_get_error(this.st);
    if (err && err !== Codes.ECLOSED) return SE.RESET;
    return SE.AGAIN;
  }

  /** @private consumes buffered bytes into chunks from cursor `cur`; returns the count */
  copyOut(chunks, cur) {
    const e = this.e, x = this.x, st = this.st, pp = e.words >> 2;
    let total = 0;
    while (cur.ci < chunks.length) {
      const len = x.yamux_stream_peek(st, e.words);
      if (!len) break;
      const p = e.u32[pp], u8 = e.u8;
      let off = 0;
      while (off < len && cur.ci < chunks.length) {
        const c = chunks[cur.ci];
        const m = Math.min(len - off, c.length - cur.pos);
        c.set(u8.subarray(p + off, p + off + m), cur.pos);
        off += m;
        cur.pos += m;
        if (cur.pos === c.length) {
          cur.ci++;
          cur.pos = 0;
        }
      }
      x.yamux_stream_consume(st, off);
      total += off;
    }
    return total;
  }

  /** @private copies the first buffered piece without consuming it */
  peekOut(chunks) {
    const e = this.e, len = this.x.yamux_stream_peek(this.st, e.words);
    if (!len) return 0;
    const p = e.u32[e.words >> 2];
    let off = 0;
    for (const c of chunks) {
      if (off >= len) break;
      const m = Math.min(len - off, c.length);
      c.set(e.u8.subarray(p + off, p + off + m));
      off += m;
    }
    return off;
  }

  /**
   * Queues the bytes of `chunks` (copied into the engine) and pushes the frames into the
   * ring: the count (a short count when the send buffer filled), SE.AGAIN (full: wait for
   * WRITE), SE.PIPE (after shutdown(WRITE) or once the session is over) or SE.RESET.
   * @param {Uint8Array[]} chunks
   */
  write(chunks) {
    if (this.released) return SE.INVAL;
    if (this.wrShut) return SE.PIPE;
    let total = 0, r = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      r = this.writeSome(chunks);
      if (r !== Codes.EAGAIN || attempt) break;
      this.d.pump(); // the ring may have room, or window updates may wait in it
    }
    if (r > 0) total = r;
    if (total > 0) {
      this.d.flushOut();
      return total;
    }
    if (r === Codes.EAGAIN) return SE.AGAIN;
    if (r === Codes.ERESET) return SE.RESET;
    if (r === Codes.ENOMEM) return SE.LIMIT;
    return SE.PIPE; // ECLOSED, or the session's end
  }

  /** @private the bytes queued (> 0), or the engine's code for the first refusal */
  writeSome(chunks) {
    const e = this.e;
    let total = 0;
    for (const c of chunks) {
      for (let off = 0; off < c.length;) {
        const r = e.write(this.st, off ? c.subarray(off) : c);
        if (r <= 0) return total || r;
        off += r;
        total += r;
      }
    }
    return total;
  }

  /**
   * Shuts down reading (READ: reads return 0, input is dropped so the event side never
   * stalls on a full window) and/or writing (WRITE: FIN after the queued bytes; reading
   * goes on). Returns 0.
   * @param {number} how READ | WRITE
   */
  shutdown(how) {
    if (this.released) return SE.INVAL;
    if (how & WRITE && !this.wrShut) {
      this.wrShut = true;
      this.x.yamux_stream_close_write(this.st);
    }
    if (how & READ && !this.rdShut) {
      this.rdShut = true;
      this.d.discarding.add(this);
      this.discard();
    }
    this.d.flushOut();
    return 0;
  }

  /** @private drops buffered input of a stream shut down for reading */
  discard() {
    if (!this.released) this.e.discard(this.st);
  }

  /**
   * Level-triggered readiness: READ when bytes, the end of the stream or an error can be
   * read, or input waits in the ring unparsed (Driver.pumpLazy: the read may then find
   * nothing and say EAGAIN); WRITE when the send buffer has room or a write would fail at once.
   * @param {number} events READ | WRITE
   */
  ready(events) {
    if (this.released) return events;
    const x = this.x, st = this.st;
    let out = 0;
    if (events & READ) {
      if (this.rdShut || this.d.lazy || x.yamux_stream_get_read_available(st) > 0 || x.yamux_stream_is_eof(st)) out |= READ;
      else if (x.yamux_stream_get_error(st)) out |= READ;
    }
    if (events & WRITE) {
      if (this.wrShut || x.yamux_stream_get_write_space(st) > 0 || x.yamux_stream_get_error(st)) out |= WRITE;
    }
    return out;
  }

  /** Hang-up: both directions are over (reset, session ended, or end of stream received
   * after this side shut down writing). */
  hangup() {
    if (this.released) return true;
    const x = this.x, err = x.yamux_stream_get_error(this.st);
    if (err) return true;
    return this.wrShut && x.yamux_stream_is_eof(this.st) !== 0;
  }

  /** Bytes a write would queue now (the send buffer's free space; WASI 0.2 check-write). */
  room() {
    return this.released || this.wrShut ? 0 : this.x.yamux_stream_get_write_space(this.st);
  }

  /** Bytes written and not yet in the ring. */
  unsent() {
    return this.released ? 0 : this.x.yamux_stream_get_unsent(this.st);
  }

  /**
   * Closes the handle, as close() on a socket: with received bytes left unread the stream
   * is reset (RST, as a kernel does), otherwise the engine sends what is queued and a FIN
   * and drops what still arrives.
   */
  close() {
    if (this.released) return;
    if (!this.rdShut && this.x.yamux_stream_get_read_available(this.st) > 0) this.x.yamux_stream_reset(this.st);
    this.release();
    this.d.flushOut();
  }

  /** @private the guest exited holding this stream: reset it (unread input) or send FIN
   * after the queued bytes; true when the handle is kept for the queued bytes to drain */
  closeOnExit() {
    if (this.released) return false;
    const x = this.x;
    if (!this.rdShut && x.yamux_stream_get_read_available(this.st) > 0) {
      x.yamux_stream_reset(this.st);
      this.release();
      return false;
    }
    if (!this.wrShut) {
      this.wrShut = true;
      x.yamux_stream_close_write(this.st);
    }
    return true;
  }

  /** @private gives the handle back to the engine */
  release() {
    if (this.released) return;
    this.released = true;
    this.d.held.delete(this);
    this.d.discarding.delete(this);
    this.x.yamux_stream_release(this.st);
  }
}

/** Receives one stream's payload in place during the engine's recv (on_data). */
class Sink {
  constructor(h, chunks, cur) {
    this.st = h.st;
    this.e = h.e;
    this.chunks = chunks;
    this.cur = cur;
    this.n = 0;
  }

  /** Whether the reader's buffers are full. */
  full() {
    return this.cur.ci >= this.chunks.length;
  }

  /** Copies up to `len` bytes at `ptr` of the engine's memory; returns the count taken. */
  take(ptr, len) {
    const u8 = this.e.u8, cur = this.cur, chunks = this.chunks;
    let off = 0;
    while (off < len && cur.ci < chunks.length) {
      const c = chunks[cur.ci];
      const m = Math.min(len - off, c.length - cur.pos);
      c.set(u8.subarray(ptr + off, ptr + off + m), cur.pos);
      off += m;
      cur.pos += m;
      if (cur.pos === c.length) {
        cur.ci++;
        cur.pos = 0;
      }
    }
    this.n += off;
    return off;
  }
}

function hasRoom(chunks) {
  for (const c of chunks) if (c.length) return true;
  return false;
}

/** The streams the event side opens, in order: accept() hands out the next one. */
export class HostListener {
  /** @param {import('./driver.js').Driver} driver */
  constructor(driver) {
    this.d = driver;
    this.closed = false;
  }

  /** The next stream the event side opened (its ACK goes out now), SE.AGAIN when none
   * waits, SE.DOWN once the session is over, SE.INVAL after close(). */
  accept() {
    const d = this.d, x = d.x;
    if (this.closed) return SE.INVAL;
    if (d.down) return SE.DOWN;
    if (!x.yamux_session_get_backlog(d.s)) d.pumpIn();
    if (d.down) return SE.DOWN;
    const st = x.yamux_session_get_backlog(d.s) ? x.yamux_session_accept(d.s) : 0;
    if (!st) return SE.AGAIN;
    // The ACK waits for the next output or poll: the event side may write before it, and
    // waking the event side costs more than the ACK is worth.
    return d.adopt(st);
  }

  /** READ when a stream waits or the session is over (accept() then says so). */
  ready(events) {
    if (!(events & READ)) return 0;
    if (this.closed || this.d.down || this.d.x.yamux_session_get_backlog(this.d.s)) return READ;
    return 0;
  }

  hangup() {
    return this.closed || this.d.down;
  }

  /** Stops accepting: GoAway 0 (the event side's new opens fail) and the streams waiting in
   * the backlog are refused (RST). */
  close() {
    if (this.closed) return;
    this.closed = true;
    const d = this.d, x = d.x;
    if (d.down) return;
    x.yamux_session_goaway(d.s);
    for (let st; x.yamux_session_get_backlog(d.s) && (st = x.yamux_session_accept(d.s));) {
      x.yamux_stream_reset(st);
      x.yamux_stream_release(st);
    }
    d.flushOut();
  }
}
