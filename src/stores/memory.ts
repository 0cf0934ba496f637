import { LruMap } from '../util/lru-map.js';
import type { Ban, CounterResult, LeaseResult, Store, TokenBucketResult, TokenBucketSpec } from './types.js';

export interface MemoryStoreOptions {
  /**
   * Most keys kept in each structure (buckets, counters, sets, bans), and most members in one set; the least
   * recently used go first. Default 100_000.
   */
  readonly maxKeys?: number;
  /** Clock in epoch milliseconds; injectable for tests. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * How often expired state is dropped, in milliseconds. The timer never keeps the process alive. `0` turns it off
   * (call `sweep()` yourself). Default 10_000.
   */
  readonly sweepIntervalMs?: number;
  /** Receives what a subscriber throws; must not throw itself. Default: a process warning. */
  readonly onError?: (err: unknown) => void;
}

/** How many entries each structure holds, counting what the sweep has not dropped yet (expired, or emptied sets). */
export interface MemoryStoreStats {
  readonly buckets: number;
  readonly counters: number;
  readonly sets: number;
  readonly leaseKeys: number;
  readonly bans: number;
  readonly channels: number;
}

/**
 * The memory store's view of the contract: every method answers synchronously, so callers holding a `MemoryStore`
 * may use the results without `await`.
 */
export interface MemoryStore extends Store {
  readonly name: 'memory';
  readonly shared: false;
  /**
   * A `cost` above `spec.capacity` can never be met: it is refused without touching the bucket, and `retryAfterMs`
   * is the time the bucket takes to fill from empty, so a caller relaying it sends a finite, non-zero back-off
   * rather than 0 or Infinity. Callers should catch such costs earlier (it is a size problem, not a rate).
   */
  consumeTokens(key: string, spec: TokenBucketSpec, cost?: number): TokenBucketResult;
  resetTokens(key: string): void;
  increment(key: string, ttlMs: number, by?: number): CounterResult;
  getCounter(key: string): number;
  /** A set holds at most `maxKeys` members: past that, new members are not added (the size stays at the cap). */
  setAdd(key: string, member: string, ttlMs: number): number;
  /** Leaves the set's expiry as it was (there is no `ttlMs` to renew it with). */
  setRemove(key: string, member: string): number;
  setMembers(key: string): readonly string[];
  acquireLease(key: string, holder: string, limit: number, ttlMs: number): LeaseResult;
  releaseLease(key: string, holder: string): void;
  /** Holders whose slot has already expired are not brought back. */
  renewLeases(key: string, holders: readonly string[], ttlMs: number): void;
  leaseCount(key: string): number;
  addBan(ban: Ban): void;
  getBan(key: string): Ban | null;
  removeBan(key: string): boolean;
  listBans(): readonly Ban[];
  /** Delivery happens in a microtask, to the subscribers present now that are still subscribed then. */
  publish(channel: string, message: string): void;
  /** Each call is its own subscription, even with a handler already subscribed. */
  subscribe(channel: string, handler: (message: string) => void): () => void;
  close(): void;
  /** Drop expired state now (the timer calls this). */
  sweep(): void;
  stats(): MemoryStoreStats;
}

/** A store that keeps everything in this process: for a single instance, tests, and as the default. */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new InMemoryStore(options);
}

const DEFAULT_MAX_KEYS = 100_000;
const DEFAULT_SWEEP_INTERVAL_MS = 10_000;
/** Node turns longer intervals into 1 ms, which would sweep in a busy loop. */
const MAX_TIMER_MS = 2_147_483_647;
/**
 * Refills add up fractions (0.3 + 0.7 may come out a hair under 1). Without this slack a client that waited exactly
 * `retryAfterMs` could be refused again, and a bucket holding 2 tokens could report 1 remaining. What it lets through
 * is a billionth of a token per call.
 */
const FLOAT_SLACK = 1e-9;

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** When the bucket is full again, and so the same as an absent one: the sweep drops it from then on. */
  fullAt: number;
}

interface Counter {
  value: number;
  resetAt: number;
}

interface SetEntry {
  readonly members: Set<string>;
  expiresAt: number;
}

/** A wrapper per subscribe call, so that one Unsubscribe removes exactly its own subscription. */
interface Subscription {
  readonly handler: (message: string) => void;
}

