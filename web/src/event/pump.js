// Moves bytes between the shmq channel and the engine, without blocking: received packets are
// copied from the ring into one staging buffer of the engine's memory and fed in one call;
// the engine's output (an iovec list pointing into its stream buffers) is copied straight
// into records reserved in the ring and published in one index update.
import { ShmqError, MORE, ECLOSED, EPEERDEAD, READABLE, WRITABLE } from '../queue/shmq.js';
import { Codes } from './errors.js';

const IOV_MAX = 64;

export class Pump {
  /**
   * @param {import('./engine.js').Engine} engine
   * @param {import('../queue/shmq.js').Shmq} q
   * @param {{peerGone?: () => boolean}} [o] peerGone: whether a closed peer side was marked
   *   gone by its supervisor (it died: a transport failure, not an end of input)
   */
  constructor(engine, q, o = {}) {
    this.peerGone = o.peerGone ?? (() => false);
    this.e = engine;
    this.q = q;
    this.mtu = q.mtu;
    this.inCap = Math.max(256 * 1024, 4 * q.mtu);
    this.inBuf = engine.malloc(this.inCap);
    this.iov = engine.malloc(IOV_MAX * 8 + 8);
    this.cnt = this.iov + IOV_MAX * 8;
    this.holdOff = 0; // input the engine has not taken yet: inBuf[holdOff, holdLen)
    this.holdLen = 0;
    this.outBlocked = false; // output waits for ring space
    this.outClosed = false; // nobody reads our ring any more (peer closed or gone): output is dropped
    this.dead = false; // the input ended (drained after the peer's close, dead peer, corrupt)
    this.cause = null; // the ShmqError that ended it
    this.peerClosed = false; // the peer closed its side itself
    this.bytesIn = 0;
    this.bytesOut = 0;
  }

  /** The input ended (the receive ring drained after the peer's close, or failed), or the
   * session is aborted: tell the engine (EOF or transport error). */
  end(err) {
    if (this.dead) return;
    this.dead = true;
    this.outClosed = true;
    const x = this.e.x, s = this.e.s;
    if (err instanceof ShmqError && err.code === ECLOSED && this.peerGone())
      err = new ShmqError(EPEERDEAD, 'it ended without closing the channel: its worker exited, crashed or was terminated, or its program in this thread stopped');
    if (err instanceof ShmqError && err.code === ECLOSED) {
      this.peerClosed = true;
      this.cause = err;
      x.yamux_session_recv_eof(s);
    } else {
      this.cause = err;
      x.yamux_session_abort(s, Codes.ETRANSPORT);
    }
  }

  /** Feeds held input, then received packets, until the engine stops taking them. With
   * `stop` (a function), packets are fed one at a time and feeding ends once stop() is true
   * (the WASI host stops when a reader's buffers are full: the rest stays in the ring). */
  in(stop) {
    const x = this.e.x, s = this.e.s, q = this.q;
    let moved = 0;
    if (this.holdLen) {
      const n = x.yamux_session_recv(s, this.inBuf + this.holdOff, this.holdLen - this.holdOff);
      if (n < 0) {
        this.holdLen = this.holdOff = 0;
        return 0;
      }
      this.holdOff += n;
      moved += n;
      if (this.holdOff < this.holdLen) return moved;
      this.holdLen = this.holdOff = 0;
    }
    while (!this.dead && !x.yamux_session_is_closed(s)) {
      let len = 0, err = null;
      const heap = this.e.u8, ring = q.u8;
      try {
        while (len + this.mtu <= this.inCap) {
          const p = q.peekOffset();
          if (p < 0) break;
          heap.set(ring.subarray(p, p + q.rxLen), this.inBuf + len);
          len += q.rxLen;
          if (stop) break;
        }
        q.consume();
      } catch (e) {
        err = e;
      }
      if (len) {
        this.bytesIn += len;
        const n = x.yamux_session_recv(s, this.inBuf, len);
        if (n >= 0) moved += n;
        if (n >= 0 && n < len) {
          this.holdOff = n;
          this.holdLen = len;
          break;
        }
      }
      if (err) this.end(err);
      if (!len || err || (stop && stop())) break;
    }
    return moved;
  }

  /** Sending failed. The two directions end independently: a peer that closed or died may
   * have published packets we have not read yet, so input goes on (end() comes from the
   * receive ring once drained) and output is dropped; anything else ends both. */
  outEnd(err) {
    this.outClosed = true;
    if (!(err instanceof ShmqError) || (err.code !== ECLOSED && err.code !== EPEERDEAD)) this.end(err);
  }

  /** Writes the engine's output into the ring, a record of up to the MTU at a time. The
   * records are published by flush() (one index update, at most one wake-up of the peer).
   * Once output is closed, drops it. */
  out() {
    const x = this.e.x, s = this.e.s, q = this.q;
    let moved = 0;
    this.outBlocked = false;
    if (this.outClosed) {
      const u32 = this.e.u32;
      for (;;) {
        u32[this.cnt >> 2] = IOV_MAX;
        const n = x.yamux_session_send_iov(s, this.iov, this.cnt, 0);
        if (n === 0) return moved;
        x.yamux_session_send_done(s, n);
        moved += n;
      }
    }
    try {
      while (!this.dead && x.yamux_session_is_send_pending(s)) {
        const p = q.reserveOffset(this.mtu);
        if (p < 0) {
          this.outBlocked = true;
          break;
        }
        const u32 = this.e.u32;
        u32[this.cnt >> 2] = IOV_MAX;
        const n = x.yamux_session_send_iov(s, this.iov, this.cnt, this.mtu);
        if (n === 0) break;
        const cnt = u32[this.cnt >> 2], heap = this.e.u8, ring = q.u8;
        for (let i = 0, off = p, w = this.iov >> 2; i < cnt; i++, w += 2) {
          const base = u32[w], l = u32[w + 1];
          ring.set(heap.subarray(base, base + l), off);
          off += l;
        }
        q.commit(n, MORE);
        x.yamux_session_send_done(s, n);
        moved += n;
      }
      if (this.outBlocked) q.flush(); // the peer must see a full ring to free it
    } catch (e) {
      this.outEnd(e);
    }
    this.bytesOut += moved;
    return moved;
  }

  /** Publishes the records written by out(). */
  flush() {
    if (this.outClosed) return;
    try {
      this.q.flush();
    } catch (e) {
      this.outEnd(e);
    }
  }

  /** True when a pump would move something now: held input or output, unless they wait for
   * ring space. */
  busy() {
    if (this.outBlocked) return false;
    return this.holdLen > 0 || this.e.x.yamux_session_is_send_pending(this.e.s);
  }

  /** What to wait for: input, and ring space for output that waits. While the engine holds
   * input back (its answers wait for space), new input is no news: only space is. */
  waitEvents() {
    if (this.holdLen) return WRITABLE;
    return this.outBlocked ? READABLE | WRITABLE : READABLE;
  }
}
