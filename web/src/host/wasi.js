// A minimal WASI preview 1 host for a blocking wasm worker: just enough for a Go program
// built with GOOS=wasip1 GOARCH=wasm (args/env, clocks, random, stdio, proc_exit,
// sched_yield, poll_oneoff, and descriptors that are not files: stdio and a shared-memory
// queue, see shmq-fd.js). No file system: path_* calls fail with ENOTCAPABLE/EBADF.
//
// poll_oneoff blocks the worker with Atomics.wait (on the waitable descriptor's doorbell,
// or on a private word for pure sleeps) until a subscribed descriptor is ready or the
// earliest clock subscription expires, so the Go scheduler parks there when every goroutine
// waits (see web/go/README.md for how Go's wasip1 runtime uses it).
//
// Works in Node.js worker_threads and in browser workers (Atomics.wait is not allowed on a
// browser's main thread).

/** WASI errno values (wasi_snapshot_preview1). */
export const E = Object.freeze({
  SUCCESS: 0, BADF: 8, AGAIN: 6, CONNRESET: 15, FAULT: 21, INTR: 27, INVAL: 28, IO: 29,
  NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTSOCK: 57, NOTSUP: 58, PIPE: 64, SPIPE: 70,
  NOTCAPABLE: 76,
});

/** Filetypes and fdflags. */
export const FILETYPE = Object.freeze({
  UNKNOWN: 0, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4, SOCKET_DGRAM: 5,
  SOCKET_STREAM: 6,
});
export const FDFLAG_APPEND = 1, FDFLAG_NONBLOCK = 4;

/** Readiness bits used between the host and its descriptors. */
export const POLL_READ = 1, POLL_WRITE = 2;

const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS = 2, CLOCK_THREAD = 3;
const EVENTTYPE_CLOCK = 0, EVENTTYPE_FD_READ = 1, EVENTTYPE_FD_WRITE = 2;
const SUBCLOCK_ABSTIME = 1;
const EVENT_FD_READWRITE_HANGUP = 1;
const SUB_SIZE = 48, EVENT_SIZE = 32;

/** Thrown through the wasm stack by proc_exit; Wasi.start() catches it. */
export class WasiExit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

const now = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();
/** Monotonic nanoseconds as a BigInt (performance.now(): us resolution in Node). */
export function monotonicNs() {
  return BigInt(Math.round(now() * 1e6));
}
function realtimeNs() {
  const origin = typeof performance !== 'undefined' && performance.timeOrigin;
  return origin ? BigInt(Math.round((origin + now()) * 1e6)) : BigInt(Date.now()) * 1000000n;
}

/**
 * A descriptor for standard output/error: fd_write hands the bytes to `sink(Uint8Array)`
 * (a copy); always writable.
 */
export class StdioFd {
  constructor(sink) {
    this.sink = sink;
    this.filetype = FILETYPE.CHARACTER_DEVICE;
    this.fdflags = FDFLAG_APPEND;
  }
  write(chunks) {
    let n = 0;
    for (const c of chunks) {
      if (c.length && this.sink) this.sink(c.slice());
      n += c.length;
    }
    return n;
  }
  read() {
    return 0; // stdin: EOF
  }
  ready(events) {
    return events;
  }
  close() {}
}

/** Collects bytes into lines (UTF-8) and calls `onLine(line)` per line. */
export function lineSink(onLine) {
  const dec = new TextDecoder();
  let pending = '';
  const sink = (bytes) => {
    pending += dec.decode(bytes, { stream: true });
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  };
  sink.flush = () => {
    pending += dec.decode();
    if (pending) onLine(pending);
    pending = '';
  };
  return sink;
}

/**
 * The WASI host. `fds` maps descriptor numbers (3 and up) to descriptor objects:
 *   filetype, fdflags                      for fd_fdstat_get
 *   read(chunks: Uint8Array[]) -> n | -errno  fill the chunks in order; 0 = end of file
 *   write(chunks: Uint8Array[]) -> n | -errno
 *   ready(events) -> events ready now (POLL_READ|POLL_WRITE), with `hangup` noted by
 *                    readyHangup() when the peer is gone
 *   block(events, timeoutMs) (optional)    sleep until one of events may be ready or the
 *                                          timeout; at most one descriptor may be waitable
 *   shutdown(how), close()
 * Options: args (argv, argv[0] = program name), env (object), stdout/stderr (sinks taking a
 * Uint8Array), random (fills a Uint8Array; default crypto.getRandomValues).
 */
