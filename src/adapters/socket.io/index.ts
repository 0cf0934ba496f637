/**
 * `wsguard/socket.io`: translation only. Socket.IO handshakes and packets become contexts, verdicts become
 * `connect_error`s, acknowledgements or `wsguard:error` events; every decision is the guard's.
 *
 * - Connections: a namespace middleware (`nsp.use`, put first) on every namespace, including ones created later. A
 *   refusal reaches the client as `connect_error` with `err.data = { code, message, retryAfterMs?, details? }`.
 * - Pre-handshake: `allowRequest` turns away addresses that were just refused for connection rate before the
 *   handshake costs anything. Such a client sees a transport error (HTTP 403 whose body names the code), not a
 *   `connect_error`.
 * - Messages: checked in front of the socket's event dispatch (before `onAny` listeners and `socket.use`
 *   middlewares alike). The size is the bytes the engine received for the packet (counted on the
 *   engine's `packet` event, binary attachments included), never a re-serialisation.
 * - Counts: every way a socket ends — disconnect (transport close included), the client leaving while the checks
 *   run, an application middleware refusing after the guard admitted — reports `connectionClosed`, which releases its
 *   slots (idempotent).
 * - Malformed input: what Socket.IO or Engine.IO cannot read still ends the connection, as Socket.IO does, but as a
 *   coded refusal (`wsguard:error` `malformed_message` where the engine can still send it) and a security event
 *   (malformed.ts).
 *
 * Works the same on WebSocket and HTTP long-polling: everything here sits above the engine's transports.
 */

import type { Server as HttpServer } from 'node:http';
import type { Namespace, Server, Socket } from 'socket.io';
import { deny, toClientError, type ConnectionContext, type Denied, type MessageContext, type Verdict } from '../../codes/types.js';
import { REFRESH_EVENT, type RefreshVerdict } from '../../core/credential-refresh.js';
import type { Guard } from '../../core/guard.js';
import { hardenServer } from '../../core/handshake-limits.js';
import type { ReasonCode } from '../../codes/reason-codes.js';
import type { ConnectionRecord } from '../../core/registry.js';
import { pauseReadsAfter } from '../read-pause.js';
import { abortEngine, pausableSocketOf, queuedBytes, takePacketBytes, watchEngine, type EngineConnection } from './engine.js';
import { reportedFor, reportUnreadableConnections, unreadableCause, watchClientProtocol } from './malformed.js';

export interface ProtectOptions {
  /** Use `allowRequest` to screen floods before the handshake. Default true. */
  readonly screenRequests?: boolean;
  /**
   * Apply the guard's handshake limits (`handshakeTimeoutMs`, `maxPendingHandshakesPerIp`, `maxHeaderBytes`) to
   * `io.httpServer`. Default true. A server attached after `protect` is hardened with `hardenServer(server, guard)`.
   */
  readonly hardenServer?: boolean;
}

/** Undo `protect` for namespaces created from now on and stop screening requests. Existing sockets keep their checks. */
export type Unprotect = () => void;

type Middleware = (socket: Socket, next: (err?: Error) => void) => void;

const EMPTY: readonly unknown[] = Object.freeze([]);

function connectError(verdict: Denied): Error {
  const error = new Error(verdict.message) as Error & { data: unknown };
  error.data = toClientError(verdict);
  return error;
}

/**
 * Sockets admitted by the guard whose namespace connection has not completed. An application middleware after ours
 * may still refuse them, and Socket.IO then drops the socket without a `disconnect` event; the sweep in `protect`
 * releases those.
 */
type PendingSockets = Set<Socket>;

/** What `protect` installed on a namespace: its guard, and the sockets admitted but not yet connected. */
interface Protection {
  readonly guard: Guard;
  readonly pending: PendingSockets;
}

/** Read by the functions every socket shares (`this` is the socket) instead of a closure per socket. */
const protections = new WeakMap<Namespace, Protection>();
/** Servers already protected: one guard per server. */
const protectedServers = new WeakSet<Server>();

/**
 * A connected socket always gets 'disconnect', its transport closing included (it fires once: `on` spares the wrapper
 * `once` allocates). One that never completes its namespace connection gets nothing: the sweep in `protect` releases
 * those. One function for every socket.
 */
function onDisconnect(this: Socket, reason: string, description: unknown): void {
  const protection = protections.get(this.nsp);
  if (protection === undefined) return;
  const { guard, pending } = protection;
  pending.delete(this);
  // Input the engine could not read (a frame over maxHttpBufferSize — its inflated size, with permessage-deflate —,
  // invalid UTF-8, a packet of no known type) is reported like a refusal, so a deflate bomb or a fuzzer leaves a
  // reason. What Socket.IO itself could not decode was reported before the close (malformed.ts).
  const unreadable = unreadableCause(reason, description);
  if (unreadable !== null) {
    guard.refuseUnreadable(this.id, unreadable);
    reportedFor(this.client.conn);
  }
  guard.connectionClosed(this.id, { reason });
}

