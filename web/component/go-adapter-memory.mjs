// Makes a Go (GOOS=wasip1) module safe to wrap with the WASI preview 1 adapter
// (`jco new --wasi-command`), before wrapping it.
//
// The problem: a module that exports no `cabi_realloc` gets the adapter's memory (its state
// page and its stack page) through `memory.grow`. Go's sbrk (runtime/mem_wasm.go) assumes
// that it alone grows the memory: its heap runs from `firstmoduledata.end` up, and after a
// grow it uses [bloc, bloc+n) without asking where the new pages are, so its heap lands on
// the adapter's pages and the two overwrite each other (seen here: a ticker makes the
// adapter trap in poll_oneoff; stdout writes pass handle -1).
//
// The fix, on the core module (a binary patch, no Go change):
//   1. firstmoduledata.end (where Go's heap starts) is moved up by RESERVED bytes, in the
//      data segment that holds it, and the initial memory grows to cover the gap;
//   2. an exported `cabi_realloc_adapter` (the adapter's allocator when present, see
//      wasm-tools' component new) hands out the gap, bump by bump, and traps past its end.
// The moduledata is found from the pcHeader it points to (magic 0xfffffff1..., ptrSize 8),
// and its fields are checked (noptrdata <= ... <= enoptrbss <= end <= initial memory)
// before anything is written: an unknown layout fails with a message, never a bad module.
//
//   node go-adapter-memory.mjs IN.wasm OUT.wasm
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const PAGE = 65536;
/** Bytes kept for the adapter: it asks for two pages (state, stack); one more for slack. */
export const RESERVED = 3 * PAGE;
const END_FIELD = 272; // offsetof(moduledata, end), Go 1.21..1.26 (checked below)
const CHAIN = [192, 200, 208, 216, 224, 232, 240, 248]; // noptrdata .. enoptrbss

