// The byte-stream interface the host's wasi:io/streams sit on. It is the descriptor interface
// of the preview 1 host (web/src/host/wasi.js: ShmqFd, and issue 12's yamux stream objects):
// non-blocking, errors as negative WASI errno values, readiness as POLL_READ / POLL_WRITE.
//
//   read(chunks: Uint8Array[]) -> n > 0 bytes copied in order | 0 at end of stream | -errno
//                                 (-E.AGAIN: nothing yet)
//   write(chunks: Uint8Array[]) -> n > 0 bytes taken (may be short) | -errno
//                                 (-E.AGAIN: no room yet, -E.PIPE: the reader is gone)
//   ready(events) -> the subset of events (POLL_READ | POLL_WRITE) ready now; end of stream
//                    and errors count as ready (the next call reports them)
//   shutdown(how) (optional) -> 0 | errno: no more writes (the reader sees end of stream)
//   close()                  : done with the stream (both directions)
//
// A stream does not block: the host sleeps on one doorbell (doorbell.js) that whoever changes
// a stream's readiness rings (the embedder for the stdio pipes of pipe.js; the queue's peer for
// yamux streams). Values are WASI preview 1's, as in wasi.js.

/** WASI errno values used here (wasi_snapshot_preview1, the same as wasi.js's E). */
export const E = Object.freeze({ AGAIN: 6, CONNRESET: 15, INVAL: 28, IO: 29, NOTSUP: 58, PIPE: 64 });

/** Readiness bits (the same as wasi.js's POLL_READ / POLL_WRITE). */
export const POLL_READ = 1, POLL_WRITE = 2;

/** Names of the errno values above, for messages. */
export function errnoName(errno) {
  for (const [k, v] of Object.entries(E)) if (v === errno) return `E${k}`;
  return `errno ${errno}`;
}
