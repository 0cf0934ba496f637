/**
 * Batched token reservations: how the Redis store answers most `consumeTokens` calls without a round trip.
 *
 * A node takes tokens from the shared bucket in Redis a *batch* at a time (one script call: as many as the bucket
 * holds, up to the batch, and never fewer than the caller needs — or none, a refusal), and answers calls from them in
 * memory, synchronously. Before the batch runs out (below half of it) the node asks for the next one in the
 * background, so that a steady sender rarely waits for Redis. Tokens a node holds lapse `reservationMs` after it last
 * took some; they are never given back. A refusal is remembered until its `retryAfterMs`, so a flood against an empty
 * bucket costs no round trip at all. Calls that cannot be answered while a request is on its way wait for it — one
 * request per bucket at a time, however many callers (no stampede) — and are served from it in order; those it cannot
 * serve ask again together, for what they need in all.
 *
 * The bound, both ways. Tokens are taken before they are used, so over any stretch of time the cluster serves at most
 * what the bucket allows plus what the nodes already held when it began: at most N × batch tokens more for N nodes
 * (a node holds at most one batch per bucket), and nothing more in the long run. The other way, tokens one node holds
 * are not usable on another, so a client spread over N nodes may be refused early by at most (N − 1) × batch tokens,
 * until they lapse. A batch of 1 is exact: the token asked for is used at once, nothing is held.
 *
 * Keys are client-derived (users, IP groups): entries are capped at `maxKeys`, least recently used first. An evicted
 * entry's tokens are dropped like lapsed ones.
 */

import type { Awaitable } from '../../codes/types.js';
import type { TokenBucketResult, TokenBucketSpec } from '../types.js';
import { LruMap } from '../../util/lru-map.js';

/** What Redis handed over: `granted` tokens (at least the cost asked) or, refused, none and the wait for the cost. */
export interface Grant {
  readonly allowed: boolean;
  readonly granted: number;
  /** Tokens left in the shared bucket after this grant. */
  readonly remaining: number;
  readonly retryAfterMs: number;
}

export interface TokenReservationsDeps {
  /** Tokens per request: `'auto'` (see `batchFor`) or a fixed number. */
  readonly batch: 'auto' | number;
  readonly reservationMs: number;
  readonly maxKeys: number;
  /** True while Redis is failing: every call goes to `fallback`. */
  readonly degraded: () => boolean;
  /** Ask Redis for `cost` tokens and up to `want`. Null when Redis did not answer (the store is degraded from then on). */
  readonly reserve: (key: string, spec: TokenBucketSpec, cost: number, want: number) => Awaitable<Grant | null>;
  /** The local answer while Redis fails. */
  readonly fallback: (key: string, spec: TokenBucketSpec, cost: number) => TokenBucketResult;
}

/**
 * The batch of a bucket under `'auto'`:
 * - at most a tenth of its burst, so that what the nodes hold stays a small share of it (both bounds above);
 * - at most what it refills in `reservationMs`, so that a batch a slow client leaves to lapse costs it no more than it
 *   regains meanwhile: one call per `reservationMs` never drains its bucket;
 * - at least 1 (a small or slow bucket is exact: one token per round trip, nothing held, as without batching);
 * - at most 1,024: enough for a client's pipelined burst (the hundreds of messages one socket read can hold) to be
 *   served from memory without waiting for Redis — a wait costs far more than its round trip, since every waiting
 *   message then takes the asynchronous path — while the tenth of the burst keeps the bound in proportion.
 * The production preset's message bucket (burst 20, 2 per second) gets 2; the bench's raised one gets 1,024.
 */
export function batchFor(spec: TokenBucketSpec, reservationMs: number): number {
  const share = Math.min(spec.capacity * CAPACITY_SHARE, (spec.refillPerSecond * reservationMs) / 1000);
  return Math.min(MAX_AUTO_BATCH, Math.max(1, Math.floor(share)));
}

const CAPACITY_SHARE = 0.1;
const MAX_AUTO_BATCH = 1_024;

interface Waiter {
  readonly cost: number;
  readonly resolve: (result: TokenBucketResult) => void;
  readonly reject: (error: unknown) => void;
}

/** One bucket as this node sees it. Times are `performance.now()`: a wall-clock step must not stretch a reservation. */
interface Reservation {
  /** Tokens taken from Redis and not used yet (usable until `expiresAt`). */
  tokens: number;
  expiresAt: number;
  /** What the shared bucket held after the last grant: `remaining` is reported as this plus the usable tokens. */
  shared: number;
  /** The bucket's batch, as of the last request (the next one is asked for below half of it). */
  batch: number;
  /**
   * A refusal remembered: until `refusedUntil` Redis has fewer than `refusedNeed` tokens, so a call needing that many
   * more than this node holds is refused without asking.
   */
  refusedUntil: number;
  refusedNeed: number;
  refusedRemaining: number;
  /** Callers waiting for the request in flight, in order (empty for a refill ahead); null when none is in flight. */
  waiters: Waiter[] | null;
}

export class TokenReservations {
  readonly #deps: TokenReservationsDeps;
  readonly #entries: LruMap<string, Reservation>;

  constructor(deps: TokenReservationsDeps) {
    this.#deps = deps;
    this.#entries = new LruMap(deps.maxKeys);
  }

  /** Buckets this node holds something about (tokens, a refusal, callers waiting). */
  get size(): number {
    return this.#entries.size;
  }