class InMemoryStore implements MemoryStore {
  readonly name = 'memory';
  readonly shared = false;

  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  // Buckets, counters, sets and bans are LRU-capped so that a flood of distinct keys (spoofed users, many IPs)
  // cannot grow memory without bound. The accepted trade-off: under that pressure the least recently used entries
  // are forgotten early, so an evicted bucket starts full again, a counter restarts at zero, a ban is lifted. With
  // the default cap only keys idle through 100_000 newer ones go.
  private readonly buckets: LruMap<string, Bucket>;
  private readonly counters: LruMap<string, Counter>;
  private readonly sets: LruMap<string, SetEntry>;
  private readonly bans: LruMap<string, Ban>;
  /**
   * Permanent bans have a cap of their own, so a flood of temporary bans (many addresses misbehaving at once) can
   * never push a permanent one out. They come only from admins and from escalation (several bans of one key), so
   * this cap is reached far later, if ever.
   */
  private readonly permanentBans: LruMap<string, Ban>;
  // Leases are not evicted: forgetting one would forget a live connection and let its cap be exceeded. They are
  // bounded anyway: a key holds at most `limit` holders, each a live connection, and a holder that stops renewing
  // expires by TTL. A key is dropped as soon as it is empty, so that what is kept stays bounded by live connections
  // rather than by the connection rate times the sweep interval.
  private readonly leases = new Map<string, Holders>();
  /**
   * Lease expiries are kept in milliseconds after this instant: small integers for the store's first twelve days,
   * where an epoch timestamp would be a 16-byte heap number per holder (one per live connection and cap).
   */
  private readonly leaseEpoch: number;
  private readonly channels = new Map<string, Set<Subscription>>();

  constructor(options: MemoryStoreOptions) {
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
    const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (!(sweepIntervalMs >= 0 && sweepIntervalMs <= MAX_TIMER_MS)) {
      throw new RangeError(`sweepIntervalMs must be between 0 and ${MAX_TIMER_MS}, got ${sweepIntervalMs}`);
    }
    this.maxKeys = maxKeys;
    this.now = options.now ?? Date.now;
    this.leaseEpoch = this.now();
    this.onError = options.onError ?? warnSubscriberError;
    this.buckets = new LruMap(maxKeys);
    this.counters = new LruMap(maxKeys);
    this.sets = new LruMap(maxKeys);
    this.bans = new LruMap(maxKeys);
    this.permanentBans = new LruMap(maxKeys);
    if (sweepIntervalMs > 0) {
      this.timer = setInterval(() => this.sweep(), sweepIntervalMs);
      this.timer.unref();
    }
  }

  consumeTokens(key: string, spec: TokenBucketSpec, cost = 1): TokenBucketResult {
    if (this.closed) throw closedError();
    const capacity = spec.capacity;
    const refillPerSecond = spec.refillPerSecond;
    if (!(capacity > 0 && capacity < Infinity && refillPerSecond > 0 && refillPerSecond < Infinity && cost >= 0 && cost < Infinity)) {
      throw new RangeError(`invalid token bucket: capacity ${capacity}, refillPerSecond ${refillPerSecond}, cost ${cost}`);
    }
    const now = this.now();
    const bucket = this.buckets.get(key);
    let tokens = capacity;
    if (bucket !== undefined) {
      // A clock stepping back (Date.now after an NTP correction) must not drain the bucket.
      const elapsed = now > bucket.updatedAt ? now - bucket.updatedAt : 0;
      tokens = Math.min(capacity, bucket.tokens + (elapsed * refillPerSecond) / 1000);
    }
    if (cost > capacity) {
      return { allowed: false, remaining: Math.floor(tokens + FLOAT_SLACK), retryAfterMs: Math.ceil((capacity / refillPerSecond) * 1000) };
    }
    if (tokens + FLOAT_SLACK < cost) {
      return {
        allowed: false,
        remaining: Math.floor(tokens + FLOAT_SLACK),
        retryAfterMs: Math.ceil(((cost - tokens) / refillPerSecond) * 1000),
      };
    }
    tokens = tokens > cost ? tokens - cost : 0;
    const fullAt = now + ((capacity - tokens) / refillPerSecond) * 1000;
    if (bucket !== undefined) {
      bucket.tokens = tokens;
      bucket.updatedAt = now;
      bucket.fullAt = fullAt;
    } else if (tokens < capacity) {
      // A bucket still full (cost 0) is the same as none, so none is created.
      this.buckets.set(key, { tokens, updatedAt: now, fullAt });
    }
    return { allowed: true, remaining: Math.floor(tokens + FLOAT_SLACK), retryAfterMs: 0 };
  }

