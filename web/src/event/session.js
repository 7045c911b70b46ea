// The event side: a yamux session over one side of an shmq channel, for a worker (or page)
// that must never block. The engine runs in wasm; this class feeds it (Pump), waits on its
// doorbell without blocking (Atomics.waitAsync; on a same-thread channel in a plain
// ArrayBuffer, the queue's same-thread doorbell) and with a timer for the engine's next
// deadline, and exposes streams as WHATWG stream pairs (YamuxStream). Errors are YamuxError
// subclasses.
import { Shmq, ShmqError, READABLE, WRITABLE, SIDE_A, SIDE_B, EPEERDEAD } from '../queue/shmq.js';
import { claimSide, releaseSide, sideGone } from '../queue/channel.js';
import { Engine } from './engine.js';
import { Pump } from './pump.js';
import { YamuxStream } from './stream.js';
import { YamuxError, YamuxClosedError, Codes } from './errors.js';
import { macrotask } from './schedule.js';

const MAX_ROUNDS = 64; // pump rounds before yielding to the event loop
const DEFAULT_HB_TIMEOUT_MS = 10000;

/** Throws a sentence unless `signal` is undefined or an AbortSignal. */
function checkSignal(signal) {
  if (signal !== undefined && (typeof signal?.addEventListener !== 'function' || typeof signal.aborted !== 'boolean'))
    throw new TypeError('yamux: options.signal must be an AbortSignal');
}

