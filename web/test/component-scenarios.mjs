// The WASI 0.2 component scenarios, the same in Node.js (web/test/component.test.mjs) and in
// headless Chromium (web/component/harness/page.js): a command component (Go GOOS=wasip1
// adapted by jco, or C with wasi:sockets) runs in a component worker started by
// startComponent(), this side is the embedder: its stdio are the first three yamux streams,
// the rest of the session reaches the guest's sockets. Each scenario throws an Error naming
// what differed, or returns facts for the caller to report. No timing is asserted and
// nothing sleeps in place of a signal.
//
//   env = { startComponent, url(prog) -> URL of web/component/dist/PROG/PROG.component.js }
import { readAll as readStreamAll } from './wasi-scenarios.mjs';

const enc = new TextEncoder(), dec = new TextDecoder();

export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** All of a ReadableStream<Uint8Array> as text. */
export async function text(readable) {
  let s = '';
  const d = new TextDecoder();
  for await (const c of readable) s += d.decode(c, { stream: true });
  return s + d.decode();
}

/** All of a yamux stream's readable as bytes. */
export const readAll = (readable) => readStreamAll({ readable });

/** Byte k of the echo's input: the top byte of k * 2654435761 (not periodic at 2^j). */
export function pattern(off, n) {
  const b = new Uint8Array(n);
  for (let j = 0; j < n; j++) b[j] = Math.imul(off + j, 2654435761) >>> 24;
  return b;
}

/** Runs PROG with ARGS, writes `stdin` (a string or bytes) and closes it; collects output. */
export async function run(env, prog, args, { stdin, vars } = {}) {
  const c = await env.startComponent(env.url(prog), { args: [prog, ...args], env: vars });
  const w = c.stdin.getWriter();
  const feeding = (async () => {
    if (stdin) await w.write(typeof stdin === 'string' ? enc.encode(stdin) : stdin);
    await w.close();
  })();
  const [out, err] = await Promise.all([text(c.stdout), text(c.stderr)]);
  await feeding;
  return { code: await c.exited, out, err, stats: await c.stats };
}

/** The seed's demo: hello, a time.Sleep of `ms`, woke; returns the run's facts. */
export async function demo(env, ms = 300) {
  const r = await run(env, 'demo', [String(ms)]);
  check(r.code === 0, `demo: exit ${r.code}: ${r.err}`);
  const lines = r.out.split('\n');
  check(lines[0] === 'hello from Go, a WASI 0.2 component' && lines[1] === `sleeping ${ms} ms`, `demo said: ${r.out}`);
  const woke = /^woke after (\d+) ms$/.exec(lines[2]);
  check(woke && Number(woke[1]) >= ms, `demo: ${lines[2]}`);
  // It slept in the driver's wait (Atomics.wait), which wakes once per liveness slice
  // (100 ms) to check the event side: about ms / 100 waits. A poll that spun would count
  // thousands of polls or waits.
  check(r.stats.polls <= 4, `demo: ${r.stats.polls} polls for one sleep: ${JSON.stringify(r.stats)}`);
  check((ms === 0 || r.stats.waits >= 1) && r.stats.waits <= ms / 100 + 8, `demo: ${r.stats.waits} waits for ${ms} ms: ${JSON.stringify(r.stats)}`);
  return r;
}

/** Goroutines sleeping 300/100/200 ms wake in order while a 20 ms ticker runs. */
export async function timers(env) {
  const r = await run(env, 'probe', ['timers']);
  check(r.code === 0, `timers: exit ${r.code}: ${r.err}`);
  check(/^order 100ms 200ms 300ms$/m.test(r.out), `timers: ${r.out}`);
  const ticks = Number((/^ticks (\d+)/m.exec(r.out) || [])[1]);
  check(ticks >= 1, `timers: ${r.out}`);
  check(r.stats.waits >= 3, `timers: it never slept: ${JSON.stringify(r.stats)}`);
  return { ticks };
}

/** Exit statuses: 0; 3 arrives as 1 (the adapter maps proc_exit(n != 0) to err); a usage
 * error (os.Exit(2)) is 1 too, its message on stderr. */