export class Wasi {
  constructor({ args = ['main.wasm'], env = {}, stdout, stderr, fds = {}, random } = {}) {
    this.args = args.map(String);
    this.env = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    this.fds = new Map([
      [0, new StdioFd(null)],
      [1, new StdioFd(stdout)],
      [2, new StdioFd(stderr)],
    ]);
    for (const [k, v] of Object.entries(fds)) this.fds.set(Number(k), v);
    this.random = random || ((u8) => {
      // getRandomValues refuses views on shared memory and more than 64 KiB at a time.
      for (let off = 0; off < u8.length; off += 65536) {
        const part = new Uint8Array(Math.min(65536, u8.length - off));
        crypto.getRandomValues(part);
        u8.set(part, off);
      }
    });
    this.memory = null;
    this._pending = null; // a descriptor holding a small write back (see _makeImports)
    this.sleepWord = new Int32Array(new SharedArrayBuffer(4));
    this.stats = { polls: 0, blocks: 0, reads: 0, writes: 0, readBytes: 0, writeBytes: 0 };
    this._buf = null;
    this._u8 = null;
    this._dv = null;
    this.imports = { wasi_snapshot_preview1: this._makeImports() };
  }

  /** Runs the command's _start and returns its exit status. */
  start(instance) {
    this.memory = instance.exports.memory;
    try {
      instance.exports._start();
      return 0;
    } catch (e) {
      if (e instanceof WasiExit) return e.code;
      throw e;
    } finally {
      if (this._pending) this._flushPending();
      for (const [fd, d] of this.fds) if (fd > 2 && d.close) d.close();
    }
  }

  _flushPending(kind) {
    const d = this._pending;
    d.flushPending(kind);
    if (!d.hasPending) this._pending = null;
  }

  _views() {
    const buf = this.memory.buffer;
    if (buf !== this._buf) {
      this._buf = buf;
      this._u8 = new Uint8Array(buf);
      this._dv = new DataView(buf);
    }
  }

  /** The iovec list at `iovs` as Uint8Array views over the wasm memory. */
  _iovs(iovs, n) {
    this._views();
    const dv = this._dv, out = [];
    for (let i = 0; i < n; i++) {
      const p = dv.getUint32(iovs + 8 * i, true), len = dv.getUint32(iovs + 8 * i + 4, true);
      if (len) out.push(this._u8.subarray(p, p + len));
    }
    return out;
  }

