// A doorbell: how one side of a shared memory sleeps until another side says "something
// changed" (data arrived, space freed, a stream closed), with no missed wake-ups and no
// notify when nobody sleeps. Two Int32 words in a SharedArrayBuffer:
//   [index]     seq      incremented by every ring()
//   [index + 1] waiting  1 while the owner is about to sleep or sleeps
// The owner (one thread) arms, re-checks its condition, then sleeps while seq is unchanged;
// a ringer changes its data first, then rings. All accesses are sequentially consistent
// (Atomics), so either the owner's re-check sees the ringer's data, or the ringer's seq
// increment comes after the owner read seq (Atomics.wait returns at once) and the ringer sees
// `waiting` and notifies (the Dekker argument of docs/shmq.md, on two words).

/** Words a doorbell takes (Int32). */
export const DOORBELL_WORDS = 2;

export class Doorbell {
  /**
   * @param {Int32Array} i32 a view on a SharedArrayBuffer
   * @param {number} index the first of DOORBELL_WORDS words
   */
  constructor(i32, index = 0) {
    this.i32 = i32;
    this.index = index;
  }

  /** A doorbell in a fresh SharedArrayBuffer of its own. */
  static create() {
    return new Doorbell(new Int32Array(new SharedArrayBuffer(4 * DOORBELL_WORDS)), 0);
  }

  /** Owner: announces a sleep and returns the seq to sleep on; re-check after this. */
  arm() {
    Atomics.store(this.i32, this.index + 1, 1);
    return Atomics.load(this.i32, this.index);
  }

  /** Anyone: whether the owner announced a sleep (armed, not yet disarmed). */
  armed() {
    return Atomics.load(this.i32, this.index + 1) !== 0;
  }

  /** Owner: withdraws the announcement (after waking, or when the re-check found work). */
  disarm() {
    Atomics.store(this.i32, this.index + 1, 0);
  }

  /** Anyone (after changing the shared data): wakes the owner if it sleeps. */
  ring() {
    Atomics.add(this.i32, this.index, 1);
    if (Atomics.load(this.i32, this.index + 1) !== 0) Atomics.notify(this.i32, this.index);
  }

  /** Owner, on an event loop: resolves when seq moves from `seen` or after `timeoutMs`. */
  waitAsync(seen, timeoutMs) {
    const r = Atomics.waitAsync(this.i32, this.index, seen, timeoutMs < 0 ? 0 : timeoutMs);
    return r.async ? r.value : Promise.resolve(r.value);
  }
}
