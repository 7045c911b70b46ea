// shmq in JavaScript: the shared-memory packet queue of docs/shmq.md (layout version 1),
// both sides, over a SharedArrayBuffer (or wasm linear memory's buffer). Interoperates byte
// for byte with the C implementation (src/shmq*.c). Nothing read from the region is trusted:
// a buggy or hostile peer causes a ShmqError with code ECORRUPT, never an access outside it.
//
// Every shared word is accessed with Atomics (sequentially consistent: this satisfies every
// ordering the spec names); packet bytes and the record `len` word use plain typed-array
// accesses, published by the Atomics.store of the index that follows them. Waiting and waking
// go through the buffer's doorbell (doorbell.js): Atomics for a SharedArrayBuffer, a
// same-thread doorbell for a plain ArrayBuffer whose two sides share one event loop (JSPI).
//
//   const size = regionSize(1 << 20, 65536);
//   const sab = new SharedArrayBuffer(size);
//   format(sab, 0, 1 << 20, 65536);
//   const q = Shmq.attach(sab, 0, SIDE_A);          // in each worker, its own side
//   q.send(bytes);                                  // false when full
//   const ev = await q.waitAsync(READABLE, 0, 100); // event loop: never blocks
//   const pkt = q.recv();                           // a copy, or null when empty

/** Side A sends on ring 0 and receives on ring 1; side B the reverse. */
export const SIDE_A = 0;
export const SIDE_B = 1;
/** Readiness events (also the doorbell bits). */
export const READABLE = 1;
export const WRITABLE = 2;
/** commit() flag: append the record without publishing it (see flush()). */
export const MORE = 1;

/** Error codes: the values of the C enum yamux_error the queue uses (one error space for the
 * whole library, include/yamux/error.h). */
export const OK = 0;
export const EAGAIN = -1;
export const EINVAL = -2;
export const ECLOSED = -5;
export const ETIMEOUT = -10;
export const EMSGSIZE = -11;
export const EPEERDEAD = -60;
export const EPEERRESET = -61;
export const ECORRUPT = -62;
export const EBADMAGIC = -63;
export const EVERSION = -64;

const MESSAGES = new Map([
  [OK, ['YAMUX_OK', 'success']],
  [EAGAIN, ['YAMUX_EAGAIN', 'operation would block; retry after the next event']],
  [EINVAL, ['YAMUX_EINVAL', 'invalid argument or call in the wrong state']],
  [ECLOSED, ['YAMUX_ECLOSED', 'closed']],
  [ETIMEOUT, ['YAMUX_ETIMEOUT', 'timed out']],
  [EMSGSIZE, ['YAMUX_EMSGSIZE', 'packet larger than the MTU, or receive buffer too small']],
  [EPEERDEAD, ['YAMUX_EPEERDEAD', 'peer died without closing the queue']],
  [EPEERRESET, ['YAMUX_EPEERRESET', 'peer re-attached (generation changed)']],
  [ECORRUPT, ['YAMUX_ECORRUPT', 'shared region corrupt: inconsistent index, length or field']],
  [EBADMAGIC, ['YAMUX_EBADMAGIC', 'not a formatted shmq region (bad magic)']],
  [EVERSION, ['YAMUX_EVERSION', 'unsupported shmq layout version or flags']],
]);

/** The sentence for an error code (as yamux_strerror()). */
export function strerror(code) {
  const m = MESSAGES.get(code);
  return m ? m[1] : 'unknown shmq error';
}

/** The enumerator's name for an error code (as yamux_errname()). */
export function errname(code) {
  const m = MESSAGES.get(code);
  return m ? m[0] : 'YAMUX_E?';
}

/** An shmq failure: `code` is one of the negative error codes, `codeName` its C name. */
export class ShmqError extends Error {
  constructor(code, detail) {
    super(`shmq: ${strerror(code)}${detail ? ` (${detail})` : ''}`);
    this.name = 'ShmqError';
    this.code = code;
    this.codeName = errname(code);
  }
}

/* ---- layout (docs/shmq.md section 2; byte offsets from the region start) ---- */
export const MAGIC = 0x514d4853;
export const VERSION = 1;
export const DATA_OFFSET = 1024;
export const RING_MIN = 256;
export const RING_MAX = 2 ** 30;
import { doorbellOf } from './doorbell.js';

