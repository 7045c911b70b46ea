#!/usr/bin/env node
// yamux-wasi: runs a WASI program in a wasm worker with its sockets carried as yamux
// streams, and connects those streams to TCP. See usage() or `yamux-wasi --help`.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../src/cli/args.js';

// The host is imported once the command line is good: a bad argument is answered even where
// the package's generated files (dist/) are missing, as in a source tree before web/build.sh.
let startWasi, WasiError, wasmLayer, isModuleUrl;

const USAGE = `usage: yamux-wasi [--listen HOST:PORT] [--dial-to HOST:PORT] [--backend NAME] PROGRAM.wasm [ARGS...]

Runs PROGRAM.wasm, a WASI preview 1 command (Go GOOS=wasip1, C on wasi-libc, ...), in a
wasm worker whose sockets are yamux streams to this process, and connects them to TCP.
PROGRAM may also be a WASI 0.2 command component: its .wasm (transpiled at start with
@bytecodealliance/jco-transpile, an optional dependency: npm install it) or the ES module
\`jco transpile X.wasm --instantiation async\` wrote (X.js); its TCP sockets listen and
connect on the same streams, and this command's standard input is its stdin.

  --listen HOST:PORT    accept TCP connections on HOST:PORT; each one becomes a stream the
                        program accepts on descriptor 3 (Go: net.FileListener(os.NewFile(3,
                        "yamux")), C: accept(3, ...)). Prints "listening HOST:PORT" on
                        standard error once it accepts (the real port when PORT is 0).
  --dial-to HOST:PORT   connect every stream the program opens (yamuxnet.Dial in Go,
                        yamux_wasi_dial() in C, a component's tcp connect, whatever
                        its address) to the TCP address HOST:PORT.
  --backend NAME        how the program blocks: atomics (a worker thread of its own,
                        Atomics.wait), jspi (this thread, suspending through JavaScript
                        Promise Integration: Node.js 25+), or auto (the default: atomics).
  -h, --help            print this text.

Bytes flow both ways with half-close (a TCP FIN is a yamux FIN, and back); a reset on
either side resets the other. ARGS are the program's arguments; its standard output and
error pass through and its exit status is this command's (a component adapted from a
preview 1 program exits with 0 or 1). A core module reads end of file on standard input.
Exit status 2: bad arguments. 1: the program could not start (missing or invalid module,
--listen address unavailable, --dial-to unreachable) or failed (a trap).
`;

const name = 'yamux-wasi';

/** Exits with status 1 after one line. */
function fatal(msg) {
  process.stderr.write(`${name}: ${msg}\n`);
  process.exit(1);
}

/** The command line (web/src/cli/args.js: bad arguments are one line and status 2). */
export const cliSpec = {
  name,
  text: USAGE,
  options: {
    listen: { type: 'hostport', arg: 'HOST:PORT', help: 'accept TCP connections here (port 0: any free port)' },
    'dial-to': { type: 'hostport', min: 1, arg: 'HOST:PORT', help: 'connect the streams the program opens here' },
    backend: { type: 'choice', choices: ['auto', 'atomics', 'jspi'], default: 'auto', arg: 'NAME', help: 'how the program blocks' },
  },
  positionals: { min: 1, rest: true, names: 'PROGRAM.wasm' },
};

function parseArgs(argv) {
  const o = parseCommandLine(cliSpec, argv);
  return { listen: o.listen ?? null, dialTo: o.dialTo ?? null, backend: o.backend, program: o._[0], args: o._.slice(1) };
}

/** Whether the file is a WASI 0.2 component (its header's layer byte) or a transpiled one. */
function isComponent(file) {
  if (isModuleUrl(file)) return true;
  const head = Buffer.alloc(8);
  const fd = fs.openSync(file, 'r');
  try {
    return fs.readSync(fd, head, 0, 8, 0) === 8 && wasmLayer(head) === 1;
  } finally {
    fs.closeSync(fd);
  }
}

