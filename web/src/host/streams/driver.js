// The engine driver of the wasm worker: the project's C yamux engine (the same wasm module
// the event side runs, web/src/event/engine.js) over one side of the shared-memory queue,
// moved by the event side's Pump (web/src/event/pump.js). It never blocks except in wait(),
// which the host calls from poll_oneoff (and at exit) through a backend object
// (web/src/host/backends/). With an asynchronous backend (JSPI: the guest and the event side
// in one thread) wait() returns a Promise instead of blocking, and finish() a Promise when it
// waited.
//
// The guest's calls drive it: a read that finds nothing pulls what the ring holds, a write
// pushes its frames into the ring at once (no Nagle), poll_oneoff pumps everything and, when
// nothing is ready, sleeps on the queue's doorbell until the event side sends or frees room,
// the earliest of the guest's clocks and the engine's timers. Readiness is level-triggered
// and read from the engine's state (bytes buffered, end of stream, error, send space), so it
// does not depend on when the engine delivers its callbacks.
import { Shmq, ShmqError, READABLE, WRITABLE, SIDE_B } from '../../queue/shmq.js';
import { Engine } from '../../event/engine.js';
import { Pump } from '../../event/pump.js';
import { Codes } from '../../event/errors.js';
import { HostStream, HostListener, SE } from './stream.js';

const MAX_ROUNDS = 16; // pump rounds per call (input and output alternate)
const SPIN_MIN_MS = 0.01; // the adaptive spin before sleeping: 10 us ..
const SPIN_MAX_US = 20; // .. 20 us by default (the spinUs option; longer spins measured
// slower on a busy 2-core machine, where the spinning worker takes the other's core)

/** The host engine's defaults, beyond hashicorp/yamux's: receive windows that grow from
 * 256 KiB up to 16 MiB while the guest reads fast (the engine's auto-tuning), all streams'
 * received data and windows bounded to 256 MiB (1024 streams at 256 KiB; a stream beyond it
 * is refused); data frames fill a queue record (MTU - 12). */
export const HOST_ENGINE_DEFAULTS = Object.freeze({
  windowAutotune: true, maxStreamWindow: 16 << 20, maxRecvMemory: 256 << 20,
});

export class Driver {
  /**
   * Attaches `side` of the queue at `offset` of `buffer` and starts the engine on it.
   * @param {object} o
   * @param {SharedArrayBuffer} o.buffer
   * @param {number} [o.offset]
   * @param {number} [o.side] default SIDE_B (the event side is A)
   * @param {boolean} [o.client] yamux client role (odd ids); default false
   * @param {object} [o.config] EngineConfig (web/src/index.d.ts)
   * @param {object} o.backend the blocking primitive (backends/atomics.js)
   * @param {number} [o.spinUs] the most the ring is polled before sleeping (default 20; 0:
   *   never spin)
   * @param {number} [o.checkIntervalMs] liveness check period while sleeping (default 1000)
   */
  static async create(o) {
    const d = new Driver(o.backend);
    // hbTimeoutMs 0: a guest may compute for long without calling the host, so the event
    // side must not declare this side dead by its heartbeat; its supervisor reports a dead
    // worker (markSideGone).
    d.q = Shmq.attach(o.buffer, o.offset ?? 0, o.side ?? SIDE_B, {
      hbTimeoutMs: 0, checkIntervalMs: o.checkIntervalMs, spinUs: 0,
    });
    // One data frame per record: a frame's header and payload fill one MTU.
    const frame = Math.max(16384, Math.min(d.q.mtu - 12, 1 << 20));
    const config = { ...HOST_ENGINE_DEFAULTS, maxFramePayload: frame, ...o.config };
    try {
      d.engine = await Engine.create(!!o.client, config, d.handlers());
    } catch (e) {
      d.q.close();
      throw e;
    }
    d.x = d.engine.x;
    d.s = d.engine.s;
    d.p = new Pump(d.engine, d.q);
    // Spinning is for a peer in another thread: in one thread it only delays the peer.
    d.spinMax = o.backend.blocking ? (o.spinUs ?? SPIN_MAX_US) / 1000 : 0;
    d.spin = Math.min(SPIN_MIN_MS, d.spinMax);
    d.listener = new HostListener(d);
    return d;
  }

  /** @private */
  constructor(backend) {
    this.backend = backend;
    this.ended = false; // the session ended (on_close)
    this.endErr = 0;
    this.finished = false; // finish() ran: the queue is closed
    this.ending = null; // finish()'s result while it waits (an asynchronous backend)
    this.discarding = new Set(); // streams shut down for reading: input is dropped
    this.held = new Set(); // HostStreams whose handle the guest holds
    this.sink = null; // {st, chunks, ...}: an fd_read that takes payload in place (onData)
    this.lastPump = 0;
    this.lazy = false; // input waits in the ring for a reader (pumpLazy)
    this.stats = { pumps: 0, lazyPolls: 0, waits: 0, sleeps: 0, sleepMs: 0, opened: 0, accepted: 0, inPlace: 0 };
  }

