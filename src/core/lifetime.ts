/**
 * Time limits on live connections, enforced by one shared sweep rather than a timer per connection:
 *
 * - `idleTimeoutMs`: a connection with no inbound traffic (messages, refused ones included, and heartbeats) for that
 *   long is closed with `idle_timeout`;
 * - `maxConnectionLifetimeMs`: a connection older than that is closed with `lifetime_exceeded`, so that every client
 *   authenticates again now and then;
 * - `Identity.expiresAt`: a connection whose credentials ran out is closed with `credentials_expired`, unless the
 *   client refreshed them meanwhile (the guard then moves the connection's `expiresAt`);
 * - heartbeats are not free: more than `maxHeartbeatsPerSecond` over a second closes the connection with
 *   `message_rate_limited` (a ping flood costs the server a pong each).
 *
 * Activity costs the message path nothing: the guard already counts inbound messages, refusals and heartbeats per
 * connection, and the sweep compares those counters with what it saw last time. So a connection is closed between
 * `idleTimeoutMs` and `idleTimeoutMs` plus one sweep interval after its last traffic. The sweep runs every quarter of
 * the shortest limit, at least every second and at most every 50 ms, and walks every live connection: some 10 ns
 * each, so 100,000 connections cost about a millisecond a second. It keeps nothing per connection of its own: its
 * few fields live on the guard's connection object (`TrackedConnection`).
 */

/** The per-connection counters the guard keeps anyway (plain numbers, one increment per message or heartbeat). */
export interface ActivityCounters {
  readonly messagesIn: number;
  readonly refusals: number;
  readonly heartbeats: number;
}

/**
 * What the sweep reads and writes of a live connection: the guard's own per-connection object carries these fields
 * (connection-state.ts), so the sweep keeps no map and no entry of its own per connection.
 */
export interface TrackedConnection extends ActivityCounters {
  readonly id: string;
  /** When it opened (the guard's clock, epoch ms). */
  readonly connectedAt: number;
  /** When its credentials end; null when they do not. */
  expiresAt: number | null;
  /** Sum of the counters at the last sweep that saw them move. */
  lastActivity: number;
  /**
   * When that sweep ran, in ms after `connectedAt`: a small integer (an epoch timestamp would need a 16-byte box per
   * connection).
   */
  activeAfterMs: number;
  /** The heartbeat count when the current one-second window began (the window is the sweep's, shared by all). */
  windowHeartbeats: number;
  /** Closed by the sweep and waiting for its transport to end: not closed again. */
  closing: boolean;
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
  readonly #connections: () => Iterable<TrackedConnection>;
  readonly #timer: NodeJS.Timeout;
  /** Start of the current heartbeat window, one for every connection. */
  #windowStart: number;
  readonly intervalMs: number;

  /** `connections`: the live connections, walked by every sweep (the guard's registry). */
  constructor(options: LifetimeOptions, connections: () => Iterable<TrackedConnection>) {
    this.#options = options;
    this.#connections = connections;
    this.#windowStart = options.now();
    this.intervalMs = sweepIntervalFor([options.idleTimeoutMs, options.maxLifetimeMs]);
    this.#timer = setInterval(() => this.sweep(), this.intervalMs);
    // A guard left open must not keep a process alive.
    this.#timer.unref();
  }

  /**
   * Start watching a connection that just opened (it is among `connections()` from now on): active as of now, its
   * heartbeats counted from here. `expiresAt` is the connection's own (from its identity).
   */
  track(connection: TrackedConnection): void {
    connection.lastActivity = activityOf(connection);
    connection.activeAfterMs = small(this.#options.now() - connection.connectedAt);
    connection.windowHeartbeats = connection.heartbeats;
    connection.closing = false;
  }

  sweep(): void {
    const { idleTimeoutMs, maxLifetimeMs, maxHeartbeatsPerSecond, now: clock } = this.#options;
    const now = clock();
    // Heartbeats are counted over windows of at least a second, the same for every connection: one that opened
    // during a window is held to its heartbeats since it opened over the whole window, which only errs on the lenient
    // side, and only once.
    const windowSeconds = (now - this.#windowStart) / 1_000;
    const windowEnded = maxHeartbeatsPerSecond > 0 && windowSeconds >= 1;
    if (windowEnded) this.#windowStart = now;
    for (const connection of this.#connections()) {
      if (connection.closing) continue;
      const age = now - connection.connectedAt;
      const activity = activityOf(connection);
      if (activity !== connection.lastActivity) {
        connection.lastActivity = activity;
        connection.activeAfterMs = small(age);
      }
      let code: LifetimeCloseCode | null = null;
      if (connection.expiresAt !== null && now >= connection.expiresAt) code = 'credentials_expired';
      else if (maxLifetimeMs > 0 && age >= maxLifetimeMs) code = 'lifetime_exceeded';
      else if (idleTimeoutMs > 0 && age - connection.activeAfterMs >= idleTimeoutMs) code = 'idle_timeout';
      else if (windowEnded) {
        const beats = connection.heartbeats - connection.windowHeartbeats;
        if (beats > maxHeartbeatsPerSecond * windowSeconds) code = 'message_rate_limited';
      }
      if (windowEnded) connection.windowHeartbeats = connection.heartbeats;
      if (code === null) continue;
      connection.closing = true;
      this.#options.close(connection.id, code);
    }
    this.#options.afterSweep?.();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * A whole number of milliseconds as V8's small integer when it fits (some 12 days): the difference of two epoch
 * timestamps is a heap number, and a field that once holds one is boxed (16 bytes more) in every connection object.
 */
function small(ms: number): number {
  return ms >= 0 && ms < 0x40000000 ? ms | 0 : ms;
}

function activityOf(counters: ActivityCounters): number {
  return counters.messagesIn + counters.refusals + counters.heartbeats;
}