const PAD = 0xffffffff;
const W_MAGIC = 0, W_VERSION = 1, W_DATA_OFFSET = 2, W_TOTAL = 3, W_RING = 4, W_MTU = 5;
const W_FLAGS = 6;
const ctrlWord = (s) => (0x40 + 0x40 * s) / 4; // + 0 state, 1 heartbeat, 2 hb_timeout, 3 pid, 4 pid_ns
const bellWord = (s) => (0xc0 + 0x40 * s) / 4;
const tailWord = (r) => (0x140 + 0x80 * r) / 4;
const headWord = (r) => (0x180 + 0x80 * r) / 4;
const STATE_CLOSED = 1;

// How often a waiting side checks its peer at most. JavaScript has no process ids to watch: a
// peer that closes, restarts or is marked gone rings the doorbell, so a periodic check only
// keeps the heartbeats going (shortened to a quarter of this side's published timeout, half
// of the peer's). 1 s keeps an idle page or guest to about one wake-up a second.
const DEFAULT_CHECK_MS = 1000;
const recSize = (len) => (8 + len + 7) & ~7;
const isPow2 = (x) => x > 0 && (x & (x - 1)) === 0;
const now = () => performance.now();

function paramsValid(ringBytes, mtu) {
  return (
    Number.isInteger(ringBytes) && Number.isInteger(mtu) && isPow2(ringBytes) &&
    ringBytes >= RING_MIN && ringBytes <= RING_MAX && mtu >= 1 && mtu <= ringBytes / 2 - 8
  );
}

/**
 * Bytes a region needs for two rings of `ringBytes` (a power of two, 256..2^30) carrying
 * packets up to `mtu` bytes (1..ringBytes/2-8); 0 when the parameters are invalid.
 * @param {number} ringBytes
 * @param {number} mtu
 * @returns {number}
 */
export function regionSize(ringBytes, mtu) {
  return paramsValid(ringBytes, mtu) ? DATA_OFFSET + 2 * ringBytes : 0;
}

function checkPlace(buf, offset, len) {
  if (!(buf instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer))
    throw new ShmqError(EINVAL, 'not a SharedArrayBuffer or ArrayBuffer');
  if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0)
    throw new ShmqError(EINVAL, 'offset must be a multiple of 8 (64 recommended)');
  if (offset + len > buf.byteLength) throw new ShmqError(EINVAL, 'region beyond the buffer');
}

/**
 * Formats an empty region at `offset` of `buf` (zeroes it, writes the header, magic last).
 * Call before anybody attaches. Returns the region size. Throws ShmqError(EINVAL).
 * @param {SharedArrayBuffer|ArrayBuffer} buf
 * @param {number} offset byte offset, a multiple of 8 (64 recommended)
 * @param {number} ringBytes
 * @param {number} mtu
 * @returns {number}
 */
export function format(buf, offset, ringBytes, mtu) {
  const total = regionSize(ringBytes, mtu);
  if (!total) throw new ShmqError(EINVAL, `bad ring size ${ringBytes} or MTU ${mtu}`);
  checkPlace(buf, offset, total);
  new Uint8Array(buf, offset, total).fill(0);
  const w = new Int32Array(buf, offset, DATA_OFFSET / 4);
  Atomics.store(w, W_VERSION, VERSION);
  Atomics.store(w, W_DATA_OFFSET, DATA_OFFSET);
  Atomics.store(w, W_TOTAL, total);
  Atomics.store(w, W_RING, ringBytes | 0);
  Atomics.store(w, W_MTU, mtu);
  Atomics.store(w, W_FLAGS, 0);
  Atomics.store(w, W_MAGIC, MAGIC);
  return total;
}

/**
 * Reads and validates a formatted region's header without attaching.
 * @param {SharedArrayBuffer|ArrayBuffer} buf
 * @param {number} offset
 * @returns {{ringBytes: number, mtu: number, totalSize: number}}
 */
