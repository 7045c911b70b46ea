// WASI preview 1 descriptors over the wasm worker's yamux streams (web/src/host/streams/):
//   ListenerFd  descriptor 3, a preopened SOCKET_STREAM listener: sock_accept hands out a
//               descriptor per stream the event side opened (EAGAIN when none waits);
//   SocketFd    a stream: non-blocking fd_read/fd_write/sock_recv/sock_send (EAGAIN),
//               sock_shutdown (SHUT_WR = FIN, reading goes on), fd_close, ECONNRESET after
//               a reset, readiness and hang-up for poll_oneoff.
// The import `yamux.dial(flags, fd_out)` opens a stream toward the event side (see
// web/guest/yamux_wasi.h and web/go/yamuxnet).
import { E, FILETYPE, FDFLAG_NONBLOCK, SHUT_RD, SHUT_WR, RECV_PEEK, RECV_WAITALL } from './errno.js';
import { SE, READ, WRITE } from '../streams/stream.js';

/** WASI errno for a stream result code. */
export function errnoOf(code) {
  switch (code) {
    case SE.AGAIN: return E.AGAIN;
    case SE.PIPE: return E.PIPE;
    case SE.RESET: return E.CONNRESET;
    case SE.DOWN: return E.NETDOWN;
    case SE.REFUSED: return E.CONNREFUSED;
    case SE.LIMIT: return E.MFILE;
    default: return E.INVAL;
  }
}

const result = (r) => (r >= 0 ? r : -errnoOf(r));

/** A yamux stream as a non-blocking stream socket. */
export class SocketFd {
  /** @param {import('../streams/stream.js').HostStream} stream */
  constructor(stream) {
    this.stream = stream;
    this.filetype = FILETYPE.SOCKET_STREAM;
    this.fdflags = FDFLAG_NONBLOCK;
    this.lazyReads = true; // its read pulls the ring's input itself (poll.js)
  }
  read(chunks) {
    return result(this.stream.read(chunks));
  }
  write(chunks) {
    return result(this.stream.write(chunks));
  }
  /** sock_recv: RECV_PEEK copies without consuming; RECV_WAITALL cannot be honoured by a
   * call that never blocks (ENOTSUP). */
  recv(chunks, flags) {
    if (flags & ~(RECV_PEEK | RECV_WAITALL)) return -E.INVAL;
    if (flags & RECV_WAITALL) return -E.NOTSUP;
    return result(this.stream.read(chunks, (flags & RECV_PEEK) !== 0));
  }
  ready(events) {
    return this.stream.ready(events);
  }
  hangup() {
    return this.stream.hangup();
  }
  shutdown(how) {
    if (how < 1 || how > (SHUT_RD | SHUT_WR)) return E.INVAL;
    this.stream.shutdown((how & SHUT_RD ? READ : 0) | (how & SHUT_WR ? WRITE : 0));
    return E.SUCCESS;
  }
  /** Streams are always non-blocking: setting NONBLOCK is accepted, clearing it is not. */
  setFlags(flags) {
    return flags === FDFLAG_NONBLOCK ? E.SUCCESS : E.NOTSUP;
  }
  close() {
    this.stream.close();
  }
  /** At exit the driver ends the streams the guest still holds (Driver.finish). */
  onExit() {}
}

/** The listener of descriptor 3. */
export class ListenerFd {
  /** @param {import('../streams/stream.js').HostListener} listener */
  constructor(listener) {
    this.listener = listener;
    this.filetype = FILETYPE.SOCKET_STREAM;
    this.fdflags = FDFLAG_NONBLOCK;
  }
  /** sock_accept: a SocketFd, or -errno (EAGAIN, ENETDOWN once the session is over). */
  accept() {
    const r = this.listener.accept();
    return typeof r === 'number' ? -errnoOf(r) : new SocketFd(r);
  }
  read() {
    return -E.NOTCONN;
  }
  write() {
    return -E.NOTCONN;
  }
  ready(events) {
    return this.listener.ready(events);
  }
  hangup() {
    return this.listener.hangup();
  }
  shutdown() {
    return E.NOTCONN;
  }
  setFlags(flags) {
    return flags === FDFLAG_NONBLOCK ? E.SUCCESS : E.NOTSUP;
  }
  close() {
    this.listener.close();
  }
  onExit() {}
}
