// A single-producer / single-consumer byte pipe in a SharedArrayBuffer, and the stdio set
// built from three of them: the phase-1 transport of a component's stdin, stdout and stderr
// between the embedder (an event loop: never blocks) and the wasm worker (blocks in
// wasi:io/poll). Each end is a byte stream (byte-stream.js); writing, reading and closing ring
// the other side's doorbell (doorbell.js).
//
// One pipe, at a 64-byte aligned offset (each word on its own cache line):
//   +0    head   u32: bytes written so far (mod 2^32), stored by the writer only
//   +64   tail   u32: bytes read so far (mod 2^32), stored by the reader only
//   +128  flags  1: the writer closed (end of stream after the bytes in the ring),
//                2: the reader closed (writes fail with SE.PIPE)
//   +192  cap    the ring's size in bytes, a power of two (written once, before sharing)
//   +256  data   cap bytes
// The reader never trusts the writer's head: head - tail > cap is a corrupt pipe (SE.RESET).
import { SE, READ, WRITE } from './byte-stream.js';
import { Doorbell } from './doorbell.js';

const HEAD = 0, TAIL = 16, FLAGS = 32, CAP = 48; // Int32 indices
const DATA = 256;
const WRITER_CLOSED = 1, READER_CLOSED = 2;

/** Bytes a pipe with a ring of `cap` bytes takes. */
export function pipeBytes(cap) {
  return DATA + cap;
}

function checkCap(cap) {
  if (!Number.isInteger(cap) || cap < 64 || cap > 2 ** 30 || (cap & (cap - 1)) !== 0) {
    throw new RangeError(`pipe: ring size ${cap} is not a power of two in [64, 2^30]`);
  }
}

/** Writes an empty pipe with a `cap`-byte ring at `offset` of `buffer`. */
export function formatPipe(buffer, offset, cap) {
  checkCap(cap);
  const i32 = new Int32Array(buffer, offset, DATA / 4);
  i32.fill(0);
  i32[CAP] = cap;
}

class PipeEnd {
  constructor(buffer, offset, peerBell) {
    this.i32 = new Int32Array(buffer, offset, DATA / 4);
    this.cap = this.i32[CAP];
    checkCap(this.cap);
    this.u8 = new Uint8Array(buffer, offset + DATA, this.cap);
    this.peerBell = peerBell;
    this.closed = false;
  }

  flags() {
    return Atomics.load(this.i32, FLAGS);
  }

  /** Bytes in the ring, or -1 when the indices are impossible. */
  used() {
    const n = (Atomics.load(this.i32, HEAD) - Atomics.load(this.i32, TAIL)) >>> 0;
    return n > this.cap ? -1 : n;
  }

  setFlag(f) {
    Atomics.or(this.i32, FLAGS, f);
    this.peerBell.ring();
  }
}

/** The reading end: read(chunks), ready(READ), close(). */
export class PipeReader extends PipeEnd {
  read(chunks) {
    if (this.closed) return SE.INVAL;
    const used = this.used();
    if (used < 0) return SE.RESET;
    if (used === 0) return this.flags() & WRITER_CLOSED ? this.drained() : SE.AGAIN;
    const mask = this.cap - 1;
    let tail = Atomics.load(this.i32, TAIL) >>> 0;
    let left = used, total = 0;
    for (const c of chunks) {
      let pos = 0;
      while (pos < c.length && left > 0) {
        const at = tail & mask;
        const n = Math.min(c.length - pos, left, this.cap - at);
        c.set(this.u8.subarray(at, at + n), pos);
        pos += n;
        tail = (tail + n) >>> 0;
        left -= n;
        total += n;
      }
      if (left === 0) break;
    }
    if (total > 0) {
      Atomics.store(this.i32, TAIL, tail | 0);
      this.peerBell.ring();
    }
    return total;
  }

  /** End of stream once the writer closed, unless the indices moved meanwhile. */
  drained() {
    return this.used() === 0 ? 0 : SE.AGAIN;
  }

  ready(events) {
    if (!(events & READ)) return 0;
    return this.closed || this.used() !== 0 || this.flags() & WRITER_CLOSED ? READ : 0;
  }

  /** The writer closed and everything was read. */
  hangup() {
    return !!(this.flags() & WRITER_CLOSED) && this.used() === 0;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.setFlag(READER_CLOSED);
  }
}