  resetTokens(key: string): void {
    if (this.closed) throw closedError();
    this.buckets.delete(key);
  }

  increment(key: string, ttlMs: number, by = 1): CounterResult {
    if (this.closed) throw closedError();
    checkTtl(ttlMs);
    if (!Number.isFinite(by)) throw new RangeError(`increment must be finite, got ${by}`);
    const now = this.now();
    const counter = this.counters.get(key);
    if (counter === undefined) {
      this.counters.set(key, { value: by, resetAt: now + ttlMs });
      return { value: by, resetInMs: ttlMs };
    }
    if (counter.resetAt <= now) {
      counter.value = by;
      counter.resetAt = now + ttlMs;
    } else {
      counter.value += by;
    }
    return { value: counter.value, resetInMs: counter.resetAt - now };
  }

  getCounter(key: string): number {
    if (this.closed) throw closedError();
    const counter = this.counters.get(key);
    if (counter === undefined) return 0;
    if (counter.resetAt <= this.now()) {
      this.counters.delete(key);
      return 0;
    }
    return counter.value;
  }

  setAdd(key: string, member: string, ttlMs: number): number {
    if (this.closed) throw closedError();
    checkTtl(ttlMs);
    const now = this.now();
    let entry = this.sets.get(key);
    if (entry === undefined) {
      entry = { members: new Set(), expiresAt: 0 };
      this.sets.set(key, entry);
    } else if (entry.expiresAt <= now) {
      entry.members.clear();
    }
    const members = entry.members;
    // At the cap a new member is left out rather than an old one dropped: dropping the first member of a large
    // Set again and again is slow in V8 (see LruMap), and the count, which is what a cap is about, comes out the same.
    if (members.size < this.maxKeys) members.add(member);
    entry.expiresAt = now + ttlMs;
    return members.size;
  }

  setRemove(key: string, member: string): number {
    if (this.closed) throw closedError();
    const entry = this.liveSet(key);
    if (entry === undefined) return 0;
    // An emptied set stays until it expires (the LRU cap bounds it): deleting and re-adding the same key of a large
    // Map in a loop is slow in V8 (see LruMap).
    entry.members.delete(member);
    return entry.members.size;
  }

  setMembers(key: string): readonly string[] {
    if (this.closed) throw closedError();
    const entry = this.liveSet(key);
    return entry === undefined ? [] : [...entry.members];
  }

  /** An instant as lease expiries are kept: ms after `leaseEpoch`, a small integer while it fits. */
  private leaseTime(epochMs: number): number {
    const ms = epochMs - this.leaseEpoch;
    return ms >= 0 && ms < 0x40000000 && Number.isInteger(ms) ? ms | 0 : ms;
  }

  acquireLease(key: string, holder: string, limit: number, ttlMs: number): LeaseResult {
    if (this.closed) throw closedError();
    checkTtl(ttlMs);
    if (!(limit >= 0)) throw new RangeError(`lease limit must be >= 0, got ${limit}`);
    const clock = this.now();
    const now = this.leaseTime(clock);
    const expiresAt = this.leaseTime(clock + ttlMs);
    const holders = this.leases.get(key);
    let count = 0;
    if (holders !== undefined) {
      count = purgeExpired(holders, now);
      if (holders.has(holder)) {
        holders.set(holder, expiresAt);
        return { acquired: true, count };
      }
    }
    if (count >= limit) {
      if (holders !== undefined && count === 0) this.leases.delete(key);
      return { acquired: false, count };
    }
    if (holders === undefined) this.leases.set(key, new Holders(holder, expiresAt));
    else holders.set(holder, expiresAt);
    return { acquired: true, count: count + 1 };
  }

  releaseLease(key: string, holder: string): void {
    if (this.closed) throw closedError();
    const holders = this.leases.get(key);
    if (holders !== undefined && holders.delete(holder) && holders.size === 0) this.leases.delete(key);
  }

