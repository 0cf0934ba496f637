/**
 * Identifying plain HTTP requests with the same `authenticate` hook the connections use: the CSRF token endpoint and
 * the admin API both need to know whose session a request belongs to, and a session cookie, a bearer token or
 * anything else the hook reads works the same on both sides.
 */

import type { IncomingMessage } from 'node:http';
import type { AuthRequest, Identity } from '../codes/types.js';
import type { Authenticator } from './authenticate.js';
import type { ClientIpResolver } from './client-ip.js';

/** The identity behind an HTTP request; null when anonymous or when the hook failed (reported as `auth_hook_failed`). */
export type HttpIdentify = (request: IncomingMessage) => Promise<Identity | null>;

export function toAuthRequest(request: IncomingMessage, resolveIp: ClientIpResolver): AuthRequest {
  const url = request.url ?? '/';
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URL(url, 'http://localhost').searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const remoteAddress = request.socket.remoteAddress ?? '';
  return { headers: request.headers, url, query, remoteAddress, ip: resolveIp(remoteAddress, request.headers), auth: {} };
}

export function createHttpIdentify(authenticate: Authenticator, resolveIp: ClientIpResolver): HttpIdentify {
  return async (request) => {
    const outcome = await authenticate(toAuthRequest(request, resolveIp), {});
    return 'failure' in outcome ? null : outcome.identity;
  };
}
