/**
 * Token-bucket rate limits through the store. The memory store answers synchronously, so with it a message costs
 * no promise here; a network store's promise is passed through untouched.
 */

import type { ReasonCode } from '../../codes/reason-codes.js';
import { deny, type Awaitable, type Denied } from '../../codes/types.js';
import type { Store, TokenBucketResult, TokenBucketSpec } from '../../stores/types.js';

function toVerdict(result: TokenBucketResult, code: ReasonCode): Denied | null {
  return result.allowed ? null : deny(code, { retryAfterMs: result.retryAfterMs });
}

/**
 * Tokens one request costs while its sender is throttled by the abuse detector (`factor` < 1): the same bucket drains
 * `1 / factor` times faster, which needs no second bucket or spec. Capped at the bucket's size, since a cost above it
 * could never be paid.
 */
export function throttledCost(factor: number | null, spec: TokenBucketSpec): number {
  if (factor === null) return 1;
  return Math.max(1, Math.min(Math.round(1 / factor), Math.floor(spec.capacity)));
}

export function consumeToken(
  store: Store,
  key: string,
  spec: TokenBucketSpec,
  code: ReasonCode,
  cost = 1,
): Awaitable<Denied | null> {
  const result = store.consumeTokens(key, spec, cost);
  if (result instanceof Promise) return result.then((r) => toVerdict(r, code));
  return toVerdict(result, code);
}