const fmt = ({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** Connects once to check that `to` is reachable (then closes). */
function probe(to) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: to.host, port: to.port });
    s.setTimeout(10000, () => s.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

/** Carries bytes between a TCP socket and a yamux stream, both ways, with half-close. */
function bridge(sock, stream, sockets) {
  sockets.add(sock);
  sock.setNoDelay(true);
  const writer = stream.writable.getWriter();
  const reset = () => {
    stream.reset();
    sock.destroy();
  };
  sock.on('data', (chunk) => {
    sock.pause();
    writer.write(chunk).then(() => sock.resume(), () => sock.resetAndDestroy());
  });
  sock.on('end', () => writer.close().catch(() => sock.resetAndDestroy()));
  sock.on('error', reset);
  sock.on('close', () => sockets.delete(sock));
  (async () => {
    const reader = stream.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (sock.destroyed) return;
        if (!sock.write(value)) {
          await new Promise((r) => {
            sock.once('drain', r);
            sock.once('close', r);
          });
        }
      }
      sock.end();
    } catch {
      if (!sock.destroyed) sock.resetAndDestroy();
    }
  })();
}

/**
 * Imports the host. In a source checkout where web/build.sh has not run, its generated files
 * (dist/) are missing: one line naming the build instead of a module-not-found trace.
 */
async function importHost() {
  try {
    ({ startWasi, WasiError } = await import('../src/host/start.js'));
    ({ wasmLayer, isModuleUrl } = await import('../src/host/component/embed.js'));
  } catch (e) {
    const dist = path.dirname(fileURLToPath(new URL('../dist/layout.js', import.meta.url)));
    const missing = e?.code === 'ERR_MODULE_NOT_FOUND' && e.url?.startsWith('file:') && fileURLToPath(e.url);
    if (!missing || path.dirname(missing) !== dist) throw e;
    fatal(`${missing} is missing: in a source checkout, run web/build.sh first`);
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  await importHost();
  try {
    if (!fs.statSync(o.program).isFile()) fatal(`${o.program}: not a file`);
  } catch (e) {
    fatal(`${o.program}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  if (o.dialTo) {
    try {
      await probe(o.dialTo);
    } catch (e) {
      fatal(`--dial-to ${fmt(o.dialTo)}: cannot connect: ${e.code || e.message}`);
    }
  }
  let proc;
  try {
    proc = await startWasi(o.program, {
      name: path.basename(o.program),
      args: o.args,
      backend: o.backend,
      stdout: (b) => process.stdout.write(b),
      stderr: (b) => process.stderr.write(b),
      // A component's stdin is a stream: this command's standard input.
      ...(isComponent(o.program) ? { stdin: Readable.toWeb(process.stdin) } : {}),
    });
  } catch (e) {
    fatal(e instanceof WasiError ? e.message : String(e?.message || e));
  }
  const sockets = new Set();
  let server = null;
  if (o.listen) {
    server = net.createServer({ allowHalfOpen: true }, async (sock) => {
      sockets.add(sock);
      let stream;
      try {
        stream = await proc.session.open();
      } catch {
        sock.resetAndDestroy();
        return;
      }
      bridge(sock, stream, sockets);
    });
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.listen.port, o.listen.host, resolve);
      });
    } catch (e) {
      await proc.terminate();
      fatal(`--listen ${fmt(o.listen)}: ${e.code || e.message}`);
    }
    const a = server.address();
    process.stderr.write(`listening ${fmt({ host: a.address, port: a.port })}\n`);
  }
  // Streams the program opens.
  (async () => {
    let warned = false;
    for await (const stream of proc.session) {
      if (!o.dialTo) {
        if (!warned) process.stderr.write(`${name}: the program opened a stream, but no --dial-to was given: reset\n`);
        warned = true;
        stream.reset();
        continue;
      }
      const sock = net.connect({ host: o.dialTo.host, port: o.dialTo.port, allowHalfOpen: true });
      sockets.add(sock);
      let connected = false;
      sock.once('connect', () => {
        connected = true;
        bridge(sock, stream, sockets);
      });
      sock.once('error', (e) => {
        if (connected) return;
        process.stderr.write(`${name}: --dial-to ${fmt(o.dialTo)}: ${e.code || e.message}: stream reset\n`);
        stream.reset();
        sockets.delete(sock);
      });
    }
  })();
  let code;
  try {
    code = await proc.exited;
  } catch (e) {
    process.stderr.write(`${name}: ${e.message}\n`);
    code = 1;
  }
  server?.close();
  for (const s of sockets) s.destroy();
  await new Promise((r) => process.stdout.write('', r));
  process.exit(code & 0xff);
}

await main();
