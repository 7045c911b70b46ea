// wasi:sockets/tcp on yamux streams (issue 12's driver: web/src/host/streams/). A guest's
// TCP socket has no address space behind it, only the session with the event side:
//   listen   the socket becomes the host's listener: accept() hands out the streams the
//            event side opens (session.open()), after the three of stdio (cli.js);
//   connect  opens a stream toward the event side (session.accept() receives it), whatever
//            the address (it is remembered and returned as the remote address; port 0 is
//            invalid, as the interface says);
//   streams  input-stream / output-stream of wasi:io/streams over the HostStream;
//   shutdown receive: input dropped, reads end; send: FIN after the queued bytes;
//   drop     as close() on a socket: RST when received bytes were left unread, else FIN;
//            dropping the listening socket ends accepting for the rest of the run (GoAway 0,
//            waiting streams refused), as closing descriptor 3 does in the preview 1 host.
// Bind takes any address of the socket's family (it only names the socket); one socket may
// listen at a time (a second one: address-in-use). Socket options are kept and returned but
// change nothing (yamux has its own windows and keepalive). Errors are the interface's
// error-code strings, thrown as jco expects of a result's err.
import { SE, HostStream } from '../streams/stream.js';
import { InputStream, OutputStream, IoError } from './streams.js';
import { Pollable } from './poll.js';

const symbolDispose = Symbol.dispose || Symbol.for('dispose');

/** wasi:sockets/network's network resource (one per instance-network call; all alike). */
export class Network {}

const UNSPECIFIED = {
  ipv4: { tag: 'ipv4', val: { port: 0, address: [0, 0, 0, 0] } },
  ipv6: { tag: 'ipv6', val: { port: 0, flowInfo: 0, address: [0, 0, 0, 0, 0, 0, 0, 0], scopeId: 0 } },
};

/** The error-code of a stream failure (SE) or a failed dial/accept. */
function errorCode(code) {
  switch (code) {
    case SE.AGAIN:
      return 'would-block';
    case SE.RESET:
      return 'connection-reset';
    case SE.PIPE:
    case SE.DOWN:
      return 'connection-aborted';
    case SE.REFUSED:
      return 'connection-refused';
    case SE.LIMIT:
      return 'new-socket-limit';
    case SE.INVAL:
      return 'invalid-state';
    default:
      return 'unknown';
  }
}

function fail(code) {
  throw code; // jco turns a thrown non-Error into the result's err
}

function checkAddress(family, addr) {
  if (!addr || (addr.tag !== 'ipv4' && addr.tag !== 'ipv6') || !addr.val) fail('invalid-argument');
  if (addr.tag !== family) fail('invalid-argument');
}

function copyAddress(addr) {
  const v = addr.val;
  return addr.tag === 'ipv4'
    ? { tag: 'ipv4', val: { port: v.port, address: [...v.address] } }
    : { tag: 'ipv6', val: { port: v.port, flowInfo: v.flowInfo, address: [...v.address], scopeId: v.scopeId } };
}

/**
 * The wasi:sockets TCP interfaces over `driver`.
 * @param {import('./poll.js').Poller} poller
 * @param {import('../streams/driver.js').Driver} driver
 */
