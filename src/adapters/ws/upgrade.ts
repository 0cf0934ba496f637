/**
 * The HTTP side of `wsguard/ws`: the upgrade request as a connection context, and a refused upgrade as a real HTTP
 * response — the way `ws` itself aborts a handshake (`abortHandshake` in ws/lib/websocket-server.js), but with the
 * catalogue's status and a JSON body a client can read from its `unexpected-response`.
 */

import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { toClientError, type ConnectionContext, type Denied } from '../../codes/types.js';

/** Plain WebSockets have neither Socket.IO's `auth` object nor namespaces. */
const NO_AUTH: Readonly<Record<string, unknown>> = Object.freeze({});
const ROOT_NAMESPACE = '/';

/**
 * The query string as Node's `querystring` would give it (a repeated key becomes an array). Built through a Map and
 * `Object.fromEntries`, so a `__proto__` key is an own property, never the object's prototype.
 */
export function parseQuery(url: string): Record<string, string | string[]> {
  const at = url.indexOf('?');
  if (at === -1) return {};
  const query = new Map<string, string | string[]>();
  for (const [key, value] of new URLSearchParams(url.slice(at + 1))) {
    const seen = query.get(key);
    if (seen === undefined) query.set(key, value);
    else if (Array.isArray(seen)) seen.push(value);
    else query.set(key, [seen, value]);
  }
  return Object.fromEntries(query);
}

/**
 * The Sec-WebSocket-Protocol entry that carries a CSRF token: `wsguard.csrf.<token>` (a token is base64url and dots,
 * all legal in a subprotocol name). Browsers cannot set headers on a WebSocket handshake, and a subprotocol entry,
 * unlike a query parameter, stays out of URLs and so out of access logs.
 */
export const CSRF_PROTOCOL_PREFIX = 'wsguard.csrf.';

function protocolEntries(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header === undefined ? [] : header.split(',').map((entry) => entry.trim());
}

/** The handshake's CSRF token: the subprotocol entry, else the query parameter named like the payload field. */
function csrfTokenOf(req: IncomingMessage, query: Readonly<Record<string, string | string[]>>, field: string): string | undefined {
  for (const entry of protocolEntries(req)) {
    if (entry.startsWith(CSRF_PROTOCOL_PREFIX)) return entry.slice(CSRF_PROTOCOL_PREFIX.length);
  }
  const value = query[field];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Take the CSRF entry out of Sec-WebSocket-Protocol before ws reads it: ws would otherwise pick it as the
 * connection's subprotocol when it comes first (echoing the token in the response), and the application's
 * `handleProtocols` has no business seeing it. The client offers its real subprotocol beside it, which ws then picks.
 */
export function stripCsrfProtocol(req: IncomingMessage): void {
  const entries = protocolEntries(req);
  const kept = entries.filter((entry) => !entry.startsWith(CSRF_PROTOCOL_PREFIX));
  if (kept.length === entries.length) return;
  if (kept.length === 0) delete req.headers['sec-websocket-protocol'];
  else req.headers['sec-websocket-protocol'] = kept.join(', ');
}

/** `csrfField`: the query parameter that may carry the CSRF token (`csrfTokenField`); undefined when CSRF is off. */
export function connectionContext(id: string, req: IncomingMessage, csrfField: string | undefined): ConnectionContext {
  const url = req.url ?? '/';
  const query = parseQuery(url);
  return {
    id,
    // A client that reset before we got here has no address any more; the guard then sees '' (no proxy trusted).
    remoteAddress: req.socket.remoteAddress ?? '',
    headers: req.headers,
    url,
    query,
    namespace: ROOT_NAMESPACE,
    auth: NO_AUTH,
    transport: 'ws',
    csrfToken: csrfField === undefined ? undefined : csrfTokenOf(req, query, csrfField),
  };
}

/**
 * Answer a refused upgrade and destroy the socket: status from the catalogue, `Retry-After` in whole seconds
 * (rounded up, so a client never retries early) when the refusal is temporary, a JSON body
 * `{ code, message, retryAfterMs?, details? }` and `Connection: close`. The caller keeps an `error` listener on the
 * socket: a client that resets while this is written must not become an uncaught error.
 */
export function refuseUpgrade(socket: Duplex, verdict: Denied): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(toClientError(verdict));
  const lines = [
    `HTTP/1.1 ${verdict.status} ${STATUS_CODES[verdict.status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  if (verdict.retryAfterMs !== undefined) lines.push(`Retry-After: ${Math.ceil(verdict.retryAfterMs / 1_000)}`);
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
