/**
 * Who is who in the demo. Demo only: a scenario names its user in the Socket.IO handshake (`auth.user`), and asks the
 * CSRF endpoint for a token with `/csrf-token?user=`; a real app verifies a session cookie or a JWT here instead.
 * Names starting with `admin` get the admin role, every other name the user role.
 *
 * The dashboard is the one real session: the page response sets an HttpOnly cookie scoped to `/admin` holding a
 * random per-process value, and only that cookie makes the `dashboard` admin. Being scoped to `/admin` (the admin API
 * and its CSRF endpoint), the cookie never rides along on a scenario's handshake (Socket.IO's path is `/socket.io/`),
 * so a scenario's identity is always the one it names.
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthRequest, AuthenticateHook, Identity } from '../index.js';

/** The dashboard's user: an admin, on the abuse allow-list, reachable only through the cookie. */
export const DASHBOARD_USER = 'dashboard';
export const ADMIN_COOKIE = 'wsguard_demo_admin';
/** Lower-case letters, digits, `-` and `_`, at most 32: scenario users look like `flood-k3x9`. */
const USER_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** The only HTTP path where a user may be named in the query (the token endpoint scenarios use). */
const CLAIM_PATH = '/csrf-token';

export interface DemoIdentities {
  readonly authenticate: AuthenticateHook;
  /** `Set-Cookie` value that makes the browser the dashboard admin on `/admin` paths. */
  readonly adminCookie: string;
}

export function roleOf(user: string): 'admin' | 'user' {
  return user.startsWith('admin') ? 'admin' : 'user';
}

function identityOf(user: string): Identity {
  return { userId: user, roles: roleOf(user) === 'admin' ? ['admin', 'user'] : ['user'], sessionId: `session-${user}` };
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

function cookieValue(header: string | readonly string[] | undefined, name: string): string | undefined {
  const text = first(header);
  if (text === undefined) return undefined;
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function pathOf(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : url.slice(0, at);
}

export function createDemoIdentities(): DemoIdentities {
  const adminSession = Buffer.from(randomBytes(24).toString('base64url'));
  const isAdminSession = (value: string | undefined): boolean => {
    if (value === undefined || value.length !== adminSession.length) return false;
    return timingSafeEqual(Buffer.from(value), adminSession);
  };

  function authenticate(request: AuthRequest): Identity | null {
    const claimed = request.auth['user'] ?? (pathOf(request.url) === CLAIM_PATH ? first(request.query['user']) : undefined);
    if (claimed !== undefined) {
      // Nobody becomes the dashboard by naming it: that identity comes from the cookie only.
      return typeof claimed === 'string' && USER_NAME.test(claimed) && claimed !== DASHBOARD_USER ? identityOf(claimed) : null;
    }
    if (isAdminSession(cookieValue(request.headers['cookie'], ADMIN_COOKIE))) {
      return { userId: DASHBOARD_USER, roles: ['admin'], sessionId: `session-${DASHBOARD_USER}` };
    }
    return null;
  }

  return {
    authenticate,
    adminCookie: `${ADMIN_COOKIE}=${adminSession.toString()}; Path=/admin; HttpOnly; SameSite=Strict`,
  };
}