export function readHeader(buf, offset) {
  checkPlace(buf, offset, DATA_OFFSET);
  const w = new Int32Array(buf, offset, DATA_OFFSET / 4);
  if (Atomics.load(w, W_MAGIC) >>> 0 !== MAGIC) throw new ShmqError(EBADMAGIC);
  if (Atomics.load(w, W_VERSION) !== VERSION || Atomics.load(w, W_FLAGS) !== 0)
    throw new ShmqError(EVERSION);
  const dataOff = Atomics.load(w, W_DATA_OFFSET) >>> 0;
  const total = Atomics.load(w, W_TOTAL) >>> 0;
  const ring = Atomics.load(w, W_RING) >>> 0;
  const mtu = Atomics.load(w, W_MTU) >>> 0;
  if (dataOff !== DATA_OFFSET || !paramsValid(ring, mtu) || total !== DATA_OFFSET + 2 * ring ||
      offset + total > buf.byteLength)
    throw new ShmqError(ECORRUPT, 'header');
  return { ringBytes: ring, mtu, totalSize: total };
}

/**
 * Marks side `side` of a region closed on behalf of a party that is gone (a terminated or
 * crashed worker), as that side would on close (docs/shmq.md 4.5), and wakes the other side:
 * it receives what was published, then ECLOSED. For the supervisor of a worker, never for a
 * live side. No effect on a side that never attached or is already closed.
 * @param {SharedArrayBuffer|ArrayBuffer} buf
 * @param {number} offset
 * @param {number} side SIDE_A or SIDE_B
 * @returns {boolean} whether the side was marked now
 */
export function markClosed(buf, offset, side) {
  checkPlace(buf, offset, DATA_OFFSET);
  const w = new Int32Array(buf, offset, DATA_OFFSET / 4);
  const st = Atomics.load(w, ctrlWord(side)) >>> 0;
  if (st >>> 1 === 0 || st & STATE_CLOSED) return false;
  if (Atomics.compareExchange(w, ctrlWord(side), st | 0, (st | STATE_CLOSED) | 0) !== (st | 0))
    return false;
  const peerBell = bellWord(1 - side);
  Atomics.store(w, bellWord(side), 0);
  if (Atomics.exchange(w, peerBell, 0) !== 0) doorbellOf(buf).notify(w, peerBell);
  return true;
}

/**
 * @typedef {object} ShmqOptions
 * @property {number} [hbTimeoutMs] published: the peer may declare this side dead after this
 *   long without a heartbeat or index change (0 = never). This side must then call a wait,
 *   checkPeer() or heartbeat() at least every hbTimeoutMs / 4.
 * @property {number} [checkIntervalMs] waits wake at least this often to check the peer (1000)
 * @property {number} [spinUs] wait(): spin this long before sleeping (5); waitAsync(): 0
 */

/** One side of an shmq region. Belongs to one thread (worker) at a time. */
export class Shmq {
  /**
   * Attaches `side` of the formatted region at `offset` of `buf`: validates the header,
   * takes over this side's indices, bumps its generation and publishes its options.
   * Throws ShmqError (EBADMAGIC, EVERSION, ECORRUPT, EINVAL).
   * @param {SharedArrayBuffer|ArrayBuffer} buf
   * @param {number} offset
   * @param {number} side SIDE_A or SIDE_B
   * @param {ShmqOptions} [options]
   * @returns {Shmq}
   */
  static attach(buf, offset, side, options = {}) {
    if (side !== SIDE_A && side !== SIDE_B) throw new ShmqError(EINVAL, 'side must be 0 or 1');
    const h = readHeader(buf, offset);
    return new Shmq(buf, offset, side, h, options);
  }

