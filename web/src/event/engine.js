// The yamux engine (src/session*.c, stream.c, ...) compiled to a standalone wasm module
// (web/wasm/event_glue.c, embedded in dist/yamux_event.wasm.js), wrapped for the event side.
// One Engine holds one session. Session callbacks arrive as synchronous imports while a call
// runs; the handlers only record them (the Session acts after the call returns).
import wasmBase64 from '../../dist/yamux_event.wasm.js';
import { errorClass, Codes } from './errors.js';

/** Keys of EngineConfig, in the order of the enum of yxw_config_set() in event_glue.c. */
export const CONFIG_KEYS = Object.freeze([
  'acceptBacklog', 'maxInflightOpens', 'maxStreams', 'maxStreamWindow', 'windowAutotune',
  'maxRecvMemory', 'streamSendBuffer', 'maxFramePayload', 'enableKeepalive',
  'keepaliveIntervalMs', 'writeTimeoutMs', 'streamOpenTimeoutMs', 'streamCloseTimeoutMs',
]);

const WRITE_MAX = 256 * 1024; // largest piece queued by reference at once (memory bound)

let compiled;

function decodeBase64(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Compiles the engine module once per worker. */
export function compileEngine() {
  compiled ??= WebAssembly.compile(decodeBase64(wasmBase64));
  return compiled;
}

/**
 * Instantiates the engine module with `handlers` for the session callbacks. Exposed for the
 * tests (they drive the C shmq through it); the Session uses Engine.create().
 * @param {object} handlers {incoming(), stream(st, ev), ping(opaque, status, rttMs),
 *   goaway(), close(err)}
 */
export async function instantiateEngine(handlers = {}) {
  const mod = await compileEngine();
  let memory;
  const env = {
    yxw_on_incoming: () => handlers.incoming?.(),
    yxw_on_stream: (sid, st, ev) => handlers.stream?.(st, ev),
    yxw_on_ping: (sid, opaque, status, rtt) => handlers.ping?.(opaque >>> 0, status, rtt),
    yxw_on_goaway: () => handlers.goaway?.(),
    yxw_on_close: (sid, err) => handlers.close?.(err),
    yxw_on_data: (sid, st, data, len) => (handlers.data ? handlers.data(st, data, len) : 0),
    emscripten_notify_memory_growth: () => handlers.grow?.(),
    // the session's hash key (src/random.c): stream ids are chosen by the peer
    getentropy: (ptr, len) => {
      crypto.getRandomValues(new Uint8Array(memory.buffer, ptr, len));
      return 0;
    },
  };
  const wasi = {
    clock_time_get: (id, precision, ptr) => {
      const ns = BigInt(Math.round(performance.now() * 1e6));
      new DataView(memory.buffer).setBigUint64(ptr, ns, true);
      return 0;
    },
  };
  const inst = await WebAssembly.instantiate(mod, { env, wasi_snapshot_preview1: wasi });
  memory = inst.exports.memory;
  inst.exports._initialize?.();
  return inst.exports;
}

/** A C string of the module's memory. */
export function cString(memory, ptr) {
  const u8 = new Uint8Array(memory.buffer);
  let end = ptr;
  while (u8[end]) end++;
  return new TextDecoder().decode(u8.subarray(ptr, end));
}

/** One engine instance running one session. */
export class Engine {
  /**
   * @param {boolean} client yamux client role (odd stream ids)
   * @param {object} config partial EngineConfig (see index.d.ts)
   * @param {object} handlers session callbacks (see instantiateEngine)
   */
  static async create(client, config, handlers) {
    const e = new Engine();
    handlers.grow = () => e.refresh();
    e.x = await instantiateEngine(handlers);
    e.init(client, config);
    return e;
  }

  /** @private */
  init(client, config) {
    const x = this.x;
    this.memory = x.memory;
    this.refresh();
    this.words = x.malloc(64); // out-parameters
    const cfg = x.yxw_config_new();
    for (const [k, v] of Object.entries(config || {})) {
      const key = CONFIG_KEYS.indexOf(k);
      if (key < 0) throw new TypeError(`yamux: unknown config key ${k}`);
      if (v !== undefined) x.yxw_config_set(cfg, key, Number(v));
    }
    const s = x.yxw_session_new(0, client ? 1 : 0, cfg, this.words);
    x.free(cfg);
    if (!s) throw this.error(this.i32[this.words >> 2]);
    this.s = s;
  }

  /** Re-creates the views after the module's memory grew. */
  refresh() {
    this.u8 = new Uint8Array(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /** A YamuxError (of the class for `code`) for engine code `code`, with an optional cause. */
  error(code, cause) {
    const x = this.x;
    const E = errorClass(code);
    return new E(code, cString(this.memory, x.yamux_errname(code)),
      cString(this.memory, x.yamux_strerror(code)), cause);
  }

  /** Allocates `n` bytes of the module's memory (views refreshed). */
  malloc(n) {
    const p = this.x.malloc(n);
    if (!p) throw this.error(Codes.ENOMEM);
    if (this.u8.buffer !== this.memory.buffer) this.refresh();
    return p;
  }

  /**
   * Copies up to `max` received bytes of stream `st` out (peek/consume: one copy), or
   * returns null when none is buffered. Consuming reopens the peer's window.
   */
  readChunk(st, max) {
    const x = this.x;
    const avail = x.yamux_stream_get_read_available(st);
    if (!avail) return null;
    const n = Math.min(avail, max);
    const pp = this.words >> 2;
    let len = x.yamux_stream_peek(st, this.words);
    let p = this.u32[pp];
    if (len >= n) { // one contiguous piece: one copy, no zero-fill
      const out = this.u8.slice(p, p + n);
      x.yamux_stream_consume(st, n);
      return out;
    }
    const out = new Uint8Array(n);
    for (let off = 0; ;) {
      const m = Math.min(len, n - off);
      out.set(this.u8.subarray(p, p + m), off);
      x.yamux_stream_consume(st, m);
      off += m;
      if (off >= n) return out;
      len = x.yamux_stream_peek(st, this.words);
      p = this.u32[pp];
    }
  }

  /** Copies up to `view.byteLength` received bytes of `st` into `view` (peek/consume);
   * returns the count (0 when none is buffered). */
  readInto(st, view) {
    const x = this.x, pp = this.words >> 2, cap = view.byteLength;
    const dst = new Uint8Array(view.buffer, view.byteOffset, cap);
    let off = 0;
    while (off < cap) {
      const len = x.yamux_stream_peek(st, this.words);
      if (!len) break;
      const p = this.u32[pp], m = Math.min(len, cap - off);
      dst.set(this.u8.subarray(p, p + m), off);
      x.yamux_stream_consume(st, m);
      off += m;
    }
    return off;
  }

  /** Discards every buffered byte of `st`; returns the count. */
  discard(st) {
    const x = this.x;
    let total = 0;
    for (let n; (n = x.yamux_stream_peek(st, this.words)) > 0; total += n)
      x.yamux_stream_consume(st, n);
    return total;
  }

  /** Queues bytes of `data` on `st` (copied once into the engine's memory and queued by
   * reference): the count (> 0), 0 for empty data, or a negative code (EAGAIN when the send
   * buffer is full). */
  write(st, data) {
    if (data.length === 0) return 0;
    const x = this.x;
    const n = Math.min(data.length, WRITE_MAX);
    const p = x.malloc(n);
    if (!p) return Codes.ENOMEM;
    if (this.u8.buffer !== this.memory.buffer) this.refresh();
    this.u8.set(n === data.length ? data : data.subarray(0, n), p);
    return x.yxw_write_owned(st, p, n);
  }

  /** Opens a stream: its pointer, or throws YamuxError. */
  open() {
    const r = this.x.yamux_session_open(this.s, this.words);
    if (r) throw this.error(r);
    return this.u32[this.words >> 2];
  }

  /** Sends a ping: its opaque value, or throws YamuxError. */
  ping() {
    const r = this.x.yamux_session_ping(this.s, this.words);
    if (r) throw this.error(r);
    return this.u32[this.words >> 2];
  }

  /** Frees the session and everything in it. */
  free() {
    if (this.s) this.x.yamux_session_free(this.s);
    this.s = 0;
  }
}
