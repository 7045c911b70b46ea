// Errors of the event side: every failure of a session or a stream is a YamuxError carrying
// the engine's code (the C enum yamux_error), its name and the engine's sentence
// (yamux_strerror). A subclass says what kind of failure it is:
//   YamuxResetError      the stream was reset (by either side, or refused by the peer)
//   YamuxClosedError     the session or stream is closed (ended cleanly, shut down, GoAway)
//   YamuxTimeoutError    a ping, keepalive, write or open timed out
//   YamuxTransportError  the channel failed: the peer died, the region is corrupt
// `cause` tells why a session ended: a ShmqError with code YAMUX_ECLOSED when the peer closed
// its side itself, YAMUX_EPEERDEAD when it died (its worker exited, crashed or was
// terminated, or its heartbeat stopped), or the reason given to Session.abort().

/** yamux_error codes (negative). */
export const Codes = Object.freeze({
  OK: 0, EAGAIN: -1, EINVAL: -2, ENOMEM: -3, ELIMIT: -4, ECLOSED: -5, ERESET: -6,
  ESHUTDOWN: -7, EGOAWAY: -8, ESTREAMS_EXHAUSTED: -9, ETIMEOUT: -10,
  EPROTO_VERSION: -20, EPROTO_TYPE: -21, EPROTO_FLAGS: -22, EPROTO_STREAM_ID: -23,
  EPROTO_DUPLICATE_STREAM: -24, EPROTO_RECV_WINDOW: -25, EPROTO_SEND_WINDOW: -26,
  EPROTO_STREAM_STATE: -27, EPROTO_LENGTH: -28,
  EREMOTE_PROTOCOL: -40, EREMOTE_INTERNAL: -41, EREMOTE_GOAWAY: -42, EKEEPALIVE: -43,
  EWRITE_TIMEOUT: -44, EOPEN_TIMEOUT: -45, EEOF: -46, ETRANSPORT: -47, EINTERNAL: -48,
  EMSGSIZE: -11, EPEERDEAD: -60, EPEERRESET: -61, ECORRUPT: -62, EBADMAGIC: -63, EVERSION: -64,
});

/**
 * A yamux failure. `code` is a yamux_error value (see Codes), `codeName` its C name
 * ("YAMUX_ERESET"); the message is the engine's sentence, plus the cause's message when
 * there is one ("yamux: transport error: shmq: peer died without closing the queue").
 */
export class YamuxError extends Error {
  /**
   * @param {number} code
   * @param {string} codeName
   * @param {string} text
   * @param {unknown} [cause]
   */
  constructor(code, codeName, text, cause) {
    const why = cause instanceof Error ? `: ${cause.message}` : cause !== undefined ? `: ${String(cause)}` : '';
    super(`yamux: ${text}${why}`, cause !== undefined ? { cause } : undefined);
    this.name = 'YamuxError';
    this.code = code;
    this.codeName = codeName;
  }
}

/** The stream was reset (RST sent or received, or the peer refused the stream). */
export class YamuxResetError extends YamuxError {
  constructor(...a) {
    super(...a);
    this.name = 'YamuxResetError';
  }
}

/** The session or stream is closed: shut down here, ended by the peer, or refused after a
 * GoAway. `cause` says how the session ended. */
export class YamuxClosedError extends YamuxError {
  constructor(...a) {
    super(...a);
    this.name = 'YamuxClosedError';
  }
}

/** A ping, keepalive, write or open got no answer in time. */
export class YamuxTimeoutError extends YamuxError {
  constructor(...a) {
    super(...a);
    this.name = 'YamuxTimeoutError';
  }
}

/** The channel failed: the peer died or the shared region is corrupt (`cause`: ShmqError). */
export class YamuxTransportError extends YamuxError {
  constructor(...a) {
    super(...a);
    this.name = 'YamuxTransportError';
  }
}

const CLOSED = new Set([Codes.ECLOSED, Codes.ESHUTDOWN, Codes.EGOAWAY, Codes.EEOF, Codes.EREMOTE_GOAWAY,
  Codes.ESTREAMS_EXHAUSTED]);
const TIMEOUT = new Set([Codes.ETIMEOUT, Codes.EKEEPALIVE, Codes.EWRITE_TIMEOUT, Codes.EOPEN_TIMEOUT]);

/** The class of error for engine code `code`. */
export function errorClass(code) {
  if (code === Codes.ERESET) return YamuxResetError;
  if (code === Codes.ETRANSPORT) return YamuxTransportError;
  if (TIMEOUT.has(code)) return YamuxTimeoutError;
  if (CLOSED.has(code)) return YamuxClosedError;
  return YamuxError;
}
