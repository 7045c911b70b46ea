// The page of bench/bench_component.mjs in Chromium: one worker (cpu-worker.js) per host
// runs the demo component once per runCpu() call and waits between calls, so that the
// harness reads the worker thread's CPU time from /proc between runs.
let worker = null;
window.cpuState = { phase: 'idle' };
window.startWorker = () => {
  worker = new Worker(new URL('./cpu-worker.js', import.meta.url), { type: 'module', name: 'cpu-worker' });
  worker.onmessage = (e) => {
    if (e.data.type === 'done') window.cpuState = { phase: 'done', ...e.data };
  };
  worker.onerror = (e) => {
    window.cpuState = { phase: 'done', error: String(e.message || e) };
  };
};
window.runCpu = (host, sleepMs) => {
  window.cpuState = { phase: 'running' };
  const component = new URL('../dist/demo/demo.component.js', import.meta.url).href;
  worker.postMessage({ component, host, args: ['demo', String(sleepMs)] });
};
window.stopWorker = () => {
  if (worker) worker.terminate();
  worker = null;
};
