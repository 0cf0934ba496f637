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

export function consumeToken(
  store: Store,
  key: string,
  spec: TokenBucketSpec,
  code: ReasonCode,
): Awaitable<Denied | null> {
  const result = store.consumeTokens(key, spec, 1);
  if (result instanceof Promise) return result.then((r) => toVerdict(r, code));
  return toVerdict(result, code);
}