  consume(key: string, spec: TokenBucketSpec, cost: number): Awaitable<TokenBucketResult> {
    if (this.#deps.degraded()) return this.#deps.fallback(key, spec, cost);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { tokens: 0, expiresAt: 0, shared: 0, batch: 1, refusedUntil: 0, refusedNeed: 0, refusedRemaining: 0, waiters: null };
      this.#entries.set(key, entry);
    } else {
      const now = performance.now();
      const local = answerLocally(entry, cost, now);
      if (local !== null) {
        // Refill ahead: ask for the next batch before this one runs out, so that callers rarely wait for Redis.
        if (local.allowed && entry.tokens < entry.batch / 2 && entry.batch > 1 && entry.waiters === null && now >= entry.refusedUntil) {
          entry.waiters = [];
          this.#ask(key, spec, entry);
        }
        return local;
      }
    }
    const reservation = entry;
    return new Promise<TokenBucketResult>((resolve, reject) => {
      const waiter: Waiter = { cost, resolve, reject };
      if (reservation.waiters !== null) {
        reservation.waiters.push(waiter);
        return;
      }
      reservation.waiters = [waiter];
      this.#ask(key, spec, reservation);
    });
  }

  /** Forget a bucket's tokens and remembered refusal (`resetTokens`). */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /**
   * One request for the waiters of `entry` (none: a refill ahead). Tokens this node still holds count towards them:
   * Redis is asked for the rest of the first one's cost (a refill ahead: one token) at least, and up to what they all
   * need, or a batch, less what is held.
   */
  #ask(key: string, spec: TokenBucketSpec, entry: Reservation): void {
    const waiters = entry.waiters ?? [];
    const usable = performance.now() < entry.expiresAt ? entry.tokens : 0;
    let need = 0;
    for (const waiter of waiters) need += waiter.cost;
    const batch = this.#deps.batch === 'auto' ? batchFor(spec, this.#deps.reservationMs) : this.#deps.batch;
    entry.batch = batch;
    const first = waiters[0];
    const cost = first === undefined ? 1 : Math.max(first.cost - usable, 0);
    const want = Math.max(cost, Math.max(need, batch) - usable);
    let reply: Awaitable<Grant | null>;
    try {
      reply = this.#deps.reserve(key, spec, cost, want);
    } catch (error) {
      this.#fail(entry, error);
      return;
    }
    if (reply instanceof Promise) {
      reply.then(
        (grant) => this.#settle(key, spec, entry, cost, grant),
        (error: unknown) => this.#fail(entry, error),
      );
    } else {
      this.#settle(key, spec, entry, cost, reply);
    }
  }

  #settle(key: string, spec: TokenBucketSpec, entry: Reservation, asked: number, grant: Grant | null): void {
    const waiters = entry.waiters ?? [];
    entry.waiters = null;
    if (grant === null) {
      for (const waiter of waiters) this.#fallback(key, spec, waiter);
      return;
    }
    const now = performance.now();
    if (grant.allowed) {
      entry.tokens = (now < entry.expiresAt ? entry.tokens : 0) + grant.granted;
      entry.expiresAt = now + this.#deps.reservationMs;
      entry.shared = grant.remaining;
      entry.refusedUntil = 0;
    } else {
      entry.refusedUntil = now + grant.retryAfterMs;
      entry.refusedNeed = asked;
      entry.refusedRemaining = grant.remaining;
    }
    // Evicted while the request was out: kept again, since it now holds what Redis handed over.
    if (this.#entries.peek(key) !== entry) this.#entries.set(key, entry);
    let rest: Waiter[] | null = null;
    for (const waiter of waiters) {
      const local = answerLocally(entry, waiter.cost, now);
      if (local !== null) waiter.resolve(local);
      else (rest ??= []).push(waiter);
    }
    if (rest === null) return;
    // The first of the rest is answered by the next reply (granted what it lacks, or refused for it), so this ends.
    if (this.#deps.degraded()) {
      for (const waiter of rest) this.#fallback(key, spec, waiter);
      return;
    }
    entry.waiters = rest;
    this.#ask(key, spec, entry);
  }

  #fallback(key: string, spec: TokenBucketSpec, waiter: Waiter): void {
    try {
      waiter.resolve(this.#deps.fallback(key, spec, waiter.cost));
    } catch (error) {
      waiter.reject(error);
    }
  }

  /** A fault that is no outage (a bug, or the store closed): every waiter gets it. */
  #fail(entry: Reservation, error: unknown): void {
    const waiters = entry.waiters ?? [];
    entry.waiters = null;
    for (const waiter of waiters) waiter.reject(error);
  }
}

/** The answer from what this node holds, or null when Redis must be asked. */
function answerLocally(entry: Reservation, cost: number, now: number): TokenBucketResult | null {
  const usable = now < entry.expiresAt ? entry.tokens : 0;
  if (usable >= cost) {
    entry.tokens = usable - cost;
    return { allowed: true, remaining: Math.floor(entry.tokens + entry.shared), retryAfterMs: 0 };
  }
  if (now < entry.refusedUntil && cost - usable >= entry.refusedNeed) {
    return { allowed: false, remaining: Math.floor(usable + entry.refusedRemaining), retryAfterMs: msUntil(entry.refusedUntil, now) };
  }
  return null;
}

/**
 * Whole milliseconds from `now` to `until`. `until` was `then + retryAfterMs` in floating point, so `until - then` can
 * come out a hair above `retryAfterMs` (100.00000000000182), which a plain ceil turns into one more millisecond than
 * Redis said: the nanosecond of tolerance takes that back.
 */
function msUntil(until: number, now: number): number {
  return Math.ceil(until - now - 1e-6);
}