function readU(b, p) {
  let r = 0, shift = 0, byte;
  do {
    byte = b[p++];
    r += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [r, p];
}
function uleb(n) {
  const out = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}
function sleb(n) {
  const out = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
const str = (s) => [...uleb(s.length), ...Buffer.from(s)];

function sections(b) {
  if (b.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const list = [];
  let p = 8;
  while (p < b.length) {
    const id = b[p];
    const [size, q] = readU(b, p + 1);
    list.push({ id, start: p, body: q, end: q + size });
    p = q + size;
  }
  return list;
}

/** Active data segments: {memAddr, fileOff, len}. */
function dataSegments(b, sec) {
  const segs = [];
  let [n, p] = readU(b, sec.body);
  for (let i = 0; i < n; i++) {
    const [flags, q] = readU(b, p);
    p = q;
    if (flags === 1) throw new Error('passive data segments are not supported');
    if (flags === 2) p = readU(b, p)[1];
    if (b[p] !== 0x41) throw new Error('data segment offset is not i32.const');
    let addr = 0, shift = 0, byte;
    p++;
    do {
      byte = b[p++];
      addr |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    if (b[p++] !== 0x0b) throw new Error('data segment offset is not a constant');
    const [len, r] = readU(b, p);
    segs.push({ memAddr: addr >>> 0, fileOff: r, len });
    p = r + len;
  }
  return segs;
}

function u64At(b, segs, addr) {
  for (const s of segs) {
    if (addr >= s.memAddr && addr + 8 <= s.memAddr + s.len) {
      const off = s.fileOff + addr - s.memAddr;
      return { value: Number(b.readBigUInt64LE(off)), off };
    }
  }
  return { value: 0, off: -1 }; // zero-initialised memory
}

/** Where firstmoduledata.end lives: {addr, off (file offset), end}; throws when unsure. */
export function findModuledataEnd(b, segs, initialBytes) {
  const magic = Buffer.from([0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8]);
  const headers = [];
  for (const s of segs) {
    let i = b.indexOf(magic, s.fileOff);
    while (i >= 0 && i < s.fileOff + s.len) {
      headers.push(s.memAddr + i - s.fileOff);
      i = b.indexOf(magic, i + 1);
    }
  }
  const found = [];
  for (const h of headers) {
    const needle = Buffer.alloc(8);
    needle.writeBigUInt64LE(BigInt(h));
    for (const s of segs) {
      let i = b.indexOf(needle, s.fileOff);
      while (i >= 0 && i < s.fileOff + s.len) {
        const md = s.memAddr + i - s.fileOff;
        const chain = CHAIN.map((o) => u64At(b, segs, md + o).value);
        const end = u64At(b, segs, md + END_FIELD);
        const ok = md % 8 === 0 && chain[0] > 0 && chain.every((v, k) => k === 0 || chain[k - 1] <= v) &&
          end.off >= 0 && end.value >= chain[chain.length - 1] && end.value <= initialBytes;
        if (ok) found.push({ addr: md + END_FIELD, off: end.off, end: end.value });
        i = b.indexOf(needle, i + 1);
      }
    }
  }
  if (found.length !== 1) {
    throw new Error(`go-adapter-memory: found ${found.length} Go moduledata candidates (expected 1): not a Go 1.21+ wasip1 module?`);
  }
  return found[0];
}

/** Returns the patched module (a Buffer); see the header. */
export function patchGoModule(input) {
  const b = Buffer.from(input);
  const secs = sections(b);
  const sec = (id) => secs.find((s) => s.id === id);
  const exp = sec(7);
  if (exp) {
    let [n, p] = readU(b, exp.body);
    for (let i = 0; i < n; i++) {
      const [len, q] = readU(b, p);
      const name = b.toString('utf8', q, q + len);
      if (name === 'cabi_realloc' || name === 'cabi_realloc_adapter') return b; // nothing to do
      p = readU(b, q + len + 1)[1];
    }
  }
  // Memory: one defined memory, limits flag 0 (no maximum).
  const mem = sec(5);
  if (!mem || b[mem.body] !== 1 || b[mem.body + 1] !== 0) throw new Error('go-adapter-memory: expected one memory without a maximum');
  const [initialPages] = readU(b, mem.body + 2);
  const segs = dataSegments(b, sec(11));
  const md = findModuledataEnd(b, segs, initialPages * PAGE);
  const gap = Math.ceil(md.end / PAGE) * PAGE; // Go's old heap start: the adapter's region
  b.writeBigUInt64LE(BigInt(md.end + RESERVED), md.off);
  const newPages = Math.max(initialPages, (gap + RESERVED) / PAGE);

  // Imports: functions and globals imported shift the index spaces.
  let importedFuncs = 0, importedGlobals = 0;
  const imp = sec(2);
  if (imp) {
    let [n, p] = readU(b, imp.body);
    for (let i = 0; i < n; i++) {
      let len;
      [len, p] = readU(b, p);
      p += len;
      [len, p] = readU(b, p);
      p += len;
      const kind = b[p++];
      if (kind === 0) {
        importedFuncs++;
        p = readU(b, p)[1];
      } else if (kind === 3) {
        importedGlobals++;
        p += 2;
      } else if (kind === 2) {
        p = b[p] & 1 ? readU(b, readU(b, p + 1)[1])[1] : readU(b, p + 1)[1];
      } else if (kind === 1) {
        p++;
        p = b[p] & 1 ? readU(b, readU(b, p + 1)[1])[1] : readU(b, p + 1)[1];
      } else throw new Error(`go-adapter-memory: import kind ${kind}`);
    }
  }
  const count = (s) => (s ? readU(b, s.body)[0] : 0);
  const typeIdx = count(sec(1));
  const funcIdx = importedFuncs + count(sec(3));
  const globalIdx = importedGlobals + count(sec(6));

  // cabi_realloc_adapter(old, old_len, align, new_len) -> ptr: bump within [gap, gap+RESERVED).
  const body = [
    0x01, 0x01, 0x7f, // one local i32: p
    0x20, 0x00, 0x04, 0x40, 0x00, 0x0b, // if old != 0: unreachable (no reallocation)
    // p = (next + align - 1) & -align
    0x23, ...uleb(globalIdx), 0x20, 0x02, 0x6a, 0x41, 0x01, 0x6b, 0x41, 0x00, 0x20, 0x02, 0x6b, 0x71, 0x22, 0x04,
    // if p + new_len > gap + RESERVED: unreachable
    0x20, 0x03, 0x6a, 0x41, ...sleb((gap + RESERVED) | 0), 0x4b, 0x04, 0x40, 0x00, 0x0b,
    // next = p + new_len; return p
    0x20, 0x04, 0x20, 0x03, 0x6a, 0x24, ...uleb(globalIdx), 0x20, 0x04, 0x0b,
  ];
  const addToVec = (s, item, id) => {
    if (!s) return [id, ...uleb(uleb(1).length + item.length), ...uleb(1), ...item];
    const [n, p] = readU(b, s.body);
    const content = [...uleb(n + 1), ...b.subarray(p, s.end), ...item];
    return [id, ...uleb(content.length), ...content];
  };
  const out = [b.subarray(0, 8)];
  let typeDone = false, funcDone = false, globalDone = false, exportDone = false;
  const pushNew = (id) => {
    // sections missing from the module, in their order
    if (id > 1 && !typeDone) throw new Error('go-adapter-memory: no type section');
    if (id > 6 && !globalDone) {
      out.push(Buffer.from(addToVec(null, [0x7f, 0x01, 0x41, ...sleb(gap | 0), 0x0b], 6)));
      globalDone = true;
    }
  };
  for (const s of secs) {
    pushNew(s.id);
    if (s.id === 1) {
      out.push(Buffer.from(addToVec(s, [0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f], 1)));
      typeDone = true;
    } else if (s.id === 3) {
      out.push(Buffer.from(addToVec(s, uleb(typeIdx), 3)));
      funcDone = true;
    } else if (s.id === 5) {
      out.push(Buffer.from([5, ...uleb(2 + uleb(newPages).length), 1, 0, ...uleb(newPages)]));
    } else if (s.id === 6) {
      out.push(Buffer.from(addToVec(s, [0x7f, 0x01, 0x41, ...sleb(gap | 0), 0x0b], 6)));
      globalDone = true;
    } else if (s.id === 7) {
      out.push(Buffer.from(addToVec(s, [...str('cabi_realloc_adapter'), 0x00, ...uleb(funcIdx)], 7)));
      exportDone = true;
    } else if (s.id === 10) {
      out.push(Buffer.from(addToVec(s, [...uleb(body.length), ...body], 10)));
    } else {
      out.push(b.subarray(s.start, s.end));
    }
  }
  if (!typeDone || !funcDone || !exportDone) throw new Error('go-adapter-memory: unexpected module shape');
  return Buffer.concat(out);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: node go-adapter-memory.mjs IN.wasm OUT.wasm');
    process.exit(2);
  }
  fs.writeFileSync(output, patchGoModule(fs.readFileSync(input)));
}
