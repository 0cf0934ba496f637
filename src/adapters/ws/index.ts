/**
 * `wsguard/ws`: translation only. HTTP upgrade requests and frames of a `ws` WebSocketServer become contexts; verdicts
 * become HTTP refusals, `wsguard:error` frames and close codes; every decision is the guard's.
 *
 * - Upgrades: the checks run on the HTTP upgrade request, before any WebSocket exists. A refusal is an HTTP response
 *   with the catalogue's status (403, 401, 429, 500), `Retry-After` when the refusal carries `retryAfterMs`, a JSON
 *   body `{ code, message, retryAfterMs?, details? }` and `Connection: close`, and the socket is destroyed: ws never
 *   sees the request. ws's own validation of the handshake (method, key, version) runs after the guard admitted it;
 *   a request ws then refuses gives its slots back when its socket closes.
 *
 *   How: `protect` gives this one WebSocketServer instance its own `handleUpgrade` (restored by the function it
 *   returns). In `{ server }` and `{ port }` mode, ws's 'upgrade' listener on the HTTP server calls
 *   `this.handleUpgrade(…)`, so it reaches the guarded one; in `noServer` mode the application's 'upgrade' handler
 *   calls `wss.handleUpgrade(…)` (or `handleUpgrade(guard, wss, …)` from here) and reaches it too. One mechanism for
 *   the three modes, with nothing private of ws touched. The callback ws gives the new WebSocket to is wrapped, so the
 *   connection is registered with the guard before the application sees it, whether or not the application emits
 *   'connection'. Considered and not taken: `verifyClient` (it can answer with a status and a body, but it sees
 *   neither the WebSocket nor the callback, so registering the admitted connection would hang on the application
 *   emitting 'connection' with the same request object); removing ws's 'upgrade' listener from the HTTP server (it is
 *   reachable only through ws's private `_removeListeners`/`_server`, and ours would outlive `wss.close()`).
 * - CSRF (`csrfEnabled`): browsers cannot set headers on a WebSocket handshake, so the token travels as a
 *   Sec-WebSocket-Protocol entry `wsguard.csrf.<token>` beside the application's own subprotocol (or, less privately,
 *   as the query parameter named by `csrfTokenField`, `csrfToken` by default). The entry is removed from the request before ws reads it, so it is never
 *   picked as the connection's subprotocol.
 * - Messages: see messages.ts (the WebSocket's `emit` is guarded; only admitted messages reach `message` and `event`
 *   listeners) and envelope.ts (JSON `{ event, data, id? }` by default).
 * - Size: ws's `maxPayload` is set a little above the largest message the guard allows (see `protect`), so a message
 *   over the limit gets a coded `message_too_large` and only an absurd frame is cut by ws (close code 1009).
 * - Closing: a connection the guard closes gets `wsguard:error` with the code, then the close code of the catalogue
 *   with the reason code as close reason. Counts are released on every way a socket ends: client close, error,
 *   `terminate()`, a socket that closed while the checks ran, and one ws refused after the guard admitted it.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { REASON_CODES, type ReasonCode } from '../../codes/reason-codes.js';
import { deny } from '../../codes/types.js';
import type { Guard } from '../../core/guard.js';
import type { ConnectionRecord } from '../../core/registry.js';
import { hardenServer } from '../../core/handshake-limits.js';
import { parseJsonEnvelope, serializeJsonEnvelope, type ParseEnvelope, type SerializeEnvelope } from './envelope.js';
import { ERROR_EVENT, guardMessages, linkOf, sendEnvelope, type MessageWire } from './messages.js';
import { connectionContext, csrfProtocolOf, refuseUpgrade, stripCsrfProtocol } from './upgrade.js';

export interface ProtectOptions {
  /**
   * Turn a frame into `{ event, data, id? }`; return `null` for a frame that is not a message (refused as malformed).
   * Receives binary frames too unless `binaryEvent` is set. Default: JSON text frames, binary frames refused.
   * @example parse: (raw, isBinary) => (isBinary ? decodeMsgpack(raw) : null)
   */
  readonly parse?: ParseEnvelope;
  /** Turn what wsguard sends (replies, `wsguard:error`) into a frame. Default: `JSON.stringify`. */
  readonly serialize?: SerializeEnvelope;
  /**
   * Deliver binary frames as this event, with the raw bytes as `data` (checked like any event: allow-list, size,
   * roles, rate). Default: none, binary frames are refused (`binary_not_allowed`).
   * @example binaryEvent: 'upload'
   */
  readonly binaryEvent?: string;
  /**
   * ws's `maxPayload` (bytes): frames larger than this are cut by ws with close code 1009 before being buffered.
   * Default: the largest message the guard allows plus 64 KiB, or ws's own value if that is smaller.
   */
  readonly maxPayload?: number;
  /** Screen upgrade requests with `guard.screenRequest` (addresses just refused for connection rate). Default true. */
  readonly screenRequests?: boolean;
  /**
   * Apply the guard's handshake limits (`handshakeTimeoutMs`, `maxPendingHandshakesPerIp`, `maxHeaderBytes`) to the
   * HTTP server ws listens on (`{ server }` and `{ port }` mode). Default true. In `noServer` mode call
   * `hardenServer(server, guard)` yourself.
   */
  readonly hardenServer?: boolean;
}

