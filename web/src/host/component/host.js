// The WASI 0.2 host of a jco-transpiled command component (`jco transpile --instantiation
// async`): builds the import object from this project's own implementations.
//   wasi:io/poll      poll.js      blocks on the host's doorbell through a backend
//   wasi:io/streams   streams.js   over byte streams (byte-stream.js)
//   wasi:cli/*        cli.js       stdio, arguments, environment, exit
//   wasi:clocks/*     clocks.js
//   wasi:random/*     random.js
//   wasi:filesystem/*, wasi:sockets/*, anything else: unsupported.js
import { Poller, Pollable } from './poll.js';
import { streamsImports } from './streams.js';
import { cliImports } from './cli.js';
import { clocksImports } from './clocks.js';
import { randomImports } from './random.js';
import { filesystemImports, socketsImports, unknownInterface } from './unsupported.js';
import { AtomicsBackend } from './backend.js';

/**
 * @param {object} o
 * @param {string[]} [o.args] the program's arguments (args[0] its name)
 * @param {Record<string, string>} [o.env]
 * @param {object} o.stdin   byte streams (byte-stream.js) for the program's stdio
 * @param {object} o.stdout
 * @param {object} o.stderr
 * @param {import('./doorbell.js').Doorbell} o.bell rung whenever a stream's readiness changes
 * @param {import('./backend.js').Backend} [o.backend] how to sleep (default AtomicsBackend)
 * @param {{pump?: () => void}} [o.io] see Poller
 * @returns {{imports: object, poller: Poller}} imports keyed `wasi:pkg/iface` (a version
 *   suffix such as `@0.2.3` is accepted and ignored)
 */
export function createHost({ args = ['main'], env = {}, stdin, stdout, stderr, bell, backend = new AtomicsBackend(), io }) {
  const poller = new Poller(bell, backend, io);
  const table = {
    'wasi:io/poll': { Pollable, poll: (list) => poller.poll(list) },
    ...streamsImports(),
    ...cliImports(poller, { args: args.map(String), env: Object.entries(env).map(([k, v]) => [k, String(v)]), stdin, stdout, stderr }),
    ...clocksImports(poller, Pollable),
    ...randomImports(),
    ...filesystemImports(),
    ...socketsImports(),
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
