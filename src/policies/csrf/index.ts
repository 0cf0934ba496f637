/**
 * CSRF checks: at the handshake (the token travels in the transport's handshake) and per event (the token travels in
 * the payload and is removed before the handler sees it).
 *
 * A token is bound to the session of the identity the `authenticate` hook returned (`sessionId`, else `userId`).
 * A connection without an identity has no session a hostile page could ride on, so the handshake check skips it;
 * an event that requires a token refuses it as `unauthenticated`, since no token can ever be valid for it.
 */

import type { ReasonCode } from '../../codes/reason-codes.js';
import { deny, type Denied, type Identity } from '../../codes/types.js';
import type { CsrfTokens } from './tokens.js';

export { createCsrfTokens, type CsrfFailure, type CsrfTokens } from './tokens.js';

export function csrfSessionKey(identity: Identity): string {
  return identity.sessionId ?? identity.userId;
}

const ANONYMOUS = deny('unauthenticated', { details: { reason: 'csrf_needs_session' } });

/** null when `token` is valid for the identity's session (or, at the handshake, when there is no identity). */
export function checkCsrfToken(
  tokens: CsrfTokens,
  token: unknown,
  identity: Identity | null,
  stage: 'handshake' | 'event',
): Denied | null {
  if (identity === null) return stage === 'handshake' ? null : ANONYMOUS;
  const failure: ReasonCode | null = tokens.verify(token, csrfSessionKey(identity));
  return failure === null ? null : deny(failure);
}

/**
 * Take the token out of the first payload argument (a plain object), returning the token and the payload the handler
 * should see. The object is copied, never mutated: the caller's reference may be shared.
 */
export function takeCsrfToken(
  payload: readonly unknown[],
  field: string,
): { token: unknown; payload: readonly unknown[] } {
  const first = payload[0];
  if (typeof first !== 'object' || first === null || Array.isArray(first) || !Object.hasOwn(first, field)) {
    return { token: undefined, payload };
  }
  const { [field]: token, ...rest } = first as Record<string, unknown>;
  return { token, payload: [rest, ...payload.slice(1)] };
}
