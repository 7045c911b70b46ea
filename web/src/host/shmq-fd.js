// A WASI descriptor over one side of an shmq region (docs/shmq.md, web/src/queue/shmq.js): a
// non-blocking, socket-like byte stream whose fd_read drains the receive ring and whose
// fd_write fills the send ring. Used by wasi.js for the Go (GOOS=wasip1) program of the wasm
// worker, which opens it with net.FileConn (see web/go/README.md).
//
//   fd_fdstat_get   SOCKET_STREAM with FDFLAG_NONBLOCK
//   fd_read         copies received packets' payloads, in order, straight from the ring into
//                   the iovecs (a packet larger than the room left is read in place by the
//                   next calls); EAGAIN when empty; 0 (end of file) once the peer closed and
//                   everything it sent was read. Consumed packets are released in batches
//                   (an eighth of the ring), or by the next host call of another kind.
//   fd_write        cuts the bytes into packets of up to the MTU, written in place into the
//                   ring and published with one index update; a short count when the ring
//                   fills up, EAGAIN when not one packet fits, EPIPE once the peer is gone.
//                   A small write (<= 64 bytes: a frame header, a window update) waits in an
//                   open record for the next write, and is published by the next host call
//                   of another kind (so a header and its body travel in one packet).
//   poll_oneoff     readable: a packet (or end of file) waits; writable: an MTU-sized packet
//                   fits (or the peer is gone); the host sleeps in Shmq.wait (spin, then
//                   Atomics.wait on this side's doorbell), or with JSPI (a same-thread
//                   queue) suspends in Shmq.waitAsync
//   sock_shutdown   / fd_close: closes this side of the queue (the peer receives what was
//                   sent, then sees it closed). shmq has no half-close: a shut-down
//                   descriptor reads end of file too.
import { Shmq, ShmqError, READABLE, WRITABLE, MORE, ECLOSED } from '../queue/shmq.js';
import { E, FILETYPE, FDFLAG_NONBLOCK, POLL_READ, POLL_WRITE } from './wasi/errno.js';

/** Writes up to this size may wait in an open record for the next write (see writeRaw). */
const HOLD_MAX = 64;

export class ShmqFd {
  /**
   * @param {Shmq} q an attached side
   */
  constructor(q, { trace = false } = {}) {
    this.q = q;
    /** With `trace`: yamux frames seen in each direction (FrameTrace), for tests. */
    this.trace = trace ? { in: new FrameTrace(), out: new FrameTrace() } : null;
    this.filetype = FILETYPE.SOCKET_STREAM;
    this.fdflags = FDFLAG_NONBLOCK;
    this.mtu = q.mtu;
    // Receiving: the packet being read in place ([cur, curEnd) in q.u8; -1: none), and the
    // bytes of consumed packets not yet released.
    this.cur = -1;
    this.curEnd = 0;
    this.unreleased = 0;
    this.releaseAt = q.ringBytes / 8;
    this.shut = false;
    this.open = null; // {p, cap, used}: a record reserved and partly written, not committed
    this.stats = { pktsIn: 0, pktsOut: 0, eagainRead: 0, eagainWrite: 0, waits: 0 };
  }

  /** Attaches `side` of the region at `offset` of `buf` and wraps it. */
  static attach(buf, offset, side, options = {}) {
    const { trace, ...qopts } = options;
    return new ShmqFd(Shmq.attach(buf, offset, side, { hbTimeoutMs: 0, spinUs: 20, ...qopts }), { trace });
  }

  setFlags() {
    return E.SUCCESS; // always non-blocking
  }

  /** fd_read: bytes copied (> 0), 0 at end of file, or -errno. */
  read(chunks) {
    const r = this.readRaw(chunks);
    if (r > 0 && this.trace) this.trace.in.feedChunks(chunks, r);
    return r;
  }

  /** fd_write: bytes queued (> 0), or -errno. */
  write(chunks) {
    const r = this.writeRaw(chunks);
    if (r > 0 && this.trace) this.trace.out.feedChunks(chunks, r);
    return r;
  }