export async function exitCodes(env) {
  const ok = await run(env, 'probe', ['exit', '0']);
  check(ok.code === 0 && ok.out === 'exiting 0\n', `exit 0: ${ok.code} ${ok.out}`);
  const three = await run(env, 'probe', ['exit', '3']);
  check(three.code === 1 && three.out === 'exiting 3\n', `exit 3: ${three.code} ${three.out}`);
  const usage = await run(env, 'probe', []);
  check(usage.code === 1 && /usage: probe/.test(usage.err), `usage: ${usage.code} ${usage.err}`);
}

/** The embedder closes stdin: the guest reads its end (twice), not a hang. */
export async function eofAfterClose(env) {
  const some = await run(env, 'probe', ['eof'], { stdin: 'hello\nworld' });
  check(some.code === 0 && some.out === 'read 11 bytes "hello\\nworld" err=<nil>\nagain 0 eof=true\n', `eof: ${some.out}`);
  const none = await run(env, 'probe', ['eof']);
  check(none.out === 'read 0 bytes "" err=<nil>\nagain 0 eof=true\n', `eof, nothing written: ${none.out}`);
}

/** Arguments and environment variables reach the guest. */
export async function argsEnv(env) {
  const r = await run(env, 'probe', ['env', 'a b', 'c'], { vars: { PROBE_ONE: '1', PROBE_TWO: 'x=y', OTHER: 'no' } });
  check(r.out === 'args probe env a b c\nenv PROBE_ONE=1 PROBE_TWO=x=y\n', `env: ${r.out}`);
}

/** `total` bytes through the guest's stdin to its stdout (io.Copy), compared byte for byte. */
export async function echo(env, total = 64 << 20) {
  const chunk = 1 << 20;
  const c = await env.startComponent(env.url('probe'), { args: ['probe', 'echo'] });
  const t0 = performance.now();
  const feeding = (async () => {
    const w = c.stdin.getWriter();
    for (let off = 0; off < total; off += chunk) await w.write(pattern(off, Math.min(chunk, total - off)));
    await w.close();
  })();
  let got = 0, bad = -1;
  for await (const ch of c.stdout) {
    if (bad < 0) {
      const want = pattern(got, ch.length);
      for (let k = 0; k < ch.length; k++) {
        if (ch[k] !== want[k]) {
          bad = got + k;
          break;
        }
      }
    }
    got += ch.length;
  }
  await feeding;
  const seconds = (performance.now() - t0) / 1000;
  check(bad === -1, `echo: first wrong byte at ${bad}`);
  check(got === total, `echo: ${got} bytes back, want ${total}`);
  const code = await c.exited, err = await text(c.stderr);
  check(code === 0, `echo: exit ${code}: ${err}`);
  check(err.trim() === `echoed ${total}`, `echo said: ${err}`);
  return { bytes: got, seconds };
}

/** Writing stdin of a program that ended fails with an error; nothing hangs. */
export async function stdinAfterExit(env) {
  const c = await env.startComponent(env.url('probe'), { args: ['probe', 'exit', '0'] });
  check((await c.exited) === 0, 'exit 0 expected');
  await text(c.stdout);
  const w = c.stdin.getWriter();
  const r = await w.write(new Uint8Array(1 << 20)).then(() => w.write(new Uint8Array(1 << 20))).then(() => 'written', (e) => e);
  check(r instanceof Error, `a write to stdin after the exit: ${r}`);
  return r.message;
}

/** terminate() while the guest sleeps: exited is -1, stdout fails instead of hanging. */
export async function killed(env) {
  const c = await env.startComponent(env.url('demo'), { args: ['demo', '60000'] });
  const r = c.stdout.getReader();
  const first = await r.read();
  check(first.value && first.value.length > 0, 'the demo printed nothing');
  await c.terminate();
  check((await c.exited) === -1, 'exited after terminate(): -1 expected');
  let end;
  for (;;) {
    end = await r.read().then((v) => v, (e) => e);
    if (end instanceof Error || end.done) break;
  }
  check(end instanceof Error, 'stdout ended cleanly although the program was killed');
  const closed = await c.session.closed.then(() => 'clean', (e) => e);
  check(closed instanceof Error, 'the session ended cleanly after its peer was killed');
  return { stdout: end.message };
}

