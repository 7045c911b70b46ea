// poll_oneoff: level-triggered readiness of fd_read / fd_write subscriptions plus clock
// subscriptions (relative or absolute). Returns at once when something is ready or a clock
// expired; otherwise it waits, the only place a guest's call blocks the worker:
//   - with a stream driver (sockets mode): the driver pumps the engine before every check
//     and sleeps on the queue's doorbell until the event side sends, a clock expires or an
//     engine timer is due (Driver.wait);
//   - with a raw queue descriptor (raw mode): its block() (Shmq.wait);
//   - otherwise the backend's sleep() until the earliest clock.
// Subscriptions are read whole before any event is written (the two arrays may overlap).
// With a backend whose waits are asynchronous (JSPI: poll_oneoff is a WebAssembly.Suspending
// import) a wait returns a Promise: the same loop goes on in pollAsync() and the call returns
// a Promise of the errno; it returns a number whenever it does not wait.
import {
  E, EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE, SUBCLOCK_ABSTIME,
  EVENT_FD_READWRITE_HANGUP, SUB_SIZE, EVENT_SIZE, CLOCK_REALTIME, CLOCK_MONOTONIC,
  CLOCK_PROCESS, CLOCK_THREAD, POLL_READ, POLL_WRITE,
} from './errno.js';
import { monotonicMs, realtimeMs } from './clocks.js';

/**
 * @param {object} host {mem: GuestMemory, fds: Map, driver?, backend, stats}
 * @returns {number|Promise<number>} errno (a Promise once it waits with an asynchronous backend)
 */
export function pollOneoff(host, inPtr, outPtr, nsubs, neventsPtr) {
  // A guest that has not given the thread back for a while (JSPI) does so first, even when
  // the answer is ready: a guest polling with a zero timeout in a loop would otherwise keep
  // the event side, which shares its thread, from ever sending what it waits for.
  const y = host.backend?.yieldDue?.();
  if (y) return y.then(() => pollOneoff(host, inPtr, outPtr, nsubs, neventsPtr));
  inPtr >>>= 0;
  outPtr >>>= 0;
  nsubs >>>= 0;
  neventsPtr >>>= 0;
  const mem = host.mem;
  if (nsubs === 0) return E.INVAL;
  if (!mem.ok(inPtr, nsubs * SUB_SIZE) || !mem.ok(outPtr, nsubs * EVENT_SIZE) || !mem.ok(neventsPtr, 4))
    return E.FAULT;
  host.stats.polls++;
  const dv = mem.dv;
  const subs = [];
  let until = Infinity; // earliest clock expiry, monotonicMs() time
  let t0 = -1;
  for (let i = 0; i < nsubs; i++) {
    const p = inPtr + i * SUB_SIZE;
    const tag = dv.getUint8(p + 8);
    if (tag === EVENTTYPE_CLOCK) {
      const id = dv.getUint32(p + 16, true);
      const timeoutNs = u64(dv, p + 24);
      const flags = dv.getUint16(p + 40, true);
      if (t0 < 0) t0 = monotonicMs();
      let at = t0, error = 0;
      if (id === CLOCK_REALTIME || id === CLOCK_MONOTONIC || id === CLOCK_PROCESS || id === CLOCK_THREAD) {
        if (flags & SUBCLOCK_ABSTIME) {
          // An absolute time on `id`, converted to the monotonic clock.
          const cur = id === CLOCK_REALTIME ? realtimeMs() : t0;
          at = t0 + Math.max(0, timeoutNs / 1e6 - cur);
        } else {
          at = t0 + timeoutNs / 1e6;
        }
      } else {
        error = E.INVAL; // reported in its event at once
      }
      subs.push({ p, tag, at, error, d: null, want: 0 });
      if (at < until) until = at;
    } else if (tag === EVENTTYPE_FD_READ || tag === EVENTTYPE_FD_WRITE) {
      const fd = dv.getUint32(p + 16, true);
      const d = host.fds.get(fd) ?? null;
      subs.push({ p, tag, at: 0, error: d ? 0 : E.BADF, d, want: tag === EVENTTYPE_FD_READ ? POLL_READ : POLL_WRITE });
    } else {
      return E.INVAL;
    }
  }
  // userdata is copied as bytes when an event is written: keep the subscriptions' bytes.
  const userdata = mem.u8.slice(inPtr, inPtr + nsubs * SUB_SIZE);

  const driver = host.driver;
  // One stream reader and no writer: its read pulls the input itself (Driver.pumpLazy).
  let readers = 0, writers = 0;
  for (const s of subs) {
    if (s.tag === EVENTTYPE_FD_WRITE) writers++;
    else if (s.tag === EVENTTYPE_FD_READ && s.d && s.d.lazyReads) readers++;
  }
  const st = { subs, userdata, until, lazy: readers === 1 && writers === 0, inPtr, outPtr, neventsPtr };
  for (;;) {
    const r = pollOnce(host, st);
    if (r >= 0) return r;
    const w = pollWait(host, st);
    if (w instanceof Promise) return w.then(() => pollAsync(host, st));
    if (w !== undefined) return w;
  }
}

