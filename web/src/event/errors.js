// YamuxError: every failure of the event-side session and its streams, with the engine's
// code (the C enum yamux_error), its name and the engine's sentence (yamux_strerror).

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
 * ("YAMUX_ERESET"); the message is the engine's sentence, plus the cause for transport
 * failures ("the transport failed: shmq: peer died without closing the queue").
 */
export class YamuxError extends Error {
  /**
   * @param {number} code
   * @param {string} codeName
   * @param {string} text
   * @param {Error} [cause]
   */
  constructor(code, codeName, text, cause) {
    super(`yamux: ${text}${cause ? `: ${cause.message}` : ''}`, cause ? { cause } : undefined);
    this.name = 'YamuxError';
    this.code = code;
    this.codeName = codeName;
  }
}
