// The page of web/browser/component.test.mjs: the embedder of the component guests (its
// event loop never blocks: the stdio pump waits with Atomics.waitAsync) while each guest
// runs in a module worker that blocks in wasi:io/poll. Each scenario's facts go into
// window.componentResult for the test to check.
import { startComponent } from '../../src/host/component/embed.js';

const log = (s) => (document.getElementById('log').textContent += s + '\n');
const url = (prog) => new URL(`../dist/${prog}/${prog}.component.js`, import.meta.url);
const enc = new TextEncoder();

async function text(readable) {
  const dec = new TextDecoder();
  let s = '';
  for await (const c of readable) s += dec.decode(c, { stream: true });
  return s + dec.decode();
}

async function run(prog, args, stdin) {
  const c = await startComponent(url(prog), { args: [prog, ...args] });
  const w = c.stdin.getWriter();
  const feeding = (async () => {
    if (stdin) await w.write(enc.encode(stdin));
    await w.close();
  })();
  const [out, err] = await Promise.all([text(c.stdout), text(c.stderr)]);
  await feeding;
  return { code: await c.exited, out, err, stats: await c.stats };
}

async function echo(total) {
  const chunk = 1 << 20;
  const c = await startComponent(url('probe'), { args: ['probe', 'echo'], ringBytes: 1 << 18 });
  const pattern = (i) => (i * 2654435761) >>> 24;
  const feeding = (async () => {
    const w = c.stdin.getWriter();
    for (let off = 0; off < total; off += chunk) await w.write(Uint8Array.from({ length: chunk }, (_, k) => pattern(off + k)));
    await w.close();
  })();
  let got = 0, bad = -1;
  const t0 = performance.now();
  for await (const ch of c.stdout) {
    for (let k = 0; k < ch.length && bad < 0; k++) if (ch[k] !== pattern(got + k)) bad = got + k;
    got += ch.length;
  }
  await feeding;
  return { got, bad, code: await c.exited, err: await text(c.stderr), seconds: (performance.now() - t0) / 1000 };
}

const result = { isolated: crossOriginIsolated };
try {
  result.demo = await run('demo', ['300']);
  log(result.demo.out);
  result.timers = await run('probe', ['timers']);
  log(result.timers.out);
  result.exit0 = await run('probe', ['exit', '0']);
  result.exit3 = await run('probe', ['exit', '3']);
  result.eof = await run('probe', ['eof'], 'hello\nworld');
  result.eofEmpty = await run('probe', ['eof']);
  result.echo = await echo(64 << 20);
  log(`echo: ${result.echo.got} bytes in ${result.echo.seconds.toFixed(2)} s`);
} catch (e) {
  result.error = String((e && e.stack) || e);
  log(result.error);
}
window.componentResult = result;