  _makeImports() {
    const self = this;
    const fdOf = (fd) => self.fds.get(fd);
    const strings = (list) => list.map((s) => new TextEncoder().encode(s + '\0'));
    const putStrings = (list, ptrs, buf) => {
      self._views();
      let off = buf;
      strings(list).forEach((b, i) => {
        self._dv.setUint32(ptrs + 4 * i, off, true);
        self._u8.set(b, off);
        off += b.length;
      });
      return E.SUCCESS;
    };
    const sizes = (list, countPtr, sizePtr) => {
      self._views();
      self._dv.setUint32(countPtr, list.length, true);
      self._dv.setUint32(sizePtr, strings(list).reduce((a, b) => a + b.length, 0), true);
      return E.SUCCESS;
    };
    const imp = {
      args_sizes_get: (c, s) => sizes(self.args, c, s),
      args_get: (p, b) => putStrings(self.args, p, b),
      environ_sizes_get: (c, s) => sizes(self.env, c, s),
      environ_get: (p, b) => putStrings(self.env, p, b),

      clock_res_get(id, resPtr) {
        self._views();
        self._dv.setBigUint64(resPtr, 1000n, true);
        return E.SUCCESS;
      },
      clock_time_get(id, precision, timePtr) {
        self._views();
        let t;
        if (id === CLOCK_REALTIME) t = realtimeNs();
        else if (id === CLOCK_MONOTONIC || id === CLOCK_PROCESS || id === CLOCK_THREAD) t = monotonicNs();
        else return E.INVAL;
        self._dv.setBigUint64(timePtr, t, true);
        return E.SUCCESS;
      },
      random_get(buf, len) {
        self._views();
        self.random(self._u8.subarray(buf, buf + len));
        return E.SUCCESS;
      },
      proc_exit(code) {
        throw new WasiExit(code);
      },
      proc_raise: () => E.NOSYS,
      sched_yield: () => E.SUCCESS,

      fd_write(fd, iovs, n, nwrittenPtr) {
        const d = fdOf(fd);
        if (self._pending) self._flushPending(self._pending === d ? 'write' : undefined);
        if (!d || !d.write) return E.BADF;
        const r = d.write(self._iovs(iovs, n));
        if (d.hasPending) self._pending = d;
        if (r < 0) return -r;
        self._views();
        self._dv.setUint32(nwrittenPtr, r, true);
        self.stats.writes++;
        self.stats.writeBytes += r;
        return E.SUCCESS;
      },
      fd_read(fd, iovs, n, nreadPtr) {
        const d = fdOf(fd);
        if (self._pending) self._flushPending(self._pending === d ? 'read' : undefined);
        if (!d || !d.read) return E.BADF;
        const r = d.read(self._iovs(iovs, n));
        if (d.hasPending) self._pending = d;
        if (r < 0) return -r;
        self._views();
        self._dv.setUint32(nreadPtr, r, true);
        self.stats.reads++;
        self.stats.readBytes += r;
        return E.SUCCESS;
      },
      fd_pread: () => E.SPIPE,
      fd_pwrite: () => E.SPIPE,
      fd_seek: (fd) => (fdOf(fd) ? E.SPIPE : E.BADF),
      fd_tell: (fd) => (fdOf(fd) ? E.SPIPE : E.BADF),
      fd_sync: (fd) => (fdOf(fd) ? E.SUCCESS : E.BADF),
      fd_datasync: (fd) => (fdOf(fd) ? E.SUCCESS : E.BADF),
      fd_advise: (fd) => (fdOf(fd) ? E.SUCCESS : E.BADF),
      fd_allocate: (fd) => (fdOf(fd) ? E.NOTSUP : E.BADF),
      fd_close(fd) {
        const d = fdOf(fd);
        if (!d) return E.BADF;
        if (fd > 2) {
          self.fds.delete(fd);
          if (d.close) d.close();
        }
        return E.SUCCESS;
      },
      fd_fdstat_get(fd, ptr) {
        const d = fdOf(fd);
        if (!d) return E.BADF;
        self._views();
        const dv = self._dv;
        dv.setUint8(ptr, d.filetype);
        dv.setUint8(ptr + 1, 0);
        dv.setUint16(ptr + 2, d.fdflags, true);
        dv.setUint32(ptr + 4, 0, true);
        dv.setBigUint64(ptr + 8, 0xFFFFFFFFFFFFFFFFn, true); // rights: everything
        dv.setBigUint64(ptr + 16, 0xFFFFFFFFFFFFFFFFn, true);
        return E.SUCCESS;
      },
      fd_fdstat_set_flags(fd, flags) {
        const d = fdOf(fd);
        if (!d) return E.BADF;
        // The queue is always non-blocking; stdio writes never block.
        if (d.setFlags) return d.setFlags(flags);
        return E.SUCCESS;
      },
      fd_fdstat_set_rights: (fd) => (fdOf(fd) ? E.SUCCESS : E.BADF),
      fd_filestat_get(fd, ptr) {
        const d = fdOf(fd);
        if (!d) return E.BADF;
        self._views();
        for (let i = 0; i < 64; i += 8) self._dv.setBigUint64(ptr + i, 0n, true);
        self._dv.setUint8(ptr + 16, d.filetype);
        self._dv.setBigUint64(ptr + 24, 1n, true); // nlink
        return E.SUCCESS;
      },
      fd_filestat_set_size: (fd) => (fdOf(fd) ? E.INVAL : E.BADF),
      fd_filestat_set_times: (fd) => (fdOf(fd) ? E.NOTSUP : E.BADF),
      // No preopened directories: fd 3 and up are not preopens (EBADF ends Go's scan).
      fd_prestat_get: () => E.BADF,
      fd_prestat_dir_name: () => E.BADF,
      fd_readdir: (fd) => (fdOf(fd) ? E.NOTDIR : E.BADF),
      fd_renumber: () => E.NOTSUP,

      path_create_directory: () => E.NOTCAPABLE,
      path_filestat_get: () => E.NOTCAPABLE,
      path_filestat_set_times: () => E.NOTCAPABLE,
      path_link: () => E.NOTCAPABLE,
      path_open: () => E.NOTCAPABLE,
      path_readlink: () => E.NOTCAPABLE,
      path_remove_directory: () => E.NOTCAPABLE,
      path_rename: () => E.NOTCAPABLE,
      path_symlink: () => E.NOTCAPABLE,
      path_unlink_file: () => E.NOTCAPABLE,

      sock_accept: (fd) => (fdOf(fd) ? E.NOTSUP : E.BADF),
      sock_recv: () => E.NOTSUP,
      sock_send: () => E.NOTSUP,
      sock_shutdown(fd, how) {
        const d = fdOf(fd);
        if (!d) return E.BADF;
        if (!d.shutdown) return E.NOTSOCK;
        return d.shutdown(how);
      },

      poll_oneoff: (inPtr, outPtr, nsubs, neventsPtr) => self._pollOneoff(inPtr, outPtr, nsubs, neventsPtr),
    };
    // A descriptor may hold a small write back for the next write (ShmqFd: a frame header
    // and its body in one record); any other call publishes it first.
    for (const [name, f] of Object.entries(imp)) {
      if (name === 'fd_write' || name === 'fd_read') continue;
      imp[name] = function (a, b, c, d, e, g, h, i, j) {
        if (self._pending) self._flushPending();
        return f(a, b, c, d, e, g, h, i, j);
      };
    }
    return imp;
  }