  /** @private the engine's callbacks: they only record (see the header) */
  handlers() {
    return {
      close: (err) => {
        this.ended = true;
        this.endErr = err;
      },
      data: (st, ptr, len) => (this.sink && this.sink.st === st ? this.sink.take(ptr, len) : 0),
    };
  }

  /** Moves everything that can move now: timers, ring -> engine, engine -> ring. */
  pump() {
    if (this.finished) return;
    const x = this.x, s = this.s, p = this.p;
    this.lazy = false;
    this.stats.pumps++;
    this.lastPump = this.backend.now();
    x.yxw_tick(s, this.lastPump);
    for (let i = 0; i < MAX_ROUNDS; i++) {
      const moved = p.in() + p.out();
      if (this.discarding.size) for (const h of this.discarding) h.discard();
      if (!moved) break;
    }
    p.flush();
  }

  /**
   * The pump of a poll that waits for one reader only: timers and output move, but input is
   * left in the ring when there is some (`lazy`): the reader then reports itself readable,
   * and its fd_read pulls the input with its own buffers as the engine's on_data target, so
   * its payload is copied once, ring to guest (through the input buffer), instead of landing
   * in the engine's stream buffer first. A read that finds nothing else waits as usual.
   */
  pumpLazy() {
    if (this.finished) return;
    const x = this.x, p = this.p;
    this.lastPump = this.backend.now();
    x.yxw_tick(this.s, this.lastPump);
    p.out();
    p.flush();
    let pending = false;
    if (!p.dead && !p.holdLen) {
      try {
        pending = this.q.poll(READABLE) !== 0;
      } catch {
        pending = false; // the queue ended: a full pump tells the engine
      }
    }
    if (pending) {
      this.lazy = true;
      this.stats.lazyPolls++;
    } else this.pump();
  }

  /** Pumps when the last pump is older than `ms` (for host calls made often, such as the
   * clock: a guest that computes keeps answering pings). */
  pumpIfIdle(ms) {
    if (this.backend.now() - this.lastPump >= ms) this.pump();
  }

  /** Pushes the engine's pending output (frames, window updates, ACK, FIN, RST) into the
   * ring and publishes it. */
  flushOut() {
    if (this.finished || !this.x.yamux_session_is_send_pending(this.s)) return;
    this.p.out();
    this.p.flush();
  }

  /** Pulls what the ring holds into the engine; with `sink`, payload of sink.st is copied
   * straight into the guest's buffers (on_data) instead of the engine's. */
  pumpIn(sink) {
    if (this.finished) return;
    this.sink = sink ?? null;
    this.lazy = false;
    try {
      // A reader's input stops once its buffers are full: what follows stays in the ring
      // for its next read, to be copied in place again.
      this.p.in(sink ? () => sink.full() : undefined);
    } finally {
      this.sink = null;
    }
    this.flushOut();
  }

  /** The engine's next timer in milliseconds (performance.now() time), or Infinity. */
  nextDeadline() {
    return this.finished ? Infinity : this.x.yxw_next_deadline_ms(this.s);
  }

  /**
   * Sleeps until the event side sends something (or frees ring space the engine's output
   * waits for), the engine's next timer, or `untilMs` (backend.now() time; Infinity: no
   * limit), whichever comes first; wakes at least every liveness slice to check the peer.
   * Spins on the ring first (a wake-up through Atomics costs tens of microseconds). The spin
   * adapts: it doubles (up to `spinUs`) while waits end within that ceiling, as during a bulk
   * transfer whose window updates come back in tens of microseconds, and halves (down to
   * 10 us) after sleeps longer than the ceiling, so an idle guest costs little CPU.
   * The caller pumps and re-checks afterwards. Returns a Promise when it waits with an
   * asynchronous backend (JSPI), undefined otherwise.
   * @returns {void|Promise<void>}
   */
  wait(untilMs) {
    const b = this.backend, p = this.p, q = this.q;
    const until = Math.min(untilMs, this.nextDeadline());
    this.stats.waits++;
    if (this.finished || p.dead) {
      // Nothing will come from the queue any more: only clocks can wake the guest.
      const t = until - b.now();
      if (t > 0) return b.sleep(Math.min(t, 1000));
      return;
    }
    const events = p.waitEvents();
    const len = events & WRITABLE ? p.mtu : 0;
    try {
      if (this.spin > 0) {
        const end = Math.min(b.now() + this.spin, until);
        do {
          if (q.poll(events, len)) {
            this.spin = Math.min(this.spin * 2, this.spinMax);
            return;
          }
        } while (b.now() < end);
      }
      const a = q.arm(events, len);
      if (a.ready) return;
      const t = Math.min(a.timeoutMs, until - b.now());
      let t0 = -1;
      if (t > 0) {
        this.stats.sleeps++;
        t0 = b.now();
        const r = b.wait(a.i32, a.index, a.value, t);
        if (r instanceof Promise) return r.then(() => this.woke(t0));
      }
      this.woke(t0);
    } catch (e) {
      if (!(e instanceof ShmqError)) throw e;
      p.end(e); // the channel ended: the next pump tells the engine
    }
  }

