// The WASI preview 1 imports (wasi_snapshot_preview1) of the wasm worker, plus the one
// import of this project (yamux.dial). Enough for Go (GOOS=wasip1) and C (wasi-libc)
// programs: args/env, clocks, random, stdio, proc_exit, sched_yield, poll_oneoff (poll.js),
// and descriptors that are not files: stdio (stdio.js), yamux streams as sockets
// (sockets.js) or the shared-memory queue itself (../shmq-fd.js, raw mode). No file system:
// path_* calls fail with ENOTCAPABLE, fd_prestat_get with EBADF.
//
// Every pointer and length from the guest is checked against its memory before use (EFAULT,
// nothing changed); invalid flags, counts and descriptors give EINVAL/EBADF/ENOTSOCK. A
// guest's bad call never throws in the host.
//
// The imports that may wait (poll_oneoff) or give the thread back (clock_time_get,
// sched_yield) go through the backend's suspending(): themselves with Atomics, where they
// block the worker; WebAssembly.Suspending functions with JSPI, where they return a Promise
// when they wait, and the entry point runs through the backend's promising().
//
// Descriptor objects (fds 0..2 are stdio; 3 is the listener or the raw queue; streams get the
// lowest free number above):
//   filetype, fdflags                       fd_fdstat_get
//   read(chunks) / write(chunks)            count (0 = end of file) or -errno
//   ready(events) -> events ready now (POLL_READ | POLL_WRITE); hangup() -> boolean
//   block(events, timeoutMs)  (optional)    sleep until ready (raw queue only)
//   shutdown(how), accept(), recv(chunks, flags), setFlags(flags)   (optional)
//   close(); onExit() (optional, replaces close() when the guest exits)
import { E, FILETYPE, WasiExit, CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS, CLOCK_THREAD, FDFLAG_NONBLOCK } from './errno.js';
import { GuestMemory } from './memory.js';
import { StdioFd } from './stdio.js';
import { monotonicMs, realtimeMs, putNs } from './clocks.js';
import { pollOneoff } from './poll.js';
import { SocketFd, errnoOf } from './sockets.js';

/** Highest descriptor number handed out (EMFILE beyond). */
const FD_MAX = 65535;

/** The imports that may wait or give the thread back (the backend's suspending()). */
const WAITING = ['poll_oneoff', 'clock_time_get', 'sched_yield'];

export class Wasi {
  /**
   * @param {object} o
   * @param {string[]} [o.args] argv (argv[0] the program name)
   * @param {Record<string, string>} [o.env]
   * @param {(b: Uint8Array) => void} [o.stdout] [o.stderr] sinks (a copy of each write)
   * @param {Record<number, object>} [o.fds] descriptors 3 and up
   * @param {import('../streams/driver.js').Driver} [o.driver] sockets mode: the stream driver
   * @param {object} o.backend the blocking primitive (backends/atomics.js)
   * @param {(u8: Uint8Array) => void} [o.random]
   */
  constructor({ args = ['main.wasm'], env = {}, stdout, stderr, fds = {}, driver = null, backend, random } = {}) {
    const enc = new TextEncoder();
    this.args = args.map((s) => enc.encode(String(s) + '\0'));
    this.env = Object.entries(env).map(([k, v]) => enc.encode(`${k}=${v}\0`));
    this.fds = new Map([
      [0, new StdioFd(null)],
      [1, new StdioFd(stdout)],
      [2, new StdioFd(stderr)],
    ]);
    for (const [k, v] of Object.entries(fds)) this.fds.set(Number(k), v);
    this.driver = driver;
    this.backend = backend;
    this.random = random || defaultRandom;
    this.mem = null;
    this._pending = null; // a raw queue descriptor holding a small write back (shmq-fd.js)
    this.stats = { polls: 0, blocks: 0, reads: 0, writes: 0, readBytes: 0, writeBytes: 0 };
    this.imports = { wasi_snapshot_preview1: this._preview1(), yamux: this._yamux() };
  }

  /** Gives the imports the guest's memory (start() does it; tests call it directly). */
  bind(memory) {
    this.mem = new GuestMemory(memory);
  }

  /**
   * Runs the command's _start and returns its exit status (proc_exit's, or 0); a Promise of
   * it with an asynchronous backend (JSPI), whose guest suspends in the waiting imports.
   * @returns {number|Promise<number>}
   */
  start(instance) {
    this.bind(instance.exports.memory);
    const entry = this.backend ? this.backend.promising(instance.exports._start) : instance.exports._start;
    let r;
    try {
      r = entry();
    } catch (e) {
      return this._ended(e);
    }
    if (r instanceof Promise) return r.then(() => this._ended(null), (e) => this._ended(e));
    return this._ended(null);
  }