/** Counts events sent to the client for the monitor (acknowledgements are not events and are not counted). */
function onOutgoing(this: Socket): void {
  protections.get(this.nsp)?.guard.messageSent(this.id);
}

type OutgoingNotifier = (this: Socket, packet: unknown) => void;

/**
 * Socket.IO calls a socket's `notifyOutgoingListeners` for every event sent to it, its own emits and broadcasts alike
 * (there since 4.5; private in its types). Counting there, as an own property over the prototype's, costs one slot
 * per socket; an `onAnyOutgoing` listener costs its array, some 60 bytes.
 */
function countedNotify(this: Socket, packet: unknown): void {
  protections.get(this.nsp)?.guard.messageSent(this.id);
  (Object.getPrototypeOf(this) as { notifyOutgoingListeners: OutgoingNotifier }).notifyOutgoingListeners.call(this, packet);
}

/** `close` of the guard's record (`this.native` is the socket). */
function closeSocket(this: ConnectionRecord, code: ReasonCode, message?: string): void {
  const socket = this.native as Socket;
  if (socket.disconnected) return;
  if (code === 'slow_consumer') {
    // Nothing more is queued for a client that does not read, not even the reason: end its transport now.
    socket.disconnect(true);
    abortEngine(socket.client.conn as unknown as EngineConnection);
    return;
  }
  socket.emit('wsguard:error', { code, message: message ?? code });
  socket.disconnect(true);
}

/** `notify` of the guard's record. */
function notifySocket(this: ConnectionRecord, event: string, data: unknown): void {
  (this.native as Socket).emit(event, data);
}

/** `bufferedBytes` of the guard's record. */
function socketBufferedBytes(this: { readonly native: object }): number {
  return queuedBytes((this.native as Socket).client.conn as unknown as EngineConnection);
}

/**
 * Everything a live socket keeps for its whole life is set up here, apart from the middleware, and none of it is a
 * closure: closures made inside the middleware would keep its context — Socket.IO's `next` and middleware chain, the
 * handshake context — alive as long as the socket (about a kilobyte each, measured with heap snapshots), and even a
 * small one costs a function and a scope per socket.
 */
function register(guard: Guard, socket: Socket, conn: EngineConnection, pending: PendingSockets): void {
  if (guard.options.csrf) dropCsrfToken(socket.handshake);
  watchEngine(guard, conn, socket.client);
  watchClientProtocol(socket.client);
  socket.on('disconnect', onDisconnect);
  guard.connectionOpened({
    id: socket.id,
    transport: conn.transport.name,
    native: socket,
    notify: notifySocket,
    close: closeSocket,
    bufferedBytes: socketBufferedBytes,
  });
  const outgoing = socket as unknown as { notifyOutgoingListeners?: OutgoingNotifier };
  if (typeof outgoing.notifyOutgoingListeners === 'function') outgoing.notifyOutgoingListeners = countedNotify;
  else socket.onAnyOutgoing(onOutgoing);
  guardIncomingEvents(socket);
  pending.add(socket);
}

/**
 * The handshake's CSRF token has been checked: the application never sees it (as with a token in an event), and the
 * socket does not keep it in `handshake.auth` for its whole life (a secret, and some 100 bytes per socket).
 */
function dropCsrfToken(handshake: Socket['handshake']): void {
  const auth = handshake.auth as Record<string, unknown> | undefined;
  if (auth === undefined || auth === null || typeof auth !== 'object' || !Object.hasOwn(auth, 'csrfToken')) return;
  const { csrfToken: _checked, ...rest } = auth;
  handshake.auth = rest;
}

function connectionMiddleware(guard: Guard, pending: PendingSockets): Middleware {
  return (socket, next) => {
    const conn = socket.client.conn as unknown as EngineConnection;
    const handshake = socket.handshake;
    const ctx: ConnectionContext = {
      id: socket.id,
      remoteAddress: conn.remoteAddress ?? handshake.address,
      headers: handshake.headers,
      url: handshake.url,
      query: handshake.query,
      namespace: socket.nsp.name,
      auth: (handshake.auth ?? {}),
      transport: conn.transport.name,
      csrfToken: typeof handshake.auth?.['csrfToken'] === 'string' ? handshake.auth['csrfToken'] : undefined,
    };
    void guard.admitConnection(ctx).then((verdict) => {
      if (!verdict.allowed) return next(connectError(verdict));
      if (conn.readyState !== 'open') {
        // The client left while the checks ran: Socket.IO drops the socket silently, so release here.
        guard.connectionClosed(socket.id, { reason: 'closed_during_handshake' });
        return next(new Error('connection closed'));
      }
      register(guard, socket, conn, pending);
      next();
    }).catch((error: unknown) => {
      // Only a bug gets here (the guard never rejects); refuse rather than let the socket in unchecked.
      guard.connectionClosed(socket.id, { reason: 'adapter_error' });
      guard.emit({ type: 'internal_error', connectionId: socket.id, detail: { stage: 'adapter', error: String(error) } });
      next(connectError(deny('internal_error')));
    });
  };
}

