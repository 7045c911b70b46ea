// The byte-stream interface the host's wasi:io/streams sit on: the one of issue 12's yamux
// stream objects (HostStream, web/src/host/streams/stream.js on that branch), so that phase 2
// hands those objects to createHost() as they are. Non-blocking; results are byte counts or
// the negative SE codes below, never exceptions:
//
//   read(chunks: Uint8Array[]) -> n > 0 bytes copied in order | 0 at end of stream |
//                                 SE.AGAIN (nothing yet) | another SE code
//   write(chunks: Uint8Array[]) -> n > 0 bytes taken (may be short) | SE.AGAIN (no room yet) |
//                                 SE.PIPE (written after shutdown, or the reader is gone) | ...
//   ready(events) -> the subset of events (READ | WRITE) ready now; end of stream and errors
//                    count as ready (the next call reports them)
//   hangup() (optional) -> whether the other side is gone
//   shutdown(how) (optional): no more writes (the reader sees end of stream)
//   close(): done with the stream (both directions)
//
// A stream does not block: the host sleeps on a doorbell (doorbell.js) that whoever changes
// a stream's readiness rings (the embedder for the stdio pipes of pipe.js; in phase 2 the
// queue's peer, through issue 12's driver).

/** Failure codes of stream calls (negative): the same values as issue 12's SE. */
export const SE = Object.freeze({
  AGAIN: -1, // nothing to read yet / no room to write: wait for readiness
  PIPE: -2, // writing after this side shut down, or the reader is gone
  RESET: -3, // the stream was reset or broke (a corrupt pipe)
  DOWN: -4, // the session is over
  REFUSED: -5,
  LIMIT: -6,
  INVAL: -7, // a call on a closed object, or bad arguments
});

/** Readiness bits (also issue 12's READ / WRITE and wasi.js's POLL_READ / POLL_WRITE). */
export const READ = 1, WRITE = 2;

/** A code's name, for messages. */
export function codeName(code) {
  for (const [k, v] of Object.entries(SE)) if (v === code) return k.toLowerCase();
  return `code ${code}`;
}