/** Undo `protect` for upgrades from now on. Connections already open keep their checks. */
export type Unprotect = () => void;

/** What ws calls with a new WebSocket (the last argument of `handleUpgrade`). */
export type UpgradeCallback = (ws: WebSocket, request: IncomingMessage) => void;

type HandleUpgrade = WebSocketServer['handleUpgrade'];

/**
 * Room above the guard's limit before ws cuts a frame. A client that sends a little too much (a long chat message)
 * should get `message_too_large` it can show, not a dropped connection; a frame far above the limit is an attack or a
 * bug, and buffering it only to refuse it costs memory per connection. A fixed 64 KiB bounds that extra memory per
 * connection whatever the limit (doubling would let a 100 MiB limit buffer 200 MiB); with the default limit of 64 KiB
 * both come to the same 128 KiB.
 */
export const PAYLOAD_SLACK_BYTES = 64 * 1024;

/** Which guard protects a server, so `handleUpgrade` can protect on first use and `protect` refuses a second time. */
const protectedServers = new WeakMap<WebSocketServer, Guard>();

/** `close` of the guard's record: `this.native` is the WebSocket (one function for every connection). */
function closeByGuard(this: ConnectionRecord, code: ReasonCode, message?: string): void {
  const ws = this.native as WebSocket;
  // A client that does not read cannot receive a close frame either, and ws would keep its buffers for the closing
  // handshake's 30 s: end the TCP connection now.
  if (code === 'slow_consumer') {
    ws.terminate();
    return;
  }
  // Idempotent: a socket already closing keeps the code it is closing with.
  if (ws.readyState !== ws.OPEN) return;
  const link = linkOf(ws);
  if (link) sendEnvelope(ws, link.wire, { event: ERROR_EVENT, data: { code, message: message ?? REASON_CODES[code].message } });
  // RFC 6455 close code from the catalogue (1008 policy, 1009 too big, 1011 internal, 1013 try later); the close
  // reason (at most 123 bytes) is the reason code itself, for clients that only read the close frame.
  ws.close(REASON_CODES[code].closeCode, code);
}

/** `notify` of the guard's record. */
function notifyClient(this: ConnectionRecord, event: string, data: unknown): void {
  const ws = this.native as WebSocket;
  const link = linkOf(ws);
  if (link) sendEnvelope(ws, link.wire, { event, data });
}

/** What ws has not handed to the kernel yet: its socket's write queue and the frames waiting for compression. */
function bufferedBytes(this: { readonly native: object }): number {
  return (this.native as WebSocket).bufferedAmount;
}

/**
 * ws closes the connection itself after a protocol error (a bad frame, one over maxPayload) and then emits 'close';
 * without an 'error' listener that error would be thrown — a crash any client could cause.
 */
