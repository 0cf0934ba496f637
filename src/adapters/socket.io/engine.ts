/**
 * What the Socket.IO adapter reads from the Engine.IO connection under its sockets (one per client, shared by its
 * namespaces): the bytes queued for the client (`maxBufferedBytes`), its heartbeats (`idleTimeoutMs`), and how to end
 * the connection at once when the client does not read.
 *
 * Queued bytes are the engine's write buffer — where packets wait while the transport is busy, and where a
 * long-polling client's packets wait for its next GET — plus, on WebSocket, the `ws` socket's `bufferedAmount`. The
 * write buffer is metered as it changes (`packetCreate` adds a packet's size, `flush` hands the whole buffer to the
 * transport) rather than summed when asked: asked on every send, a sum would cost the length of the buffer each time
 * just when it is long. String packets count their length (one byte per character for the ASCII of Socket.IO's
 * framing and JSON; an estimate for other text), binary ones their bytes.
 */

import type { Guard } from '../../core/guard.js';

/** The engine connection, as far as this file needs it (engine.io's `Socket`). */
export interface EngineConnection {
  readonly readyState: string;
  readonly remoteAddress: string;
  readonly transport: { readonly name: string; readonly socket?: { readonly bufferedAmount?: number; terminate?: () => void } };
  on(event: 'packet' | 'packetCreate', listener: (packet: { type: string; data?: unknown }) => void): unknown;
  on(event: 'flush' | 'heartbeat', listener: () => void): unknown;
  close(discard?: boolean): unknown;
}

export interface EngineMeter {
  /** Bytes of the packets in the engine's write buffer. */
  queued: number;
}

/** Socket.IO's client of one engine connection: its `sockets` are the connected ones, one per namespace. */
interface SocketIoClient {
  readonly sockets?: ReadonlyMap<string, unknown>;
}

const meters = new WeakMap<object, EngineMeter>();

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/** The meter of `conn`, set up on first use (its listeners live as long as the connection). */
export function watchEngine(guard: Guard, conn: EngineConnection, client: object): EngineMeter {
  const known = meters.get(conn);
  if (known) return known;
  const meter: EngineMeter = { queued: 0 };
  meters.set(conn, meter);
  conn.on('packetCreate', (packet) => {
    meter.queued += sizeOf(packet.data);
  });
  conn.on('flush', () => {
    meter.queued = 0;
  });
  // A pong (or, from an old client, a ping) is a sign of life for every namespace on the connection. Socket.IO's
  // client keeps its connected sockets in `sockets` (private in its types, there throughout 4.x); ids the guard does
  // not know are ignored by it.
  const sockets = (client as SocketIoClient).sockets;
  conn.on('heartbeat', () => {
    if (sockets) for (const id of sockets.keys()) guard.heartbeat(id);
  });
  return meter;
}

/** Bytes queued for the client: the engine's write buffer, plus the WebSocket's own queue on that transport. */
export function queuedBytes(conn: EngineConnection, meter: EngineMeter): number {
  const transport = conn.transport;
  return meter.queued + (transport.name === 'websocket' ? (transport.socket?.bufferedAmount ?? 0) : 0);
}

/**
 * End the connection now, whatever is queued: a client that does not read would hold a graceful close (which waits
 * for the write buffer to drain, then for a closing handshake) as long as it likes.
 */
export function abortEngine(conn: EngineConnection): void {
  conn.transport.socket?.terminate?.();
  conn.close(true);
}
