/**
 * CSRF tokens bound to a session: `v1.<nonce>.<issuedAt>.<sessionTag>.<mac>`, all base64url.
 *
 * - `nonce`: 16 random bytes, so two tokens for one session never repeat.
 * - `issuedAt`: epoch ms (base 36), for `csrfTokenTtlMs`.
 * - `sessionTag`: HMAC-SHA256(secret, "session|" + sessionId), truncated to 16 bytes. It binds the token to the session
 *   without carrying the session id, and lets a valid token presented by another session be told apart
 *   (`csrf_session_mismatch`) from a forged one (`csrf_invalid`).
 * - `mac`: HMAC-SHA256(secret, "v1|" + nonce + "|" + issuedAt + "|" + sessionTag), compared in constant time.
 *
 * Several secrets may be configured for rotation: the first signs, every one verifies. Node's crypto does the work;
 * no library adds anything here that these dozen lines do not. Each secret is made a `KeyObject` once: an HMAC keyed
 * by one costs some 15% less than one keyed by a string, which is converted on every call (two HMACs per handshake).
 */

import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

export type CsrfFailure = 'csrf_missing' | 'csrf_invalid' | 'csrf_expired' | 'csrf_session_mismatch';

export interface CsrfTokens {
  /** A fresh token for `sessionId`. */
  issue(sessionId: string): { token: string; expiresAt: number };
  /** null when the token is valid for `sessionId` now; otherwise why not. */
  verify(token: unknown, sessionId: string): CsrfFailure | null;
  /** When a token (already verified) stops being valid, in epoch ms. */
  expiresAt(token: string): number;
}

const VERSION = 'v1';
const TAG_BYTES = 16;
/** Longest token we bother parsing: a client sending a megabyte "token" gets `csrf_invalid` without hashing it. */
const MAX_TOKEN_LENGTH = 256;

function hmac(secret: KeyObject, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

function sessionTag(secret: KeyObject, sessionId: string): string {
  return hmac(secret, `session|${sessionId}`).subarray(0, TAG_BYTES).toString('base64url');
}

function mac(secret: KeyObject, nonce: string, issuedAt: string, tag: string): Buffer {
  return hmac(secret, `${VERSION}|${nonce}|${issuedAt}|${tag}`);
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createCsrfTokens(options: {
  readonly secrets: readonly string[];
  readonly ttlMs: number;
  readonly now: () => number;
}): CsrfTokens {
  const { ttlMs, now } = options;
  // As `createHmac` keys a string: its UTF-8 bytes.
  const secrets = options.secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')));
  const signer = secrets[0];
  if (signer === undefined) throw new Error('CSRF tokens need at least one secret');

  return {
    issue(sessionId) {
      const issued = now();
      const nonce = randomBytes(16).toString('base64url');
      const issuedAt = issued.toString(36);
      const tag = sessionTag(signer, sessionId);
      const signature = mac(signer, nonce, issuedAt, tag).toString('base64url');
      return { token: `${VERSION}.${nonce}.${issuedAt}.${tag}.${signature}`, expiresAt: issued + ttlMs };
    },

    verify(token, sessionId) {
      if (token === undefined || token === null || token === '') return 'csrf_missing';
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return 'csrf_invalid';
      const parts = token.split('.');
      if (parts.length !== 5 || parts[0] !== VERSION) return 'csrf_invalid';
      const [, nonce = '', issuedAt = '', tag = '', signature = ''] = parts;
      const given = Buffer.from(signature, 'base64url');
      // Which secret signed it decides the session tag to compare with.
      const secret = secrets.find((s) => equal(mac(s, nonce, issuedAt, tag), given));
      if (secret === undefined) return 'csrf_invalid';
      if (!equal(Buffer.from(sessionTag(secret, sessionId)), Buffer.from(tag))) return 'csrf_session_mismatch';
      const issued = parseInt(issuedAt, 36);
      if (!Number.isFinite(issued) || now() - issued > ttlMs || issued - now() > 60_000) return 'csrf_expired';
      return null;
    },

    expiresAt(token) {
      return parseInt(token.split('.')[2] ?? '', 36) + ttlMs;
    },
  };
}