  /** @private after wait()'s sleep (t0: when it began, -1: it did not sleep): adapts the
   * spin, withdraws the doorbell, checks the peer */
  woke(t0) {
    const p = this.p, q = this.q;
    try {
      if (t0 >= 0) {
        const slept = this.backend.now() - t0;
        this.stats.sleepMs += slept;
        if (slept > this.spinMax) this.spin = Math.max(this.spin / 2, Math.min(SPIN_MIN_MS, this.spinMax));
        else this.spin = Math.min(Math.max(this.spin * 2, SPIN_MIN_MS), this.spinMax); // a longer spin would have caught it
      }
      q.disarm();
      q.checkPeer(); // a dead peer is reported by the receive ring, once drained
    } catch (e) {
      if (!(e instanceof ShmqError)) throw e;
      // The channel is ending: the next pump reads the ring to its end and tells the engine
      // how (input the peer published before it closed or died is delivered first).
    }
  }

  /**
   * Opens a stream toward the event side (it accepts it with session.accept()). The SYN goes
   * out at once; data may follow before the ACK. Returns a HostStream or an SE code.
   */
  dial() {
    if (this.finished || this.ended) return SE.DOWN;
    const r = this.x.yamux_session_open(this.s, this.engine.words);
    if (r) {
      if (r === Codes.EGOAWAY) return SE.REFUSED;
      if (r === Codes.ELIMIT || r === Codes.ESTREAMS_EXHAUSTED || r === Codes.ENOMEM) return SE.LIMIT;
      return SE.DOWN;
    }
    const h = new HostStream(this, this.engine.u32[this.engine.words >> 2]);
    this.stats.opened++;
    this.flushOut();
    return h;
  }

  /** @private an accepted stream (HostListener) */
  adopt(st) {
    this.stats.accepted++;
    return new HostStream(this, st);
  }

  /** Whether the session has ended (the event side closed or is gone, or an error). */
  get down() {
    return this.ended || this.finished || this.x.yamux_session_is_closed(this.s) !== 0;
  }

  /**
   * The guest has exited: every stream it still holds ends as a closed socket of an exiting
   * process does (its queued data and FIN, or RST when it left data unread), streams it never
   * accepted are refused, queued data may drain for up to `lingerMs`, then the session ends
   * (GoAway 0) and this side of the queue closes. Never throws; a Promise when it waited
   * with an asynchronous backend.
   * @returns {void|Promise<void>}
   */
  finish({ lingerMs = 5000 } = {}) {
    if (this.finished) return;
    if (this.ending) return this.ending;
    const r = runWaits(this.finishing(lingerMs));
    if (r instanceof Promise) this.ending = r;
    return r;
  }

  /** @private finish() as a generator whose yields are waits (see runWaits) */
  *finishing(lingerMs) {
    const b = this.backend, x = this.x, s = this.s;
    try {
      const draining = [];
      for (const h of [...this.held]) if (h.closeOnExit()) draining.push(h);
      this.listener.close();
      const until = b.now() + lingerMs;
      for (;;) {
        this.pump();
        const left = draining.filter((h) => h.unsent() > 0);
        if (!left.length || this.p.dead || this.down || b.now() >= until) break;
        yield this.wait(until);
      }
      for (const h of draining) h.release();
      x.yamux_session_close(s);
      // The final GoAway: a bounded wait for ring space.
      const end = b.now() + Math.min(lingerMs, 1000);
      for (;;) {
        this.pump();
        if (this.p.dead || !x.yamux_session_is_send_pending(s) || b.now() >= end) break;
        yield this.wait(end);
      }
    } catch (e) {
      if (!(e instanceof ShmqError)) throw e;
    } finally {
      this.finished = true;
      try {
        this.q.close();
      } catch {}
      this.engine.free();
    }
  }
}

/**
 * Runs generator `g`, whose yields are a backend's waits: synchronously while they return
 * plain values (a blocking backend), from the first Promise on asynchronously (JSPI). One
 * copy of a loop that waits serves both kinds of backend.
 */
export function runWaits(g, r = g.next()) {
  for (; !r.done; r = g.next()) {
    if (r.value instanceof Promise) return r.value.then(() => runWaits(g), (e) => runWaits(g, g.throw(e)));
  }
  return r.value;
}

export { SE };