  /** @private the guest's end: `e` null (_start returned), a WasiExit, or what it threw */
  _ended(e) {
    try {
      if (e === null) return 0;
      if (e instanceof WasiExit) return e.code;
      throw e;
    } finally {
      if (this._pending) this._flushPending();
      for (const [fd, d] of this.fds) {
        if (fd <= 2) continue;
        if (d.onExit) d.onExit();
        else d.close?.();
      }
    }
  }

  /** Gives `d` the lowest free descriptor number above 2; -1 when none is left. */
  allocFd(d) {
    for (let fd = 3; fd <= FD_MAX; fd++) {
      if (!this.fds.has(fd)) {
        this.fds.set(fd, d);
        return fd;
      }
    }
    return -1;
  }

  _flushPending(kind) {
    const d = this._pending;
    d.flushPending(kind);
    if (!d.hasPending) this._pending = null;
  }

  /** @private fd_read / fd_write / sock_recv / sock_send */
  _io(fd, iovs, n, outPtr, op, flags) {
    const d = this.fds.get(fd);
    if (this._pending) this._flushPending(this._pending === d ? op : undefined);
    if (!d) return E.BADF;
    const mem = this.mem;
    if (!mem.ok(outPtr, 4)) return E.FAULT; // checked first: bytes moved are never lost
    const chunks = mem.iovecs(iovs, n);
    if (!chunks) return E.FAULT;
    let r;
    if (op === 'recv') r = d.recv ? d.recv(chunks, flags) : -E.NOTSOCK;
    else if (op === 'read') r = d.read ? d.read(chunks) : -E.BADF;
    else r = d.write ? d.write(chunks) : -E.BADF;
    if (d.hasPending) this._pending = d;
    if (r < 0) return -r;
    mem.refresh();
    mem.dv.setUint32(outPtr, r, true);
    if (op === 'write') {
      this.stats.writes++;
      this.stats.writeBytes += r;
    } else {
      this.stats.reads++;
      this.stats.readBytes += r;
    }
    return E.SUCCESS;
  }