/** Socket.IO's internal event entry point: every EVENT and BINARY_EVENT packet of a socket passes through it. */
interface EventPacket {
  data?: unknown[];
  id?: number;
}
interface SocketInternals {
  onevent: (this: SocketInternals, packet: EventPacket) => void;
  ack: (this: SocketInternals, id: number) => (...args: unknown[]) => void;
}

/**
 * Check each incoming event before Socket.IO hands it to anyone. `socket.use` would be the public hook, but Socket.IO
 * calls `onAny` listeners *before* `socket.use` middlewares, so a refused message would still reach them; giving the
 * socket its own `onevent` (Socket#onevent is present throughout Socket.IO 4) puts the check in front of both. The
 * same function for every socket: it calls the prototype's `onevent` for what passes.
 */
function guardIncomingEvents(socket: Socket): void {
  const internals = socket as unknown as SocketInternals;
  const proto = Object.getPrototypeOf(socket) as Partial<SocketInternals>;
  if (typeof proto.onevent !== 'function' || typeof internals.ack !== 'function') {
    throw new Error('wsguard/socket.io: this Socket.IO version has no Socket#onevent; wsguard supports socket.io 4.x');
  }
  if (internals.onevent !== proto.onevent) {
    throw new Error('wsguard/socket.io: Socket#onevent is already replaced on this socket (is it protected twice?)');
  }
  internals.onevent = guardedOnEvent;
}

function guardedOnEvent(this: SocketInternals, packet: EventPacket): void {
  const socket = this as unknown as Socket;
  const protection = protections.get(socket.nsp);
  if (protection === undefined) return (Object.getPrototypeOf(this) as SocketInternals).onevent.call(this, packet);
  const guard = protection.guard;
  const args = packet.data ?? EMPTY;
  const name = args[0];
  const event = typeof name === 'string' ? name : String(name);
  const bytes = takePacketBytes(socket.client.conn as unknown as EngineConnection);
  if (event === REFRESH_EVENT) return refresh(guard, socket, this, packet, bytes);
  const ctx: MessageContext = {
    connectionId: socket.id,
    event,
    bytes,
    payload: args.length > 1 ? args.slice(1) : EMPTY,
  };
  const verdict = guard.admitMessage(ctx);
  if (verdict instanceof Promise) void verdict.then((settled) => settleEvent(this, packet, event, settled));
  else settleEvent(this, packet, event, verdict);
}

/** Dispatch an admitted event (with its payload as the guard left it); answer a refused one. */
function settleEvent(internals: SocketInternals, packet: EventPacket, event: string, verdict: Verdict): void {
  if (verdict.allowed) {
    if (verdict.payload) packet.data = [packet.data?.[0], ...verdict.payload];
    (Object.getPrototypeOf(internals) as SocketInternals).onevent.call(internals, packet);
    return;
  }
  // A refused message never reaches a listener: `onevent` is not called.
  pauseReadsAfter(pausableSocketOf((internals as unknown as Socket).client.conn as unknown as EngineConnection), verdict);
  const error = toClientError(verdict);
  if (packet.id !== undefined && packet.id !== null) internals.ack(packet.id)({ error });
  else (internals as unknown as Socket).emit('wsguard:error', { ...error, event });
}

/** `wsguard:refresh`: the guard's own event, answered through its acknowledgement and never dispatched. */
function refresh(guard: Guard, socket: Socket, internals: SocketInternals, packet: EventPacket, bytes: number): void {
  const ack = packet.id !== undefined && packet.id !== null ? internals.ack(packet.id) : null;
  const answer = (verdict: RefreshVerdict): void => {
    if (verdict.allowed) ack?.({ ok: true, expiresAt: verdict.expiresAt });
    else if (ack) ack({ error: toClientError(verdict) });
    else socket.emit('wsguard:error', { ...toClientError(verdict), event: REFRESH_EVENT });
  };
  void guard.refreshCredentials(socket.id, packet.data?.[1], bytes).then(answer);
}

function prependMiddleware(nsp: Namespace, middleware: Middleware): void {
  // Guard checks should run before the application's own middlewares (an origin refusal before an auth lookup).
  // `_fns` is Socket.IO's middleware list; fall back to `use` if a future version renames it.
  const fns = (nsp as unknown as { _fns?: Middleware[] })._fns;
  if (Array.isArray(fns)) fns.unshift(middleware);
  else nsp.use(middleware);
}

