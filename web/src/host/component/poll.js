// wasi:io/poll: pollables and poll(list), blocking through the host's I/O object until a
// pollable is ready: no spinning, no missed wake-ups. A pollable is ready when its source
// says so:
//   clock pollables    the monotonic clock passed their deadline (ns, BigInt)
//   stream pollables   the byte stream is ready for the subscribed event (READ / WRITE)
//   ready pollables    a condition of the host's own (an output stream's pending bytes gone,
//                      a listening socket's backlog), or always (null)
// The loop: pump (move what arrived into the streams), look at every pollable, return the
// ready ones' indices, else wait until the queue's peer sends something or the earliest
// deadline passes, and look again. The waiting is the engine driver's (issue 12,
// web/src/host/streams/driver.js: Driver.wait spins briefly, then Atomics.wait on the
// queue's doorbell, armed after the look, so a packet that arrives in between ends the wait
// at once), shared with the preview 1 host's poll_oneoff.
import { monotonicNs } from './clocks.js';

const symbolDispose = Symbol.dispose || Symbol.for('dispose');

/**
 * The I/O a poller drives: the Driver of web/src/host/streams/driver.js, or anything with
 * its two calls:
 * @typedef {object} PollIo
 * @property {() => void} pump moves what can move now (ring -> engine -> ring)
 * @property {(untilMs: number) => (void|Promise<void>)} wait returns when the peer sent
 *   something, at `untilMs` (performance.now() time; Infinity: no limit), or earlier (the
 *   caller looks again); a Promise with an asynchronous backend (issue 13's JSPI)
 * @property {(ms: number) => void} [pumpIfIdle] pumps when the last pump is older than ms
 */

/** The poller of one host. */
export class Poller {
  /** @param {PollIo} io */
  constructor(io) {
    this.io = io;
    this.stats = { polls: 0, sleeps: 0 };
  }

  /** Moves whatever arrived into the streams (before readiness is looked at). */
  pump() {
    this.io.pump();
  }

  /** Pumps if nothing did for 2 ms: the clock calls this, so a guest that computes and
   * reads the time keeps its session served (pings, window updates). */
  tick() {
    if (this.io.pumpIfIdle) this.io.pumpIfIdle(2);
  }

  /** Indices of the ready pollables, waiting for at least one; a Promise when the I/O's
   * wait is asynchronous. */
  poll(list) {
    if (!Array.isArray(list) || list.length === 0) throw new Error('wasi:io/poll: poll list must not be empty');
    for (const p of list) {
      if (!(p instanceof Pollable)) throw new TypeError('wasi:io/poll: not a pollable of this host');
      p.check();
    }
    this.stats.polls++;
    for (;;) {
      const r = this.look(list);
      if (r.ready) return r.ready;
      this.stats.sleeps++;
      const w = this.io.wait(r.untilMs);
      if (w instanceof Promise) return w.then(() => this.pollAsync(list));
    }
  }

  /** @private the rest of a poll whose wait was asynchronous */
  async pollAsync(list) {
    for (;;) {
      const r = this.look(list);
      if (r.ready) return r.ready;
      this.stats.sleeps++;
      await this.io.wait(r.untilMs);
    }
  }

  /** @private One look: {ready: Uint32Array} or {untilMs} to wait for. */
  look(list) {
    this.io.pump();
    const now = monotonicNs();
    const ready = [];
    let deadline = null;
    for (let i = 0; i < list.length; i++) {
      const p = list[i];
      if (p.readyAt(now)) ready.push(i);
      else if (p.deadline !== null && (deadline === null || p.deadline < deadline)) deadline = p.deadline;
    }
    if (ready.length) return { ready: new Uint32Array(ready) };
    // Deadlines are monotonicNs() values: performance.now() in ns, the driver's clock.
    return { untilMs: deadline === null ? Infinity : Number(deadline) / 1e6 };
  }
}

/**
 * A wasi:io/poll pollable. `source` is one of {deadline: bigint} (a clock), {stream, events}
 * (a byte stream's readiness), {ready: () => boolean} (a condition of the host's own), or
 * null (always ready).
 */
export class Pollable {
  constructor(poller, source) {
    this.poller = poller;
    this.deadline = source && source.deadline !== undefined ? source.deadline : null;
    this.source = source;
    this.dropped = false;
  }

  /** @private */
  check() {
    if (this.dropped) throw new Error('wasi:io/poll: pollable used after it was dropped');
  }

  /** @private */
  readyAt(now) {
    const s = this.source;
    if (s === null) return true;
    if (this.deadline !== null) return this.deadline <= now;
    if (s.stream) return (s.stream.ready(s.events) & s.events) !== 0;
    return s.ready();
  }

  /** [method]pollable.ready: whether it is ready now (never blocks). */
  ready() {
    this.check();
    this.poller.pump();
    return this.readyAt(this.deadline !== null ? monotonicNs() : 0n);
  }

  /** [method]pollable.block: returns once it is ready. */
  block() {
    const r = this.poller.poll([this]);
    return r instanceof Promise ? r.then(() => {}) : undefined;
  }

  [symbolDispose]() {
    this.dropped = true;
  }
}
