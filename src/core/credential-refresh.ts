/**
 * Credential refresh: a connection whose identity carries `expiresAt` is closed at that time (`credentials_expired`)
 * unless the client sends new credentials before, as the event `wsguard:refresh` with an object payload (Socket.IO:
 * `socket.emit('wsguard:refresh', { token }, ack)`; `ws`: `{ "event": "wsguard:refresh", "data": { "token": … },
 * "id": 1 }`).
 *
 * The guard runs the application's own `authenticate` hook again, with the handshake's headers, URL, query and
 * address and with `auth` set to that payload, under the same timeout and fault handling as at the handshake. It
 * must return the same user (and the same session, when the connection has one): a refresh can extend a connection,
 * never hand it to someone else. The new `expiresAt` then replaces the old one (none: the credentials no longer end
 * the connection). Any other outcome is refused as `unauthenticated` with `details.reason` (`anonymous`,
 * `hook_failed`, `credentials_expired`, `user_mismatch`, `session_mismatch`, `not_refreshable`, `malformed`), or
 * `session_revoked`; the connection itself stays until its credentials end.
 *
 * The refresh event is the guard's, never the application's: it does not need to be in `allowedEvents`, it never
 * reaches a listener, and it is size-checked and rate-limited like any message.
 */

import { deny, type Awaitable, type AuthRequest, type Denied, type Identity } from '../codes/types.js';
import type { Authenticator } from './authenticate.js';

export const REFRESH_EVENT = 'wsguard:refresh';

/** The answer to a refresh: the new expiry, or a refusal. */
export type RefreshVerdict = { readonly allowed: true; readonly expiresAt: number | null } | Denied;

/** What the refresh needs of a live connection. */
export interface RefreshableConnection {
  readonly id: string;
  readonly namespace: string;
  readonly identity: Identity | null;
  /** The handshake as the hook saw it; null when the connection's identity does not expire (nothing to refresh). */
  readonly authRequest: AuthRequest | null;
}

export interface CredentialRefreshDeps {
  readonly authenticate: Authenticator;
  /** The revocation check of an identity (null: not revoked). */
  readonly revoked: (identity: Identity) => Awaitable<Denied | null>;
  /** The connection's credentials now end at `expiresAt`. */
  readonly extend: (id: string, expiresAt: number | null) => void;
}

const refusal = (reason: string): Denied => deny('unauthenticated', { details: { reason } });

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Run the hook on the new credentials and apply them. Resolves to the verdict the client is told; the caller reports
 * refusals (as `message_refused` for `wsguard:refresh`) and success (`credentials_refreshed`).
 */
export async function refreshCredentials(
  deps: CredentialRefreshDeps,
  connection: RefreshableConnection,
  auth: unknown,
): Promise<RefreshVerdict> {
  const current = connection.identity;
  if (current === null || connection.authRequest === null) return refusal('not_refreshable');
  if (!isPlainObject(auth)) return refusal('malformed');
  const outcome = await deps.authenticate(
    { ...connection.authRequest, auth },
    { namespace: connection.namespace, connectionId: connection.id },
  );
  if ('failure' in outcome) return outcome.failure;
  const next = outcome.identity;
  if (next === null) return refusal('anonymous');
  if (next.userId !== current.userId) return refusal('user_mismatch');
  if (current.sessionId !== undefined && next.sessionId !== current.sessionId) return refusal('session_mismatch');
  const revoked = await deps.revoked(next);
  if (revoked) return revoked;
  const expiresAt = next.expiresAt ?? null;
  deps.extend(connection.id, expiresAt);
  return { allowed: true, expiresAt };
}
