/**
 * What the Socket.IO adapter reads from the Engine.IO connection under its sockets (one per client, shared by its
 * namespaces): the bytes of the packet being decoded (the message size the guard checks), the client's heartbeats
 * (`idleTimeoutMs`), the bytes queued for the client (`maxBufferedBytes`), and how to end the connection at once when
 * the client does not read.
 *
 * One listener on the engine connection serves all of it: the engine's `packet` event, with a function shared by
 * every connection (`this` is the connection), and one small object per connection (`EngineWatch`). Closures per
 * connection would cost a function and a scope each for as long as the connection lives.
 *
 * Queued bytes are the engine's write buffer — where packets wait while the transport is busy, and where a
 * long-polling client's packets wait for its next GET — plus, on WebSocket, the `ws` socket's `bufferedAmount`. The
 * write buffer is only ever appended to, and replaced by a new array when it is flushed to the transport, so its size
 * is summed incrementally when asked: only the packets added since the last question are counted (asked on every
 * send, a full sum would cost the length of the buffer each time just when it is long). String packets count their
 * length (one byte per character for the ASCII of Socket.IO's framing and JSON; an estimate for other text), binary
 * ones their bytes.
 */

import type { PausableSocket } from '../read-pause.js';
import type { Guard } from '../../core/guard.js';

/** The engine connection, as far as this file needs it (engine.io's `Socket`). */
export interface EngineConnection {
  readonly readyState: string;
  readonly remoteAddress: string;
  readonly transport: {
    readonly name: string;
    readonly socket?: { readonly bufferedAmount?: number; terminate?: () => void; readonly isPaused?: boolean; pause?: () => void; resume?: () => void };
  };
  /** Packets waiting for the transport (engine.io's `writeBuffer`). */
  readonly writeBuffer?: readonly { readonly data?: unknown }[];
  on(event: 'packet', listener: (this: EngineConnection, packet: { type: string; data?: unknown }) => void): unknown;
  on(event: 'heartbeat', listener: () => void): unknown;
  close(discard?: boolean): unknown;
}

/** The `ws` socket under a WebSocket transport, to pause its reads (read-pause.ts); null on long-polling. */
export function pausableSocketOf(conn: EngineConnection): PausableSocket | null {
  const socket = conn.transport.socket;
  if (conn.transport.name !== 'websocket' || socket?.pause === undefined || socket.resume === undefined) return null;
  return socket as PausableSocket;
}

/**
 * Socket.IO's client of one engine connection: its `sockets` are the connected ones, one per namespace; its decoder
 * holds a binary packet while its attachments come (`reconstructor`); `onerror` ends the connection for bad input.
 */
interface SocketIoClient {
  readonly sockets?: ReadonlyMap<string, unknown>;
  readonly decoder?: { readonly reconstructor?: unknown };
  onerror(error: unknown): void;
}

/** What the adapter keeps per engine connection (malformed.ts keeps its two fields here too: one object, one entry). */
export interface EngineWatch {
  readonly guard: Guard;
  readonly client: SocketIoClient;
  /** malformed.ts: the Client is watched for input it cannot read. */
  protocolWatched: boolean;
  /** malformed.ts: the binary packet the decoder was waiting on at the last heartbeat. */
  waiting: unknown;
  /** Bytes received for the Socket.IO packet being decoded: its text part plus its binary attachments. */
  packetBytes: number;
  /** The write buffer as summed so far; made when a buffer is first found non-empty, dropped when found empty. */
  summed: SummedBuffer | null;
}

interface SummedBuffer {
  readonly buffer: readonly { readonly data?: unknown }[];
  /** How many of its packets are counted, and their bytes. */
  count: number;
  bytes: number;
}

/**
 * Where a connection keeps its watch: a property under a symbol of this module (one slot on an object that lives as
 * long; a WeakMap entry costs some 50 bytes per connection).
 */
const WATCH = Symbol('wsguard.engine');

