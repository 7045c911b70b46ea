// The guest's linear memory as the host sees it: every pointer and length a guest passes is
// checked against the memory's current size before it is used. A range outside it is a
// fault (the call returns EFAULT and changes nothing), never a host exception or a silently
// clamped view. Pointers and lengths arrive as signed i32 and are read as unsigned.

export class GuestMemory {
  /** @param {WebAssembly.Memory} memory */
  constructor(memory) {
    this.memory = memory;
    this.buf = null;
    this.refresh();
  }

  /** Re-creates the views when the memory grew (cheap when it did not). */
  refresh() {
    const b = this.memory.buffer;
    if (b === this.buf) return;
    this.buf = b;
    this.u8 = new Uint8Array(b);
    this.dv = new DataView(b);
    this.size = b.byteLength;
  }

  /** Whether [ptr, ptr + len) lies inside the memory (ptr, len: unsigned 32-bit). */
  ok(ptr, len) {
    this.refresh();
    return ptr >= 0 && len >= 0 && ptr + len <= this.size;
  }

  /**
   * The iovec list at `iovs` (`n` entries of {buf: u32, len: u32}) as views of the memory,
   * empty entries skipped; null when the list or one of its buffers is outside the memory.
   * @returns {Uint8Array[]|null}
   */
  iovecs(iovs, n) {
    if (!this.ok(iovs, n * 8)) return null;
    const dv = this.dv, out = [];
    for (let i = 0; i < n; i++) {
      const p = dv.getUint32(iovs + 8 * i, true), len = dv.getUint32(iovs + 8 * i + 4, true);
      if (p + len > this.size) return null;
      if (len) out.push(this.u8.subarray(p, p + len));
    }
    return out;
  }
}
