// CPU time of a Chromium's DedicatedWorker threads, read from /proc while a page runs (for
// bench/bench_component.mjs and web/browser/component.test.mjs; Linux only). Chromium is a
// child of this process (playwright-core launched it): its processes are found by parentage.
import fs from 'node:fs';

/** Processes under `pid` (itself included), from /proc's parent links. */
function tree(pid) {
  const kids = new Map();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(p));
    } catch {}
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) || []));
  return out;
}

/** ns on CPU of every DedicatedWorker thread under `pid`: Map tid -> ns. */
export function workerThreadsNs(pid = process.pid) {
  const out = new Map();
  for (const p of tree(pid)) {
    let tids = [];
    try {
      tids = fs.readdirSync(`/proc/${p}/task`);
    } catch {}
    for (const t of tids) {
      try {
        if (!fs.readFileSync(`/proc/${p}/task/${t}/comm`, 'utf8').startsWith('DedicatedWorker')) continue;
        out.set(`${p}/${t}`, Number(fs.readFileSync(`/proc/${p}/task/${t}/schedstat`, 'utf8').split(' ')[0]));
      } catch {}
    }
  }
  return out;
}

/**
 * Samples the worker threads every `everyMs` until stop(), which returns the CPU ms they used
 * meanwhile: per thread, its last sample minus its value at the start (0 for a thread born
 * since). A thread's CPU after its last sample (at most `everyMs` of its end) is not seen.
 */
export function sampleWorkers(everyMs = 10) {
  const base = workerThreadsNs();
  const last = new Map(base);
  const seen = new Set(base.keys());
  const tick = () => {
    for (const [t, ns] of workerThreadsNs()) {
      last.set(t, ns);
      seen.add(t);
    }
  };
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      let ns = 0;
      for (const t of seen) ns += (last.get(t) || 0) - (base.get(t) || 0);
      return ns / 1e6;
    },
  };
}
