// The event side: a yamux session over one side of an shmq channel, for a worker (or page)
// that must never block. The engine runs in wasm; this class feeds it (Pump), waits with
// Atomics.waitAsync on its doorbell and with a timer for the engine's next deadline, and
// exposes streams as WHATWG stream pairs (YamuxStream). Errors are YamuxError rejections.
import { Shmq, WRITABLE, SIDE_A } from '../queue/shmq.js';
import { Engine } from './engine.js';
import { Pump } from './pump.js';
import { YamuxStream } from './stream.js';
import { YamuxError, Codes } from './errors.js';
import { macrotask } from './schedule.js';

const MAX_ROUNDS = 64; // pump rounds before yielding to the event loop

export class Session {
  /**
   * Attaches `side` of the channel at `offset` of `buffer` and starts a session on it.
   * @param {import('./session.d.ts').SessionOptions} options
   * @returns {Promise<Session>}
   */
  static async create(options) {
    const { buffer, offset = 0, side = SIDE_A } = options;
    const client = options.client ?? side === SIDE_A;
    const s = new Session();
    s.engine = await Engine.create(client, options.config, s.handlers());
    try {
      s.q = Shmq.attach(buffer, offset, side, {
        hbTimeoutMs: options.hbTimeoutMs ?? 10000,
        checkIntervalMs: options.checkIntervalMs ?? 100,
      });
    } catch (e) {
      s.engine.free();
      throw e;
    }
    s.spinMs = (options.spinUs ?? 0) / 1000;
    s.start();
    return s;
  }

  /** @private */
  constructor() {
    this.streams = new Map(); // engine pointer -> YamuxStream
    this.closing = new Set(); // streams whose close() waits for their data to leave
    this.offers = []; // streams that took data in place during the last engine call
    this.events = new Map(); // engine pointer -> events seen during the last calls
    this.acceptWaiters = [];
    this.pings = new Map(); // opaque -> {resolve, reject}
    this.goneAway = false;
    this.ended = false;
    this.endErr = 0;
    this.kicked = false;
    this.pumping = false;
    this.again = false;
    this.waiting = false;
    this.timer = null;
    this.timerAt = Infinity;
    let settle;
    /** Resolves when the session ended cleanly, rejects with a YamuxError otherwise. */
    this.closed = new Promise((res, rej) => (settle = { res, rej }));
    this.closed.catch(() => {});
    this.settle = settle;
    this.onWake = () => {
      this.waiting = false;
      this.q.disarm();
      this.q.checkPeer(); // a dead peer is reported by the receive ring, once drained
      this.pump();
    };
  }

  /** @private the engine's callbacks: record only */
  handlers() {
    return {
      incoming: () => {}, // dispatch() looks at the backlog itself
      stream: (st, ev) => this.events.set(st, (this.events.get(st) || 0) | ev),
      ping: (opaque, status, rtt) => {
        const p = this.pings.get(opaque);
        if (!p) return;
        this.pings.delete(opaque);
        if (status === 0) p.resolve(rtt);
        else p.reject(this.engine.error(status));
      },
      goaway: () => void (this.goneAway = true),
      data: (st, ptr, len) => this.streams.get(st)?.offer(ptr, len) ?? 0,
      close: (err) => {
        this.ended = true;
        this.endErr = err;
      },
    };
  }

  /** @private */
  start() {
    this.pump_ = new Pump(this.engine, this.q);
    // A pending Atomics.waitAsync does not keep Node.js's event loop alive; this does, and
    // it bumps the heartbeat while the loop is busy elsewhere.
    this.beat = setInterval(() => this.q.heartbeat(), Math.max(10, this.q.sliceMs()));
    this.pump();
  }

  /* ---- public API ---- */

  /**
   * Opens a stream; the SYN goes out at once (data may be written before the peer's ACK,
   * see stream.established). Rejects with YamuxError (EGOAWAY, ESHUTDOWN, ELIMIT, ...).
   * @returns {Promise<YamuxStream>}
   */
  async open() {
    const st = this.engine.open();
    const s = new YamuxStream(this, st, true);
    this.streams.set(st, s);
    this.kick();
    return s;
  }