  renewLeases(key: string, holders: readonly string[], ttlMs: number): void {
    if (this.closed) throw closedError();
    checkTtl(ttlMs);
    const current = this.leases.get(key);
    if (current === undefined) return;
    const clock = this.now();
    const now = this.leaseTime(clock);
    const expiresAt = this.leaseTime(clock + ttlMs);
    for (const holder of holders) {
      const held = current.get(holder);
      if (held !== undefined && held > now) current.set(holder, expiresAt);
    }
  }

  leaseCount(key: string): number {
    if (this.closed) throw closedError();
    const holders = this.leases.get(key);
    if (holders === undefined) return 0;
    const count = purgeExpired(holders, this.leaseTime(this.now()));
    if (count === 0) this.leases.delete(key);
    return count;
  }

  addBan(ban: Ban): void {
    if (this.closed) throw closedError();
    this.bans.delete(ban.key);
    this.permanentBans.delete(ban.key);
    // Replacing with a ban that has already ended leaves no active ban.
    if (isExpired(ban, this.now())) return;
    // A copy, frozen, so neither the caller nor a reader can change the stored ban (as with a serialising store).
    const stored: Ban = { key: ban.key, reason: ban.reason, createdAt: ban.createdAt, expiresAt: ban.expiresAt };
    const frozen = Object.freeze(ban.meta === undefined ? stored : { ...stored, meta: Object.freeze({ ...ban.meta }) });
    (ban.expiresAt === null ? this.permanentBans : this.bans).set(ban.key, frozen);
  }

  getBan(key: string): Ban | null {
    if (this.closed) throw closedError();
    const permanent = this.permanentBans.get(key);
    if (permanent !== undefined) return permanent;
    const ban = this.bans.get(key);
    if (ban === undefined) return null;
    if (isExpired(ban, this.now())) {
      this.bans.delete(key);
      return null;
    }
    return ban;
  }

  removeBan(key: string): boolean {
    if (this.closed) throw closedError();
    if (this.permanentBans.delete(key)) return true;
    const ban = this.bans.peek(key);
    if (ban === undefined) return false;
    this.bans.delete(key);
    return !isExpired(ban, this.now());
  }

  listBans(): readonly Ban[] {
    if (this.closed) throw closedError();
    const now = this.now();
    const active: Ban[] = [...this.permanentBans.values()];
    for (const [key, ban] of this.bans.entries()) {
      if (isExpired(ban, now)) this.bans.delete(key);
      else active.push(ban);
    }
    return active;
  }

  publish(channel: string, message: string): void {
    if (this.closed) throw closedError();
    const subscriptions = this.channels.get(channel);
    if (subscriptions === undefined) return;
    // Asynchronous like a network store: a handler never runs inside publish(), so it may publish in turn without
    // re-entering its caller.
    const recipients = [...subscriptions];
    queueMicrotask(() => this.deliver(subscriptions, recipients, message));
  }

  subscribe(channel: string, handler: (message: string) => void): () => void {
    if (this.closed) throw closedError();
    let subscriptions = this.channels.get(channel);
    if (subscriptions === undefined) {
      subscriptions = new Set();
      this.channels.set(channel, subscriptions);
    }
    const subscription: Subscription = { handler };
    subscriptions.add(subscription);
    const owner = subscriptions;
    return () => {
      if (owner.delete(subscription) && owner.size === 0 && this.channels.get(channel) === owner) this.channels.delete(channel);
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.buckets.clear();
    this.counters.clear();
    this.sets.clear();
    this.leases.clear();
    this.bans.clear();
    this.permanentBans.clear();
    // Emptied too, so that messages already queued find no recipient still subscribed.
    for (const subscriptions of this.channels.values()) subscriptions.clear();
    this.channels.clear();
  }

  sweep(): void {
    const now = this.now();
    for (const [key, bucket] of this.buckets.entries()) if (bucket.fullAt <= now) this.buckets.delete(key);
    for (const [key, counter] of this.counters.entries()) if (counter.resetAt <= now) this.counters.delete(key);
    for (const [key, entry] of this.sets.entries()) if (entry.expiresAt <= now) this.sets.delete(key);
    const leaseNow = this.leaseTime(now);
    for (const [key, holders] of this.leases) if (purgeExpired(holders, leaseNow) === 0) this.leases.delete(key);
    for (const [key, ban] of this.bans.entries()) if (isExpired(ban, now)) this.bans.delete(key);
  }

  stats(): MemoryStoreStats {
    return {
      buckets: this.buckets.size,
      counters: this.counters.size,
      sets: this.sets.size,
      leaseKeys: this.leases.size,
      bans: this.bans.size + this.permanentBans.size,
      channels: this.channels.size,
    };
  }

  /** The set at `key` unless absent or expired (an expired one is dropped). */
  private liveSet(key: string): SetEntry | undefined {
    const entry = this.sets.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.sets.delete(key);
      return undefined;
    }
    return entry;
  }