  /** @private use Shmq.attach() */
  constructor(buf, offset, side, h, o) {
    const ring = h.ringBytes;
    this.buffer = buf;
    this.offset = offset;
    this.side = side;
    this.ringBytes = ring;
    this.mtu = h.mtu;
    this.i32 = new Int32Array(buf, offset, h.totalSize / 4);
    this.u8 = new Uint8Array(buf, offset, h.totalSize);
    /** How this side waits and wakes the peer (doorbell.js): Atomics, or same-thread. */
    this.bell = doorbellOf(buf);
    this.err = 0; // sticky error
    this.closed = false;
    this.peerEnd = 0; // ECLOSED / EPEERDEAD once the peer is gone
    this.spinMs = (o.spinUs ?? 5) / 1000;
    this.checkMs = o.checkIntervalMs || DEFAULT_CHECK_MS;
    this.hbTimeoutMs = o.hbTimeoutMs ?? 0;
    const s = side, p = 1 - side;
    this.txData = DATA_OFFSET + s * ring; // byte offsets within the region
    this.rxData = DATA_OFFSET + p * ring;
    this.txTailW = tailWord(s);
    this.txHeadW = headWord(s);
    this.rxTailW = tailWord(p);
    this.rxHeadW = headWord(p);
    this.ownStateW = ctrlWord(s);
    this.ownHbW = ctrlWord(s) + 1;
    this.ownBellW = bellWord(s);
    this.peerStateW = ctrlWord(p);
    this.peerHbW = ctrlWord(p) + 1;
    this.peerBellW = bellWord(p);
    this.rsv = false;
    this.rsvLen = 0;
    this.rsvPad = 0;
    this.peerState = 0;
    this.peerGen = 0;
    this.peerHbTimeoutMs = 0;
    this.liveHb = 0;
    this.liveTail = 0;
    this.liveHead = 0;
    this.liveMs = 0;
    this.dutyMs = now(); // when this side last did its liveness duty (live())

    const w = this.i32;
    const oldGen = (Atomics.load(w, this.ownStateW) >>> 0) >>> 1;
    this.takeIndices(oldGen !== 0);
    let gen = (oldGen + 1) & 0x7fffffff;
    if (gen === 0) gen = 1;
    this.ownHb = (Atomics.load(w, this.ownHbW) + 1) | 0;
    this.ownState = (gen << 1) >>> 0;
    Atomics.store(w, this.ownBellW, 0);
    Atomics.store(w, ctrlWord(s) + 3, 0); // pid: none in JavaScript
    Atomics.store(w, ctrlWord(s) + 4, 0); // and so no pid namespace
    Atomics.store(w, ctrlWord(s) + 2, this.hbTimeoutMs);
    Atomics.store(w, this.ownHbW, this.ownHb);
    Atomics.store(w, this.ownStateW, this.ownState | 0);
    this.wakePeer(); // a waiting peer re-checks at once: it sees a restart without delay
    this.throwIf(this.peerSync());
  }

  /** @private */
  takeIndices(reattach) {
    const w = this.i32, ring = this.ringBytes;
    const tail = Atomics.load(w, this.txTailW) >>> 0, head = Atomics.load(w, this.txHeadW) >>> 0;
    if ((tail | head) % 8 || ((tail - head) >>> 0) > ring) throw new ShmqError(ECORRUPT, 'indices');
    this.txTail = this.txTailPub = tail;
    this.txHead = head;
    let rhead = Atomics.load(w, this.rxHeadW) >>> 0;
    const rtail = Atomics.load(w, this.rxTailW) >>> 0;
    if ((rtail | rhead) % 8 || ((rtail - rhead) >>> 0) > ring)
      throw new ShmqError(ECORRUPT, 'indices');
    if (reattach) {
      rhead = rtail;
      Atomics.store(w, this.rxHeadW, rhead | 0);
    }
    this.rxCursor = this.rxHeadPub = this.rxTail = rhead;
  }

  /* ---- state ---- */

  /** @private */
  fail(code) {
    if (!this.err) this.err = code;
    return this.err;
  }

  /** @private */
  throwIf(code, detail) {
    if (code < 0) throw new ShmqError(code, detail);
  }

  /** @private */
  usable() {
    return this.err || (this.closed ? ECLOSED : 0);
  }

  /** @private */
  peerSync() {
    const st = Atomics.load(this.i32, this.peerStateW) >>> 0;
    if (st === this.peerState) return 0;
    return this.peerChanged(st);
  }

  /** @private */
  peerChanged(st) {
    if (this.err) return this.err;
    const gen = st >>> 1;
    if (gen === 0) return this.fail(ECORRUPT);
    if (this.peerGen === 0) {
      const c = ctrlWord(1 - this.side);
      this.peerGen = gen;
      this.peerHbTimeoutMs = Atomics.load(this.i32, c + 2) >>> 0;
      this.liveSample(now());
    } else if (gen !== this.peerGen) {
      // The peer restarted: the conversation is over. Closing our side is how the new
      // incarnation learns it (spec 4.1).
      const r = this.fail(EPEERRESET);
      if (!this.closed) this.markClosed();
      return r;
    }
    this.peerState = st;
    if (st & STATE_CLOSED && !this.peerEnd) this.peerEnd = ECLOSED;
    return 0;
  }