/**
 * The C component with wasi:sockets/tcp (web/component/c/sockets.c): it listens and accepts
 * `streams` streams this side opens (after stdio), echoes each (upper-cased) to its end, then
 * connects: this side accepts that stream, answers it; the guest prints what it got.
 */
export async function sockets(env, streams = 3) {
  const c = await env.startComponent(env.url('sockets'), { args: ['sockets', 'serve', String(streams)] });
  c.stdin.close().catch(() => {});
  const outP = text(c.stdout), errP = text(c.stderr);
  const sizes = Array.from({ length: streams }, (_, i) => [1, 70000, 300000][i % 3] + i);
  await Promise.all(sizes.map(async (n, i) => {
    const s = await c.session.open();
    const data = new Uint8Array(n);
    for (let k = 0; k < n; k++) data[k] = 97 + ((k + i) % 26);
    const w = s.writable.getWriter();
    const [back] = await Promise.all([readAll(s.readable), (async () => {
      for (let off = 0; off < n; off += 65536) await w.write(data.subarray(off, Math.min(n, off + 65536)));
      await w.close();
    })()]);
    check(back.length === n, `stream ${i}: ${back.length} bytes back, want ${n}`);
    for (let k = 0; k < n; k++) check(back[k] === data[k] - 32, `stream ${i}: byte ${k} is ${back[k]}, want ${data[k] - 32}`);
  }));
  // The guest connects once it served them: answer its stream.
  const d = await c.session.accept();
  const hello = dec.decode(await readAll(d.readable));
  const w = d.writable.getWriter();
  await w.write(enc.encode(`hello, guest (you said: ${hello.trim()})`));
  await w.close();
  const [out, err] = await Promise.all([outP, errP]);
  const code = await c.exited;
  check(code === 0, `sockets: exit ${code}: ${err}${out}`);
  check(hello === 'hello from a wasi:sockets component\n', `the guest's dial said: ${JSON.stringify(hello)}`);
  const lines = out.split('\n').filter(Boolean);
  check(lines.includes(`served ${streams} streams, ${sizes.reduce((a, b) => a + b, 0)} bytes`), `sockets said: ${out}`);
  check(lines.includes('reply: hello, guest (you said: hello from a wasi:sockets component)'), `sockets said: ${out}`);
  return { streams, out };
}

/** What the sockets component's `errors` mode must print: one line per refused call. */
export const SOCKET_ERRORS = [
  'listen before bind: invalid-state',
  'accept before listen: invalid-state',
  'connect to port 0: invalid-argument',
  'bind ipv6 address on ipv4 socket: invalid-argument',
  'finish-bind without start: not-in-progress',
  'second listener: address-in-use',
  'remote-address of a listener: invalid-state',
  'udp socket: not-supported',
  'resolve-addresses: not-supported',
  'accept with nothing waiting: would-block',
  'shutdown of a listener: invalid-state',
];

/** The sockets component's refused calls: each gets its error-code, none traps. */
export async function socketErrors(env) {
  const r = await run(env, 'sockets', ['errors']);
  check(r.code === 0, `errors: exit ${r.code}: ${r.err}${r.out}`);
  const lines = r.out.split('\n').filter(Boolean);
  check(JSON.stringify(lines) === JSON.stringify(SOCKET_ERRORS), `errors said:\n${r.out}`);
}

/** startWasi() given a transpiled component: stdin from the option, stdout and stderr to the
 * callbacks (all delivered when `exited` resolves), the status as from startComponent. */
export async function viaStartWasi(env) {
  const out = [], err = [];
  const sink = (parts) => (b) => parts.push(dec.decode(b, { stream: true }));
  const p = await env.startWasi(env.url('probe'), { args: ['echo'], stdin: 'through startWasi', stdout: sink(out), stderr: sink(err) });
  check((await p.exited) === 0, `startWasi: exit status: ${err.join('')}`);
  check(out.join('') === 'through startWasi', `startWasi: stdout ${out.join('')}`);
  check(err.join('') === 'echoed 17\n', `startWasi: stderr ${err.join('')}`);
  const three = [];
  const q = await env.startWasi(env.url('probe'), { args: ['exit', '3'], stdout: sink(three), stderr: () => {} });
  check((await q.exited) === 1 && three.join('') === 'exiting 3\n', `startWasi: exit 3 gave ${three.join('')}`);
}
