// WASI preview 1 constants (wasi_snapshot_preview1, witx "typenames"): errno values, file
// types, descriptor flags, event types. Only the values the host uses.

/** errno values. */
export const E = Object.freeze({
  SUCCESS: 0, ACCES: 2, AGAIN: 6, BADF: 8, CONNREFUSED: 14, CONNRESET: 15, FAULT: 21,
  INTR: 27, INVAL: 28, IO: 29, MFILE: 33, NETDOWN: 38, NOENT: 44, NOSYS: 52, NOTCONN: 53,
  NOTDIR: 54, NOTSOCK: 57, NOTSUP: 58, PIPE: 64, SPIPE: 70, NOTCAPABLE: 76,
});

/** filetype values. */
export const FILETYPE = Object.freeze({
  UNKNOWN: 0, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4, SOCKET_DGRAM: 5,
  SOCKET_STREAM: 6,
});

/** fdflags bits. */
export const FDFLAG_APPEND = 1, FDFLAG_NONBLOCK = 4;

/** Readiness bits between the host and its descriptors (not a WASI type). */
export const POLL_READ = 1, POLL_WRITE = 2;

/** sdflags (sock_shutdown), riflags (sock_recv). */
export const SHUT_RD = 1, SHUT_WR = 2;
export const RECV_PEEK = 1, RECV_WAITALL = 2;

/** clockid, eventtype, subclockflags, eventrwflags. */
export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS = 2, CLOCK_THREAD = 3;
export const EVENTTYPE_CLOCK = 0, EVENTTYPE_FD_READ = 1, EVENTTYPE_FD_WRITE = 2;
export const SUBCLOCK_ABSTIME = 1;
export const EVENT_FD_READWRITE_HANGUP = 1;
/** Sizes of subscription and event records. */
export const SUB_SIZE = 48, EVENT_SIZE = 32;

/** Thrown through the wasm stack by proc_exit; Wasi.start() catches it. */
export class WasiExit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}
