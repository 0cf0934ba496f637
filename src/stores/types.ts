/**
 * The store contract: everything wsguard remembers between connections and messages goes through it, so that one
 * process can keep it in memory and several processes can share it (Redis).
 *
 * Rules every store follows (the contract suite in test/stores/store-contract.ts checks them):
 * - Going over a limit is a *result* (`allowed: false`, `acquired: false`); only a store fault (or a caller's bug:
 *   an invalid argument such as a zero TTL) throws or rejects.
 * - Methods may answer synchronously (the memory store does, so the message path needs no promise) or with a promise
 *   (network stores). Callers handle both; `await` works on either.
 * - Every key has a bounded lifetime (TTL, expiry, or the live connection that holds it), and a store bounds the
 *   number of keys it keeps. Keys are opaque strings built by wsguard (`rl:msg:u:alice`); a store may prefix them.
 */

import type { Awaitable } from '../codes/types.js';

export interface TokenBucketSpec {
  /** Maximum tokens (the burst). */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
}

export interface TokenBucketResult {
  readonly allowed: boolean;
  /** Tokens left after this call (whole tokens, rounded down). */
  readonly remaining: number;
  /** When refused: milliseconds until `cost` tokens are available again. 0 when allowed. */
  readonly retryAfterMs: number;
}

export interface CounterResult {
  /** The counter's value after the increment. */
  readonly value: number;
  /** Milliseconds until the counter resets. */
  readonly resetInMs: number;
}

export interface LeaseResult {
  readonly acquired: boolean;
  /** Live holders after this call. */
  readonly count: number;
}

export interface Ban {
  /** What is banned, as wsguard spells it (`ip:203.0.113.7`, `user:alice`). */
  readonly key: string;
  readonly reason: string;
  readonly createdAt: number;
  /** Epoch ms when the ban ends; `null` for a permanent ban. */
  readonly expiresAt: number | null;
  /** Free-form, small, safe facts (who banned, which offence number). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

export type Unsubscribe = () => Awaitable<void>;

/** A shared store's health transitions: `degraded` when its backend starts failing, `recovered` when it answers again. */
export type StoreHealth = 'degraded' | 'recovered';

export interface Store {
  /** For logs and warnings (`memory`, `redis`). */
  readonly name: string;
  /** True when several processes see the same state (false for the memory store). */
  readonly shared: boolean;
  /**
   * How long a connection slot lives without renewal (the guard renews held slots every third of it), so how soon a
   * process that died without releasing its slots stops counting. Absent: the guard's default, 60_000. A shared store
   * sets it from its own setting (the Redis store's `nodeTimeoutMs`).
   */
  readonly leaseTtlMs?: number;
  /**
   * Be told when the store's backend starts failing and when it answers again: once per transition, never per call.
   * While degraded a store may answer from a local fallback, or refuse with a `StoreUnavailableError`. The guard
   * turns these into `store_degraded` / `store_recovered` events. Returns an unsubscribe function. Absent: the store
   * cannot degrade (the memory store).
   */
  onHealthChange?(listener: (state: StoreHealth, error?: string) => void): () => void;

  /** Take `cost` tokens from the bucket at `key`, creating it full. */
  consumeTokens(key: string, spec: TokenBucketSpec, cost?: number): Awaitable<TokenBucketResult>;
  /** Forget a bucket (it starts full next time). */
  resetTokens(key: string): Awaitable<void>;

  /** Add `by` (default 1) to a fixed-window counter that resets `ttlMs` after its first increment. */
  increment(key: string, ttlMs: number, by?: number): Awaitable<CounterResult>;
  /** Current value of a counter, 0 when absent or expired. */
  getCounter(key: string): Awaitable<number>;

  /** Add a member to a set; the set expires `ttlMs` after its last add. Returns the set's size. */
  setAdd(key: string, member: string, ttlMs: number): Awaitable<number>;
  /** Remove a member (the set's expiry stays as it was); returns the set's size. */
  setRemove(key: string, member: string): Awaitable<number>;
  setMembers(key: string): Awaitable<readonly string[]>;

  /**
   * Hold one of at most `limit` slots at `key` for `holder` (a connection id), for `ttlMs` unless renewed.
   * Acquiring a slot the holder already has succeeds without taking another. This is how live connections are
   * counted: the slot disappears on release, or when its holder stops renewing it (a crashed process).
   */
  acquireLease(key: string, holder: string, limit: number, ttlMs: number): Awaitable<LeaseResult>;
  /** Give a slot back; releasing one that is not held is a no-op. */
  releaseLease(key: string, holder: string): Awaitable<void>;
  /** Extend the slots of these holders (a heartbeat). A slot that already expired is not revived. */
  renewLeases(key: string, holders: readonly string[], ttlMs: number): Awaitable<void>;
  /** Live holders at `key`. */
  leaseCount(key: string): Awaitable<number>;

  /** Record a ban; replaces an existing ban on the same key. */
  addBan(ban: Ban): Awaitable<void>;
  /** The active ban on `key`, or null (expired bans are never returned). */
  getBan(key: string): Awaitable<Ban | null>;
  /** Lift a ban; true when there was an active one (an expired ban counts as none). */
  removeBan(key: string): Awaitable<boolean>;
  /** Every active ban. */
  listBans(): Awaitable<readonly Ban[]>;

  /** Deliver `message` to every subscriber of `channel`, in this and (for shared stores) every other process. */
  publish(channel: string, message: string): Awaitable<void>;
  subscribe(channel: string, handler: (message: string) => void): Awaitable<Unsubscribe>;

  /** Stop timers and connections. The store is unusable afterwards. */
  close(): Awaitable<void>;
}