  /** @private */
  liveSample(t) {
    const w = this.i32;
    this.liveHb = Atomics.load(w, this.peerHbW);
    this.liveTail = Atomics.load(w, this.rxTailW);
    this.liveHead = Atomics.load(w, this.txHeadW);
    this.liveMs = t;
  }

  /** @private clears the peer's doorbell and wakes it if it sleeps */
  wakePeer() {
    if (Atomics.exchange(this.i32, this.peerBellW, 0) !== 0) this.bell.notify(this.i32, this.peerBellW);
  }

  /** @private marks this side closed and wakes the peer */
  markClosed() {
    this.closed = true;
    const w = this.i32;
    this.ownState = (this.ownState | STATE_CLOSED) >>> 0;
    Atomics.store(w, this.ownStateW, this.ownState | 0);
    Atomics.store(w, this.ownBellW, 0);
    this.wakePeer();
  }

  /** @private */
  ringBell(bit) {
    const w = this.i32;
    if ((Atomics.load(w, this.peerBellW) & bit) === 0) return;
    if (Atomics.exchange(w, this.peerBellW, 0) !== 0) this.bell.notify(w, this.peerBellW);
  }

  /** The sticky error (ECORRUPT, EPEERRESET) or 0. */
  get error() {
    return this.err;
  }

  /** Whether the peer has closed (ECLOSED) or was found dead (EPEERDEAD): 0 while it lives. */
  get peerStatus() {
    return this.peerEnd;
  }

  /**
   * Publishes pending records, marks this side closed and wakes the peer, which receives
   * what was sent and then ECLOSED. Idempotent.
   */
  close() {
    if (this.closed) return;
    if (!this.err) this.publish();
    this.markClosed();
  }

  /** Bumps this side's heartbeat word (an event loop should do it from a timer too). */
  heartbeat() {
    if (this.closed) return;
    this.ownHb = (this.ownHb + 1) | 0;
    Atomics.store(this.i32, this.ownHbW, this.ownHb);
  }

  /**
   * Liveness check: bumps this side's heartbeat, then checks the peer's generation and its
   * heartbeat / index progress against its published timeout. Returns 0 (alive, not attached
   * yet, closed) or EPEERDEAD / EPEERRESET / ECORRUPT (also kept for later calls).
   * @returns {number}
   */
  checkPeer() {
    this.heartbeat();
    const r = this.peerSync();
    if (r) return r;
    if (this.err) return this.err;
    if (this.peerEnd) return this.peerEnd === EPEERDEAD ? EPEERDEAD : 0;
    if (this.peerGen === 0) return 0;
    const w = this.i32, t = now();
    if (Atomics.load(w, this.peerHbW) !== this.liveHb || Atomics.load(w, this.rxTailW) !== this.liveTail ||
        Atomics.load(w, this.txHeadW) !== this.liveHead) {
      this.liveSample(t);
    } else if (this.peerHbTimeoutMs && t - this.liveMs > this.peerHbTimeoutMs) {
      this.peerEnd = EPEERDEAD;
      return EPEERDEAD;
    }
    return 0;
  }

  /**
   * The liveness duty (docs/shmq.md 4.6: beat, check the peer) when a slice has passed since
   * the last one, counted in real time across calls: waits and arms do it, and an event loop
   * that polls without waiting calls it on every round. Returns checkPeer()'s code, or 0.
   * @returns {number}
   */
  live() {
    const t = now();
    if (t - this.dutyMs < this.sliceMs()) return 0;
    this.dutyMs = t;
    return this.checkPeer();
  }

  /* ---- producer ---- */

  /** @private */
  txNeed(len) {
    const rec = recSize(len);
    const toEnd = this.ringBytes - (this.txTail & (this.ringBytes - 1));
    return rec <= toEnd ? rec : toEnd + rec;
  }

  /** @private 1: room, 0: none, < 0: error */
  txHasSpace(need) {
    if (this.ringBytes - ((this.txTail - this.txHead) >>> 0) >= need) return 1;
    const h = Atomics.load(this.i32, this.txHeadW) >>> 0;
    if (h % 8 || ((h - this.txHead) >>> 0) > ((this.txTailPub - this.txHead) >>> 0))
      return this.fail(ECORRUPT);
    this.txHead = h;
    return this.ringBytes - ((this.txTail - this.txHead) >>> 0) >= need ? 1 : 0;
  }

