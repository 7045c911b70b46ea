// poll_oneoff: level-triggered readiness of fd_read / fd_write subscriptions plus clock
// subscriptions (relative or absolute). Returns at once when something is ready or a clock
// expired; otherwise it waits, the only place a guest's call blocks the worker:
//   - with a stream driver (sockets mode): the driver pumps the engine before every check
//     and sleeps on the queue's doorbell until the event side sends, a clock expires or an
//     engine timer is due (Driver.wait);
//   - with a raw queue descriptor (raw mode): its block() (Shmq.wait);
//   - otherwise the backend's sleep() until the earliest clock.
// Subscriptions are read whole before any event is written (the two arrays may overlap).
import {
  E, EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE, SUBCLOCK_ABSTIME,
  EVENT_FD_READWRITE_HANGUP, SUB_SIZE, EVENT_SIZE, CLOCK_REALTIME, CLOCK_MONOTONIC,
  CLOCK_PROCESS, CLOCK_THREAD, POLL_READ, POLL_WRITE,
} from './errno.js';
import { monotonicMs, realtimeMs } from './clocks.js';

/**
 * @param {object} host {mem: GuestMemory, fds: Map, driver?, backend, stats}
 * @returns {number} errno
 */
export function pollOneoff(host, inPtr, outPtr, nsubs, neventsPtr) {
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
  const lazy = readers === 1 && writers === 0;
  for (;;) {
    if (driver) {
      if (lazy) driver.pumpLazy();
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
    // Nothing ready: wait for the queue, the earliest clock, or both.
    host.stats.blocks++;
    if (driver) driver.wait(until);
    else if (waitable) waitable.block(waitEvents, until - monotonicMs());
    else if (until < Infinity) host.backend.sleep(Math.max(0, until - monotonicMs()));
    else return E.INVAL; // nothing subscribed can ever become ready
  }
}

/** An unsigned 64-bit field as a Number (exact below 2^53; beyond: a far future). */
function u64(dv, p) {
  return dv.getUint32(p, true) + dv.getUint32(p + 4, true) * 4294967296;
}
