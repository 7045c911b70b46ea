// What this host does not provide answers with the interface's own "unsupported" error
// instead of trapping: wasi:filesystem (no preopened directories; every call on a descriptor
// is `unsupported`), wasi:sockets UDP and name lookup (`not-supported`; TCP is on yamux
// streams, sockets.js, when the host has a driver), and any other interface a component imports
// (wasi:http, ...): its functions throw an Error naming the interface and function, so the
// run ends with that sentence rather than a bare `unreachable`.
import { SE } from '../streams/stream.js';

/** A resource class whose every method throws `error` (a WIT error value). */
function refusing(error) {
  const proto = new Proxy(
    {},
    {
      get: (target, key) => (typeof key === 'symbol' ? undefined : () => {
        throw error;
      }),
    },
  );
  const C = function () {
    throw error;
  };
  C.prototype = proto;
  return C;
}

const FS_CODES = { [SE.PIPE]: 'pipe', [SE.AGAIN]: 'would-block', [SE.INVAL]: 'invalid' };

/** wasi:filesystem: nothing preopened, `unsupported` everywhere. */
export function filesystemImports() {
  return {
    'wasi:filesystem/types': {
      Descriptor: refusing('unsupported'),
      DirectoryEntryStream: refusing('unsupported'),
      // The preview 1 adapter turns stream errors into errno through this.
      filesystemErrorCode: (err) => (err && err.code !== undefined ? FS_CODES[err.code] || 'io' : undefined),
    },
    'wasi:filesystem/preopens': { getDirectories: () => [] },
  };
}

class Network {}

/** wasi:sockets: a network handle, and `not-supported` for every socket and lookup (TCP is
 * replaced by sockets.js in a host with a driver). */
export function socketsImports() {
  const no = 'not-supported';
  const refuse = () => {
    throw no;
  };
  return {
    'wasi:sockets/network': { Network, networkErrorCode: () => undefined },
    'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
    'wasi:sockets/tcp-create-socket': { createTcpSocket: refuse },
    'wasi:sockets/udp-create-socket': { createUdpSocket: refuse },
    'wasi:sockets/tcp': { TcpSocket: refusing(no) },
    'wasi:sockets/udp': {
      UdpSocket: refusing(no),
      IncomingDatagramStream: refusing(no),
      OutgoingDatagramStream: refusing(no),
    },
    'wasi:sockets/ip-name-lookup': { resolveAddresses: refuse, ResolveAddressStream: refusing(no) },
  };
}

/** An interface this host does not know: every function throws an Error naming it. */
export function unknownInterface(name) {
  return new Proxy(
    {},
    {
      get(target, key) {
        if (typeof key === 'symbol') return undefined;
        const msg = `${name}#${key}: not provided by this host (wasi:io, wasi:cli, wasi:clocks, wasi:random are)`;
        if (/^[A-Z]/.test(key)) return refusing(new Error(msg));
        return () => {
          throw new Error(msg);
        };
      },
    },
  );
}
