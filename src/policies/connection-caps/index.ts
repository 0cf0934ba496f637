/**
 * Caps on live connections per IP group and per user, counted as store leases held by connection ids.
 *
 * A lease (rather than a counter) is what makes the count exact: releasing twice is harmless, and a process that
 * dies without releasing stops renewing, so its share expires instead of leaking for ever.
 */

import { deny, type Awaitable, type Denied } from '../../codes/types.js';
import type { LeaseResult, Store } from '../../stores/types.js';

/**
 * How long a slot lives without renewal, unless the store sets its own (`Store.leaseTtlMs`); the guard renews held
 * slots every third of it.
 */
export const LEASE_TTL_MS = 60_000;

/**
 * `retryAfterMs` of a cap refusal. A slot frees when one of the holder's own connections ends, which nobody can
 * predict; this is a hint that keeps well-behaved clients from retrying in a tight loop.
 */
export const CAP_RETRY_AFTER_MS = 5_000;

export function ipLeaseKey(ipGroup: string): string {
  return `conn:ip:${ipGroup}`;
}

export function userLeaseKey(userId: string): string {
  return `conn:user:${userId}`;
}

/** Take a slot under `key`; a refusal when `limit` are held. Synchronous when the store is (the memory store). */
export function acquireSlot(
  store: Store,
  key: string,
  holder: string,
  limit: number,
  code: 'too_many_connections_ip' | 'too_many_connections_user',
  ttlMs: number = LEASE_TTL_MS,
): Awaitable<Denied | null> {
  const result = store.acquireLease(key, holder, limit, ttlMs);
  const verdict = (lease: LeaseResult): Denied | null =>
    lease.acquired ? null : deny(code, { retryAfterMs: CAP_RETRY_AFTER_MS, details: { limit } });
  return result instanceof Promise ? result.then(verdict) : verdict(result);
}