/**
 * Protect every namespace of `io`, present and future, on every transport.
 *
 * @example
 * const guard = createGuard({ ...presets.production, allowedOrigins: ['https://app.example.com'], authenticate });
 * protect(io, guard);
 */
export function protect(io: Server, guard: Guard, options: ProtectOptions = {}): Unprotect {
  if (protectedServers.has(io)) throw new Error('wsguard/socket.io: this Socket.IO server is already protected');
  protectedServers.add(io);
  const pending: PendingSockets = new Set();
  const middleware = connectionMiddleware(guard, pending);
  const protectedNamespaces = new WeakSet<Namespace>();
  const onConnection = (socket: Socket): void => {
    pending.delete(socket);
  };
  const attach = (nsp: Namespace): void => {
    if (protectedNamespaces.has(nsp)) return;
    protectedNamespaces.add(nsp);
    protections.set(nsp, { guard, pending });
    prependMiddleware(nsp, middleware);
    nsp.on('connection', onConnection);
  };
  const sweep = setInterval(() => {
    for (const socket of pending) {
      if (socket.connected) {
        pending.delete(socket);
        continue;
      }
      // Dropped before connecting: refused by a later middleware, or its transport closed meanwhile.
      const preConnect = (socket.nsp as unknown as { _preConnectSockets?: Map<string, Socket> })._preConnectSockets;
      const transport = socket.client.conn as unknown as EngineConnection;
      if ((preConnect && !preConnect.has(socket.id)) || transport.readyState === 'closed') {
        pending.delete(socket);
        guard.connectionClosed(socket.id, { reason: 'refused_by_application_middleware' });
      }
    }
  }, 1_000);
  sweep.unref();
  for (const nsp of (io as unknown as { _nsps: Map<string, Namespace> })._nsps.values()) attach(nsp);
  io.on('new_namespace', attach);

  const engine = io.engine as unknown as {
    opts: {
      allowRequest?: (req: unknown, callback: (message: string | null | undefined, success: boolean) => void) => void;
      maxHttpBufferSize?: number;
      pingInterval?: number;
    };
  };
  const bufferLimit = engine.opts.maxHttpBufferSize ?? 1e6;
  if (bufferLimit < guard.options.largestMessageBytes) {
    // The engine would cut such messages before the guard sees them: the client gets a disconnect, not a code.
    guard.emit({
      type: 'config_warning',
      detail: {
        code: 'WSGUARD_W_ENGINE_BUFFER_SMALLER',
        message: `Socket.IO maxHttpBufferSize (${bufferLimit}) is below the largest message wsguard allows (${guard.options.largestMessageBytes}); raise maxHttpBufferSize so oversized messages get message_too_large instead of a dropped connection`,
      },
    });
  }

  const pingInterval = engine.opts.pingInterval ?? 25_000;
  const idle = guard.options.idleTimeoutMs;
  if (idle > 0 && idle <= pingInterval) {
    // Socket.IO clients only answer the server's pings: a quiet one shows no activity between two of them.
    guard.emit({
      type: 'config_warning',
      detail: {
        code: 'WSGUARD_W_IDLE_BELOW_PING_INTERVAL',
        message: `idleTimeoutMs (${idle}) is not above Socket.IO's pingInterval (${pingInterval}): clients that send nothing between two heartbeats are closed as idle. Raise idleTimeoutMs above pingInterval, or lower pingInterval.`,
      },
    });
  }
  const httpServer = (io as unknown as { httpServer?: HttpServer | null }).httpServer ?? null;
  const unharden = options.hardenServer !== false && httpServer !== null ? hardenServer(httpServer, guard) : null;
  const stopReporting = reportUnreadableConnections(io, guard);

  const previousAllowRequest = engine.opts.allowRequest;
  if (options.screenRequests !== false) {
    engine.opts.allowRequest = (req, callback) => {
      const request = req as { socket?: { remoteAddress?: string }; headers: Record<string, string | string[] | undefined> };
      const verdict = guard.screenRequest({ remoteAddress: request.socket?.remoteAddress ?? '', headers: request.headers });
      if (!verdict.allowed) return callback(verdict.code, false);
      if (previousAllowRequest) return previousAllowRequest(req, callback);
      callback(null, true);
    };
  }

  return () => {
    unharden?.();
    stopReporting();
    clearInterval(sweep);
    io.off('new_namespace', attach);
    engine.opts.allowRequest = previousAllowRequest;
  };
}

export type { Guard } from '../../core/guard.js';
export { hardenServer } from '../../core/handshake-limits.js';
export { REFRESH_EVENT } from '../../core/credential-refresh.js';
export { serveAdminNamespace, ADMIN_NAMESPACE_EVENTS, ADMIN_EVENTS_BATCH } from './admin-namespace.js';
export type { AdminNamespaceOptions } from './admin-namespace.js';