type Watched = { [WATCH]?: EngineWatch };

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/** The engine's `packet` event: one function for every connection (`this` is the engine connection). */
function onPacket(this: EngineConnection, packet: { type: string; data?: unknown }): void {
  const watch = (this as Watched)[WATCH];
  if (watch === undefined) return;
  if (packet.type === 'message') {
    const data = packet.data;
    // A string packet starts a Socket.IO packet; binary packets are attachments of the one before.
    if (typeof data === 'string') watch.packetBytes = Buffer.byteLength(data);
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) watch.packetBytes += data.byteLength;
    return;
  }
  // A pong (or, from an old client, a ping) is a sign of life for every namespace on the connection. Socket.IO's
  // client keeps its connected sockets in `sockets` (private in its types, there throughout 4.x); ids the guard does
  // not know are ignored by it.
  if (packet.type === 'pong' || packet.type === 'ping') {
    const sockets = watch.client.sockets;
    if (sockets) for (const id of sockets.keys()) watch.guard.heartbeat(id);
    if (watch.protocolWatched) checkAttachments(this, watch);
  }
}

/**
 * For malformed.ts, on each heartbeat of a watched connection: a client sends a packet's attachments right behind its
 * header, before anything it sends later, so the packet the decoder waits on at one pong is complete by the next,
 * unless its count was a lie (one pong may slip in between with a client that writes from two threads; custom
 * parsers have no `reconstructor`, and are not checked). Such a connection is ended as unreadable. Here rather than
 * in a 'heartbeat' listener of its own: one listener key fewer on every engine connection.
 */
function checkAttachments(conn: EngineConnection, watch: EngineWatch): void {
  const client = watch.client;
  const packet = client.decoder?.reconstructor ?? null;
  if (packet !== null && packet === watch.waiting && conn.readyState === 'open') {
    client.onerror(new Error('binary packet left without its attachments'));
  }
  watch.waiting = packet;
}

/** Watch `conn` (once, whatever its namespaces): packet sizes, heartbeats, queued bytes. */
export function watchEngine(guard: Guard, conn: EngineConnection, client: object): void {
  const watched = conn as EngineConnection & Watched;
  if (watched[WATCH] !== undefined) return;
  watched[WATCH] = { guard, client: client as SocketIoClient, protocolWatched: false, waiting: null, packetBytes: 0, summed: null };
  conn.on('packet', onPacket);
}

/** What is kept for `conn`; undefined until `watchEngine`. */
export function engineWatch(conn: object): EngineWatch | undefined {
  return (conn as Watched)[WATCH];
}

/** The bytes the engine received for the Socket.IO packet just decoded (0 when not watched); resets the count. */
export function takePacketBytes(conn: EngineConnection): number {
  const watch = (conn as Watched)[WATCH];
  if (watch === undefined) return 0;
  const bytes = watch.packetBytes;
  watch.packetBytes = 0;
  return bytes;
}

/** Bytes queued for the client: the engine's write buffer, plus the WebSocket's own queue on that transport. */
export function queuedBytes(conn: EngineConnection): number {
  const transport = conn.transport;
  const socketBytes = transport.name === 'websocket' ? (transport.socket?.bufferedAmount ?? 0) : 0;
  const buffer = conn.writeBuffer;
  const watch = (conn as Watched)[WATCH];
  if (watch === undefined || buffer === undefined) return socketBytes;
  if (buffer.length === 0) {
    // Nothing waits; let go of a flushed buffer (and its packets).
    watch.summed = null;
    return socketBytes;
  }
  let summed = watch.summed;
  // Flushed since the last question: a new buffer.
  if (summed === null || summed.buffer !== buffer) summed = watch.summed = { buffer, count: 0, bytes: 0 };
  for (let i = summed.count; i < buffer.length; i++) summed.bytes += sizeOf(buffer[i]?.data);
  summed.count = buffer.length;
  return summed.bytes + socketBytes;
}

/**
 * End the connection now, whatever is queued: a client that does not read would hold a graceful close (which waits
 * for the write buffer to drain, then for a closing handshake) as long as it likes.
 */
export function abortEngine(conn: EngineConnection): void {
  conn.transport.socket?.terminate?.();
  conn.close(true);
}