  _preview1() {
    const self = this;
    const fdOf = (fd) => self.fds.get(fd >>> 0);
    const sizes = (list, countPtr, sizePtr) => {
      countPtr >>>= 0;
      sizePtr >>>= 0;
      const mem = self.mem;
      if (!mem.ok(countPtr, 4) || !mem.ok(sizePtr, 4)) return E.FAULT;
      mem.dv.setUint32(countPtr, list.length, true);
      mem.dv.setUint32(sizePtr, list.reduce((a, b) => a + b.length, 0), true);
      return E.SUCCESS;
    };
    const strings = (list, ptrs, buf) => {
      ptrs >>>= 0;
      buf >>>= 0;
      const mem = self.mem;
      const total = list.reduce((a, b) => a + b.length, 0);
      if (!mem.ok(ptrs, 4 * list.length) || !mem.ok(buf, total)) return E.FAULT;
      let off = buf;
      list.forEach((b, i) => {
        mem.dv.setUint32(ptrs + 4 * i, off, true);
        mem.u8.set(b, off);
        off += b.length;
      });
      return E.SUCCESS;
    };
    const clockOk = (id) => id === CLOCK_REALTIME || id === CLOCK_MONOTONIC || id === CLOCK_PROCESS || id === CLOCK_THREAD;
    const imp = {
      args_sizes_get: (c, s) => sizes(self.args, c, s),
      args_get: (p, b) => strings(self.args, p, b),
      environ_sizes_get: (c, s) => sizes(self.env, c, s),
      environ_get: (p, b) => strings(self.env, p, b),

      clock_res_get(id, resPtr) {
        resPtr >>>= 0;
        if (!clockOk(id >>> 0)) return E.INVAL;
        if (!self.mem.ok(resPtr, 8)) return E.FAULT;
        putNs(self.mem.dv, resPtr, 0.001);
        return E.SUCCESS;
      },
      clock_time_get: function clockTimeGet(id, precision, timePtr) {
        timePtr >>>= 0;
        id >>>= 0;
        if (!clockOk(id)) return E.INVAL;
        if (!self.mem.ok(timePtr, 8)) return E.FAULT;
        // A guest that computes calls the clock often: keep the session served (pings,
        // window updates) without waiting for its next poll, and (JSPI) give the thread
        // back for a moment when the guest has kept it for a while.
        if (self.driver) self.driver.pumpIfIdle(2);
        const y = self.backend?.yieldDue();
        if (y) return y.then(() => clockTimeGet(id, precision, timePtr));
        putNs(self.mem.dv, timePtr, id === CLOCK_REALTIME ? realtimeMs() : monotonicMs());
        return E.SUCCESS;
      },
      random_get(buf, len) {
        buf >>>= 0;
        len >>>= 0;
        if (!self.mem.ok(buf, len)) return E.FAULT;
        self.random(self.mem.u8.subarray(buf, buf + len));
        return E.SUCCESS;
      },
      proc_exit(code) {
        throw new WasiExit(code >>> 0);
      },
      proc_raise: () => E.NOSYS,
      sched_yield: () => self.backend?.yieldDue()?.then(() => E.SUCCESS) ?? E.SUCCESS,

      fd_write: (fd, iovs, n, outPtr) => self._io(fd >>> 0, iovs >>> 0, n >>> 0, outPtr >>> 0, 'write'),
      fd_read: (fd, iovs, n, outPtr) => self._io(fd >>> 0, iovs >>> 0, n >>> 0, outPtr >>> 0, 'read'),
      fd_pread: (fd) => (fdOf(fd) ? E.SPIPE : E.BADF),
      fd_pwrite: (fd) => (fdOf(fd) ? E.SPIPE : E.BADF),
      fd_seek: (fd) => (fdOf(fd) ? E.SPIPE : E.BADF),
      fd_tell: (fd) => (fdOf(fd) ? E.SPIPE : E.BADF),
      fd_sync: (fd) => (fdOf(fd) ? E.SUCCESS : E.BADF),
      fd_datasync: (fd) => (fdOf(fd) ? E.SUCCESS : E.BADF),
      fd_advise: (fd) => (fdOf(fd) ? E.SUCCESS : E.BADF),
      fd_allocate: (fd) => (fdOf(fd) ? E.NOTSUP : E.BADF),
      fd_close(fd) {
        fd >>>= 0;
        const d = self.fds.get(fd);
        if (!d) return E.BADF;
        if (fd > 2) {
          self.fds.delete(fd);
          d.close?.();
        }
        return E.SUCCESS;
      },
      fd_fdstat_get(fd, ptr) {
        ptr >>>= 0;
        const d = fdOf(fd);
        if (!d) return E.BADF;
        if (!self.mem.ok(ptr, 24)) return E.FAULT;
        const dv = self.mem.dv;
        dv.setUint8(ptr, d.filetype);
        dv.setUint8(ptr + 1, 0);
        dv.setUint16(ptr + 2, d.fdflags, true);
        dv.setUint32(ptr + 4, 0, true);
        dv.setBigUint64(ptr + 8, 0xffffffffffffffffn, true); // rights: everything
        dv.setBigUint64(ptr + 16, 0xffffffffffffffffn, true);
        return E.SUCCESS;
      },
      fd_fdstat_set_flags(fd, flags) {
        const d = fdOf(fd);
        if (!d) return E.BADF;
        flags &= 0xffff;
        if (d.setFlags) return d.setFlags(flags);
        return E.SUCCESS; // stdio: writes never block
      },
      fd_fdstat_set_rights: (fd) => (fdOf(fd) ? E.SUCCESS : E.BADF),
      fd_filestat_get(fd, ptr) {
        ptr >>>= 0;
        const d = fdOf(fd);
        if (!d) return E.BADF;
        if (!self.mem.ok(ptr, 64)) return E.FAULT;
        self.mem.u8.fill(0, ptr, ptr + 64);
        self.mem.dv.setUint8(ptr + 16, d.filetype);
        self.mem.dv.setUint32(ptr + 24, 1, true); // nlink
        return E.SUCCESS;
      },
      fd_filestat_set_size: (fd) => (fdOf(fd) ? E.INVAL : E.BADF),
      fd_filestat_set_times: (fd) => (fdOf(fd) ? E.NOTSUP : E.BADF),
      // No preopened directories: descriptor 3 and up are not preopens (EBADF ends the
      // guest's scan).
      fd_prestat_get: () => E.BADF,
      fd_prestat_dir_name: () => E.BADF,
      fd_readdir: (fd) => (fdOf(fd) ? E.NOTDIR : E.BADF),
      fd_renumber: (fd, to) => (fdOf(fd) && fdOf(to) ? E.NOTSUP : E.BADF),

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

      sock_accept(fd, flags, fdPtr) {
        fdPtr >>>= 0;
        const d = fdOf(fd);
        if (!d) return E.BADF;
        if (!d.accept) return d.filetype === FILETYPE.SOCKET_STREAM ? E.INVAL : E.NOTSOCK;
        if ((flags >>> 0) & ~FDFLAG_NONBLOCK) return E.INVAL;
        if (!self.mem.ok(fdPtr, 4)) return E.FAULT; // before accepting: never lose a stream
        const nd = d.accept();
        if (typeof nd === 'number') return -nd;
        const nfd = self.allocFd(nd);
        if (nfd < 0) {
          nd.close();
          return E.MFILE;
        }
        self.mem.dv.setUint32(fdPtr, nfd, true);
        return E.SUCCESS;
      },
      sock_recv(fd, iovs, n, flags, outPtr, roFlagsPtr) {
        roFlagsPtr >>>= 0;
        const d = fdOf(fd);
        if (!d) return E.BADF;
        if (!d.recv) return E.NOTSOCK;
        if (!self.mem.ok(roFlagsPtr, 2)) return E.FAULT;
        const r = self._io(fd >>> 0, iovs >>> 0, n >>> 0, outPtr >>> 0, 'recv', flags & 0xffff);
        if (r === E.SUCCESS) self.mem.dv.setUint16(roFlagsPtr, 0, true);
        return r;
      },
      sock_send(fd, iovs, n, flags, outPtr) {
        const d = fdOf(fd);
        if (!d) return E.BADF;
        if (!d.shutdown) return E.NOTSOCK;
        if (flags & 0xffff) return E.INVAL; // no siflags are defined
        return self._io(fd >>> 0, iovs >>> 0, n >>> 0, outPtr >>> 0, 'write');
      },
      sock_shutdown(fd, how) {
        const d = fdOf(fd);
        if (!d) return E.BADF;
        if (!d.shutdown) return E.NOTSOCK;
        return d.shutdown(how >>> 0);
      },

      poll_oneoff: (inPtr, outPtr, nsubs, neventsPtr) => pollOneoff(self, inPtr, outPtr, nsubs, neventsPtr),
    };
    // A raw queue descriptor may hold a small write back for the next write (a frame header
    // and its body in one record); any other call publishes it first.
    for (const [name, f] of Object.entries(imp)) {
      if (name === 'fd_write' || name === 'fd_read' || name === 'sock_recv' || name === 'sock_send') continue;
      imp[name] = function (a, b, c, d, e, g) {
        if (self._pending) self._flushPending();
        return f(a, b, c, d, e, g);
      };
    }
    if (this.backend) for (const name of WAITING) imp[name] = this.backend.suspending(imp[name]);
    return imp;
  }

