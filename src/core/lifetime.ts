/**
 * Time limits on live connections, enforced by one shared sweep rather than a timer per connection:
 *
 * - `idleTimeoutMs`: a connection with no inbound traffic (messages, refused ones included, and heartbeats) for that
 *   long is closed with `idle_timeout`;
 * - `maxConnectionLifetimeMs`: a connection older than that is closed with `lifetime_exceeded`, so that every client
 *   authenticates again now and then;
 * - `Identity.expiresAt`: a connection whose credentials ran out is closed with `credentials_expired`, unless the
 *   client refreshed them meanwhile (`extend`);
 * - heartbeats are not free: more than `maxHeartbeatsPerSecond` over a second closes the connection with
 *   `message_rate_limited` (a ping flood costs the server a pong each).
 *
 * Activity costs the message path nothing: the guard already counts inbound messages, refusals and heartbeats per
 * connection, and the sweep compares those counters with what it saw last time. So a connection is closed between
 * `idleTimeoutMs` and `idleTimeoutMs` plus one sweep interval after its last traffic. The sweep runs every quarter of
 * the shortest limit, at least every second and at most every 50 ms, and walks every live connection: some 10 ns
 * each, so 100,000 connections cost about a millisecond a second.
 */

/** The per-connection counters the guard keeps anyway (plain numbers, one increment per message or heartbeat). */
export interface ActivityCounters {
  readonly messagesIn: number;
  readonly refusals: number;
  readonly heartbeats: number;
}

export type LifetimeCloseCode = 'idle_timeout' | 'lifetime_exceeded' | 'credentials_expired' | 'message_rate_limited';

export interface LifetimeOptions {
  /** 0: no idle limit. */
  readonly idleTimeoutMs: number;
  /** 0: no lifetime limit. */
  readonly maxLifetimeMs: number;
  /** Most heartbeats a connection may send in one second; 0: no limit. */
  readonly maxHeartbeatsPerSecond: number;
  /** Epoch ms (the guard's injectable clock). */
  readonly now: () => number;
  /** Close one connection through the registry, telling the client `code`. */
  readonly close: (id: string, code: LifetimeCloseCode) => void;
  /** Runs after each sweep on the same timer (the slow-consumer backstop). */
  readonly afterSweep?: () => void;
}

interface Entry {
  readonly counters: ActivityCounters;
  readonly openedAt: number;
  /** When the credentials end; null when they do not. */
  expiresAt: number | null;
  lastActiveAt: number;
  /** Sum of the counters at the last sweep that saw them move. */
  lastActivity: number;
  /** Start of the current one-second heartbeat window, and the heartbeat count then. */
  windowStart: number;
  windowHeartbeats: number;
  /** Closed by the sweep and waiting for its transport to end: not closed again. */
  closing: boolean;
}

export const MAX_SWEEP_INTERVAL_MS = 1_000;
export const MIN_SWEEP_INTERVAL_MS = 50;

/** A quarter of the shortest limit in force, within [50 ms, 1 s]. */
export function sweepIntervalFor(limits: readonly number[]): number {
  let shortest = Infinity;
  for (const limit of limits) if (limit > 0 && limit < shortest) shortest = limit;
  return Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, Math.floor(shortest / 4)));
}

export class ConnectionLifetimes {
  readonly #options: LifetimeOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #timer: NodeJS.Timeout;
  readonly intervalMs: number;

  constructor(options: LifetimeOptions) {
    this.#options = options;
    this.intervalMs = sweepIntervalFor([options.idleTimeoutMs, options.maxLifetimeMs]);
    this.#timer = setInterval(() => this.sweep(), this.intervalMs);
    // A guard left open must not keep a process alive.
    this.#timer.unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Start watching a connection that just opened; `expiresAt` from its identity, null when it has none. */
  track(id: string, counters: ActivityCounters, expiresAt: number | null): void {
    const now = this.#options.now();
    this.#entries.set(id, {
      counters,
      openedAt: now,
      expiresAt,
      lastActiveAt: now,
      lastActivity: activityOf(counters),
      windowStart: now,
      windowHeartbeats: counters.heartbeats,
      closing: false,
    });
  }

  untrack(id: string): void {
    this.#entries.delete(id);
  }

  /** The client presented new credentials: the connection now ends at `expiresAt` (null: not by credentials). */
  extend(id: string, expiresAt: number | null): void {
    const entry = this.#entries.get(id);
    if (entry) entry.expiresAt = expiresAt;
  }

  /** When the connection's credentials end (null: never, or not tracked). */
  expiresAt(id: string): number | null {
    return this.#entries.get(id)?.expiresAt ?? null;
  }

  sweep(): void {
    const { idleTimeoutMs, maxLifetimeMs, maxHeartbeatsPerSecond, now: clock } = this.#options;
    const now = clock();
    for (const [id, entry] of this.#entries) {
      if (entry.closing) continue;
      const counters = entry.counters;
      const activity = activityOf(counters);
      if (activity !== entry.lastActivity) {
        entry.lastActivity = activity;
        entry.lastActiveAt = now;
      }
      let code: LifetimeCloseCode | null = null;
      if (entry.expiresAt !== null && now >= entry.expiresAt) code = 'credentials_expired';
      else if (maxLifetimeMs > 0 && now - entry.openedAt >= maxLifetimeMs) code = 'lifetime_exceeded';
      else if (idleTimeoutMs > 0 && now - entry.lastActiveAt >= idleTimeoutMs) code = 'idle_timeout';
      else if (maxHeartbeatsPerSecond > 0 && now - entry.windowStart >= 1_000) {
        const beats = counters.heartbeats - entry.windowHeartbeats;
        const seconds = (now - entry.windowStart) / 1_000;
        if (beats > maxHeartbeatsPerSecond * seconds) code = 'message_rate_limited';
        entry.windowStart = now;
        entry.windowHeartbeats = counters.heartbeats;
      }
      if (code === null) continue;
      entry.closing = true;
      this.#options.close(id, code);
    }
    this.#options.afterSweep?.();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#entries.clear();
  }
}

function activityOf(counters: ActivityCounters): number {
  return counters.messagesIn + counters.refusals + counters.heartbeats;
}