  /** @private */
  txCheck() {
    return this.usable() || this.peerSync() || this.peerEnd;
  }

  /**
   * Zero-copy send: reserves a record for up to `len` bytes and returns a view of its payload
   * in the shared region, or null when the ring is full. Complete it with commit(); a
   * reservation that is not committed is abandoned by the next reserve or send. Throws
   * ShmqError (EMSGSIZE, ECLOSED, EPEERDEAD, EPEERRESET, ECORRUPT).
   * @param {number} len
   * @returns {Uint8Array|null}
   */
  reserve(len) {
    const p = this.reserveOffset(len);
    return p < 0 ? null : this.u8.subarray(p, p + len);
  }

  /**
   * reserve() returning the payload's byte offset in the region (see `u8`), or -1 when full.
   * @param {number} len
   * @returns {number}
   */
  reserveOffset(len) {
    let r = this.txCheck();
    if (r) throw new ShmqError(r);
    if (!(len >= 0 && len <= this.mtu)) throw new ShmqError(EMSGSIZE, `${len} > MTU ${this.mtu}`);
    const rec = recSize(len), need = this.txNeed(len);
    r = this.txHasSpace(need);
    if (r < 0) throw new ShmqError(r);
    if (r === 0) return -1;
    this.rsv = true;
    this.rsvLen = len;
    this.rsvPad = need - rec;
    return this.txData + ((this.txTail + this.rsvPad) & (this.ringBytes - 1)) + 8;
  }

  /**
   * Commits the reserved record with its final length (<= the reserved one) and publishes it,
   * unless `flags` has MORE (then flush() or a later commit/send publishes).
   * @param {number} len
   * @param {number} [flags]
   */
  commit(len, flags = 0) {
    if (!this.rsv || !(len >= 0 && len <= this.rsvLen)) throw new ShmqError(EINVAL, 'commit');
    const r = this.usable();
    if (r) throw new ShmqError(r);
    this.append(len);
    if (!(flags & MORE)) this.publish();
  }

  /** @private */
  append(len) {
    const mask = this.ringBytes - 1, w = this.i32;
    if (this.rsvPad) {
      w[(this.txData + (this.txTail & mask)) >> 2] = PAD | 0;
      this.txTail = (this.txTail + this.rsvPad) >>> 0;
    }
    const at = (this.txData + (this.txTail & mask)) >> 2;
    w[at] = len;
    w[at + 1] = 0;
    this.txTail = (this.txTail + recSize(len)) >>> 0;
    this.rsv = false;
  }

  /** @private */
  publish() {
    if (this.txTail === this.txTailPub) return;
    Atomics.store(this.i32, this.txTailW, this.txTail | 0);
    this.txTailPub = this.txTail;
    this.ringBell(READABLE);
  }

  /** Publishes every record committed with MORE (one index update) and wakes the peer. */
  flush() {
    const r = this.usable();
    if (r) throw new ShmqError(r);
    this.publish();
  }

  /**
   * Copies one packet (0..mtu bytes) into the ring and publishes it. Returns false when the
   * ring is full. Throws ShmqError as reserve().
   * @param {Uint8Array} data
   * @param {number} [flags] MORE: do not publish yet
   * @returns {boolean}
   */
  send(data, flags = 0) {
    const p = this.reserveOffset(data.length);
    if (p < 0) return false;
    this.u8.set(data, p);
    this.commit(data.length, flags);
    return true;
  }

  /* ---- consumer ---- */

  /** @private 0 or error */
  refreshTail() {
    const t = Atomics.load(this.i32, this.rxTailW) >>> 0;
    if (t % 8 || ((t - this.rxTail) >>> 0) > ((this.rxHeadPub + this.ringBytes - this.rxTail) >>> 0))
      return this.fail(ECORRUPT);
    this.rxTail = t;
    return this.peerSync();
  }

