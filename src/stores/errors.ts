/**
 * The one store fault with a meaning of its own: the store's backend is unreachable and the store was set to refuse
 * (`redisFailureMode: 'closed'`) what it cannot answer locally. The guard refuses with `store_unavailable` (503,
 * retryable) instead of `internal_error`.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';

  constructor(
    message: string,
    /** A hint for the client's retry: when the store next checks whether its backend is back. */
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** Recognised by its code, not by `instanceof`: two copies of wsguard (ESM and CJS builds) may meet in one process. */
export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof Error && (error as { code?: unknown }).code === 'store_unavailable';
}
