/**
 * Limits on the HTTP side of the handshake, applied to the `http.Server` (or `https.Server`) that carries the
 * WebSocket upgrades. Node's HTTP parser sees a request long before any WebSocket code does, so a client that opens
 * sockets and sends its headers a byte at a time (slowloris) holds sockets and memory without ever reaching the
 * guard's checks. `protect` applies these to the server it is given; `hardenServer(server, guard)` applies them to
 * one it is not (ws in `noServer` mode, Socket.IO attached later).
 *
 * - Every new TCP connection is timed from its `connection` event until its first request's headers are complete
 *   (`upgrade` or `request`); past `handshakeTimeoutMs` it is answered 408 and destroyed (`handshake_timeout`). One
 *   timer serves every pending socket: they share one timeout, so they expire in the order they came.
 * - Unfinished handshakes are counted per IP group; past `maxPendingHandshakesPerIp` a new connection from that group
 *   is destroyed at once (`too_many_pending_handshakes`), so one address cannot use up the server's sockets while
 *   others get through. A trusted proxy (`trustProxy`) is timed but not counted: every client behind it shares its
 *   address, and it sends complete headers anyway. The count map holds only groups with a pending handshake, and at
 *   most `maxTrackedKeys` of them: past that, a new group's connections are timed but not counted.
 * - The server's `maxHeaderSize` is lowered to `maxHeaderBytes` (Node reads it for each new connection) and its
 *   `headersTimeout` to `handshakeTimeoutMs` (Node checks that one only every 30 s, but also for later requests on a
 *   kept-alive socket). Requests Node's parser refuses (`clientError`) are answered as Node would and reported:
 *   `headers_too_large` (431), `handshake_timeout` (408), `malformed_request` (400).
 *
 * With an `https.Server` all of this starts when the TLS handshake is done (`secureConnection`): a socket whose TLS
 * handshake is under way belongs to Node's TLS layer, and destroying the TCP socket under it does not end it. The TLS
 * handshake itself is bounded by the server's own `handshakeTimeout` option (Node's default is 120 s).
 */

import { STATUS_CODES, maxHeaderSize as nodeMaxHeaderSize, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ReasonCode } from '../codes/reason-codes.js';
import type { SecurityEventInput } from '../events/catalogue.js';
import type { Guard } from './guard.js';
import { ipGroupKey, normalizeIp } from './ip.js';

export interface HandshakeLimits {
  readonly handshakeTimeoutMs: number;
  readonly maxPendingPerIp: number;
  readonly maxHeaderBytes: number;
  /** Cap on IP groups counted at once. */
  readonly maxTrackedKeys: number;
  readonly groupOf: (ip: string) => string;
  /** True for a peer whose forwarding headers are believed (a proxy): not counted per address. */
  readonly trustsPeer: (ip: string) => boolean;
  readonly emit: (event: SecurityEventInput) => void;
}

interface Pending {
  readonly socket: Socket;
  readonly ip: string;
  /** The IP group it is counted under; null when it is not counted (a trusted proxy, or the map at its cap). */
  readonly group: string | null;
  /** `performance.now()` time: a transport timeout, not a business one, so not the guard's injectable clock. */
  readonly deadline: number;
}

/** Node's own answers to a request it cannot parse (`_http_server.js`), with the reason each is reported as. */
const CLIENT_ERRORS: Readonly<Record<string, readonly [number, ReasonCode]>> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'headers_too_large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'handshake_timeout'],
};

