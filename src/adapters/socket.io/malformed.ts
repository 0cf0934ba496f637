/**
 * Input Socket.IO cannot read, turned into coded refusals and security events. Socket.IO and Engine.IO already
 * survive it — each ends the client's connection — but say nothing: a fuzzer would leave no trace and the abuse
 * detector no evidence. What each layer does (socket.io 4.8, socket.io-parser 4.2, engine.io 6.6):
 *
 * - A WebSocket frame `ws` refuses (invalid UTF-8 in a text frame, an unknown opcode, one over `maxHttpBufferSize`):
 *   ws closes with its code (1007, 1002, 1009) and the engine closes with `transport error` and ws's message. On
 *   long-polling the engine answers 413 to a body over `maxHttpBufferSize` and 400 to a binary body (`invalid content`).
 * - An Engine.IO packet of no known type (a WebSocket frame, or a long-polling POST body): the engine closes with
 *   `parse error`.
 * - A Socket.IO packet socket.io-parser cannot decode — not JSON where JSON belongs, an unknown packet type, a
 *   BINARY_EVENT / BINARY_ACK whose attachment count lies (text before the last attachment, an attachment nobody
 *   announced, a count over its `maxAttachments`, 10) — makes the decoder throw, and Socket.IO's Client closes the
 *   connection (`Client#onerror`). One that decodes but is not allowed (CONNECT_ERROR from a client, a second
 *   CONNECT, an event for a namespace it never joined) closes it too (`Client#close`).
 * - A count that lies by omission is the one the decoder cannot see: it holds what came (the header and up to nine
 *   attachments, each at most `maxHttpBufferSize`, so at most ten times that per connection) and waits. But a real
 *   client sends a packet's attachments right behind its header, before anything it sends later (socket.io-client
 *   writes them in one go; a client writing from two threads may slip one pong in between): a packet the decoder
 *   still waits on at two pongs in a row was a lie, and the connection ends. So those bytes are held at most two
 *   `pingInterval`s (plus `pingTimeout` if the client stops answering, when the engine gives up on it).
 *
 * A connection with sockets the guard admitted gets, on each socket, `refuseUnreadable` (`message_refused`, counted by
 * the abuse detector as input-validation evidence) and, where the engine can still send it, a `wsguard:error` with
 * the code before the close. One without (garbage before the namespace handshake, or after its last socket left) is
 * reported as `connection_refused` with the client's address. So are requests the engine refuses before any session
 * for being garbage: a POST without a session (`Bad handshake method`), a header with invalid characters, a WebSocket
 * request without its upgrade. Engine refusals a well-behaved client can meet (an unknown session id after a
 * restart, a transport the server disabled, an old protocol version) are not reported: they are no evidence.
 *
 * Nothing here runs per message: the hooks run on errors, on heartbeats and once per connection.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { Server, Socket } from 'socket.io';
import { toClientError } from '../../codes/types.js';
import type { Guard, UnreadableCode } from '../../core/guard.js';
import { engineWatch, type EngineConnection } from './engine.js';

/** The engine connection as this file reads it (engine.io's `Socket`). */
type WatchedConnection = EngineConnection & {
  readonly request: { readonly headers: IncomingHttpHeaders };
  readonly transport: { readonly discarded?: boolean };
  on(event: 'close', listener: (this: WatchedConnection, reason: string, description?: unknown) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  off(event: 'error', listener: (error: unknown) => void): unknown;
};

/** Socket.IO's per-connection `Client` (private in its types; these members are there throughout 4.x). */
interface SocketIoClient {
  readonly conn: WatchedConnection;
  /** Its connected sockets, one per namespace. */
  readonly sockets: ReadonlyMap<string, Socket>;
  /** socket.io-parser's decoder: `reconstructor` is set while a binary packet waits for its attachments. */
  readonly decoder?: { readonly reconstructor?: unknown };
  onerror: (error: unknown) => void;
  close: () => void;
}

/** What ws's receiver says of frames it refuses (ws/lib/receiver.js); engine.io keeps only the message. */
const WS_TOO_LARGE = 'Max payload size exceeded';
const WS_INVALID_FRAME = 'Invalid WebSocket frame';
/** engine.io's own transport errors: a long-polling body over its limits, a binary body, a ping from an EIO4 client. */
const ENGINE_TOO_LARGE = ['payload too large', 'too many chunks'];
const ENGINE_MALFORMED = ['invalid content', 'invalid heartbeat direction'];

/** engine.io's `connection_error` codes, and the `BAD_REQUEST` kinds that only hand-made requests produce. */
const BAD_HANDSHAKE_METHOD = 2;
const BAD_REQUEST = 3;
const GARBAGE_REQUESTS = new Set(['INVALID_ORIGIN', 'TRANSPORT_HANDSHAKE_ERROR']);

/** Socket.IO's default `connectTimeout`: a client that joins no namespace within it is closed (`forced close`). */
const DEFAULT_CONNECT_TIMEOUT_MS = 45_000;

/**
 * How much earlier than `connectTimeout` a forced close may still be Socket.IO's connect timeout: its timer starts in
 * the Client, a moment before `openedAt` is noted in the same event, and timers fire on the event loop's clock, in
 * whole milliseconds, which can run up to a millisecond behind `performance.now()`. A close for an undecodable packet
 * comes when the packet arrives, not on this boundary.
 */
const CONNECT_TIMEOUT_SLACK_MS = 20; // (at most a tenth of a very short connectTimeout)

/** Engine connections already reported: the close that follows says nothing new. */
const reported = new WeakSet();
/**
 * When each engine connection opened (`performance.now()`), to tell a protocol violation from a connect timeout; only
 * until a socket is admitted on it (then it is watched, and no longer needs this).
 */
const openedAt = new WeakMap<object, number>();

/** An engine connection whose Client is watched (`watchClientProtocol`): one with a socket the guard admitted. */
function isWatched(conn: object): boolean {
  return engineWatch(conn)?.protocolWatched === true;
}

/**
 * The unreadable input a socket's (or engine connection's) close reason stands for; null when it ended for any other
 * reason. `forced close` is not read here: Socket.IO's own errors are seen before the close (`watchClientProtocol`).
 */
export function unreadableCause(reason: string, description: unknown): UnreadableCode | null {
  if (reason === 'parse error') return 'malformed_message';
  if (reason !== 'transport error' || !(description instanceof Error)) return null;
  const message = description.message;
  if (message.includes(WS_TOO_LARGE) || ENGINE_TOO_LARGE.includes(message)) return 'message_too_large';
  if (message.includes(WS_INVALID_FRAME) || ENGINE_MALFORMED.includes(message)) return 'malformed_message';
  return null;
}

/** Mark the connection reported: its sockets' refusals stand for it. */
export function reportedFor(conn: object): void {
  reported.add(conn);
}

function clientIp(guard: Guard, conn: WatchedConnection): string {
  return guard.options.resolveClientIp(conn.remoteAddress, conn.request.headers);
}

/** Input from a connection with no live guarded socket: a refused connection, charged to its address. */
function refuseConnection(guard: Guard, conn: WatchedConnection, code: UnreadableCode, stage: string, cause: string): void {
  reported.add(conn);
  guard.emit({
    type: 'connection_refused',
    reason: code === 'message_too_large' ? code : 'malformed_request',
    ip: clientIp(guard, conn),
    detail: { stage, transport: conn.transport.name, cause },
  });
}

/** Refuse every live socket of `client` for what it sent, telling each client while the engine can still send. */
function refuseClient(guard: Guard, client: SocketIoClient, cause: string): void {
  const conn = client.conn;
  if (reported.has(conn)) return;
  if (client.sockets.size === 0) return refuseConnection(guard, conn, 'malformed_message', 'socket.io', cause);
  reported.add(conn);
  const open = conn.readyState === 'open';
  for (const socket of client.sockets.values()) {
    const verdict = guard.refuseUnreadable(socket.id, 'malformed_message');
    if (open) socket.emit('wsguard:error', toClientError(verdict));
  }
}

/**
 * The Client's `onerror`, guarded: `ondata` calls `this.onerror` (the Client) when the decoder throws, and the engine
 * calls it as its 'error' listener (`this` is then the engine connection). One function for every connection: what
 * it needs is kept on the connection's engine watch (engine.ts), not in a closure per connection.
 */
function guardedOnError(this: SocketIoClient | WatchedConnection, error: unknown): void {
  const watch = engineWatch('sockets' in this ? this.conn : this);
  if (watch === undefined) return;
  const client = watch.client as SocketIoClient;
  refuseClient(watch.guard, client, error instanceof Error ? error.message : 'decode error');
  (Object.getPrototypeOf(client) as SocketIoClient).onerror.call(client, error);
}

/** The Client's `close`, guarded. */
function guardedClose(this: SocketIoClient): void {
  // Socket.IO closes a Client that still has sockets only for a packet not allowed in its state: `_disconnect`
  // empties `sockets` first, and the connect timeout applies to a Client with none.
  const watch = engineWatch(this.conn);
  if (watch !== undefined && this.sockets.size > 0 && this.conn.readyState === 'open') refuseClient(watch.guard, this, 'unexpected packet');
  (Object.getPrototypeOf(this) as SocketIoClient).close.call(this);
}

/**
 * Watch Socket.IO's Client of an admitted socket (once per Client, whatever its namespaces) for the packets it cannot
 * read or will not take, and for attachments that never come. Socket.IO's Client has no event for these: its
 * `onerror` and `close` are replaced on the instance, and run only when it is already ending the connection. Call
 * after `watchEngine` (engine.ts) for the same connection.
 */
export function watchClientProtocol(client: object): void {
  const internals = client as SocketIoClient;
  const conn = internals.conn;
  const watch = engineWatch(conn);
  if (watch === undefined || watch.protocolWatched) return;
  if (typeof internals.onerror !== 'function' || typeof internals.close !== 'function') return;
  watch.protocolWatched = true;
  openedAt.delete(conn);

  const onerror = internals.onerror;
  internals.onerror = guardedOnError;
  // The engine's 'error' listener is the Client's own `onerror` (and is removed by it on close), so the guarded one
  // takes its place there too: added before the other is removed, so the listener table keeps its key (removing the
  // only listener of an event deletes it, and the object turns into a slow dictionary, some 150 bytes more).
  conn.on('error', guardedOnError);
  conn.off('error', onerror);
  internals.close = guardedClose;
  // Binary packets left without their attachments are caught on the connection's heartbeats (engine.ts).
}

/**
 * Report garbage on engine connections that never had an admitted socket, and requests the engine refuses as garbage
 * before any session. Returns a function that stops reporting.
 */
export function reportUnreadableConnections(io: Server, guard: Guard): () => void {
  const engine = io.engine as unknown as {
    on(event: string, listener: (...args: never[]) => void): unknown;
    off(event: string, listener: (...args: never[]) => void): unknown;
  };
  const connectTimeout = (io as unknown as { _connectTimeout?: number })._connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS;

  // One function for every connection (`this` is the engine connection): no closure per connection.
  function onClose(this: WatchedConnection, reason: string, description?: unknown): void {
    if (reported.has(this)) return;
    const cause = unreadableCause(reason, description);
    if (cause !== null) return refuseConnection(guard, this, cause, 'engine', reason);
    if (reason !== 'forced close' || isWatched(this)) return;
    // No socket was ever admitted here, so Socket.IO closed it for a packet it could not decode or take before any
    // namespace handshake, or for its connect timeout. A discarded transport is the server shutting down.
    const opened = openedAt.get(this);
    if (this.transport.discarded === true || opened === undefined) return;
    if (performance.now() - opened >= connectTimeout - Math.min(CONNECT_TIMEOUT_SLACK_MS, connectTimeout / 10)) return;
    refuseConnection(guard, this, 'malformed_message', 'socket.io', 'forced close');
  }

  const onConnection = (conn: WatchedConnection): void => {
    openedAt.set(conn, performance.now());
    conn.on('close', onClose);
  };

  const onConnectionError = (error: {
    req: { socket?: { remoteAddress?: string }; headers: IncomingHttpHeaders };
    code: number;
    message: string;
    context?: { name?: unknown };
  }): void => {
    const garbage =
      error.code === BAD_HANDSHAKE_METHOD || (error.code === BAD_REQUEST && GARBAGE_REQUESTS.has(String(error.context?.name)));
    if (!garbage) return;
    guard.emit({
      type: 'connection_refused',
      reason: 'malformed_request',
      ip: guard.options.resolveClientIp(error.req.socket?.remoteAddress ?? '', error.req.headers),
      detail: { stage: 'engine', error: error.message },
    });
  };

  engine.on('connection', onConnection);
  engine.on('connection_error', onConnectionError);
  return () => {
    engine.off('connection', onConnection);
    engine.off('connection_error', onConnectionError);
  };
}