  /** @private returns the payload offset (>= 0) with this.rxLen set; -1 empty; < -1: error */
  rxNext() {
    const ring = this.ringBytes;
    for (;;) {
      if (this.rxCursor === this.rxTail) {
        let r = this.refreshTail();
        if (r) return r;
        if (this.rxCursor === this.rxTail) {
          if (!this.peerEnd) return -1;
          r = this.refreshTail();
          if (r) return r;
          if (this.rxCursor === this.rxTail) return this.peerEnd;
        }
      }
      const off = this.rxCursor & (ring - 1);
      const toEnd = ring - off, avail = (this.rxTail - this.rxCursor) >>> 0;
      const len = this.i32[(this.rxData + off) >> 2] >>> 0; // read once, then only the copy
      if (len === PAD) {
        if (toEnd > avail) return this.fail(ECORRUPT);
        this.rxCursor = (this.rxCursor + toEnd) >>> 0;
        continue;
      }
      if (len > this.mtu) return this.fail(ECORRUPT);
      const rec = recSize(len);
      if (rec > toEnd || rec > avail) return this.fail(ECORRUPT);
      this.rxLen = len;
      this.rxCursor = (this.rxCursor + rec) >>> 0;
      return this.rxData + off + 8;
    }
  }

  /**
   * Zero-copy receive: the offset in `u8` of the next packet's payload (after those already
   * peeked), its length in `rxLen`; -1 when the ring is empty. The packet stays in the ring
   * until consume(). Throws ShmqError (ECLOSED / EPEERDEAD once drained, ECORRUPT...).
   * @returns {number}
   */
  peekOffset() {
    let r = this.usable();
    if (r) throw new ShmqError(r);
    r = this.rxNext();
    if (r < -1) throw new ShmqError(r);
    return r;
  }

  /**
   * Zero-copy receive: a view of the next packet in the shared region (after those already
   * peeked), or null when the ring is empty. Valid until consume(). The producer may be
   * hostile: copy a field before checking it. Throws ShmqError as peekOffset().
   * @returns {Uint8Array|null}
   */
  peek() {
    const p = this.peekOffset();
    return p < 0 ? null : this.u8.subarray(p, p + this.rxLen);
  }

  /** Frees every packet peeked so far (one index update), waking the peer if it waits. */
  consume() {
    if (this.usable() || this.rxCursor === this.rxHeadPub) return;
    Atomics.store(this.i32, this.rxHeadW, this.rxCursor | 0);
    this.rxHeadPub = this.rxCursor;
    this.ringBell(WRITABLE);
  }

  /**
   * Receives the next packet as a copy (and frees its space), or null when empty. Throws
   * ShmqError as peekOffset().
   * @returns {Uint8Array|null}
   */
  recv() {
    const p = this.peekOffset();
    if (p < 0) return null;
    const out = this.u8.slice(p, p + this.rxLen);
    this.consume();
    return out;
  }

  /* ---- readiness and waiting ---- */

  /** @private probe the receive ring without consuming: 1, 0, or error */
  rxProbe() {
    const before = this.rxCursor;
    const r = this.rxNext();
    if (r >= 0) {
      this.rxCursor = before;
      return 1;
    }
    return r === -1 ? 0 : r;
  }

  /**
   * Non-blocking readiness: the subset of `events` ready now (READABLE: a packet can be
   * received; WRITABLE: a packet of `writeLen` bytes fits), 0 for none. Throws ShmqError when
   * nothing is ready and the queue cannot become ready (ECLOSED, EPEERDEAD, ...).
   * @param {number} events
   * @param {number} [writeLen]
   * @returns {number}
   */
  poll(events, writeLen = 0) {
    const r = this.readyCode(events, writeLen);
    if (r < 0) throw new ShmqError(r);
    return r;
  }

  /** @private poll() returning errors as negative codes */
  readyCode(events, writeLen) {
    if (!events || events & ~(READABLE | WRITABLE)) return EINVAL;
    if (events & WRITABLE && writeLen > this.mtu) return EMSGSIZE;
    let r = this.usable();
    if (r) return r;
    let mask = 0, err = 0;
    if (events & READABLE) {
      r = this.rxProbe();
      if (r > 0) mask |= READABLE;
      if (r < 0) err = r;
    }
    if (events & WRITABLE) {
      r = this.peerSync() || this.peerEnd;
      if (!r) r = this.txHasSpace(this.txNeed(writeLen));
      if (r > 0) mask |= WRITABLE;
      if (r < 0 && !err) err = r;
    }
    return mask || err;
  }

  /** @private wake-up period: the check interval, shortened for published heartbeats */
  sliceMs() {
    let ms = this.checkMs;
    if (this.hbTimeoutMs && this.hbTimeoutMs / 4 < ms) ms = this.hbTimeoutMs / 4;
    if (this.peerHbTimeoutMs && this.peerHbTimeoutMs / 2 < ms) ms = this.peerHbTimeoutMs / 2;
    return Math.max(1, Math.floor(ms));
  }