function onSocketError(this: WebSocket, error: Error & { code?: string }): void {
  const link = linkOf(this);
  if (!link) return;
  const failure = error.code ?? error.message;
  link.failure = failure;
  // A frame ws cut itself (past maxPayload, inflated size included; invalid UTF-8; a protocol violation) is refused
  // and reported like one the guard refused, so a deflate bomb or a fuzzer leaves a reason in the log.
  if (failure === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') link.guard.refuseUnreadable(link.id, 'message_too_large');
  else if (failure.startsWith('WS_ERR_')) link.guard.refuseUnreadable(link.id, 'malformed_message');
}

/** ws emits 'close' once on every way a WebSocket ends: close handshake, error, terminate(), the socket dropping. */
function onSocketClose(this: WebSocket, code: number): void {
  const link = linkOf(this);
  if (!link) return;
  const failure = link.failure;
  link.guard.connectionClosed(link.id, failure === undefined ? { reason: 'close', code } : { reason: 'error', code, error: failure });
}

function attachConnection(guard: Guard, ws: WebSocket, id: string, wire: MessageWire): void {
  guardMessages(guard, ws, id, wire);
  ws.on('error', onSocketError);
  ws.on('close', onSocketClose);
  guard.connectionOpened({ id, transport: 'ws', native: ws, notify: notifyClient, close: closeByGuard, bufferedBytes });
}

/**
 * An upgrade between the handshake's arrival and ws handing the WebSocket over: kept on the raw socket under a symbol,
 * so that its 'error' and 'close' listeners are functions shared by every upgrade (`this` is the socket) rather than
 * closures made per upgrade.
 */
interface PendingUpgrade {
  readonly guard: Guard;
  readonly id: string;
  /** The guard admitted it: from now on its slots are given back if the socket closes before ws takes it. */
  admitted: boolean;
  /** The socket closed while the checks ran. */
  gone: boolean;
}

const UPGRADE = Symbol('wsguard.upgrade');

type UpgradingSocket = Duplex & { [UPGRADE]?: PendingUpgrade };

/**
 * ws puts its own 'error' listener on the socket only once it is handed over; until then a client that resets must
 * find one here, or the ECONNRESET would be an uncaught error.
 */
function onUpgradeError(this: UpgradingSocket): void {
  this.destroy();
}

/**
 * The socket closed before ws took it. While the checks run, that is only noted (the verdict's handler releases what
 * was taken); once admitted, only the raw socket tells when the slots must go back (ws refusing a malformed handshake,
 * the application's verifyClient, a server closing with 503).
 */
function onUpgradeClose(this: UpgradingSocket): void {
  const pending = this[UPGRADE];
  if (pending === undefined) return;
  if (!pending.admitted) {
    pending.gone = true;
    return;
  }
  this[UPGRADE] = undefined;
  pending.guard.connectionClosed(pending.id, { reason: 'socket_closed' });
}

function guardUpgrades(guard: Guard, wss: WebSocketServer, wire: MessageWire, screen: boolean): HandleUpgrade {
  const original = wss.handleUpgrade.bind(wss);
  return function guardedHandleUpgrade(req, socket, head, callback) {
    // A request for another `path` is ws's to refuse (400), not the guard's to count or authenticate.
    if (wss.shouldHandle(req) === false) return original(req, socket, head, callback);
    const upgrading = socket as UpgradingSocket;
    socket.on('error', onUpgradeError);
    if (screen) {
      const screened = guard.screenRequest({ remoteAddress: req.socket.remoteAddress ?? '', headers: req.headers });
      if (!screened.allowed) return refuseUpgrade(socket, screened);
    }
    const id = randomUUID();
    const pending: PendingUpgrade = { guard, id, admitted: false, gone: false };
    upgrading[UPGRADE] = pending;
    socket.on('close', onUpgradeClose);
    const csrfProtocol = csrfProtocolOf(req);
    guard
      .admitConnection(connectionContext(id, req, guard.options.csrf?.field, csrfProtocol))
      .then((verdict) => {
        if (!verdict.allowed) {
          upgrading[UPGRADE] = undefined;
          socket.off('close', onUpgradeClose);
          return refuseUpgrade(socket, verdict);
        }
        if (pending.gone || socket.destroyed) {
          upgrading[UPGRADE] = undefined;
          socket.off('close', onUpgradeClose);
          return guard.connectionClosed(id, { reason: 'closed_during_handshake' });
        }
        pending.admitted = true;
        socket.off('error', onUpgradeError);
        stripCsrfProtocol(req, csrfProtocol);
        original(req, socket, head, (ws, request) => {
          // From here ws reports the end of the socket as the WebSocket's 'close', with its close code.
          upgrading[UPGRADE] = undefined;
          socket.off('close', onUpgradeClose);
          attachConnection(guard, ws, id, wire);
          callback(ws, request);
        });
      })
      .catch((error: unknown) => {
        // The guard never rejects: this is ws refusing the socket (handleUpgrade called twice for it) or the
        // application's connection callback throwing. Log it and drop the socket rather than crash the process;
        // its 'close' releases the counts.
        guard.emit({ type: 'internal_error', connectionId: id, detail: { stage: 'upgrade', error: error instanceof Error ? error.message : String(error) } });
        guard.connectionClosed(id, { reason: 'adapter_error' });
        socket.destroy();
      });
  };
}

/**
 * Protect a `ws` WebSocketServer: every upgrade is checked before a WebSocket opens, every message before a listener
 * sees it. Works in `{ server }`, `{ port }` and `noServer` mode (in `noServer` mode, call `wss.handleUpgrade` or
 * this module's `handleUpgrade` from your 'upgrade' handler as usual). Call it before the server accepts connections.
 *
 * @example
 * const wss = new WebSocketServer({ server });
 * protect(wss, createGuard({ ...presets.production, allowedOrigins: ['https://app.example.com'], authenticate }));
 * wss.on('connection', (ws) => ws.on('event', (name, data, reply) => reply?.({ ok: true })));
 */
export function protect(wss: WebSocketServer, guard: Guard, options: ProtectOptions = {}): Unprotect {
  if (typeof wss.handleUpgrade !== 'function' || typeof wss.options !== 'object') {
    throw new TypeError('wsguard/ws: protect() needs a WebSocketServer from ws 8');
  }
  if (protectedServers.has(wss)) throw new Error('wsguard/ws: this WebSocketServer is already protected');
  if (options.maxPayload !== undefined && (!Number.isInteger(options.maxPayload) || options.maxPayload < 1)) {
    throw new TypeError(`wsguard/ws: maxPayload must be a positive integer, got ${String(options.maxPayload)}`);
  }
  if (options.binaryEvent !== undefined && (typeof options.binaryEvent !== 'string' || options.binaryEvent === '')) {
    throw new TypeError('wsguard/ws: binaryEvent must be a non-empty event name');
  }
  for (const hook of ['parse', 'serialize'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') throw new TypeError(`wsguard/ws: ${hook} must be a function`);
  }
  const wire: MessageWire = {
    parse: options.parse ?? parseJsonEnvelope,
    serialize: options.serialize ?? serializeJsonEnvelope,
    binaryEvent: options.binaryEvent,
    refuseBinary: options.parse === undefined,
  };

  // ws reads `options.maxPayload` for each new connection (and its permessage-deflate limit), so setting it here
  // applies to every connection accepted from now on. 0 means no limit in ws; a smaller value the user chose stays.
  const largest = guard.options.largestMessageBytes;
  const previousMaxPayload = wss.options.maxPayload;
  const own = previousMaxPayload ?? 0;
  const maxPayload = options.maxPayload ?? (own > 0 ? Math.min(own, largest + PAYLOAD_SLACK_BYTES) : largest + PAYLOAD_SLACK_BYTES);
  wss.options.maxPayload = maxPayload;
  if (maxPayload < largest) {
    guard.emit({
      type: 'config_warning',
      detail: {
        code: 'WSGUARD_W_ENGINE_BUFFER_SMALLER',
        message: `ws maxPayload (${maxPayload}) is below the largest message wsguard allows (${largest}); such messages are cut by ws with close code 1009 instead of refused with message_too_large. Raise maxPayload or lower maxMessageBytes.`,
      },
    });
  }

  const ownHandleUpgrade = Object.getOwnPropertyDescriptor(wss, 'handleUpgrade');
  wss.handleUpgrade = guardUpgrades(guard, wss, wire, options.screenRequests !== false);
  protectedServers.set(wss, guard);
  // The HTTP server in front: the one given (`{ server }`), or the one ws created (`{ port }`), which ws keeps only
  // as `_server`. None in `noServer` mode: the application hardens its own (`hardenServer`).
  const httpServer = wss.options.server ?? (wss as unknown as { _server?: HttpServer | null })._server ?? null;
  const unharden = options.hardenServer !== false && httpServer !== null ? hardenServer(httpServer, guard) : null;

  return () => {
    if (protectedServers.get(wss) !== guard) return;
    protectedServers.delete(wss);
    unharden?.();
    if (ownHandleUpgrade) Object.defineProperty(wss, 'handleUpgrade', ownHandleUpgrade);
    else Reflect.deleteProperty(wss, 'handleUpgrade');
    wss.options.maxPayload = previousMaxPayload;
  };
}

/**
 * For `noServer` mode: hand an upgrade request to a protected server from your own 'upgrade' handler. Protects `wss`
 * with default options on first use if `protect` was not called. Without `callback`, the new WebSocket is emitted as
 * 'connection' on `wss`, as ws's own `{ server }` mode does.
 *
 * @example
 * const wss = new WebSocketServer({ noServer: true });
 * server.on('upgrade', (req, socket, head) => {
 *   if (new URL(req.url ?? '/', 'http://x').pathname === '/ws') handleUpgrade(guard, wss, req, socket, head);
 *   else socket.destroy();
 * });
 */
export function handleUpgrade(
  guard: Guard,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  callback?: UpgradeCallback,
): void {
  const owner = protectedServers.get(wss);
  if (owner === undefined) {
    protect(wss, guard);
  } else if (owner !== guard) {
    // A wiring mistake: refuse rather than let the connection in under the wrong guard, and say why once per request.
    socket.on('error', () => socket.destroy());
    guard.emit({ type: 'internal_error', detail: { stage: 'upgrade', error: 'wsguard/ws: handleUpgrade() got a WebSocketServer protected by another guard' } });
    refuseUpgrade(socket, deny('internal_error'));
    return;
  }
  wss.handleUpgrade(req, socket, head, callback ?? ((ws, request) => wss.emit('connection', ws, request)));
}

export { CSRF_PROTOCOL_PREFIX } from './upgrade.js';
export { hardenServer } from '../../core/handshake-limits.js';
export { REFRESH_EVENT } from '../../core/credential-refresh.js';
export type { Envelope, ParseEnvelope, SerializeEnvelope } from './envelope.js';
export { parseJsonEnvelope, serializeJsonEnvelope } from './envelope.js';
export type { GuardedEventListener, Reply } from './messages.js';
export type { Guard } from '../../core/guard.js';