export function tcpImports(poller, driver) {
  const ctx = { poller, driver, listening: null };

  class TcpSocket {
    /** @private state: unbound, bind-started, bound, listen-started, listening,
     * connect-started, connected, closed */
    constructor(family, o = {}) {
      this.family = family;
      this.state = o.stream ? 'connected' : 'unbound';
      this.stream = o.stream || null;
      this.local = o.local || null;
      this.remote = o.remote || null;
      this.pendingError = null;
      this.opts = {
        backlog: 128n, keepAlive: false, keepIdle: 7200_000_000_000n, keepInterval: 75_000_000_000n,
        keepCount: 9, hopLimit: 64, recvBuf: 262144n, sendBuf: 262144n,
      };
    }

    startBind(network, local) {
      if (!(network instanceof Network)) fail('invalid-argument');
      checkAddress(this.family, local);
      if (this.state !== 'unbound') fail('invalid-state');
      this.local = copyAddress(local);
      this.state = 'bind-started';
    }

    finishBind() {
      if (this.state !== 'bind-started') fail('not-in-progress');
      this.state = 'bound';
    }

    startConnect(network, remote) {
      if (!(network instanceof Network)) fail('invalid-argument');
      checkAddress(this.family, remote);
      if (remote.val.port === 0) fail('invalid-argument');
      if (this.state !== 'unbound' && this.state !== 'bound') fail('invalid-state');
      const r = ctx.driver.dial();
      if (r instanceof HostStream) this.stream = r;
      else this.pendingError = errorCode(r);
      this.remote = copyAddress(remote);
      if (!this.local) this.local = UNSPECIFIED[this.family];
      this.state = 'connect-started';
    }

    finishConnect() {
      if (this.state !== 'connect-started') fail('not-in-progress');
      if (this.pendingError) {
        this.state = 'closed';
        fail(this.pendingError);
      }
      this.state = 'connected';
      return [new InputStream(ctx.poller, this.stream), new OutputStream(ctx.poller, this.stream)];
    }

    startListen() {
      if (this.state !== 'bound') fail('invalid-state');
      if (ctx.driver.listener.closed) fail('invalid-state'); // a listening socket was dropped
      if (ctx.listening) fail('address-in-use');
      ctx.listening = this;
      this.state = 'listen-started';
    }

    finishListen() {
      if (this.state !== 'listen-started') fail('not-in-progress');
      this.state = 'listening';
    }

    accept() {
      if (this.state !== 'listening') fail('invalid-state');
      const r = ctx.driver.listener.accept();
      if (!(r instanceof HostStream)) fail(errorCode(r));
      const s = new TcpSocket(this.family, { stream: r, local: this.local, remote: UNSPECIFIED[this.family] });
      return [s, new InputStream(ctx.poller, r), new OutputStream(ctx.poller, r)];
    }

    localAddress() {
      if (!this.local || this.state === 'bind-started') fail('invalid-state');
      return copyAddress(this.local);
    }

    remoteAddress() {
      if (this.state !== 'connected') fail('invalid-state');
      return copyAddress(this.remote);
    }

    isListening() {
      return this.state === 'listening';
    }

    addressFamily() {
      return this.family;
    }

    setListenBacklogSize(v) {
      if (v === 0n) fail('invalid-argument');
      if (this.state === 'connect-started' || this.state === 'connected') fail('invalid-state');
      this.opts.backlog = v;
    }

    keepAliveEnabled() {
      return this.opts.keepAlive;
    }

    setKeepAliveEnabled(v) {
      this.opts.keepAlive = !!v;
    }

    keepAliveIdleTime() {
      return this.opts.keepIdle;
    }

    setKeepAliveIdleTime(v) {
      if (v === 0n) fail('invalid-argument');
      this.opts.keepIdle = v;
    }

    keepAliveInterval() {
      return this.opts.keepInterval;
    }

    setKeepAliveInterval(v) {
      if (v === 0n) fail('invalid-argument');
      this.opts.keepInterval = v;
    }

    keepAliveCount() {
      return this.opts.keepCount;
    }

    setKeepAliveCount(v) {
      if (v === 0) fail('invalid-argument');
      this.opts.keepCount = v;
    }

    hopLimit() {
      return this.opts.hopLimit;
    }

    setHopLimit(v) {
      if (v === 0) fail('invalid-argument');
      this.opts.hopLimit = v;
    }

    receiveBufferSize() {
      return this.opts.recvBuf;
    }

    setReceiveBufferSize(v) {
      if (v === 0n) fail('invalid-argument');
      this.opts.recvBuf = v;
    }

    sendBufferSize() {
      return this.opts.sendBuf;
    }

    setSendBufferSize(v) {
      if (v === 0n) fail('invalid-argument');
      this.opts.sendBuf = v;
    }

    /** Ready when an operation in progress can finish: a stream to accept (or the session
     * is over: accept says so); at once in every other state. */
    subscribe() {
      return new Pollable(ctx.poller, {
        ready: () => this.state !== 'listening' || ctx.driver.listener.ready(1) !== 0,
      });
    }

    shutdown(how) {
      if (this.state !== 'connected') fail('invalid-state');
      const bits = how === 'receive' ? 1 : how === 'send' ? 2 : how === 'both' ? 3 : 0;
      if (!bits) fail('invalid-argument');
      const r = this.stream.shutdown(bits);
      if (r < 0) fail(errorCode(r));
    }

    [symbolDispose]() {
      if (this.stream) this.stream.close();
      this.stream = null;
      if (ctx.listening === this) ctx.driver.listener.close();
      this.state = 'closed';
    }
  }

  return {
    'wasi:sockets/network': {
      Network,
      networkErrorCode: (err) => (err instanceof IoError ? errorCode(err.code) : undefined),
    },
    'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
    'wasi:sockets/tcp-create-socket': {
      createTcpSocket(family) {
        if (family !== 'ipv4' && family !== 'ipv6') fail('invalid-argument');
        return new TcpSocket(family);
      },
    },
    'wasi:sockets/tcp': { TcpSocket },
  };
}
