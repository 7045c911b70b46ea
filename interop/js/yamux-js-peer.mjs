#!/usr/bin/env node
// yamux-js-peer: the interop/PEER_CLI.md peer on @chainsafe/libp2p-yamux (js-libp2p's yamux).
import net from 'node:net'
import { yamux } from '@chainsafe/libp2p-yamux'
import { Uint8ArrayList } from 'uint8arraylist'
import { SocketConn } from './socket-conn.mjs'

const USAGE = `usage: yamux-js-peer.mjs (--listen HOST:PORT | --connect HOST:PORT) [options]
  --open N --bytes B     open N streams, write B bytes each, verify the echo
  --window BYTES         max stream receive window (>= 262144, default 262144)
  --keepalive SECONDS    keepalive ping interval (0 disables, default 30)
  --once                 with --listen: serve one connection, then exit
  --random-sizes SEED    stream i carries splitmix64(SEED)[i] % (B+1) bytes
  --mode echo|sink       what to do with streams the remote opens (default echo)
  --sink                 the remote is a sink: expect nothing back
  --write-size W         bytes per write call (default 65536)
  --read-delay MS        sleep MS before each read of at most W bytes
  --ping N               send N pings, print \`ping RTT_NS\` for each
  --reset-after BYTES    reset each opened stream after writing BYTES
  --goaway               send GoAway(0) once the opened streams are done
  --idle N               open N streams, write nothing, print \`idle N RSS_BYTES\`
  --stats                print a final \`stats {json}\` line
exit: 0 clean, 1 verification failure, 2 usage error, 3 protocol error`

const INITIAL_WINDOW = 256 * 1024
const MAX_STREAMS = 1 << 30
// Most of our streams that may await the remote's first answer: hashicorp/yamux's accept
// backlog (it resets streams beyond it), and its own limit on un-ACKed streams.
const MAX_UNANSWERED = 256

// ---- command line ------------------------------------------------------------------

function usageError (msg) {
  process.stderr.write(`yamux-js-peer: ${msg}\n${USAGE}\n`)
  process.exit(2)
}

function parseArgs (argv) {
  const o = {
    listen: null, connect: null, open: 0, bytes: 0, window: INITIAL_WINDOW, keepalive: 30,
    once: false, seed: null, sinkMode: false, sink: false, writeSize: 65536, readDelay: 0,
    ping: 0, resetAfter: null, goaway: false, idle: null, stats: false
  }
  const switches = { '--once': 'once', '--sink': 'sink', '--goaway': 'goaway', '--stats': 'stats' }
  const numeric = {
    '--open': 'open', '--bytes': 'bytes', '--window': 'window', '--keepalive': 'keepalive',
    '--random-sizes': 'seed', '--write-size': 'writeSize', '--read-delay': 'readDelay',
    '--ping': 'ping', '--reset-after': 'resetAfter', '--idle': 'idle'
  }
  const strings = { '--listen': 'listen', '--connect': 'connect', '--mode': 'mode' }
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i]
    let val = null
    const eq = flag.indexOf('=')
    if (flag.startsWith('--') && eq > 0) { val = flag.slice(eq + 1); flag = flag.slice(0, eq) }
    if (flag === '-h' || flag === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0) }
    if (switches[flag] !== undefined) {
      if (val !== null) usageError(`${flag} takes no value`)
      o[switches[flag]] = true
      continue
    }
    if (numeric[flag] === undefined && strings[flag] === undefined) usageError(`unknown argument ${JSON.stringify(argv[i])}`)
    if (val === null) {
      if (i + 1 >= argv.length) usageError(`${flag}: missing value`)
      val = argv[++i]
    }
    if (strings[flag] !== undefined) {
      if (flag === '--mode') {
        if (val !== 'echo' && val !== 'sink') usageError(`--mode: expected echo or sink, got ${JSON.stringify(val)}`)
        o.sinkMode = val === 'sink'
      } else {
        o[strings[flag]] = val
      }
      continue
    }
    if (!/^[0-9]+$/.test(val)) usageError(`${flag}: expected a non-negative integer, got ${JSON.stringify(val)}`)
    // the seed is used as a 64-bit integer; everything else fits a double exactly
    o[numeric[flag]] = flag === '--random-sizes' ? BigInt(val) : Number(val)
  }
  if ((o.listen === null) === (o.connect === null)) usageError('exactly one of --listen or --connect is required')
  if (o.writeSize <= 0) usageError('--write-size must be > 0')
  if (o.window < INITIAL_WINDOW || o.window > 2 ** 32 - 1) usageError(`--window must be in [${INITIAL_WINDOW}, ${2 ** 32 - 1}] (yamux initial window is 256 KiB)`)
  if (o.once && o.listen === null) usageError('--once needs --listen')
  if (o.open === 0 && (o.seed !== null || o.sink || o.resetAfter !== null)) usageError('--random-sizes, --sink and --reset-after need --open')
  if (o.sink && o.resetAfter !== null) usageError('--sink and --reset-after exclude each other')
  return o
}

