/**
 * The Redis store's options: defaults, checks with messages that name the option and the fix, resolved once.
 */

export type RedisFailureMode = 'open' | 'closed';

export interface RedisStoreOptions {
  /**
   * Prefix of every key and pub/sub channel, one per deployment sharing a Redis (`'chat-prod:'`). It must not hold
   * `{` or `}`: those would change the Redis Cluster hash slot of the keys. Default `'wsguard:'`.
   */
  readonly keyPrefix?: string;
  /**
   * How soon the connection counts of a node that died without closing its sockets (SIGKILL, power loss) disappear,
   * in ms: each node renews its connections' slots every third of it. Shorter frees slots sooner and costs more
   * renewals (one script call per connected IP group and user every `nodeTimeoutMs / 3`). At least twice
   * `storeTimeoutMs`. Default 15_000.
   */
  readonly nodeTimeoutMs?: number;
  /**
   * Longest a store call waits for Redis, in ms. Past it the call answers from the local fallback (or refuses, see
   * `redisFailureMode`) and the store counts as degraded until Redis answers a probe. Setting ioredis's own
   * `commandTimeout` on the client as well lets ioredis drop the abandoned command. Default 250.
   */
  readonly storeTimeoutMs?: number;
  /**
   * What happens, while Redis fails, to the checks that have no meaningful local answer — ban lookups, since bans made
   * on other nodes are only in Redis: `'open'` answers from what this node knows (its own bans and those it has
   * seen), `'closed'` refuses the connection with `store_unavailable` (503). Rate limits, connection counts, counters
   * and sets fall back to this node's memory either way. Default `'open'`.
   */
  readonly redisFailureMode?: RedisFailureMode;
  /** While degraded, how often Redis is asked whether it is back (a PING), in ms. Default 1_000. */
  readonly probeIntervalMs?: number;
  /**
   * Most keys the local fallback keeps per structure (and the local token reservations, see `tokenBatch`), and most
   * members of one set (in Redis too). Default 100_000.
   */
  readonly maxKeys?: number;
  /**
   * Tokens a node takes from a shared token bucket per Redis round trip, then hands out locally with no round trip
   * (`consumeTokens`). `'auto'` sizes the batch per bucket: a tenth of its burst and at most what it refills in
   * `reservationMs`, between 1 and 1,024. A number fixes it; `1` is exact: one round trip per call, nothing kept locally.
   * Tokens are taken before they are used: over any stretch of time the cluster serves at most what the bucket allows
   * plus what the nodes held when it began (N × batch for N nodes), and a client spread over N nodes may be refused
   * early by at most (N − 1) × batch tokens, held by the other nodes until they lapse. Default `'auto'`; example:
   * `tokenBatch: 1` where a limit must hold exactly at every instant.
   */
  readonly tokenBatch?: 'auto' | number;
  /**
   * How long tokens reserved by `tokenBatch` stay usable on the node that took them, in ms; unused ones then lapse
   * (never returned to Redis). Default 1_000; example: `reservationMs: 250` for buckets of a few seconds' traffic.
   */
  readonly reservationMs?: number;
  /**
   * Receives what a pub/sub handler or a health listener throws, and a ban that could not be written back to Redis
   * after an outage. Connection errors are not reported here (the store degrades instead). Default: a process warning.
   */
  readonly onError?: (err: unknown) => void;
}

export interface ResolvedRedisStoreOptions {
  readonly keyPrefix: string;
  readonly nodeTimeoutMs: number;
  readonly storeTimeoutMs: number;
  readonly redisFailureMode: RedisFailureMode;
  readonly probeIntervalMs: number;
  readonly maxKeys: number;
  readonly tokenBatch: 'auto' | number;
  readonly reservationMs: number;
  readonly onError: (err: unknown) => void;
}