function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n\r\n`;
}

const TIMEOUT_RESPONSE = statusLine(408);

/** Apply the limits to `server`; returns a function that takes them off again (pending sockets are left alone). */
export function applyHandshakeLimits(server: HttpServer, limits: HandshakeLimits): () => void {
  // Insertion order is deadline order: every entry gets the same timeout. Keyed by the socket itself: no address or
  // port to read back (each a call into the socket's handle) and no string to build per connection.
  const pending = new Map<Socket, Pending>();
  const perGroup = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;

  function report(reason: ReasonCode, ip: string, counted: boolean, detail: Record<string, unknown>): void {
    // A trusted proxy's address is not a client's: named in the detail, never as `ip` (the abuse detector would ban
    // every client behind it).
    limits.emit(
      counted
        ? { type: 'connection_refused', reason, ip, detail: { stage: 'http', ...detail } }
        : { type: 'connection_refused', reason, detail: { stage: 'http', peer: ip, ...detail } },
    );
  }

  function release(entry: Pending): void {
    pending.delete(entry.socket);
    if (entry.group === null) return;
    const left = (perGroup.get(entry.group) ?? 1) - 1;
    if (left <= 0) perGroup.delete(entry.group);
    else perGroup.set(entry.group, left);
  }

  function arm(): void {
    if (timer !== null) return;
    const first = pending.values().next();
    if (first.done === true) return;
    timer = setTimeout(expire, Math.max(0, Math.ceil(first.value.deadline - performance.now())));
    // Pending handshakes must not keep a process alive.
    timer.unref();
  }

  function expire(): void {
    timer = null;
    const now = performance.now();
    for (const entry of pending.values()) {
      if (entry.deadline > now) break;
      release(entry);
      // The headers did arrive, through a path that emits neither 'request' nor 'upgrade' (a 'checkContinue'
      // listener, a 'request' listener removed by a later attach): the request is Node's to time from here.
      if ((entry.socket as Socket & { _httpMessage?: unknown })._httpMessage != null) continue;
      report('handshake_timeout', entry.ip, entry.group !== null, { timeoutMs: limits.handshakeTimeoutMs });
      if (entry.socket.writable) entry.socket.write(TIMEOUT_RESPONSE);
      entry.socket.destroy();
    }
    arm();
  }

  function onConnection(socket: Socket): void {
    const address = socket.remoteAddress;
    // No peer address: the socket is already gone.
    if (address === undefined) return;
    const ip = normalizeIp(address);
    let group: string | null = null;
    if (!limits.trustsPeer(ip)) {
      const candidate = limits.groupOf(ip);
      const count = perGroup.get(candidate);
      if (count !== undefined && count >= limits.maxPendingPerIp) {
        report('too_many_pending_handshakes', ip, true, { limit: limits.maxPendingPerIp });
        socket.destroy();
        return;
      }
      if (count !== undefined || perGroup.size < limits.maxTrackedKeys) {
        perGroup.set(candidate, (count ?? 0) + 1);
        group = candidate;
      }
    }
    pending.set(socket, { socket, ip, group, deadline: performance.now() + limits.handshakeTimeoutMs });
    socket.on('close', onSocketClose);
    arm();
  }

  // One function for every socket (`this` is the socket): no closure per connection.
  function onSocketClose(this: Socket): void {
    const entry = pending.get(this);
    if (entry !== undefined) release(entry);
  }

  // The headers are complete: the request is the application's (and the guard's) from here. The socket's 'close'
  // listener goes too: it would otherwise stay on the socket as long as the connection lives (a listener array on
  // every WebSocket, some 150 bytes each).
  function onHeaders(req: { socket: Socket }): void {
    if (pending.size === 0) return;
    const entry = pending.get(req.socket);
    if (entry === undefined) return;
    release(entry);
    req.socket.off('close', onSocketClose);
  }

  function onClientError(error: Error & { code?: string }, socket: Duplex): void {
    const code = error.code ?? '';
    // The application answers when it listens too; otherwise we answer as Node does when nobody listens.
    const answer = server.listenerCount('clientError') === 1;
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      if (answer) socket.destroy();
      return;
    }
    const [status, reason] = CLIENT_ERRORS[code] ?? [400, 'malformed_request'];
    const peer = socket as Duplex & { remoteAddress?: string; _httpMessage?: { _headerSent?: boolean } | null };
    const ip = normalizeIp(peer.remoteAddress ?? '');
    report(reason, ip, !limits.trustsPeer(ip), { error: code });
    if (!answer) return;
    if (socket.writable && peer._httpMessage?._headerSent !== true) socket.write(statusLine(status));
    socket.destroy();
  }

  // Node reads `maxHeaderSize` from the server for each new connection (undefined: its process-wide default).
  const sized = server as HttpServer & { maxHeaderSize?: number };
  const previous = { headersTimeout: server.headersTimeout, maxHeaderSize: sized.maxHeaderSize };
  // Node's default, 0 ("none") or anything longer: headers that take longer than a handshake may are no request.
  if (!(server.headersTimeout > 0 && server.headersTimeout <= limits.handshakeTimeoutMs)) server.headersTimeout = limits.handshakeTimeoutMs;
  // The smaller of what the server was created with (or Node's default) and ours.
  sized.maxHeaderSize = Math.min(sized.maxHeaderSize ?? nodeMaxHeaderSize, limits.maxHeaderBytes);
  // A TLS server's sockets are the application's once their TLS handshake is done (see the header comment).
  const connectionEvent = server instanceof TlsServer ? 'secureConnection' : 'connection';
  server.on(connectionEvent, onConnection);
  // First among the listeners, so the socket's 'close' listener is gone before the WebSocket library adds its own (a
  // listener array that once held three keeps room for nineteen).
  server.prependListener('upgrade', onHeaders);
  server.prependListener('request', onHeaders);
  server.on('clientError', onClientError);

  return () => {
    server.off(connectionEvent, onConnection);
    server.off('upgrade', onHeaders);
    server.off('request', onHeaders);
    server.off('clientError', onClientError);
    server.headersTimeout = previous.headersTimeout;
    sized.maxHeaderSize = previous.maxHeaderSize;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    for (const entry of pending.values()) entry.socket.off('close', onSocketClose);
    pending.clear();
    perGroup.clear();
  };
}

/** Which guard hardened a server: a server shared by two adapters (or protected twice) is hardened once. */
const hardened = new WeakMap<object, () => void>();

/**
 * Apply the guard's handshake limits (`handshakeTimeoutMs`, `maxPendingHandshakesPerIp`, `maxHeaderBytes`) to an HTTP
 * server. `protect` does it for the server it is given (Socket.IO's `io.httpServer`, ws's `server` option); call this
 * yourself for a `noServer` WebSocketServer, or when Socket.IO is attached to its server after `protect`. Harden a
 * server once, after anything that replaces its `request` listeners (Socket.IO's `attach`). Returns a function that
 * takes the limits off again.
 *
 * @example
 * const server = http.createServer(app);
 * const wss = new WebSocketServer({ noServer: true });
 * protect(wss, guard);
 * hardenServer(server, guard);
 * server.on('upgrade', (req, socket, head) => handleUpgrade(guard, wss, req, socket, head));
 */
export function hardenServer(server: HttpServer, guard: Guard): () => void {
  if (hardened.has(server)) return () => undefined;
  const options = guard.options;
  const undo = applyHandshakeLimits(server, {
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    maxPendingPerIp: options.maxPendingHandshakesPerIp,
    maxHeaderBytes: options.maxHeaderBytes,
    maxTrackedKeys: options.maxTrackedKeys,
    groupOf: (ip) => ipGroupKey(ip, options.ipv6Prefix),
    trustsPeer: options.trustsPeer,
    emit: (event) => guard.emit(event),
  });
  hardened.set(server, undo);
  return () => {
    if (hardened.get(server) !== undo) return;
    hardened.delete(server);
    undo();
  };
}
