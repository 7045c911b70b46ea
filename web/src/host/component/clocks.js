// wasi:clocks: the monotonic clock (performance.now(), nanoseconds; its resolution is what
// the platform gives: ~1 us in Node, 5-100 us in browsers) and the wall clock, and clock
// pollables for wasi:io/poll.

const now = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

/** Monotonic nanoseconds, a BigInt. */
export function monotonicNs() {
  return BigInt(Math.round(now() * 1e6));
}

function wallNs() {
  const origin = typeof performance !== 'undefined' && performance.timeOrigin;
  return origin ? BigInt(Math.round((origin + now()) * 1e6)) : BigInt(Date.now()) * 1000000n;
}

const U64 = 0xffffffffffffffffn;
function u64(v, what) {
  if (typeof v !== 'bigint' || v < 0n || v > U64) throw new TypeError(`wasi:clocks: ${what} is not a u64`);
  return v;
}

/**
 * The wasi:clocks interfaces; `Pollable` and `poller` make the clock pollables.
 * @param {import('./poll.js').Poller} poller
 * @param {typeof import('./poll.js').Pollable} Pollable
 */
export function clocksImports(poller, Pollable) {
  return {
    'wasi:clocks/monotonic-clock': {
      now() {
        poller.tick(); // Go reads the clock at every scheduling round: the session stays served
        return monotonicNs();
      },
      resolution: () => 1000n,
      subscribeInstant: (when) => new Pollable(poller, { deadline: u64(when, 'instant') }),
      subscribeDuration: (d) => new Pollable(poller, { deadline: monotonicNs() + u64(d, 'duration') }),
    },
    'wasi:clocks/wall-clock': {
      now() {
        const t = wallNs();
        return { seconds: t / 1000000000n, nanoseconds: Number(t % 1000000000n) };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1000 }),
    },
  };
}