/** Calls `fn` when `signal` aborts; returns the unhook. */
function onAbort(signal, fn) {
  if (!signal) return () => {};
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

export class Session {
  /**
   * Attaches `side` of the channel and starts a session on it. Pass the channel made by
   * createChannel() (then a peer whose worker died is told apart from one that closed), or
   * its `buffer` and `offset`. A side serves one session: attaching a side that is in use
   * (or was used) throws.
   * @param {import('../index.js').SessionOptions} options
   * @returns {Promise<Session>}
   */
  static async create(options) {
    if (!options || typeof options !== 'object')
      throw new TypeError('yamux: Session.create(options): options must be an object with the channel ({channel, side}) or {buffer, offset, side}');
    const channel = options.channel;
    if (channel !== undefined && (!channel || typeof channel !== 'object'))
      throw new TypeError('yamux: Session.create: options.channel must be the object createChannel() returned');
    const buffer = options.buffer ?? channel?.buffer;
    const offset = options.offset ?? channel?.offset ?? 0;
    const side = options.side ?? SIDE_A;
    // A channel made for one thread (createChannel({shared: false}): the JSPI backend) holds
    // plain ArrayBuffers; any other ArrayBuffer would be a copy the peer never sees.
    const shared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
    const local = buffer instanceof ArrayBuffer && channel?.shared === false && channel.buffer === buffer;
    if (!shared && !local) {
      if (typeof SharedArrayBuffer === 'undefined' && !(buffer instanceof ArrayBuffer))
        throw new TypeError('yamux: SharedArrayBuffer is not available: a page must be cross-origin isolated (COOP/COEP headers)');
      const got = buffer === undefined ? 'nothing' : buffer?.constructor?.name ?? typeof buffer;
      throw new TypeError(`yamux: Session.create: the channel's buffer must be a SharedArrayBuffer (channel.buffer), got ${got}` +
        (buffer instanceof ArrayBuffer ? ' (a channel for one thread is made by createChannel({shared: false}): pass that channel)' : ''));
    }
    if (side !== SIDE_A && side !== SIDE_B) throw new RangeError(`yamux: Session.create: side must be SIDE_A (0) or SIDE_B (1), got ${String(side)}`);
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`yamux: Session.create: offset must be a byte offset, got ${String(offset)}`);
    const where = channel ?? { buffer, offset };
    claimSide(where, side); // throws when the side is in use
    const client = options.client ?? side === SIDE_A;
    const s = new Session();
    s.channel = channel;
    s.side = side;
    try {
      s.engine = await Engine.create(client, options.config, s.handlers());
    } catch (e) {
      releaseSide(where, side);
      throw e;
    }
    try {
      s.q = Shmq.attach(buffer, offset, side, {
        hbTimeoutMs: options.hbTimeoutMs ?? DEFAULT_HB_TIMEOUT_MS,
        checkIntervalMs: options.checkIntervalMs,
      });
    } catch (e) {
      s.engine.free();
      releaseSide(where, side);
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
    this.openWaiters = []; // open() calls waiting for the stream limit
    this.pings = new Map(); // opaque -> {resolve, reject}
    this.goneAway = false;
    this.draining = false; // close(): no new streams, waiting for the open ones to finish
    this.ended = false;
    this.endErr = 0;
    this.endCause = undefined; // why the session ended (ShmqError, abort reason)
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
        else p.reject(this.streamError(status));
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
    const peer = 1 - this.side;
    this.pump_ = new Pump(this.engine, this.q, {
      // A side marked gone by its supervisor looks closed in the region: it died.
      peerGone: () => !!this.channel && sideGone(this.channel, peer),
    });
    // A pending Atomics.waitAsync does not keep Node.js's event loop alive; this does, and
    // it bumps the heartbeat while the loop is busy elsewhere.
    this.beat = setInterval(() => this.q.heartbeat(), Math.max(10, this.q.sliceMs()));
    this.pump();
  }

  /* ---- public API ---- */

  /**
   * Opens a stream; the SYN goes out at once (data may be written before the peer's ACK,
   * see stream.established). Waits while the engine's stream limit is reached. Rejects with
   * YamuxClosedError (EGOAWAY, ESHUTDOWN), YamuxError, or the signal's reason.
   * @param {{signal?: AbortSignal}} [options]
   * @returns {Promise<YamuxStream>}
   */
  open(options = {}) {
    const { signal } = options ?? {};
    return new Promise((resolve, reject) => {
      checkSignal(signal);
      if (signal?.aborted) return reject(signal.reason);
      if (this.ended || this.draining) return reject(this.closedError());
      const w = { resolve, reject, unhook: null };
      if (this.tryOpen(w)) return;
      w.unhook = onAbort(signal, () => {
        this.openWaiters = this.openWaiters.filter((x) => x !== w);
        reject(signal.reason);
      });
      this.openWaiters.push(w);
    });
  }

  /** @private opens for waiter `w`: false when the stream limit holds it back */
  tryOpen(w) {
    let st;
    try {
      st = this.engine.open();
    } catch (e) {
      if (e.code === Codes.ELIMIT) return false;
      w.unhook?.();
      w.reject(e.code === Codes.ESHUTDOWN || e.code === this.endErr ? this.closedError() : e);
      return true;
    }
    w.unhook?.();
    const s = new YamuxStream(this, st, true);
    this.streams.set(st, s);
    this.kick();
    w.resolve(s);
    return true;
  }

  /**
   * Accepts the next stream the peer opens (streams wait in the engine's bounded backlog
   * until accepted). Rejects with YamuxClosedError once the session ended or is closing, or
   * with the signal's reason.
   * @param {{signal?: AbortSignal}} [options]
   * @returns {Promise<YamuxStream>}
   */
  accept(options = {}) {
    const { signal } = options ?? {};
    return new Promise((resolve, reject) => {
      checkSignal(signal);
      if (signal?.aborted) return reject(signal.reason);
      if (this.ended || this.draining || this.finished) return reject(this.closedError());
      const w = { resolve, reject, unhook: null };
      w.unhook = onAbort(signal, () => {
        this.acceptWaiters = this.acceptWaiters.filter((x) => x !== w);
        reject(signal.reason);
      });
      this.acceptWaiters.push(w);
      this.kick(); // streams may wait in the backlog already
    });
  }

  /** Async iteration over accepted streams, until the session ends or closes. */
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
   * The streams the peer opens, as a ReadableStream (as WebTransport's
   * incomingBidirectionalStreams); it closes when the session ends or closes.
   * @returns {ReadableStream<YamuxStream>}
   */
  get incomingStreams() {
    this.incoming_ ??= new ReadableStream(
      {
        pull: (c) =>
          this.accept().then(
            (s) => c.enqueue(s),
            () => c.close(),
          ),
      },
      { highWaterMark: 0 },
    );
    return this.incoming_;
  }

  /**
   * Pings the peer; resolves with the round trip in milliseconds. Rejects with
   * YamuxTimeoutError when unanswered in time, YamuxClosedError when the session ends, or the
   * signal's reason.
   * @param {{signal?: AbortSignal}} [options]
   * @returns {Promise<number>}
   */
  ping(options = {}) {
    const { signal } = options ?? {};
    return new Promise((resolve, reject) => {
      checkSignal(signal);
      if (signal?.aborted) return reject(signal.reason);
      if (this.ended) return reject(this.closedError());
      let opaque;
      try {
        opaque = this.engine.ping();
      } catch (e) {
        return reject(e);
      }
      const unhook = onAbort(signal, () => {
        this.pings.delete(opaque);
        reject(signal.reason);
      });
      this.pings.set(opaque, {
        resolve: (v) => (unhook(), resolve(v)),
        reject: (e) => (unhook(), reject(e)),
      });
      this.kick();
    });
  }

  /** Sends GoAway 0: the peer may open no new streams; existing streams go on. */
  goAway() {
    const r = this.engine.x.yamux_session_goaway(this.engine.s);
    if (r) throw this.closedError();
    this.kick();
  }

  /**
   * Graceful close: sends GoAway 0, refuses new streams both ways (streams still waiting to
   * be accepted are reset, pending accept() calls reject), lets every open stream finish
   * (both directions ended or reset), then ends the session and closes this side of the
   * channel. Resolves with `closed`. `signal`: when it aborts first, the close turns hard
   * (abort() with its reason).
   * @param {{signal?: AbortSignal}} [options]
   * @returns {Promise<void>}
   */
  close(options = {}) {
    const { signal } = options ?? {};
    checkSignal(signal);
    if (!this.ended && !this.draining) {
      this.draining = true;
      this.engine.x.yamux_session_goaway(this.engine.s);
      const err = this.closedError();
      for (const w of this.acceptWaiters.splice(0)) (w.unhook(), w.reject(err));
      for (const w of this.openWaiters.splice(0)) (w.unhook?.(), w.reject(err));
      this.kick();
    }
    if (signal && !this.finished) {
      if (signal.aborted) this.abort(signal.reason);
      else onAbort(signal, () => this.abort(signal.reason));
    }
    return this.closed;
  }

  /**
   * Hard close: ends the session at once. GoAway 0 goes out, every stream fails with
   * YamuxClosedError (ESHUTDOWN, `cause`: the reason), what was queued is dropped, this side
   * of the channel closes and `closed` rejects with the same error.
   * @param {unknown} [reason]
   */
  abort(reason) {
    if (this.ended || this.finished) return;
    this.aborted = true;
    this.endCause = reason;
    this.engine.x.yamux_session_close(this.engine.s);
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

  /** Streams alive in the engine (both directions, and those waiting to be accepted). */
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
    const ending = this.ended && (code === this.endErr || (this.endErr === 0 && code === Codes.ESHUTDOWN));
    const cause = code === Codes.ETRANSPORT || ending ? (this.endCause ?? this.pump_?.cause ?? undefined) : undefined;
    return this.engine.error(code, cause);
  }

  /** @private the error of a call that cannot proceed because the session ended or closes */
  closedError() {
    if (this.ended) return this.streamError(this.endErr || Codes.ESHUTDOWN);
    return new YamuxClosedError(Codes.ESHUTDOWN, 'YAMUX_ESHUTDOWN', 'session closing (close() was called)');
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
        if (this.draining && !this.ended && !x.yamux_session_get_num_streams(s)) {
          x.yamux_session_close(s); // every stream finished: end (GoAway already sent)
          continue;
        }
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
    const x = this.engine.x, es = this.engine.s;
    if (x.yamux_session_get_backlog(es)) {
      if (this.draining && !this.ended) {
        // close() refuses what the peer opened meanwhile: reset, never handed out
        for (let st; (st = x.yamux_session_accept(es));) {
          x.yamux_stream_reset(st);
          x.yamux_stream_release(st);
          acted = true;
        }
      }
      // Streams that arrived before the end can still be accepted after it, with what they got.
      while (this.acceptWaiters.length) {
        const st = x.yamux_session_accept(es);
        if (!st) break;
        acted = true;
        const s = new YamuxStream(this, st, false);
        this.streams.set(st, s);
        const w = this.acceptWaiters.shift();
        w.unhook();
        w.resolve(s);
      }
    }
    if (this.openWaiters.length && !this.ended) {
      while (this.openWaiters.length && this.tryOpen(this.openWaiters[0])) {
        this.openWaiters.shift();
        acted = true;
      }
    }
    if (this.ended && (this.acceptWaiters.length || this.openWaiters.length)) {
      const err = this.closedError();
      for (const w of this.acceptWaiters.splice(0)) (w.unhook(), w.reject(err));
      for (const w of this.openWaiters.splice(0)) (w.unhook?.(), w.reject(err));
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
        const r = this.q.bell.waitAsync(a.i32, a.index, a.value, a.timeoutMs);
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

  /** @private the session ended and its last output is out: close the channel, settle */
  finish() {
    this.finished = true;
    this.q.close();
    clearTimeout(this.timer);
    clearInterval(this.beat);
    if (this.pump_.cause && this.endCause === undefined) this.endCause = this.pump_.cause;
    const err = this.endErr;
    // Clean: closed here (not aborted), or the peer closed its side itself (not found dead).
    const peerClosed = err === Codes.EEOF && this.pump_.cause?.code !== EPEERDEAD &&
      (this.goneAway || this.pump_.peerClosed);
    const clean = (err === 0 && !this.aborted) || peerClosed;
    for (const s of [...this.streams.values()]) s.poke();
    for (const [, p] of this.pings) p.reject(this.closedError());
    this.pings.clear();
    if (clean) this.settle.res();
    else this.settle.rej(this.closedError());
    this.dispatch();
  }
}

export { YamuxStream, YamuxError, Codes };
