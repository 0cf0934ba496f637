/**
 * `redisStore`: the store contract on Redis, so that several nodes share rate limits, connection counts, counters,
 * bans and pub/sub. Every read-then-write is one Lua script (atomic, one round trip); see scripts.ts.
 *
 * Outages (rate-limiter-flexible's "insurance" idea): no call waits on Redis longer than `storeTimeoutMs`. The first
 * call that fails marks the store degraded (once), and until a probe finds Redis answering again every call is
 * answered by a local memory store instead — buckets, counters, sets and leases per node. Ban lookups, which only
 * Redis can answer for bans made elsewhere, answer locally in `'open'` mode and refuse with a StoreUnavailableError in
 * `'closed'` mode. Bans written while degraded are written back to Redis on recovery.
 *
 * Token buckets are the per-message call: they take tokens from Redis in batches and answer most calls from this
 * node's memory (token-reservations.ts), so a message costs well under one round trip.
 */

import type { Awaitable } from '../../codes/types.js';
import { StoreUnavailableError } from '../errors.js';
import { memoryStore, type MemoryStore } from '../memory.js';
import type { Ban, CounterResult, LeaseResult, Store, StoreHealth, TokenBucketResult, TokenBucketSpec, Unsubscribe } from '../types.js';
import { LruMap } from '../../util/lru-map.js';
import { decodeBan, encodeBan } from './ban-codec.js';
import { withDeadline } from './deadline.js';
import { RedisHealth } from './health.js';
import { redisKeys, type RedisKeys } from './keys.js';
import { resolveRedisStoreOptions, type RedisStoreOptions, type ResolvedRedisStoreOptions } from './options.js';
import { isOutage } from './outage.js';
import { RedisPubSub } from './pubsub.js';
import { runScript, script, type RedisClient, type Script } from './script-runner.js';
import * as lua from './scripts.js';
import { TokenReservations, type Grant } from './token-reservations.js';

export interface RedisStore extends Store {
  readonly name: 'redis';
  readonly shared: true;
  /** `nodeTimeoutMs`: connection slots of a node that stopped renewing them are gone this long after. */
  readonly leaseTtlMs: number;
  /** The options as resolved (frozen). */
  readonly options: ResolvedRedisStoreOptions;
  /** True while Redis is failing and calls are answered locally. */
  readonly degraded: boolean;
  onHealthChange(listener: (state: StoreHealth, error?: string) => void): () => void;
  /** Ends the store's own subscriber connection and timers; the client you passed stays open. */
  close(): Promise<void>;
}

/**
 * A store on an ioredis client (`new Redis(url)`, a Sentinel client, or `new Cluster(nodes)`): pass it as
 * `config.store` on every node. The store never closes your client; `close()` ends only its own subscriber connection.
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL, { commandTimeout: 250 });
 * const guard = createGuard({ store: redisStore(redis, { keyPrefix: 'chat:' }) });
 */
export function redisStore(client: RedisClient, options: RedisStoreOptions = {}): RedisStore {
  return new RedisBackedStore(client, resolveRedisStoreOptions(options));
}

const SCRIPTS = {
  reserveTokens: script(lua.RESERVE_TOKENS),
  increment: script(lua.INCREMENT),
  setAdd: script(lua.SET_ADD),
  setRemove: script(lua.SET_REMOVE),
  acquireLease: script(lua.ACQUIRE_LEASE),
  renewLeases: script(lua.RENEW_LEASES),
  leaseCount: script(lua.LEASE_COUNT),
  addBan: script(lua.ADD_BAN),
  removeBan: script(lua.REMOVE_BAN),
  listBanKeys: script(lua.LIST_BAN_KEYS),
} satisfies Record<string, Script>;

