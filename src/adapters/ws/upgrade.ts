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
  const search = url.slice(at + 1);
  const query = new Map<string, string | string[]>();
  const add = (key: string, value: string): void => {
    const seen = query.get(key);
    if (seen === undefined) query.set(key, value);
    else if (Array.isArray(seen)) seen.push(value);
    else query.set(key, [seen, value]);
  };
  if (NEEDS_DECODING.test(search)) {
    for (const [key, value] of new URLSearchParams(search)) add(key, value);
  } else {
    // Nothing to decode (no escape, no `+` for a space, no lone surrogate to replace): the pairs are the text itself,
    // split as URLSearchParams splits it, without building its object. Most handshakes carry a plain `?token=…`.
    const start = search.charCodeAt(0) === 63 /* ? */ ? 1 : 0;
    for (const pair of (start === 0 ? search : search.slice(start)).split('&')) {
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      if (equals === -1) add(pair, '');
      else add(pair.slice(0, equals), pair.slice(equals + 1));
    }
  }
  return Object.fromEntries(query);
}

/** What URLSearchParams would change in a query string: `%` escapes, `+` (a space), lone surrogates (U+FFFD). */
const NEEDS_DECODING = /[%+\ud800-\udfff]/;

/**
 * The Sec-WebSocket-Protocol entry that carries a CSRF token: `wsguard.csrf.<token>` (a token is base64url and dots,
 * all legal in a subprotocol name). Browsers cannot set headers on a WebSocket handshake, and a subprotocol entry,
 * unlike a query parameter, stays out of URLs and so out of access logs.
 */
export const CSRF_PROTOCOL_PREFIX = 'wsguard.csrf.';

function protocolEntries(header: string): string[] {
  return header.split(',').map((entry) => entry.trim());
}

/** A Sec-WebSocket-Protocol header with a CSRF entry taken apart: the token, and the header without it. */
export interface CsrfProtocol {
  /** The header as it was read (the request's header is only rewritten if it is still this one). */
  readonly header: string;
  readonly token: string;
  /** The other entries, joined as ws reads them; '' when there are none. */
  readonly rest: string;
}

/** The CSRF entry of the request's Sec-WebSocket-Protocol (the first one), or null when it has none. */
export function csrfProtocolOf(req: IncomingMessage): CsrfProtocol | null {
  const header = req.headers['sec-websocket-protocol'];
  // Most headers carry no CSRF entry at all: no split for them.
  if (header === undefined || !header.includes(CSRF_PROTOCOL_PREFIX)) return null;
  const entries = protocolEntries(header);
  let token: string | undefined;
  const kept: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(CSRF_PROTOCOL_PREFIX)) kept.push(entry);
    else token ??= entry.slice(CSRF_PROTOCOL_PREFIX.length);
  }
  return token === undefined ? null : { header, token, rest: kept.join(', ') };
}

/** The handshake's CSRF token: the subprotocol entry, else the query parameter named like the payload field. */
function csrfTokenOf(protocol: CsrfProtocol | null, query: Readonly<Record<string, string | string[]>>, field: string): string | undefined {
  if (protocol !== null) return protocol.token;
  const value = query[field];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Take the CSRF entry out of Sec-WebSocket-Protocol before ws reads it: ws would otherwise pick it as the
 * connection's subprotocol when it comes first (echoing the token in the response), and the application's
 * `handleProtocols` has no business seeing it. The client offers its real subprotocol beside it, which ws then picks.
 * `protocol` is what `csrfProtocolOf` read at the handshake (read again if the header has changed since).
 */
export function stripCsrfProtocol(req: IncomingMessage, protocol: CsrfProtocol | null = csrfProtocolOf(req)): void {
  const current = req.headers['sec-websocket-protocol'];
  const found = protocol !== null && protocol.header === current ? protocol : csrfProtocolOf(req);
  if (found === null) return;
  if (found.rest === '') delete req.headers['sec-websocket-protocol'];
  else req.headers['sec-websocket-protocol'] = found.rest;
}

/**
 * `csrfField`: the query parameter that may carry the CSRF token (`csrfTokenField`); undefined when CSRF is off.
 * `protocol`: the request's CSRF subprotocol entry (`csrfProtocolOf`).
 */
export function connectionContext(id: string, req: IncomingMessage, csrfField: string | undefined, protocol: CsrfProtocol | null = csrfProtocolOf(req)): ConnectionContext {
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
    csrfToken: csrfField === undefined ? undefined : csrfTokenOf(protocol, query, csrfField),
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
