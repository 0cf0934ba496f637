/**
 * Running the user's `authenticate` hook safely: bounded by `authTimeoutMs`, a throw or a rejection or a malformed
 * identity becomes an `unauthenticated` refusal and an `auth_hook_failed` event, never a crash. Shared by the
 * connection checks and the CSRF token endpoint, which identifies HTTP requests with the same hook.
 */

import { deny, type AuthRequest, type Awaitable, type Denied, type Identity } from '../codes/types.js';
import type { AuthenticateHook } from '../config/types.js';
import type { SecurityEventInput } from '../events/catalogue.js';

export type AuthOutcome = { readonly identity: Identity | null } | { readonly failure: Denied };

/**
 * Synchronous when the hook is (a JWT verified in memory): no promise for the caller to wait a turn for (`await` it
 * either way).
 */
export type Authenticator = (
  request: AuthRequest,
  fields: { readonly namespace?: string; readonly connectionId?: string },
) => Awaitable<AuthOutcome>;

type AuthFields = Parameters<Authenticator>[1];

const ANONYMOUS: AuthOutcome = Object.freeze({ identity: null });
const HOOK_FAILED = deny('unauthenticated', { details: { reason: 'hook_failed' } });
const EXPIRED = deny('unauthenticated', { details: { reason: 'credentials_expired' } });

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export function createAuthenticator(options: {
  readonly hook: AuthenticateHook | null;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly emit: (event: SecurityEventInput) => void;
}): Authenticator {
  const { hook, timeoutMs, now, emit } = options;

  const failed = (request: AuthRequest, fields: AuthFields, error: string): AuthOutcome => {
    emit({ type: 'auth_hook_failed', ip: request.ip, ...fields, detail: { error } });
    return { failure: HOOK_FAILED };
  };

  /** What the hook's answer means. */
  const outcome = (request: AuthRequest, fields: AuthFields, identity: Identity | null | undefined): AuthOutcome => {
    if (identity === null || identity === undefined) return ANONYMOUS;
    if (typeof identity !== 'object' || typeof identity.userId !== 'string' || identity.userId === '' || !Array.isArray(identity.roles)) {
      return failed(request, fields, 'authenticate returned an identity without a userId string and a roles array');
    }
    if (identity.expiresAt !== undefined && identity.expiresAt <= now()) return { failure: EXPIRED };
    return { identity };
  };

  return (request, fields) => {
    if (!hook) return ANONYMOUS;
    let answer: Identity | null | undefined | PromiseLike<Identity | null | undefined>;
    try {
      answer = hook(request);
    } catch (error) {
      return failed(request, fields, error instanceof Error ? error.message : String(error));
    }
    // A synchronous hook answers at once: no timer, no promise. Only a promise is timed.
    if (!isThenable(answer)) return outcome(request, fields, answer);
    return withTimeout(Promise.resolve(answer), timeoutMs).then(
      (identity) => outcome(request, fields, identity),
      (error: unknown) => failed(request, fields, error instanceof Error ? error.message : String(error)),
    );
  };
}