  /**
   * For an event loop: publishes pending records, announces that this side waits for
   * `events` (stores its doorbell) and re-checks them. When something is ready already it
   * disarms and returns `{ready}` (> 0). Otherwise it returns `{ready: 0, i32, index, value,
   * timeoutMs}`: wait (bell.waitAsync(i32, index, value, timeoutMs)), then disarm(),
   * checkPeer() and retry. Throws ShmqError when the queue cannot become ready.
   * @param {number} events
   * @param {number} [writeLen]
   * @returns {{ready: number, i32?: Int32Array, index?: number, value?: number, timeoutMs?: number}}
   */
  arm(events, writeLen = 0) {
    let r = this.readyCode(events, writeLen);
    if (r) {
      if (r < 0) throw new ShmqError(r);
      return { ready: r };
    }
    r = this.live(); // an event loop's liveness duty, when due
    if (r) throw new ShmqError(r);
    this.publish();
    r = this.armAndCheck(events, writeLen);
    if (r < 0) throw new ShmqError(r);
    if (r > 0) return { ready: r };
    return { ready: 0, i32: this.i32, index: this.ownBellW, value: events, timeoutMs: this.sliceMs() };
  }

  /** @private store bell; (seq_cst) re-check; disarm when ready */
  armAndCheck(events, writeLen) {
    Atomics.store(this.i32, this.ownBellW, events);
    const r = this.readyCode(events, writeLen);
    if (r) Atomics.store(this.i32, this.ownBellW, 0);
    return r;
  }

  /** Withdraws the waiting announcement of arm() (harmless when not armed). */
  disarm() {
    Atomics.store(this.i32, this.ownBellW, 0);
  }

  /**
   * Waits without blocking (Atomics.waitAsync) until one of `events` is ready. Resolves with
   * the ready events, or 0 when `timeoutMs` passed (Infinity: no limit). Rejects with
   * ShmqError (ECLOSED, EPEERDEAD, EPEERRESET, ECORRUPT). Checks the peer's liveness and bumps
   * this side's heartbeat at least every slice while it waits.
   * @param {number} events
   * @param {number} [writeLen]
   * @param {number} [timeoutMs]
   * @returns {Promise<number>}
   */
  async waitAsync(events, writeLen = 0, timeoutMs = Infinity) {
    const deadline = now() + timeoutMs;
    for (;;) {
      const a = this.arm(events, writeLen);
      if (a.ready) return a.ready;
      const left = deadline - now();
      if (left <= 0) {
        this.disarm();
        return 0;
      }
      const res = this.bell.waitAsync(a.i32, a.index, a.value, Math.min(a.timeoutMs, left));
      if (res.async) await res.value;
      this.disarm();
      const r = this.checkPeer();
      if (r) throw new ShmqError(r);
    }
  }

  /**
   * Blocks (Atomics.wait: workers only, never an event loop nor a same-thread channel)
   * until one of `events` is ready, spinning `spinUs` first. Returns the ready events, or 0
   * when `timeoutMs` passed. Throws ShmqError as waitAsync().
   * @param {number} events
   * @param {number} [writeLen]
   * @param {number} [timeoutMs]
   * @returns {number}
   */
  wait(events, writeLen = 0, timeoutMs = Infinity) {
    let r = this.poll(events, writeLen);
    if (r) return r;
    this.publish();
    const start = now(), deadline = start + timeoutMs;
    const spinEnd = Math.min(deadline, start + this.spinMs);
    do {
      r = this.poll(events, writeLen);
      if (r) return r;
    } while (now() < spinEnd);
    for (;;) {
      r = this.armAndCheck(events, writeLen);
      if (r < 0) throw new ShmqError(r);
      if (r) return r;
      r = this.live(); // however short the waits, the duty comes every slice
      if (r) {
        this.disarm();
        throw new ShmqError(r);
      }
      const t = now();
      if (t >= deadline) {
        this.disarm();
        return 0;
      }
      this.bell.wait(this.i32, this.ownBellW, events, Math.min(this.dutyMs + this.sliceMs() - t, deadline - t));
    }
  }
}
