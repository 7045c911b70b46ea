// Standard input, output and error of a WASI guest: stdin reads end of file, stdout and
// stderr hand the bytes to the embedder's sinks. Both are always ready for poll_oneoff.
import { FILETYPE, FDFLAG_APPEND } from './errno.js';

/**
 * A descriptor for standard output/error: fd_write hands a copy of the bytes to
 * `sink(Uint8Array)`; always writable. Without a sink (stdin) reads are end of file.
 */
export class StdioFd {
  constructor(sink) {
    this.sink = sink;
    this.filetype = FILETYPE.CHARACTER_DEVICE;
    this.fdflags = FDFLAG_APPEND;
  }
  write(chunks) {
    let n = 0;
    for (const c of chunks) {
      if (c.length && this.sink) this.sink(c.slice());
      n += c.length;
    }
    return n;
  }
  read() {
    return 0; // stdin: end of file
  }
  ready(events) {
    return events;
  }
  close() {}
}

/** Collects bytes into lines (UTF-8) and calls `onLine(line)` per line; `flush()` passes
 * the unterminated rest. */
export function lineSink(onLine) {
  const dec = new TextDecoder();
  let pending = '';
  const sink = (bytes) => {
    pending += dec.decode(bytes, { stream: true });
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  };
  sink.flush = () => {
    pending += dec.decode();
    if (pending) onLine(pending);
    pending = '';
  };
  return sink;
}
