// A browser event worker in strict TypeScript (lib webworker, no @types/node): it must
// compile against the package's types as installed from the tarball (test/package).
import {
  Session, SIDE_A, Codes, YamuxError, YamuxResetError, YamuxClosedError, YamuxTimeoutError,
  YamuxTransportError, ShmqError, type Channel, type YamuxStream, type CodeName,
  startWasi, startWasmInThread, createChannel, SIDE_B, WasiError,
} from '@yamux/web';

const reset: -6 = Codes.ERESET; // the codes are literal types
const name: CodeName = 'EKEEPALIVE';

async function echo(stream: YamuxStream): Promise<number> {
  const reader = stream.readable.getReader({ mode: 'byob' });
  const writer = stream.writable.getWriter();
  let buf = new Uint8Array(1 << 16);
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read(buf);
    if (done || !value) break;
    await writer.write(value);
    total += value.byteLength;
    buf = new Uint8Array(value.buffer);
  }
  await writer.close();
  return total;
}

function describe(e: unknown): string {
  if (e instanceof YamuxResetError) return `reset: ${e.codeName}`;
  if (e instanceof YamuxTimeoutError) return `timeout: ${e.code}`;
  if (e instanceof YamuxTransportError) return `transport: ${e.cause instanceof ShmqError ? e.cause.codeName : '?'}`;
  if (e instanceof YamuxClosedError) return `closed: ${e.code === Codes.EEOF ? 'peer ended' : e.codeName}`;
  if (e instanceof YamuxError) return e.message;
  return String(e);
}

self.onmessage = async (event: MessageEvent<{ channel: Channel }>) => {
  const session = await Session.create({ channel: event.data.channel, side: SIDE_A, config: { maxStreamWindow: 1 << 20 } });
  const controller = new AbortController();
  try {
    const rtt: number = await session.ping({ signal: AbortSignal.timeout(5000) });
    const stream = await session.open({ signal: controller.signal });
    await stream.established;
    const writer = stream.writable.getWriter();
    await writer.write('text chunks work too');
    await stream.close();
    for await (const s of session) void echo(s);
    const incoming: ReadableStream<YamuxStream> = session.incomingStreams;
    self.postMessage({ rtt, reset, name, unsent: stream.unsent, incoming: incoming.locked });
  } catch (e) {
    self.postMessage({ error: describe(e) });
  } finally {
    await session.close({ signal: AbortSignal.timeout(10000) }).catch(() => session.abort(new Error('gave up')));
  }
};

// Without COOP/COEP (JSPI): a WASI program, and the C program, in this worker.
export async function inThisWorker(url: URL): Promise<string> {
  try {
    const proc = await startWasi(url, { backend: 'auto' });
    const where: 'atomics' | 'jspi' = proc.backend;
    const channel = createChannel({ shared: false });
    const peer = startWasmInThread({ channel, side: SIDE_B });
    const none: null = peer.worker;
    peer.postMessage({ channel, args: ['--mode', 'echo'] });
    return `${where} ${none} ${await proc.exited} ${await peer.exited}`;
  } catch (e) {
    return e instanceof WasiError ? e.message : String(e);
  }
}