export const REDIS_STORE_DEFAULTS: Readonly<Omit<ResolvedRedisStoreOptions, 'onError'>> = Object.freeze({
  keyPrefix: 'wsguard:',
  nodeTimeoutMs: 15_000,
  storeTimeoutMs: 250,
  redisFailureMode: 'open',
  probeIntervalMs: 1_000,
  maxKeys: 100_000,
  tokenBatch: 'auto',
  reservationMs: 1_000,
});

/** Node turns longer timer delays into 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
/** Catches a typo, not a recommendation: past a few dozen a batch saves almost no round trips and withholds more. */
const MAX_TOKEN_BATCH = 1_000_000;
/** Below this a renewal (every third of it) could not finish before the slot expires on a loaded Redis. */
const MIN_NODE_TIMEOUT_MS = 300;

function checkMs(name: string, value: number, min: number): void {
  if (!(Number.isFinite(value) && value >= min && value <= MAX_TIMER_MS)) {
    throw new RangeError(`redisStore: ${name} must be a number of milliseconds between ${min} and ${MAX_TIMER_MS}, got ${String(value)}`);
  }
}

export function resolveRedisStoreOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  const keyPrefix = options.keyPrefix ?? REDIS_STORE_DEFAULTS.keyPrefix;
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new TypeError(`redisStore: keyPrefix must be a string without { or } (they pick the Redis Cluster slot), got ${JSON.stringify(keyPrefix)}`);
  }
  const storeTimeoutMs = options.storeTimeoutMs ?? REDIS_STORE_DEFAULTS.storeTimeoutMs;
  checkMs('storeTimeoutMs', storeTimeoutMs, 1);
  const nodeTimeoutMs = options.nodeTimeoutMs ?? REDIS_STORE_DEFAULTS.nodeTimeoutMs;
  checkMs('nodeTimeoutMs', nodeTimeoutMs, MIN_NODE_TIMEOUT_MS);
  if (nodeTimeoutMs < 2 * storeTimeoutMs) {
    throw new RangeError(
      `redisStore: nodeTimeoutMs (${nodeTimeoutMs}) must be at least twice storeTimeoutMs (${storeTimeoutMs}), so that a renewal finishes before the slots it renews expire`,
    );
  }
  const redisFailureMode = options.redisFailureMode ?? REDIS_STORE_DEFAULTS.redisFailureMode;
  if (redisFailureMode !== 'open' && redisFailureMode !== 'closed') {
    throw new TypeError(`redisStore: redisFailureMode must be 'open' or 'closed', got ${JSON.stringify(redisFailureMode)}`);
  }
  const probeIntervalMs = options.probeIntervalMs ?? REDIS_STORE_DEFAULTS.probeIntervalMs;
  checkMs('probeIntervalMs', probeIntervalMs, 10);
  const maxKeys = options.maxKeys ?? REDIS_STORE_DEFAULTS.maxKeys;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`redisStore: maxKeys must be a positive integer, got ${String(maxKeys)}`);
  const tokenBatch = options.tokenBatch ?? REDIS_STORE_DEFAULTS.tokenBatch;
  if (tokenBatch !== 'auto' && !(Number.isInteger(tokenBatch) && tokenBatch >= 1 && tokenBatch <= MAX_TOKEN_BATCH)) {
    throw new RangeError(`redisStore: tokenBatch must be 'auto' or an integer between 1 (exact) and ${MAX_TOKEN_BATCH}, got ${JSON.stringify(tokenBatch)}`);
  }
  const reservationMs = options.reservationMs ?? REDIS_STORE_DEFAULTS.reservationMs;
  checkMs('reservationMs', reservationMs, 1);
  return Object.freeze({
    keyPrefix,
    nodeTimeoutMs,
    storeTimeoutMs,
    redisFailureMode,
    probeIntervalMs,
    maxKeys,
    tokenBatch,
    reservationMs,
    onError: options.onError ?? warnStoreError,
  });
}

function warnStoreError(err: unknown): void {
  process.emitWarning('the Redis store caught an error', {
    type: 'WsguardRedisStoreError',
    detail: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
}
