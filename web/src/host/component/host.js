// The WASI 0.2 host of a jco-transpiled command component (`jco transpile --instantiation
// async`): builds the import object from this project's own implementations.
//   wasi:io/poll      poll.js      blocks in the engine driver's wait (the queue's doorbell)
//   wasi:io/streams   streams.js   over issue 12's HostStreams (one yamux stream each)
//   wasi:cli/*        cli.js       stdio (three yamux streams), arguments, environment, exit
//   wasi:clocks/*     clocks.js
//   wasi:random/*     random.js
//   wasi:sockets/tcp  sockets.js   listen and connect on yamux streams (with a driver)
//   wasi:filesystem/*, wasi:sockets UDP and name lookup, anything else: unsupported.js
import { Poller, Pollable } from './poll.js';
import { streamsImports } from './streams.js';
import { cliImports } from './cli.js';
import { clocksImports } from './clocks.js';
import { randomImports } from './random.js';
import { tcpImports } from './sockets.js';
import { filesystemImports, socketsImports, unknownInterface } from './unsupported.js';

/**
 * @param {object} o
 * @param {string[]} [o.args] the program's arguments (args[0] its name)
 * @param {Record<string, string>} [o.env]
 * @param {object} o.stdin   non-blocking byte streams (HostStream) for the program's stdio
 * @param {object} o.stdout
 * @param {object} o.stderr
 * @param {import('../streams/driver.js').Driver} [o.driver] the engine driver: poll waits in
 *   it, and wasi:sockets/tcp listens and connects through it
 * @param {import('./poll.js').PollIo} [o.io] what poll pumps and waits in (default: driver)
 * @returns {{imports: object, poller: Poller}} imports keyed `wasi:pkg/iface` (a version
 *   suffix such as `@0.2.3` is accepted and ignored)
 */
export function createHost({ args = ['main'], env = {}, stdin, stdout, stderr, driver = null, io = driver }) {
  if (!io) throw new TypeError('createHost: a driver (or an io with pump and wait) is needed');
  const poller = new Poller(io);
  const table = {
    'wasi:io/poll': { Pollable, poll: (list) => poller.poll(list) },
    ...streamsImports(),
    ...cliImports(poller, { args: args.map(String), env: Object.entries(env).map(([k, v]) => [k, String(v)]), stdin, stdout, stderr }),
    ...clocksImports(poller, Pollable),
    ...randomImports(),
    ...filesystemImports(),
    ...socketsImports(),
    ...(driver ? tcpImports(poller, driver) : {}),
  };
  const imports = new Proxy(table, {
    get(t, key) {
      if (typeof key !== 'string') return undefined;
      const name = key.replace(/@[^/]*$/, '');
      return t[name] || (t[name] = unknownInterface(name));
    },
    has: () => true,
  });
  return { imports, poller };
}
