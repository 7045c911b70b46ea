// HTTP/1.1 over one yamux stream, for the net/http demo (and the WASI host's tests): the
// request goes out with "Connection: close", the response is read to the end of the stream
// and parsed (Content-Length or chunked). Enough to talk to Go's net/http server running in
// the wasm worker; not a general HTTP client.
const enc = new TextEncoder(), dec = new TextDecoder();

/**
 * Sends one request on a new stream of `session` and resolves with {status, headers, body}
 * (body: Uint8Array). `body` (optional) is sent with a Content-Length.
 * @param {import('../src/index.js').Session} session
 */
export async function fetchOverStream(session, method, path, body) {
  const s = await session.open();
  const head = `${method} ${path} HTTP/1.1\r\nHost: wasi\r\nConnection: close\r\n` +
    (body ? `Content-Length: ${body.length}\r\n` : '') + '\r\n';
  const w = s.writable.getWriter();
  const sending = (async () => {
    await w.write(enc.encode(head));
    for (let off = 0; body && off < body.length; off += 65536) await w.write(body.subarray(off, off + 65536));
    await w.close(); // our FIN: Go's server answers, then closes its side
  })();
  const [raw] = await Promise.all([readToEnd(s), sending]);
  return parseResponse(raw);
}

/** Every byte of a stream's readable side, as one Uint8Array. */
export async function readToEnd(s) {
  const r = s.readable.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { value, done } = await r.read();
    if (done) break;
    parts.push(value);
    n += value.length;
  }
  return concat(parts, n);
}

function concat(parts, n = parts.reduce((a, p) => a + p.length, 0)) {
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Parses a whole HTTP/1.1 response; throws on a malformed one. */
export function parseResponse(raw) {
  let end = -1;
  for (let i = 0; i + 3 < raw.length; i++) {
    if (raw[i] === 13 && raw[i + 1] === 10 && raw[i + 2] === 13 && raw[i + 3] === 10) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`no HTTP header in ${raw.length} bytes: ${dec.decode(raw.subarray(0, 200))}`);
  const lines = dec.decode(raw.subarray(0, end)).split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts = [];
    for (let p = 0; ;) {
      const eol = body.indexOf(13, p);
      const size = parseInt(dec.decode(body.subarray(p, eol)), 16);
      if (!size) break;
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      p = eol + 2 + size + 2;
    }
    body = concat(parts);
  } else if (headers['content-length'] !== undefined && body.length !== Number(headers['content-length'])) {
    throw new Error(`body of ${body.length} bytes, Content-Length ${headers['content-length']}`);
  }
  return { status, headers, body };
}