  /** The project's import module "yamux": dial(flags, fd_out) opens a stream toward the
   * event side and stores its descriptor (web/guest/yamux_wasi.h). */
  _yamux() {
    const self = this;
    return {
      dial(flags, fdPtr) {
        fdPtr >>>= 0;
        if (!self.driver) return E.NOTSUP; // raw mode: no streams of the host
        if (flags >>> 0) return E.INVAL;
        if (!self.mem.ok(fdPtr, 4)) return E.FAULT;
        const h = self.driver.dial();
        if (typeof h === 'number') return errnoOf(h);
        const d = new SocketFd(h);
        const fd = self.allocFd(d);
        if (fd < 0) {
          d.close();
          return E.MFILE;
        }
        self.mem.dv.setUint32(fdPtr, fd, true);
        return E.SUCCESS;
      },
    };
  }
}

/** Why `mod` cannot run under `imports`, or null: a WASI command exports _start and its
 * memory, and imports only functions this host provides. */
export function checkCommand(mod, imports) {
  const exp = WebAssembly.Module.exports(mod);
  if (!exp.some((e) => e.name === '_start' && e.kind === 'function')) {
    const reactor = exp.some((e) => e.name === '_initialize');
    return `not a WASI command: it exports no _start${reactor ? ' (a reactor with _initialize is not supported)' : ''}`;
  }
  if (!exp.some((e) => e.name === 'memory' && e.kind === 'memory')) return 'not a WASI command: it exports no memory';
  const provided = (f) => typeof f === 'function' || (typeof WebAssembly.Suspending === 'function' && f instanceof WebAssembly.Suspending);
  const missing = WebAssembly.Module.imports(mod)
    .filter((i) => i.kind !== 'function' || !provided(imports[i.module]?.[i.name]))
    .map((i) => `${i.module}.${i.name}${i.kind === 'function' ? '' : ` (${i.kind})`}`);
  if (missing.length) return `it imports what this host does not provide: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}`;
  return null;
}

function defaultRandom(u8) {
  // getRandomValues refuses views on shared memory and more than 64 KiB at a time.
  for (let off = 0; off < u8.length; off += 65536) {
    const part = new Uint8Array(Math.min(65536, u8.length - off));
    crypto.getRandomValues(part);
    u8.set(part, off);
  }
}

/**
 * Instantiates a WASI command module (a WebAssembly.Module or bytes) with `wasi` and runs it
 * to completion. Returns the exit status.
 */
export async function runWasi(module, wasi) {
  const mod = module instanceof WebAssembly.Module ? module : await WebAssembly.compile(module);
  const instance = await WebAssembly.instantiate(mod, wasi.imports);
  return wasi.start(instance);
}