  /** @private */
  readRaw(chunks) {
    const q = this.q, u8 = q.u8;
    let total = 0;
    let ci = 0, cpos = 0; // chunk index and position in it
    try {
      while (ci < chunks.length) {
        if (this.cur < 0) {
          // Consumed packets go back to the producer in batches: now when an eighth of the
          // ring waits, else at the next call of another kind (flushPending).
          if (this.unreleased >= this.releaseAt) this.releaseNow();
          const off = q.peekOffset();
          if (off < 0) break;
          this.stats.pktsIn++;
          this.cur = off;
          this.curEnd = off + q.rxLen;
          this.unreleased += q.rxLen + 8;
        }
        // Copy in place from the ring into the iovecs; a packet larger than the room left
        // stays (peeked, not released) for the next read.
        while (this.cur < this.curEnd && ci < chunks.length) {
          const c = chunks[ci];
          const n = Math.min(c.length - cpos, this.curEnd - this.cur);
          c.set(u8.subarray(this.cur, this.cur + n), cpos);
          this.cur += n;
          total += n;
          cpos += n;
          if (cpos === c.length) {
            ci++;
            cpos = 0;
          }
        }
        if (this.cur === this.curEnd) this.cur = -1;
      }
    } catch (e) {
      if (!(e instanceof ShmqError)) throw e;
      this.releaseNow();
      if (total > 0) return total;
      return e.code === ECLOSED ? 0 : -E.CONNRESET;
    }
    if (total === 0) {
      this.releaseNow();
      this.stats.eagainRead++;
      return -E.AGAIN;
    }
    return total;
  }

  /** @private frees every consumed packet (never one still read in part) */
  releaseNow() {
    if (this.cur >= 0 || this.unreleased === 0) return;
    this.unreleased = 0;
    try {
      this.q.consume();
    } catch (e) {
      if (!(e instanceof ShmqError)) throw e;
    }
  }

  /** @private */
  writeRaw(chunks) {
    const q = this.q, mtu = this.mtu;
    let left = 0;
    for (const c of chunks) left += c.length;
    if (left === 0) return 0;
    // A small write (a frame header, a window update) is put in a record left open for what
    // comes next (the frame's body follows at once from the same goroutine), and published
    // by the next host call of any kind (flushPending) if nothing fills it before.
    const small = left <= HOLD_MAX;
    let total = 0, ci = 0, cpos = 0, committed = false;
    try {
      while (left > 0) {
        if (!this.open) {
          let cap = small ? mtu : Math.min(mtu, left);
          let p = q.reserveOffset(cap);
          if (p < 0 && cap > left) p = q.reserveOffset((cap = left));
          if (p < 0) break;
          this.open = { p, cap, used: 0 };
        }
        const o = this.open;
        let at = o.p + o.used, need = Math.min(o.cap - o.used, left);
        o.used += need;
        total += need;
        left -= need;
        while (need > 0) {
          const c = chunks[ci];
          const n = Math.min(c.length - cpos, need);
          q.u8.set(n === c.length ? c : c.subarray(cpos, cpos + n), at);
          at += n;
          need -= n;
          cpos += n;
          if (cpos === c.length) {
            ci++;
            cpos = 0;
          }
        }
        if (o.used === o.cap || !small) {
          this.open = null;
          q.commit(o.used, MORE);
          this.stats.pktsOut++;
          committed = true;
        }
      }
      if (committed) q.flush(); // publishes the committed records, not the open one
    } catch (e) {
      if (!(e instanceof ShmqError)) throw e;
      this.open = null;
      if (total > 0) {
        try {
          q.flush();
        } catch {}
        return total;
      }
      return e.code === ECLOSED ? -E.PIPE : -E.CONNRESET;
    }
    if (total === 0) {
      this.stats.eagainWrite++;
      return -E.AGAIN;
    }
    return total;
  }

  /** Whether a small write waits in an open record (see writeRaw), or consumed packets
   * wait to be released (see readRaw). */
  get hasPending() {
    return this.open !== null || (this.unreleased > 0 && this.cur < 0);
  }

  /** Publishes the open record of small writes and releases consumed packets. `kind`
   * 'read' (the host is in fd_read) keeps the release pending, 'write' the open record. */
  flushPending(kind) {
    if (kind !== 'read') this.releaseNow();
    if (kind === 'write') return;
    const o = this.open;
    if (!o) return;
    this.open = null;
    try {
      this.q.commit(o.used);
      this.stats.pktsOut++;
    } catch (e) {
      if (!(e instanceof ShmqError)) throw e; // the next call reports the queue's end
    }
  }

