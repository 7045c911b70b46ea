// A net.Socket as the MessageStream (MultiaddrConnection) that @chainsafe/libp2p-yamux 8
// multiplexes over; modelled on @libp2p/tcp's socket-to-conn.js (libp2p v3 stream API).
import { AbstractMultiaddrConnection, ipPortToMultiaddr } from '@libp2p/utils'
import { logger } from '@libp2p/logger'

// @libp2p/utils 7 and libp2p-yamux 8 call Promise.withResolvers (Node >= 22); Node 20
// lacks it. This is the standard shim, installed before any stream is created.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

const LINGER_MS = 2000

/** Splits the incoming byte stream into yamux frame headers (payloads are skipped). */
class HeaderParser {
  constructor (onHeader) {
    this.onHeader = onHeader
    this.hdr = Buffer.alloc(12)
    this.have = 0
    this.skip = 0
  }

  feed (buf) {
    for (let i = 0; i < buf.length;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - i)
        this.skip -= n
        i += n
        continue
      }
      const n = Math.min(12 - this.have, buf.length - i)
      buf.copy(this.hdr, this.have, i, i + n)
      this.have += n
      i += n
      if (this.have === 12) {
        this.have = 0
        const type = this.hdr[1]
        const length = this.hdr.readUInt32BE(8)
        this.onHeader(type, this.hdr.readUInt16BE(2), this.hdr.readUInt32BE(4), length)
        if (type === 0) this.skip = length
      }
    }
  }
}

export class SocketConn extends AbstractMultiaddrConnection {
  constructor (socket, direction) {
    super({
      remoteAddr: ipPortToMultiaddr(socket.remoteAddress, socket.remotePort),
      direction, // 'outbound' makes the muxer a yamux client (odd stream ids)
      log: logger(`yamux-js-peer:${direction}`)
    })
    this.socket = socket
    /** Called with (type, flags, streamId, length) for every frame header received. */
    this.onHeader = null
    const headers = new HeaderParser((...h) => this.onHeader?.(...h))
    socket.on('data', buf => {
      headers.feed(buf)
      this.onData(buf)
    })
    // true when the transport failed; an abort without it came from the muxer (its
    // decoder or protocol checks threw: malformed input)
    this.transportFailed = false
    socket.on('error', err => { this.transportFailed = true; this.abort(err) })
    // Remote FIN: with allowHalfOpen off, Node ends our side too; 'close' follows.
    socket.once('end', () => this.onTransportClosed())
    socket.once('close', hadError => {
      if (hadError) { this.transportFailed = true; this.abort(new Error('TCP transmission error')) }
      else this.onTransportClosed()
    })
    socket.on('drain', () => this.safeDispatchEvent('drain'))
  }

  // Once we are closing, frames the muxer still emits (window updates for data that
  // keeps arriving, say) are dropped instead of throwing inside the muxer.
  send (data) {
    if (this.writeStatus !== 'writable') return true
    return super.send(data)
  }

  sendData (data) {
    let sentBytes = 0
    let canSendMore = true
    for (const buf of data) {
      sentBytes += buf.byteLength
      canSendMore = this.socket.write(buf)
      if (!canSendMore) break
    }
    return { sentBytes, canSendMore }
  }

  // Graceful close: FIN after the queued writes, then read until the remote closes too
  // (destroying with unread bytes would make the kernel send an RST).
  async sendClose () {
    const s = this.socket
    if (s.destroyed) return
    await new Promise(resolve => {
      const timer = setTimeout(() => { s.destroy(); resolve() }, LINGER_MS)
      s.once('close', () => { clearTimeout(timer); resolve() })
      s.end()
      s.resume()
    })
  }

  sendReset () {
    if (this.socket.writableEnded) this.socket.destroy()
    else this.socket.resetAndDestroy()
  }

  sendPause () { this.socket.pause() }
  sendResume () { this.socket.resume() }
}