/** Holders renewed per script call: keeps one call's arguments (and the time Redis spends in it) small. */
const RENEW_CHUNK = 500;
/** Keys per MGET when listing bans. */
const LIST_CHUNK = 500;
/** A mirrored slot must never be refused locally: the limit was enforced by Redis. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

class RedisBackedStore implements RedisStore {
  readonly name = 'redis';
  readonly shared = true;
  readonly leaseTtlMs: number;
  readonly options: ResolvedRedisStoreOptions;

  readonly #client: RedisClient;
  readonly #keys: RedisKeys;
  readonly #timeoutMs: number;
  /** The local answers while Redis fails; it also mirrors this node's connection slots, so local caps count them. */
  readonly #insurance: MemoryStore;
  readonly #health: RedisHealth;
  readonly #pubsub: RedisPubSub;
  /** Bans added (or lifted: null) while degraded, written to Redis on recovery. Bounded like the insurance store. */
  readonly #unsyncedBans: LruMap<string, Ban | null>;
  /** Token batches taken from Redis and handed out locally; null with `tokenBatch: 1` (every call asks Redis). */
  readonly #reservations: TokenReservations | null;
  #closed = false;

  constructor(client: RedisClient, options: ResolvedRedisStoreOptions) {
    this.#client = client;
    this.options = options;
    this.leaseTtlMs = options.nodeTimeoutMs;
    this.#timeoutMs = options.storeTimeoutMs;
    this.#keys = redisKeys(options.keyPrefix);
    this.#insurance = memoryStore({ maxKeys: options.maxKeys, onError: options.onError });
    this.#unsyncedBans = new LruMap(options.maxKeys);
    this.#health = new RedisHealth({
      probeIntervalMs: options.probeIntervalMs,
      probeTimeoutMs: options.storeTimeoutMs,
      probe: () => client.ping(),
      onRecovered: () => this.#syncBans(),
      onListenerError: options.onError,
    });
    this.#pubsub = new RedisPubSub({
      client,
      timeoutMs: options.storeTimeoutMs,
      failed: (error) => this.#failed(error),
      onError: options.onError,
    });
    this.#reservations =
      options.tokenBatch === 1
        ? null
        : new TokenReservations({
            batch: options.tokenBatch,
            reservationMs: options.reservationMs,
            maxKeys: options.maxKeys,
            degraded: () => this.#health.degraded,
            reserve: (key, spec, cost, want) => this.#call(() => this.#reserve(key, spec, cost, want), readGrant, () => null),
            fallback: (key, spec, cost) => this.#insurance.consumeTokens(key, spec, cost),
          });
  }

  get degraded(): boolean {
    return this.#health.degraded;
  }

  onHealthChange(listener: (state: StoreHealth, error?: string) => void): () => void {
    return this.#health.listen(listener);
  }

  consumeTokens(key: string, spec: TokenBucketSpec, cost = 1): Awaitable<TokenBucketResult> {
    const { capacity, refillPerSecond } = spec;
    if (!(capacity > 0 && capacity < Infinity && refillPerSecond > 0 && refillPerSecond < Infinity && cost >= 0 && cost < Infinity)) {
      throw new RangeError(`invalid token bucket: capacity ${capacity}, refillPerSecond ${refillPerSecond}, cost ${cost}`);
    }
    if (this.#closed) throw closedError();
    if (this.#reservations !== null) return this.#reservations.consume(key, spec, cost);
    return this.#call(
      () => this.#reserve(key, spec, cost, cost),
      (reply) => {
        const grant = readGrant(reply);
        return { allowed: grant.allowed, remaining: grant.remaining, retryAfterMs: grant.retryAfterMs };
      },
      () => this.#insurance.consumeTokens(key, spec, cost),
    );
  }

  resetTokens(key: string): Awaitable<void> {
    this.#insurance.resetTokens(key);
    this.#reservations?.forget(key);
    return this.#call(() => this.#client.del(this.#keys.bucket(key)), nothing, nothing);
  }

  increment(key: string, ttlMs: number, by = 1): Awaitable<CounterResult> {
    checkTtl(ttlMs);
    if (!Number.isFinite(by)) throw new RangeError(`increment must be finite, got ${by}`);
    return this.#call(
      () => runScript(this.#client, SCRIPTS.increment, [this.#keys.counter(key)], [wholeMs(ttlMs), by]),
      readCounter,
      () => this.#insurance.increment(key, ttlMs, by),
    );
  }

  getCounter(key: string): Awaitable<number> {
    return this.#call(
      () => this.#client.get(this.#keys.counter(key)),
      (value) => (value === null ? 0 : Number(value)),
      () => this.#insurance.getCounter(key),
    );
  }

  setAdd(key: string, member: string, ttlMs: number): Awaitable<number> {
    checkTtl(ttlMs);
    return this.#call(
      () => runScript(this.#client, SCRIPTS.setAdd, [this.#keys.set(key)], [member, wholeMs(ttlMs), this.options.maxKeys]),
      Number,
      () => this.#insurance.setAdd(key, member, ttlMs),
    );
  }

  setRemove(key: string, member: string): Awaitable<number> {
    return this.#call(
      () => runScript(this.#client, SCRIPTS.setRemove, [this.#keys.set(key)], [member]),
      Number,
      () => this.#insurance.setRemove(key, member),
    );
  }

  setMembers(key: string): Awaitable<readonly string[]> {
    return this.#call(
      () => this.#client.smembers(this.#keys.set(key)),
      (members) => members,
      () => this.#insurance.setMembers(key),
    );
  }

  acquireLease(key: string, holder: string, limit: number, ttlMs: number): Awaitable<LeaseResult> {
    checkTtl(ttlMs);
    if (!(limit >= 0)) throw new RangeError(`lease limit must be >= 0, got ${limit}`);
    return this.#call(
      () => runScript(this.#client, SCRIPTS.acquireLease, [this.#keys.lease(key)], [holder, limit, wholeMs(ttlMs)]),
      (reply) => {
        const result = readLease(reply);
        // Mirrored, so that while Redis fails this node's caps still count the connections it already holds.
        if (result.acquired && !this.#closed) this.#insurance.acquireLease(key, holder, NO_LIMIT, ttlMs);
        return result;
      },
      () => this.#insurance.acquireLease(key, holder, limit, ttlMs),
    );
  }

  releaseLease(key: string, holder: string): Awaitable<void> {
    if (this.#closed) throw closedError();
    this.#insurance.releaseLease(key, holder);
    return this.#call(() => this.#client.zrem(this.#keys.lease(key), holder), nothing, nothing);
  }

  renewLeases(key: string, holders: readonly string[], ttlMs: number): Awaitable<void> {
    checkTtl(ttlMs);
    if (this.#closed) throw closedError();
    this.#insurance.renewLeases(key, holders, ttlMs);
    if (holders.length === 0) return undefined;
    const redisKey = this.#keys.lease(key);
    const ttl = wholeMs(ttlMs);
    return this.#call(
      () => {
        const calls: Promise<unknown>[] = [];
        for (let i = 0; i < holders.length; i += RENEW_CHUNK) {
          calls.push(runScript(this.#client, SCRIPTS.renewLeases, [redisKey], [ttl, ...holders.slice(i, i + RENEW_CHUNK)]));
        }
        return Promise.all(calls);
      },
      nothing,
      nothing,
    );
  }

  leaseCount(key: string): Awaitable<number> {
    return this.#call(
      () => runScript(this.#client, SCRIPTS.leaseCount, [this.#keys.lease(key)], []),
      Number,
      () => this.#insurance.leaseCount(key),
    );
  }

  addBan(ban: Ban): Awaitable<void> {
    return this.#call(
      () => this.#writeBan(ban),
      nothing,
      () => {
        this.#insurance.addBan(ban);
        this.#unsyncedBans.set(ban.key, ban);
      },
    );
  }

  getBan(key: string): Awaitable<Ban | null> {
    return this.#call(
      () => this.#client.get(this.#keys.ban(key)),
      (text) => decodeBan(text, Date.now()),
      () => this.#banFallback(() => this.#insurance.getBan(key)),
    );
  }

  removeBan(key: string): Awaitable<boolean> {
    return this.#call(
      () => runScript(this.#client, SCRIPTS.removeBan, [this.#keys.ban(key), this.#keys.banIndex], [key]),
      (existed) => existed === 1,
      () => {
        this.#unsyncedBans.set(key, null);
        return this.#insurance.removeBan(key);
      },
    );
  }

  listBans(): Awaitable<readonly Ban[]> {
    return this.#call(
      () => this.#readBans(),
      (bans) => bans,
      () => this.#banFallback(() => this.#insurance.listBans()),
    );
  }

  publish(channel: string, message: string): Awaitable<void> {
    const name = this.#keys.channel(channel);
    return this.#call(
      () => this.#client.publish(name, message),
      nothing,
      // Other nodes are out of reach; this process's own subscribers still hear it, as they would through Redis.
      () => this.#pubsub.deliverLocally(name, message),
    );
  }

  subscribe(channel: string, handler: (message: string) => void): Awaitable<Unsubscribe> {
    if (this.#closed) throw closedError();
    return this.#pubsub.subscribe(this.#keys.channel(channel), handler);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#health.close();
    this.#pubsub.close();
    this.#insurance.close();
    this.#unsyncedBans.clear();
    this.#reservations?.clear();
    return Promise.resolve();
  }

  /**
   * One store call: Redis within the deadline, else (and from then on, until Redis is back) the local answer.
   * Going over a limit is a reply like any other; only an outage switches to the fallback, and any other error (a
   * bug: Redis refused the command) rejects.
   */
  #call<R, T>(send: () => Promise<R>, read: (reply: R) => T, fallback: () => T): Awaitable<T> {
    if (this.#closed) throw closedError();
    if (this.#health.degraded) return fallback();
    let sent: Promise<R>;
    try {
      sent = send();
    } catch (error) {
      sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return withDeadline(sent, this.#timeoutMs).then(read, (error: unknown) => {
      if (!isOutage(error) || this.#closed) throw error;
      this.#failed(error);
      return fallback();
    });
  }

  /** `cost` tokens from the shared bucket, and up to `want` when it holds that many (one script call). */
  #reserve(key: string, spec: TokenBucketSpec, cost: number, want: number): Promise<unknown> {
    return runScript(this.#client, SCRIPTS.reserveTokens, [this.#keys.bucket(key)], [spec.capacity, spec.refillPerSecond, cost, want]);
  }

  #failed(error: unknown): void {
    this.#health.failed(error);
  }

  /** Ban lookups while Redis fails: what this node knows (`'open'`), or a refusal (`'closed'`). */
  #banFallback<T>(local: () => T): T {
    if (this.options.redisFailureMode === 'open') return local();
    throw new StoreUnavailableError('Redis is unavailable and redisFailureMode is closed', this.options.probeIntervalMs);
  }

  #writeBan(ban: Ban, onlyIfAbsent = false): Promise<unknown> {
    const keys = [this.#keys.ban(ban.key), this.#keys.banIndex];
    const args = [encodeBan(ban), ban.expiresAt === null ? '' : ban.expiresAt, ban.key, onlyIfAbsent ? 'nx' : ''];
    return runScript(this.#client, SCRIPTS.addBan, keys, args);
  }

  async #readBans(): Promise<readonly Ban[]> {
    const keys = (await runScript(this.#client, SCRIPTS.listBanKeys, [this.#keys.banIndex], [])) as string[];
    const bans: Ban[] = [];
    const now = Date.now();
    for (let i = 0; i < keys.length; i += LIST_CHUNK) {
      // One slot ({bans}), so one MGET works on a Redis Cluster too.
      const texts = await this.#client.mget(keys.slice(i, i + LIST_CHUNK).map((key) => this.#keys.ban(key)));
      for (const text of texts) {
        const ban = decodeBan(text, now);
        if (ban !== null) bans.push(ban);
      }
    }
    return bans;
  }

  /**
   * Write back the bans added and lifted while Redis was away, so other nodes' handshakes see them from now on. A
   * ban added meanwhile by another node (in Redis) is not replaced by this node's.
   */
  #syncBans(): void {
    const pending = [...this.#unsyncedBans.entries()];
    this.#unsyncedBans.clear();
    for (const [key, ban] of pending) {
      const write =
        ban === null
          ? runScript(this.#client, SCRIPTS.removeBan, [this.#keys.ban(key), this.#keys.banIndex], [key])
          : this.#writeBan(ban, true);
      write.catch((error: unknown) => this.options.onError(error));
    }
  }
}

function readGrant(reply: unknown): Grant {
  const [allowed, granted, remaining, retryAfterMs] = reply as [number, string, number, number];
  return { allowed: allowed === 1, granted: Number(granted), remaining, retryAfterMs };
}

function readCounter(reply: unknown): CounterResult {
  const [value, resetInMs] = reply as [string, number];
  return { value: Number(value), resetInMs };
}

function readLease(reply: unknown): LeaseResult {
  const [acquired, count] = reply as [number, number];
  return { acquired: acquired === 1, count };
}

function nothing(): undefined {
  return undefined;
}

function closedError(): Error {
  return new Error('store closed');
}

function checkTtl(ttlMs: number): void {
  // Every key must have a bounded lifetime (the contract), so neither 0, negative, NaN nor Infinity.
  if (!(ttlMs > 0 && ttlMs < Infinity)) throw new RangeError(`ttlMs must be a positive finite number, got ${ttlMs}`);
}

/** Redis expiries are whole milliseconds; rounding up never ends a window early. */
function wholeMs(ms: number): number {
  return Math.ceil(ms);
}