function splitHostPort (s) {
  const i = s.lastIndexOf(':')
  if (i < 0) usageError(`expected HOST:PORT, got ${JSON.stringify(s)}`)
  let host = s.slice(0, i)
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  const port = Number(s.slice(i + 1))
  if (!Number.isInteger(port) || port < 0 || port > 65535) usageError(`bad port in ${JSON.stringify(s)}`)
  return { host, port }
}

const o = parseArgs(process.argv.slice(2))

// ---- payload ---------------------------------------------------------------------------

const stats = { streams_opened: 0, streams_accepted: 0, bytes_sent: 0, bytes_received: 0, pings: 0 }
let started = null

function splitmix64 (state) { // state: { s: BigInt }
  const M = (1n << 64n) - 1n
  state.s = (state.s + 0x9E3779B97F4A7C15n) & M
  let z = state.s
  z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & M
  z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & M
  return z ^ (z >> 31n)
}

// byte k of stream S is (k*31 + S*7 + (k>>8)) & 0xFF; (k*31) & 0xFF repeats every 256 bytes
const K31 = new Uint8Array(256).map((_, j) => (j * 31) & 0xFF)

function fill (id, off, n) {
  const buf = Buffer.allocUnsafe(n)
  const base = (id * 7) & 0xFF
  let k = off
  for (let j = 0; j < n;) {
    const c = (base + Math.floor(k / 256)) & 0xFF
    const end = Math.min(n, j + 256 - (k % 256))
    for (; j < end; j++, k++) buf[j] = (K31[k % 256] + c) & 0xFF
  }
  return buf
}