  private deliver(subscriptions: Set<Subscription>, recipients: readonly Subscription[], message: string): void {
    for (const subscription of recipients) {
      // Checked per recipient: an earlier handler may have unsubscribed a later one, or closed the store.
      if (!subscriptions.has(subscription)) continue;
      try {
        subscription.handler(message);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}

function closedError(): Error {
  return new Error('store closed');
}

function checkTtl(ttlMs: number): void {
  // Every key must have a bounded lifetime (the contract), so neither 0, negative, NaN nor Infinity.
  if (!(ttlMs > 0 && ttlMs < Infinity)) throw new RangeError(`ttlMs must be a positive finite number, got ${ttlMs}`);
}

function isExpired(ban: Ban, now: number): boolean {
  return ban.expiresAt !== null && ban.expiresAt <= now;
}

/**
 * The holders of one lease key with their expiry. Most keys (one user's connections) have a single holder, kept as a
 * plain pair until a second arrives: a Map per key would cost some 150 bytes for every connected user.
 *
 * `soonest` is never later than any holder's expiry, so a purge before it has nothing to drop and costs nothing: an
 * IP group's key may hold hundreds of live connections, and every new one from that group purges it (acquireLease).
 */
class Holders {
  private first: string | null;
  private firstExpiresAt: number;
  private more: Map<string, number> | null = null;
  private soonest: number;

  constructor(holder: string, expiresAt: number) {
    this.first = holder;
    this.firstExpiresAt = expiresAt;
    this.soonest = expiresAt;
  }

  get size(): number {
    return (this.first === null ? 0 : 1) + (this.more?.size ?? 0);
  }

  has(holder: string): boolean {
    return this.get(holder) !== undefined;
  }

  get(holder: string): number | undefined {
    if (holder === this.first) return this.firstExpiresAt;
    return this.more?.get(holder);
  }

  set(holder: string, expiresAt: number): void {
    // Empty (every holder released or purged): `soonest` bounds nobody, so it starts again from this one.
    if (expiresAt < this.soonest || this.size === 0) this.soonest = expiresAt;
    if (holder === this.first || this.first === null) {
      this.first = holder;
      this.firstExpiresAt = expiresAt;
      this.more?.delete(holder);
      return;
    }
    (this.more ??= new Map()).set(holder, expiresAt);
  }

  delete(holder: string): boolean {
    if (holder === this.first) {
      this.first = null;
      return true;
    }
    return this.more?.delete(holder) ?? false;
  }

  /** Drop the holders whose slot ended; returns how many are left. */
  purge(now: number): number {
    if (now < this.soonest) return this.size;
    let left = 0;
    let soonest = 0;
    if (this.first !== null) {
      if (this.firstExpiresAt <= now) this.first = null;
      else {
        soonest = this.firstExpiresAt;
        left++;
      }
    }
    if (this.more) {
      for (const [holder, expiresAt] of this.more) {
        if (expiresAt <= now) this.more.delete(holder);
        else if (left++ === 0 || expiresAt < soonest) soonest = expiresAt;
      }
    }
    // Empty: 0 (a small integer, like the expiries, so the field never turns into a boxed number); `set` restarts it.
    this.soonest = soonest;
    return left;
  }
}

/** Drop the holders whose slot has ended; returns how many remain. */
function purgeExpired(holders: Holders, now: number): number {
  return holders.purge(now);
}

function warnSubscriberError(err: unknown): void {
  process.emitWarning('a memory store subscriber threw', {
    type: 'WsguardSubscriberError',
    detail: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
}
