/**
 * Whether Redis is answering, as a circuit breaker: the first failed call marks the store degraded (listeners hear it
 * once), and from then on calls go straight to the local fallback without waiting on Redis. A probe asks Redis every
 * `probeIntervalMs` whether it is back; the first answer marks the store recovered (listeners hear it once).
 */

import type { StoreHealth } from '../types.js';
import { describeError } from './outage.js';

export type HealthListener = (state: StoreHealth, error?: string) => void;

export interface HealthDeps {
  readonly probeIntervalMs: number;
  /** Asks Redis (a PING): resolves when it answers, however late; rejects when the command fails. */
  readonly probe: () => Promise<unknown>;
  /** An answer later than this after the probe was sent does not count: Redis is still too slow to use. */
  readonly probeTimeoutMs: number;
  /** Runs after the store is marked recovered and before listeners hear it (to write back what was kept locally). */
  readonly onRecovered: () => void;
  readonly onListenerError: (err: unknown) => void;
}

export class RedisHealth {
  readonly #deps: HealthDeps;
  readonly #listeners = new Set<HealthListener>();
  #degraded = false;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;
  #closed = false;

  constructor(deps: HealthDeps) {
    this.#deps = deps;
  }

  /** True while Redis is failing: callers answer locally without trying it. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** A call failed for lack of Redis: degrade, once. */
  failed(error: unknown): void {
    if (this.#degraded || this.#closed) return;
    this.#degraded = true;
    this.#notify('degraded', describeError(error));
    this.#timer = setInterval(() => this.#probe(), this.#deps.probeIntervalMs);
    // A failing Redis must not keep a process alive that has nothing else to do.
    this.#timer.unref();
  }

  listen(listener: HealthListener): () => void {
    // Each call is its own subscription, even for a listener already added.
    const own: HealthListener = (state, error) => listener(state, error);
    this.#listeners.add(own);
    return () => void this.#listeners.delete(own);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#listeners.clear();
  }

  #probe(): void {
    // One probe in flight at a time, however long it takes: on a Redis that accepts and never answers, probes would
    // otherwise pile up in the client's queue. The one in flight is answered as soon as Redis is back.
    if (this.#probing || this.#closed) return;
    this.#probing = true;
    const sentAt = performance.now();
    this.#deps.probe().then(
      () => {
        this.#probing = false;
        if (this.#closed || !this.#degraded) return;
        // Answered, but too late: calls would time out again. The next probe decides.
        if (performance.now() - sentAt > this.#deps.probeTimeoutMs) return;
        clearInterval(this.#timer);
        this.#timer = undefined;
        this.#degraded = false;
        this.#deps.onRecovered();
        this.#notify('recovered');
      },
      () => {
        this.#probing = false;
      },
    );
  }

  #notify(state: StoreHealth, error?: string): void {
    for (const listener of this.#listeners) {
      try {
        listener(state, error);
      } catch (err) {
        this.#deps.onListenerError(err);
      }
    }
  }
}