/** @private the rest of a poll whose wait was asynchronous */
async function pollAsync(host, st) {
  for (;;) {
    const r = pollOnce(host, st);
    if (r >= 0) return r;
    const w = pollWait(host, st);
    if (w instanceof Promise) await w;
    else if (w !== undefined) return w;
  }
}

/** @private pumps, then writes the events of what is ready: the errno, or -1 when nothing
 * is (st.waitable/st.waitEvents then say what raw descriptor to block on) */
function pollOnce(host, st) {
  const { subs, userdata, until, inPtr, outPtr, neventsPtr } = st;
  const mem = host.mem, driver = host.driver;
  if (driver) {
    if (st.lazy) driver.pumpLazy();
    else driver.pump();
  }
  let n = 0, waitable = null, waitEvents = 0;
  const tnow = until < Infinity ? monotonicMs() : 0;
  for (const s of subs) {
    let ready = false, hangup = false;
    if (s.error) {
      ready = true;
    } else if (s.tag === EVENTTYPE_CLOCK) {
      ready = s.at <= tnow;
    } else {
      ready = (s.d.ready(s.want) & s.want) !== 0;
      if (ready) hangup = s.d.hangup ? s.d.hangup() : false;
      else if (s.d.block) {
        waitable = s.d;
        waitEvents |= s.want;
      }
    }
    if (!ready) continue;
    mem.refresh();
    const q = outPtr + n * EVENT_SIZE, src = s.p - inPtr;
    mem.u8.fill(0, q, q + EVENT_SIZE);
    mem.u8.set(userdata.subarray(src, src + 8), q);
    mem.dv.setUint16(q + 8, s.error, true);
    mem.dv.setUint8(q + 10, s.tag);
    if (hangup) mem.dv.setUint16(q + 24, EVENT_FD_READWRITE_HANGUP, true);
    n++;
  }
  if (n > 0) {
    mem.dv.setUint32(neventsPtr, n, true);
    return E.SUCCESS;
  }
  st.waitable = waitable;
  st.waitEvents = waitEvents;
  return -1;
}

/** @private nothing is ready: waits for the queue, the earliest clock, or both. Returns
 * undefined (look again), a Promise (look again once it settles), or an errno. */
function pollWait(host, st) {
  const { until, waitable, waitEvents } = st;
  host.stats.blocks++;
  if (host.driver) return host.driver.wait(until);
  if (waitable) return waitable.block(waitEvents, until - monotonicMs(), host.backend);
  if (until < Infinity) return host.backend.sleep(Math.max(0, until - monotonicMs()));
  return E.INVAL; // nothing subscribed can ever become ready
}

/** An unsigned 64-bit field as a Number (exact below 2^53; beyond: a far future). */
function u64(dv, p) {
  return dv.getUint32(p, true) + dv.getUint32(p + 4, true) * 4294967296;
}