  // poll_oneoff: level-triggered readiness of fd subscriptions plus clock subscriptions
  // (relative or absolute). Returns at once when something is ready or a clock expired,
  // else blocks with Atomics.wait until that happens.
  _pollOneoff(inPtr, outPtr, nsubs, neventsPtr) {
    if (nsubs === 0) return E.INVAL;
    this.stats.polls++;
    this._views();
    const dv = this._dv;
    const subs = [];
    let deadline = null; // earliest clock expiry, monotonic ns (BigInt)
    let t0 = null;
    for (let i = 0; i < nsubs; i++) {
      const p = inPtr + i * SUB_SIZE;
      const userdata = dv.getBigUint64(p, true);
      const tag = dv.getUint8(p + 8);
      if (tag === EVENTTYPE_CLOCK) {
        const id = dv.getUint32(p + 16, true);
        let timeout = dv.getBigUint64(p + 24, true);
        const flags = dv.getUint16(p + 40, true);
        if (t0 === null) t0 = monotonicNs();
        let at;
        if (flags & SUBCLOCK_ABSTIME) {
          // Convert an absolute time on `id` to the monotonic clock.
          const cur = id === CLOCK_REALTIME ? realtimeNs() : t0;
          at = t0 + (timeout > cur ? timeout - cur : 0n);
        } else {
          at = t0 + timeout;
        }
        subs.push({ userdata, tag, at });
        if (deadline === null || at < deadline) deadline = at;
      } else if (tag === EVENTTYPE_FD_READ || tag === EVENTTYPE_FD_WRITE) {
        const fd = dv.getUint32(p + 16, true);
        subs.push({ userdata, tag, fd, d: this.fds.get(fd) });
      } else {
        return E.INVAL;
      }
    }

    for (;;) {
      // Collect what is ready now.
      let n = 0;
      let waitable = null, waitEvents = 0;
      const tnow = deadline !== null ? monotonicNs() : 0n;
      for (const s of subs) {
        let error = 0, ready = false, hangup = false;
        if (s.tag === EVENTTYPE_CLOCK) {
          ready = s.at <= tnow;
        } else if (!s.d) {
          ready = true;
          error = E.BADF;
        } else {
          const want = s.tag === EVENTTYPE_FD_READ ? POLL_READ : POLL_WRITE;
          const r = s.d.ready(want);
          ready = (r & want) !== 0;
          hangup = ready && s.d.hangup ? s.d.hangup() : false;
          if (!ready && s.d.block) {
            waitable = s.d;
            waitEvents |= want;
          }
        }
        if (ready) {
          const q = outPtr + n * EVENT_SIZE;
          dv.setBigUint64(q, s.userdata, true);
          dv.setUint16(q + 8, error, true);
          dv.setUint8(q + 10, s.tag);
          dv.setUint8(q + 11, 0);
          dv.setUint32(q + 12, 0, true);
          dv.setBigUint64(q + 16, 0n, true); // nbytes: unknown
          dv.setUint16(q + 24, hangup ? EVENT_FD_READWRITE_HANGUP : 0, true);
          dv.setUint16(q + 26, 0, true);
          dv.setUint32(q + 28, 0, true);
          n++;
        }
      }
      if (n > 0) {
        dv.setUint32(neventsPtr, n, true);
        return E.SUCCESS;
      }
      // Nothing ready: sleep until the earliest clock or until the descriptor may be ready.
      let timeoutMs = Infinity;
      if (deadline !== null) timeoutMs = Number(deadline - tnow) / 1e6;
      this.stats.blocks++;
      if (waitable) {
        waitable.block(waitEvents, timeoutMs);
      } else if (timeoutMs === Infinity) {
        // Only descriptors that can never become ready: that would hang for good.
        return E.INVAL;
      } else {
        Atomics.wait(this.sleepWord, 0, 0, timeoutMs);
      }
      this._views(); // memory cannot grow while we block, but be safe
    }
  }
}

/**
 * Instantiates a WASI command module (a WebAssembly.Module or bytes) with `wasi` and runs
 * it to completion. Returns the exit status.
 */
export async function runWasi(module, wasi) {
  const mod = module instanceof WebAssembly.Module ? module : await WebAssembly.compile(module);
  const instance = await WebAssembly.instantiate(mod, wasi.imports);
  return wasi.start(instance);
}