  /**
   * Accepts the next stream the peer opens (streams wait in the engine's bounded backlog
   * until accepted). Rejects with the session's error once it has ended.
   * @returns {Promise<YamuxStream>}
   */
  accept() {
    return new Promise((resolve, reject) => {
      this.acceptWaiters.push({ resolve, reject });
      // Streams may wait in the backlog from an earlier batch (one incoming callback for
      // several SYNs): have the next dispatch look at it.
      this.incoming = true;
      this.kick();
    });
  }

  /** Async iteration over accepted streams, until the session ends. */
  async *[Symbol.asyncIterator]() {
    for (;;) {
      let s;
      try {
        s = await this.accept();
      } catch {
        return;
      }
      yield s;
    }
  }

  /**
   * Pings the peer; resolves with the round trip in milliseconds.
   * @returns {Promise<number>}
   */
  ping() {
    return new Promise((resolve, reject) => {
      const opaque = this.engine.ping();
      this.pings.set(opaque, { resolve, reject });
      this.kick();
    });
  }

  /** Sends GoAway 0: the peer may open no new streams; existing streams go on. */
  goAway() {
    const r = this.engine.x.yamux_session_goaway(this.engine.s);
    if (r) throw this.engine.error(r);
    this.kick();
  }

  /**
   * Ends the session (GoAway 0, every stream ends after what it received), pushes the last
   * output into the channel and closes this side of it. Resolves with `closed`.
   * @returns {Promise<void>}
   */
  close() {
    this.engine.x.yamux_session_close(this.engine.s);
    this.kick();
    return this.closed;
  }

  /**
   * Ends the session at once as a transport failure (for example: the peer's worker is
   * known to be gone). Streams fail with ETRANSPORT and `reason`.
   * @param {Error} [reason]
   */
  abort(reason) {
    this.pump_.end(reason ?? new Error('aborted'));
    this.kick();
  }

  /** Whether the peer sent GoAway 0 (it accepts no new streams). */
  get remoteGoAway() {
    return this.goneAway;
  }

  /** Whether the session has ended. */
  get isClosed() {
    return this.ended;
  }

  /** Streams alive in the engine (both directions). */
  get numStreams() {
    return this.ended ? 0 : this.engine.x.yamux_session_get_num_streams(this.engine.s);
  }

  /** Smoothed ping round trip in milliseconds (0 before the first answer). */
  get rttMs() {
    return this.engine.x.yxw_rtt_ms(this.engine.s);
  }

  /** Bytes the engine holds for reception (buffered plus window granted): bounded memory. */
  get recvMemory() {
    return this.engine.x.yxw_recv_memory(this.engine.s);
  }

  /** Size of the engine's linear memory in bytes (it grows with buffered data only). */
  get engineMemory() {
    return this.engine.memory.buffer.byteLength;
  }

  /** Bytes moved through the channel so far: {in, out}. */
  get bytes() {
    return { in: this.pump_.bytesIn, out: this.pump_.bytesOut };
  }

  /* ---- for YamuxStream ---- */

  /** @private schedules a pump (after the current task's microtasks) */
  kick() {
    if (this.kicked) return;
    this.kicked = true;
    queueMicrotask(() => {
      this.kicked = false;
      this.pump();
    });
  }

  /** @private a stream took data in place (on_data): settle its pull after the call */
  taken(s) {
    this.offers.push(s);
  }

  /** @private */
  forget(s) {
    this.streams.delete(s.st);
    this.closing.delete(s);
  }

  /** @private the error a stream call reports for engine code `code` */
  streamError(code) {
    const cause = code === Codes.ETRANSPORT || (code === this.endErr && this.pump_.cause) ? this.pump_.cause : undefined;
    return this.engine.error(code, cause);
  }

  /* ---- the driver ---- */

