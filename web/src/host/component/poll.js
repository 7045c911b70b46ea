// wasi:io/poll: pollables and poll(list), blocking through the host's backend (backend.js)
// on the host's doorbell (doorbell.js) until a pollable is ready: no spinning, no missed
// wake-ups. A pollable is ready when its source says so:
//   clock pollables    the monotonic clock passed their deadline (ns, BigInt)
//   stream pollables   the byte stream is ready for the subscribed event (byte-stream.js)
//   ready pollables    always (a zero duration, a closed stream)
// The loop: arm the doorbell, look at every pollable, return the ready ones' indices, else
// sleep until the doorbell rings or the earliest deadline passes, and look again.
import { monotonicNs } from './clocks.js';

const symbolDispose = Symbol.dispose || Symbol.for('dispose');

/** The poller of one host: the doorbell its streams ring and the backend that sleeps. */
export class Poller {
  /**
   * @param {import('./doorbell.js').Doorbell} bell its sequence word is what the backend waits on
   * @param {import('./backend.js').Backend} backend
   * @param {{pump?: () => void}} [io] pump(): move whatever arrived into the streams (phase 2:
   *   the queue into the yamux engine) before readiness is looked at
   */
  constructor(bell, backend, io = {}) {
    this.bell = bell;
    this.backend = backend;
    this.pump = io.pump || null;
    this.stats = { polls: 0, sleeps: 0 };
  }

  /** Indices of the ready pollables, waiting for at least one; a Promise when the backend
   * is asynchronous. */
  poll(list) {
    if (!Array.isArray(list) || list.length === 0) throw new Error('wasi:io/poll: poll list must not be empty');
    for (const p of list) {
      if (!(p instanceof Pollable)) throw new TypeError('wasi:io/poll: not a pollable of this host');
      p.check();
    }
    this.stats.polls++;
    if (!this.backend.blocking) return this.pollAsync(list);
    for (;;) {
      const r = this.step(list);
      if (r.ready) return r.ready;
      this.backend.wait(this.bell.i32, this.bell.index, r.seen, r.timeoutMs);
      this.bell.disarm();
    }
  }

  /** @private */
  async pollAsync(list) {
    for (;;) {
      const r = this.step(list);
      if (r.ready) return r.ready;
      await this.backend.wait(this.bell.i32, this.bell.index, r.seen, r.timeoutMs);
      this.bell.disarm();
    }
  }

  /** @private One look: {ready: Uint32Array} or {seen, timeoutMs} to sleep on (armed). */
  step(list) {
    const seen = this.bell.arm();
    if (this.pump) this.pump();
    const now = monotonicNs();
    const ready = [];
    let deadline = null;
    for (let i = 0; i < list.length; i++) {
      const p = list[i];
      if (p.readyAt(now)) ready.push(i);
      else if (p.deadline !== null && (deadline === null || p.deadline < deadline)) deadline = p.deadline;
    }
    if (ready.length) {
      this.bell.disarm();
      return { ready: new Uint32Array(ready) };
    }
    this.stats.sleeps++;
    return { seen, timeoutMs: deadline === null ? Infinity : Number(deadline - now) / 1e6 };
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
    if (this.poller.pump) this.poller.pump();
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