  /** Readiness for poll_oneoff. A queue that can never become ready again (closed, dead,
   * corrupt) is reported ready, so that the next read/write returns its end. */
  ready(events) {
    this.q.live(); // the liveness duty of a guest that polls without sleeping
    let out = 0;
    if (events & POLL_READ) {
      if (this.cur >= 0) out |= POLL_READ;
      else {
        try {
          if (this.q.poll(READABLE)) out |= POLL_READ;
        } catch {
          out |= POLL_READ;
        }
      }
    }
    if (events & POLL_WRITE) {
      try {
        if (this.q.poll(WRITABLE, this.mtu)) out |= POLL_WRITE;
      } catch {
        out |= POLL_WRITE;
      }
    }
    return out;
  }

  /** Whether the queue is over (peer closed or gone, this side closed, corrupt). */
  hangup() {
    const q = this.q;
    return q.closed || q.error !== 0 || q.peerStatus !== 0;
  }

  /** Sleeps until one of `events` may be ready or `timeoutMs` (Infinity: no limit). With an
   * asynchronous backend (JSPI, a same-thread queue) it returns a Promise: the caller looks
   * again once it settles. */
  block(events, timeoutMs, backend) {
    this.stats.waits++;
    let ev = 0;
    if (events & POLL_READ) ev |= READABLE;
    if (events & POLL_WRITE) ev |= WRITABLE;
    try {
      if (backend && !backend.blocking) {
        const a = this.q.arm(ev, this.mtu);
        if (a.ready) return;
        const r = backend.wait(a.i32, a.index, a.value, Math.min(a.timeoutMs, timeoutMs));
        const woke = () => {
          this.q.disarm();
          this.q.checkPeer(); // a dead peer: ready() reports the queue's end
        };
        if (r instanceof Promise) return r.then(woke);
        woke();
        return;
      }
      this.q.wait(ev, this.mtu, timeoutMs);
    } catch (e) {
      if (!(e instanceof ShmqError)) throw e; // the next ready() reports it
    }
  }

  /** sock_shutdown: any direction closes this side (see the header). */
  shutdown() {
    this.flushPending();
    this.shut = true;
    this.q.close();
    return E.SUCCESS;
  }

  close() {
    this.flushPending();
    this.q.close();
  }
}

/**
 * Follows the yamux frames of one direction of the byte stream (12-byte headers, data
 * payloads skipped) and counts them, for tests: frames by type, SYN/ACK/FIN/RST flags,
 * pings (SYN: asked, ACK: answered), GoAway codes, and the window delta announced with each
 * SYN or ACK (windowDeltas, the first 16).
 */
export class FrameTrace {
  constructor() {
    this.hdr = new Uint8Array(12);
    this.hlen = 0;
    this.skip = 0;
    this.frames = 0;
    this.types = [0, 0, 0, 0];
    this.syn = 0;
    this.ack = 0;
    this.fin = 0;
    this.rst = 0;
    this.pings = 0;
    this.pingAcks = 0;
    this.goAways = [];
    this.windowDeltas = [];
    this.dataBytes = 0;
  }

  feedChunks(chunks, n) {
    for (const c of chunks) {
      if (n <= 0) break;
      const m = Math.min(n, c.length);
      this.feed(c.subarray(0, m));
      n -= m;
    }
  }

  feed(p) {
    let i = 0;
    while (i < p.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, p.length - i);
        this.skip -= n;
        this.dataBytes += n;
        i += n;
        continue;
      }
      const n = Math.min(12 - this.hlen, p.length - i);
      this.hdr.set(p.subarray(i, i + n), this.hlen);
      this.hlen += n;
      i += n;
      if (this.hlen === 12) {
        this.hlen = 0;
        this.onHeader(this.hdr);
      }
    }
  }

  onHeader(h) {
    const dv = new DataView(h.buffer, h.byteOffset, 12);
    const type = h[1], flags = dv.getUint16(2), len = dv.getUint32(8);
    this.frames++;
    if (type < 4) this.types[type]++;
    if (flags & 1) this.syn++;
    if (flags & 2) this.ack++;
    if (flags & 4) this.fin++;
    if (flags & 8) this.rst++;
    if (type === 0) this.skip = len;
    if (type === 2) {
      if (flags & 1) this.pings++;
      if (flags & 2) this.pingAcks++;
    }
    if (type === 3) this.goAways.push(len);
    if (type <= 1 && flags & 3 && this.windowDeltas.length < 16) this.windowDeltas.push(type === 1 ? len : 0);
  }

  toJSON() {
    const { hdr, hlen, skip, ...rest } = this;
    return rest;
  }
}