/** The writing end: write(chunks), ready(WRITE), shutdown()/close(). */
export class PipeWriter extends PipeEnd {
  write(chunks) {
    if (this.closed || this.flags() & READER_CLOSED) return SE.PIPE;
    const used = this.used();
    if (used < 0) return SE.RESET;
    let room = this.cap - used;
    if (room === 0) return SE.AGAIN;
    const mask = this.cap - 1;
    let head = Atomics.load(this.i32, HEAD) >>> 0;
    let total = 0;
    for (const c of chunks) {
      let pos = 0;
      while (pos < c.length && room > 0) {
        const at = head & mask;
        const n = Math.min(c.length - pos, room, this.cap - at);
        this.u8.set(c.subarray(pos, pos + n), at);
        pos += n;
        head = (head + n) >>> 0;
        room -= n;
        total += n;
      }
      if (room === 0) break;
    }
    if (total > 0) {
      Atomics.store(this.i32, HEAD, head | 0);
      this.peerBell.ring();
    }
    return total;
  }

  /** Bytes that fit now (0 when closed by either side). */
  room() {
    if (this.closed || this.flags() & READER_CLOSED) return 0;
    const used = this.used();
    return used < 0 ? 0 : this.cap - used;
  }

  ready(events) {
    if (!(events & WRITE)) return 0;
    const used = this.used();
    return this.closed || this.flags() & READER_CLOSED || used !== this.cap ? WRITE : 0;
  }

  /** The reader is gone. */
  hangup() {
    return !!(this.flags() & READER_CLOSED);
  }

  shutdown() {
    this.close();
    return 0;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.setFlag(WRITER_CLOSED);
  }
}

/* ---- stdio: two doorbells and three pipes in one SharedArrayBuffer ---- */

const BELL_EMBEDDER = 0, BELL_HOST = 16; // Int32 indices, own cache lines
const PIPES = 128; // byte offset of the first pipe

/**
 * A shared buffer for a component's stdio, to post to the wasm worker (attachStdio(desc,
 * 'host')) and keep for the embedder (attachStdio(desc, 'embedder')).
 * @param {{ringBytes?: number}} [opts] each pipe's ring (default 64 KiB, a power of two)
 * @returns {{buffer: SharedArrayBuffer, ringBytes: number}}
 */
export function createStdio({ ringBytes = 65536 } = {}) {
  checkCap(ringBytes);
  const buffer = new SharedArrayBuffer(PIPES + 3 * pipeBytes(ringBytes));
  for (let i = 0; i < 3; i++) formatPipe(buffer, PIPES + i * pipeBytes(ringBytes), ringBytes);
  return { buffer, ringBytes };
}

/**
 * One side's view of a stdio buffer. The host (wasm worker) reads stdin and writes stdout and
 * stderr, and sleeps on `bell`; the embedder does the opposite and sleeps on its own bell.
 * @param {{buffer: SharedArrayBuffer, ringBytes: number}} desc
 * @param {'host'|'embedder'} side
 */
export function attachStdio({ buffer, ringBytes }, side) {
  const i32 = new Int32Array(buffer, 0, PIPES / 4);
  const embedderBell = new Doorbell(i32, BELL_EMBEDDER);
  const hostBell = new Doorbell(i32, BELL_HOST);
  const at = (i) => PIPES + i * pipeBytes(ringBytes);
  if (side === 'host') {
    return {
      bell: hostBell,
      stdin: new PipeReader(buffer, at(0), embedderBell),
      stdout: new PipeWriter(buffer, at(1), embedderBell),
      stderr: new PipeWriter(buffer, at(2), embedderBell),
    };
  }
  if (side === 'embedder') {
    return {
      bell: embedderBell,
      hostBell, // the worker's: armed (waiting word set) while it is about to sleep or sleeps
      stdin: new PipeWriter(buffer, at(0), hostBell),
      stdout: new PipeReader(buffer, at(1), hostBell),
      stderr: new PipeReader(buffer, at(2), hostBell),
    };
  }
  throw new TypeError(`attachStdio: side must be 'host' or 'embedder', not ${side}`);
}


/**
 * The embedder's side when the wasm worker died without closing its ends: stdout and stderr
 * end (after what they hold), stdin's writes fail, and both sides are woken.
 */
export function markHostGone({ buffer, ringBytes }) {
  const flag = (i, f) => {
    const i32 = new Int32Array(buffer, PIPES + i * pipeBytes(ringBytes), DATA / 4);
    Atomics.or(i32, FLAGS, f);
  };
  flag(0, READER_CLOSED);
  flag(1, WRITER_CLOSED);
  flag(2, WRITER_CLOSED);
  const i32 = new Int32Array(buffer, 0, PIPES / 4);
  new Doorbell(i32, BELL_EMBEDDER).ring();
  new Doorbell(i32, BELL_HOST).ring();
}