/** Offset (relative to buf) of the first byte that differs from the pattern, or -1. */
function mismatch (buf, id, off) {
  const base = (id * 7) & 0xFF
  let k = off
  for (let j = 0; j < buf.length;) {
    const c = (base + Math.floor(k / 256)) & 0xFF
    const end = Math.min(buf.length, j + 256 - (k % 256))
    for (; j < end; j++, k++) if (buf[j] !== ((K31[k % 256] + c) & 0xFF)) return j
  }
  return -1
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** A counting semaphore. */
class Credits {
  constructor (n) { this.n = n; this.waiters = [] }
  async take () {
    if (this.n > 0) { this.n--; return }
    await new Promise(resolve => this.waiters.push(resolve))
  }

  give () {
    const w = this.waiters.shift()
    if (w !== undefined) w()
    else this.n++
  }
}

/** A one-shot latch. */
class Gate {
  constructor (open) {
    this.open = open
    this.promise = new Promise(resolve => { this.release = resolve })
    if (open) this.release()
  }

  set () { this.open = true; this.release() }
}

// ---- stream I/O ---------------------------------------------------------------------------

/**
 * Pull-style reads over libp2p's push-style stream. The stream is paused (yamux then
 * stops granting window) while `highWater` bytes wait unread, which is how --read-delay
 * makes the remote's writes block.
 */
class Reader {
  constructor (stream, highWater) {
    this.s = stream
    this.highWater = highWater
    this.buf = new Uint8ArrayList()
    this.eof = false
    this.err = null
    this.wake = null
    this.paused = false
    stream.addEventListener('message', evt => {
      this.buf.append(evt.data)
      if (this.buf.byteLength >= this.highWater && !this.paused) {
        this.paused = true
        // after the current frame: yamux sends the frame's window update (and the
        // stream's ACK) right after dispatching it, and a paused stream would skip that
        queueMicrotask(() => { if (this.paused) { try { stream.pause() } catch { this.paused = false } } })
      }
      this.notify()
    })
    stream.addEventListener('remoteCloseWrite', () => { this.eof = true; this.notify() })
    stream.addEventListener('close', evt => {
      if (evt.error != null) this.err = evt.error
      this.eof = true
      this.notify()
    })
  }

  notify () { const w = this.wake; this.wake = null; w?.() }

  resume () {
    if (!this.paused) return
    this.paused = false
    try { this.s.resume() } catch {} // dispatches what the stream buffered while paused
  }

  /** Up to `max` bytes, or null at EOF; throws if the stream was reset or aborted. */
  async read (max) {
    while (this.buf.byteLength === 0) {
      this.resume()
      if (this.buf.byteLength > 0) break
      if (this.err !== null) throw this.err
      if (this.eof) return null
      await new Promise(resolve => { this.wake = resolve })
    }
    const n = Math.min(max, this.buf.byteLength)
    const out = this.buf.subarray(0, n)
    this.buf.consume(n)
    if (this.buf.byteLength < this.highWater) this.resume()
    return out
  }
}

async function send (stream, data) {
  if (!stream.send(data)) await stream.onDrain()
}

function highWater () { return o.readDelay > 0 ? o.writeSize : Math.max(o.window, o.writeSize) }

/**
 * Streams the remote opens: echo (or sink) until EOF, then half-close. They are ACKed at
 * once but served only after the gate opens, i.e. once the SYNs of all our own streams
 * are on the wire (as the Go peer does): a remote that also opens streams then sees all
 * of ours before any of its own completes.
 */
async function serve (stream, gate) {
  stats.streams_accepted++
  // ACK at once, as hashicorp/yamux does on Accept (this muxer would otherwise ack only
  // with its first data or window update, and an idle opener waits for the ack)
  stream.sendWindowUpdate()
  const r = new Reader(stream, highWater())
  await gate.promise
  try {
    for (;;) {
      if (o.readDelay > 0) await sleep(o.readDelay)
      const chunk = await r.read(o.writeSize)
      if (chunk === null) break
      stats.bytes_received += chunk.byteLength
      if (!o.sinkMode) {
        await send(stream, chunk)
        stats.bytes_sent += chunk.byteLength
      }
    }
    await stream.close()
  } catch {
    // reset by the remote, or the session went away: nothing to echo any more
  }
}

/** One opened stream: write its pattern, half-close, verify the echo (or reset it). */
async function runStream (stream, size) {
  const id = stream.streamId
  const reset = o.resetAfter !== null
  const limit = reset ? Math.min(size, o.resetAfter) : size
  const r = new Reader(stream, highWater())
  let bad = null
  let got = 0
  const reading = (async () => {
    for (;;) {
      if (o.readDelay > 0) await sleep(o.readDelay)
      const chunk = await r.read(o.writeSize)
      if (chunk === null) return
      stats.bytes_received += chunk.byteLength
      if (bad === null) {
        const j = o.sink ? 0 : mismatch(chunk, id, got)
        if (o.sink) bad = `stream ${id}: sink sent back ${chunk.byteLength} bytes`
        else if (j >= 0) bad = `stream ${id}: byte ${got + j} differs from the pattern`
      }
      got += chunk.byteLength // keep draining after a mismatch so the remote never stalls
    }
  })()
  for (let off = 0; off < limit;) {
    const n = Math.min(o.writeSize, limit - off)
    await send(stream, fill(id, off, n))
    stats.bytes_sent += n
    off += n
  }
  if (reset) {
    // abort() discards whatever the stream still buffers: let exactly `limit` bytes out
    while ((stream.writeBufferLength > 0 || stream.sendingData) && stream.status === 'open') {
      await new Promise(resolve => {
        stream.addEventListener('idle', resolve, { once: true })
        stream.addEventListener('close', resolve, { once: true })
      })
    }
    stream.abort(new Error('--reset-after')) // sends RST
    reading.catch(() => {})
    return
  }
  await stream.close()
  await reading
  if (bad !== null) throw new Error(bad)
  const want = o.sink ? 0 : size
  if (got !== want) throw new Error(`stream ${id}: got ${got} bytes back, want ${want}`)
}

async function openAll (muxer, credits, gate) {
  const rng = o.seed === null ? null : { s: o.seed }
  const tasks = []
  let ok = true
  for (let i = 0; i < o.open; i++) {
    const size = rng === null ? o.bytes : Number(splitmix64(rng) % BigInt(o.bytes + 1))
    let stream
    await credits.take()
    try {
      stream = await muxer.createStream() // ids are assigned in call order
    } catch (err) {
      process.stderr.write(`yamux-js-peer: open stream: ${err.message}\n`)
      ok = false
      break
    }
    stats.streams_opened++
    tasks.push(runStream(stream, size))
  }
  // each SYN is written in a microtask after its createStream: all are out after a tick
  await new Promise(resolve => setImmediate(resolve))
  gate.set()
  for (const res of await Promise.allSettled(tasks)) {
    if (res.status === 'rejected') {
      process.stderr.write(`yamux-js-peer: ${res.reason?.message ?? res.reason}\n`)
      ok = false
    }
  }
  return ok
}

/** --idle N: open N streams, print the RSS, then half-close them and expect empty EOFs. */
async function idle (muxer, credits) {
  const readers = []
  for (let i = 0; i < o.idle; i++) {
    await credits.take()
    const s = await muxer.createStream() // the SYN goes out in a microtask
    stats.streams_opened++
    readers.push(new Reader(s, highWater()))
  }
  await new Promise(resolve => setImmediate(resolve))
  process.stdout.write(`idle ${o.idle} ${process.memoryUsage().rss}\n`)
  const results = await Promise.allSettled(readers.map(async r => {
    await r.s.close()
    const chunk = await r.read(1024)
    if (chunk !== null) throw new Error(`idle stream ${r.s.streamId}: got ${chunk.byteLength} bytes`)
  }))
  let ok = true
  for (const res of results) {
    if (res.status === 'rejected') {
      process.stderr.write(`yamux-js-peer: ${res.reason?.message ?? res.reason}\n`)
      ok = false
    }
  }
  return ok
}

// ---- session ------------------------------------------------------------------------------

/** One yamux session over a connected socket; resolves to the exit status. */
async function session (socket, direction) {
  started ??= process.hrtime.bigint()
  socket.setNoDelay(true)
  const conn = new SocketConn(socket, direction)
  const closed = new Promise(resolve => conn.addEventListener('close', resolve, { once: true }))
  // an open credit comes back with the first frame the remote sends on one of our streams
  // (not the ACK alone: hashicorp never ACKs a stream half-closed before its Accept)
  const credits = new Credits(MAX_UNANSWERED)
  const answered = new Set()
  const parity = direction === 'outbound' ? 1 : 0
  let goAwayError = false
  conn.onHeader = (type, flags, id, length) => {
    // this muxer answers a GoAway with an error code by resetting its streams but keeps
    // the connection open: close it, so that the session ends (exit status 3)
    if (type === 3 && length !== 0 && !goAwayError) {
      goAwayError = true
      setImmediate(() => { conn.close().catch(() => {}) })
    }
    if (type <= 1 && id !== 0 && id % 2 === parity && !answered.has(id)) {
      answered.add(id)
      credits.give()
    }
  }
  const gate = new Gate(o.open === 0)
  let serving = 0
  const muxer = yamux({
    enableKeepAlive: o.keepalive > 0,
    keepAliveInterval: o.keepalive > 0 ? o.keepalive * 1000 : 30_000,
    maxInboundStreams: MAX_STREAMS,
    maxOutboundStreams: MAX_STREAMS,
    streamOptions: {
      initialStreamWindowSize: INITIAL_WINDOW,
      maxStreamWindowSize: o.window,
      // a paused stream may still receive a full window: never abort on that
      maxReadBufferLength: 2 * o.window + 2 * o.writeSize
    }
  })().createStreamMuxer(conn)
  muxer.addEventListener('stream', evt => {
    serving++
    serve(evt.detail, gate).finally(() => { serving-- })
  })

  // A peer with work of its own (--ping, --open, --idle, --goaway) does it, waits until
  // the streams the remote opened are served, then closes (GoAway(0) first with --goaway);
  // a peer without work serves until the remote ends the session.
  let ok = true
  const active = o.ping > 0 || o.open > 0 || o.idle !== null || o.goaway
  try {
    for (let i = 0; i < o.ping; i++) {
      const t0 = process.hrtime.bigint()
      await muxer.ping()
      const rtt = process.hrtime.bigint() - t0
      stats.pings++
      process.stdout.write(`ping ${rtt}\n`)
    }
    if (o.open > 0) ok = await openAll(muxer, credits, gate)
    gate.set()
    if (o.idle !== null) ok = await idle(muxer, credits) && ok
  } catch (err) {
    process.stderr.write(`yamux-js-peer: ${err.message}\n`)
    ok = false
  }
  gate.set()
  if (active) {
    while (serving > 0 && conn.status === 'open') await sleep(2)
    if (o.goaway) await muxer.close().catch(() => {}) // closes our streams, sends GoAway(0)
    await conn.close().catch(() => {})
  }
  const closeEvent = await closed

  const codes = [muxer.localGoAway, muxer.remoteGoAway] // private fields of YamuxMuxer
  if (codes[0] > 0 || codes[1] > 0 || goAwayError) {
    process.stderr.write(`yamux-js-peer: protocol error: GoAway sent ${codes[0] ?? '-'} received ${codes[1] ?? '-'}\n`)
    return 3
  }
  if (closeEvent.error != null && !conn.transportFailed) {
    // the muxer threw on the input and aborted the connection (it may even have sent
    // GoAway(0) for it: its isProtocolError() is true for any error)
    process.stderr.write(`yamux-js-peer: protocol error: ${closeEvent.error.message}\n`)
    return 3
  }
  return ok ? 0 : 1
}

// One misbehaving connection must not take the others down: log, and fail this run's
// exit status (a listener without --once keeps serving).
let uncaught = false
process.on('uncaughtException', err => {
  uncaught = true
  process.stderr.write(`yamux-js-peer: uncaught: ${err?.stack ?? err}\n`)
})

function finish (code) {
  if (code === 0 && uncaught) code = 1
  if (o.stats) {
    const seconds = started === null ? 0 : Number(process.hrtime.bigint() - started) / 1e9
    const { streams_opened, streams_accepted, bytes_sent, bytes_received, pings } = stats // eslint-disable-line camelcase
    process.stdout.write(`stats ${JSON.stringify({ streams_opened, streams_accepted, bytes_sent, bytes_received, seconds, pings })}\n`)
  }
  process.exit(code)
}

// SIGTERM or SIGINT: print the stats (with --stats) and exit 0. This is how a listener
// without --once ends.
process.on('SIGTERM', () => finish(0))
process.on('SIGINT', () => finish(0))

process.on('unhandledRejection', err => {
  uncaught = true
  process.stderr.write(`yamux-js-peer: unhandled: ${err?.stack ?? err}\n`)
})

if (o.connect !== null) {
  const { host, port } = splitHostPort(o.connect)
  const socket = net.connect({ host, port })
  socket.once('error', err => {
    process.stderr.write(`yamux-js-peer: connect ${o.connect}: ${err.message}\n`)
    process.exit(1)
  })
  socket.once('connect', () => {
    socket.removeAllListeners('error')
    session(socket, 'outbound').then(finish)
  })
} else {
  const { host, port } = splitHostPort(o.listen)
  const server = net.createServer(socket => {
    if (o.once) {
      server.close()
      session(socket, 'inbound').then(finish)
    } else {
      session(socket, 'inbound').then(code => {
        if (code !== 0) process.stderr.write(`yamux-js-peer: session ended with status ${code}\n`)
      })
    }
  })
  server.on('error', err => {
    process.stderr.write(`yamux-js-peer: listen ${o.listen}: ${err.message}\n`)
    process.exit(1)
  })
  server.listen(port, host, () => {
    const a = server.address()
    process.stdout.write(`listening ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}\n`)
  })
}