  /** @private moves everything that can move, dispatches events, then waits */
  pump() {
    if (this.pumping) {
      this.again = true;
      return;
    }
    if (this.finished) return;
    this.pumping = true;
    try {
      const x = this.engine.x, s = this.engine.s, p = this.pump_;
      this.q.live(); // the queue's liveness duty on the polling path (a dead peer shows in p.in())
      for (let round = 0; ; round++) {
        this.again = false;
        x.yxw_tick(s, performance.now());
        const moved = p.in() + p.out();
        const acted = this.dispatch();
        if (!moved && !acted && !this.again) break;
        if (round >= MAX_ROUNDS) {
          p.flush();
          macrotask(() => this.pump());
          return;
        }
      }
      p.flush();
      if (this.ended && (p.dead || !x.yamux_session_is_send_pending(s))) this.finish();
      else this.idle();
    } finally {
      this.pumping = false;
    }
  }

  /** @private delivers what the engine reported; true when anything was delivered */
  dispatch() {
    let acted = false;
    if (this.offers.length) {
      acted = true;
      for (const s of this.offers.splice(0)) s.settleOffer();
    }
    if (this.events.size) {
      acted = true;
      const evs = this.events;
      this.events = new Map();
      for (const [st, ev] of evs) this.streams.get(st)?.onEvents(ev);
    }
    if (this.closing.size) for (const s of [...this.closing]) s.poke();
    const x = this.engine.x;
    // Streams that arrived before the end can still be accepted after it, with what they got.
    if (this.acceptWaiters.length && x.yamux_session_get_backlog(this.engine.s)) {
      while (this.acceptWaiters.length) {
        const st = x.yamux_session_accept(this.engine.s);
        if (!st) break;
        acted = true;
        const s = new YamuxStream(this, st, false);
        this.streams.set(st, s);
        this.acceptWaiters.shift().resolve(s);
      }
    }
    if (this.ended && this.acceptWaiters.length) {
      const err = this.sessionError();
      for (const w of this.acceptWaiters.splice(0)) w.reject(err);
    }
    return acted;
  }

  /** @private nothing moves: wait for the channel (waitAsync) or the next deadline */
  idle() {
    const p = this.pump_;
    if (p.busy()) {
      macrotask(() => this.pump());
      return;
    }
    if (!p.dead) {
      if (this.spinMs && this.spin()) return;
      let a;
      const events = p.waitEvents();
      try {
        a = this.q.arm(events, events & WRITABLE ? p.mtu : 0);
      } catch {
        // The channel is ending: the next pump reads the ring to its end and finds out how.
        macrotask(() => this.pump());
        return;
      }
      if (a.ready) {
        macrotask(() => this.pump());
        return;
      }
      if (!this.waiting) {
        this.waiting = true;
        const r = Atomics.waitAsync(a.i32, a.index, a.value, a.timeoutMs);
        if (r.async) r.value.then(this.onWake);
        else macrotask(this.onWake);
      }
    }
    const deadline = this.engine.x.yxw_next_deadline_ms(this.engine.s);
    if (deadline < this.timerAt) {
      clearTimeout(this.timer);
      this.timerAt = deadline;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.timerAt = Infinity;
        this.pump();
      }, Math.max(0, deadline - performance.now()));
    }
  }

  /** @private polls the channel for a short while before sleeping (wake-ups cost tens of
   * microseconds); true when something became ready (a pump is scheduled) */
  spin() {
    const p = this.pump_, events = p.waitEvents();
    const end = performance.now() + this.spinMs;
    try {
      do {
        if (this.q.poll(events, events & WRITABLE ? p.mtu : 0)) {
          macrotask(() => this.pump());
          return true;
        }
      } while (performance.now() < end);
    } catch {
      // the arm that follows reports it
    }
    return false;
  }

  /** @private the session's end as an error (clean ends too: for calls that cannot proceed) */
  sessionError() {
    const code = this.endErr || Codes.ESHUTDOWN;
    return this.streamError(code);
  }

  /** @private the session ended and its last output is out: close the channel, settle */
  finish() {
    this.finished = true;
    this.q.close();
    clearTimeout(this.timer);
    clearInterval(this.beat);
    const err = this.endErr;
    const clean = err === 0 || (err === Codes.EEOF && this.goneAway && !this.pump_.cause);
    for (const s of [...this.streams.values()]) s.poke();
    for (const [, p] of this.pings) p.reject(this.sessionError());
    this.pings.clear();
    if (clean) this.settle.res();
    else this.settle.rej(this.sessionError());
    this.dispatch();
  }
}

export { YamuxStream, YamuxError, Codes };
