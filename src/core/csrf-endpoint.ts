/**
 * The HTTP side of CSRF: `guard.csrf`. A page fetches a token for its session from an endpoint of the app's own
 * HTTP server, then presents it in the WebSocket handshake (and in events that require one). The session is found by
 * the same `authenticate` hook the connections use, called with the HTTP request, so a session cookie, a JWT's `sid`
 * or anything else works the same on both sides.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { csrfSessionKey, type CsrfFailure } from '../policies/csrf/index.js';
import type { HttpIdentify } from './http-identity.js';
import type { ResolvedCsrf } from './options.js';

export interface IssuedToken {
  readonly token: string;
  /** Epoch ms after which the token is refused with `csrf_expired`. */
  readonly expiresAt: number;
}

export interface GuardCsrf {
  readonly enabled: boolean;
  /** A fresh token for a session id. Throws when CSRF protection is off. */
  issue(sessionId: string): IssuedToken;
  /** null when `token` is valid for `sessionId` now; else the reason code. */
  verify(token: unknown, sessionId: string): CsrfFailure | null;
  /** A token for the session of an HTTP request (identified by `authenticate`); null for an anonymous request. */
  tokenFor(request: IncomingMessage): Promise<IssuedToken | null>;
  /**
   * A ready `(req, res)` handler answering `{ token, expiresAt }` as JSON (401 `{ code: 'unauthenticated' }` without a
   * session). node:http: call it from your request listener; Express: `app.get('/csrf-token', guard.csrf.handler)`;
   * Fastify: `fastify.get('/csrf-token', (req, reply) => { reply.hijack(); return guard.csrf.handler(req.raw, reply.raw); })`.
   */
  handler(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    // A token is per session: no shared cache may keep it.
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

export function createCsrfEndpoint(deps: { readonly csrf: ResolvedCsrf | null; readonly identify: HttpIdentify }): GuardCsrf {
  const { csrf, identify } = deps;
  const off = (): never => {
    throw new Error('wsguard: CSRF protection is off; set `csrfEnabled: true` to issue tokens');
  };

  async function tokenFor(request: IncomingMessage): Promise<IssuedToken | null> {
    if (!csrf) return off();
    const identity = await identify(request);
    return identity === null ? null : csrf.tokens.issue(csrfSessionKey(identity));
  }

  return {
    enabled: csrf !== null,
    issue: (sessionId) => (csrf ? csrf.tokens.issue(sessionId) : off()),
    verify: (token, sessionId) => (csrf ? csrf.tokens.verify(token, sessionId) : off()),
    tokenFor,
    async handler(request, response) {
      if (!csrf) return sendJson(response, 404, { code: 'csrf_disabled', message: 'CSRF protection is off' });
      try {
        const issued = await tokenFor(request);
        if (!issued) return sendJson(response, 401, { code: 'unauthenticated', message: 'Authentication required' });
        sendJson(response, 200, issued);
      } catch {
        sendJson(response, 500, { code: 'internal_error', message: 'Internal error' });
      }
    },
  };
}
