/**
 * Short sessions, for the rapid-reconnection pattern: a connect/disconnect cycle counts when the connection lived less
 * than `shortSessionMs`. How long it lived comes with its end: the guard's `connection_closed` event carries
 * `detail.durationMs`. So nothing is kept per live connection (with tens of thousands of idle connections, a record
 * per connection would cost some 100 bytes each); only the connections the guard itself closed are remembered until
 * their end is reported, since an end that is the guard's own response must not count against the client.
 */

import { LruMap } from '../util/lru-map.js';
import type { ObservedEvent } from './events.js';

export class ShortSessions {
  /** Connections the guard closed whose `connection_closed` has not come yet: few, and capped. */
  readonly #closedByGuard: LruMap<string, true>;
  readonly #shortSessionMs: number;

  constructor(maxKeys: number, shortSessionMs: number) {
    this.#closedByGuard = new LruMap(maxKeys);
    this.#shortSessionMs = shortSessionMs;
  }

  /** Connections closed by the guard and not yet reported ended. */
  get size(): number {
    return this.#closedByGuard.size;
  }

  /** The guard closed it (a response of ours): its end is not the client's doing and must not count. */
  closedByGuard(connectionId: string): void {
    this.#closedByGuard.set(connectionId, true);
  }

  /** True when this `connection_closed` ends a short session the client ended (or its transport did). */
  closed(connectionId: string, event: ObservedEvent): boolean {
    if (this.#closedByGuard.delete(connectionId)) return false;
    const durationMs = event.detail?.['durationMs'];
    return typeof durationMs === 'number' && durationMs >= 0 && durationMs < this.#shortSessionMs;
  }

  clear(): void {
    this.#closedByGuard.clear();
  }
}
