/**
 * Short sessions, for the rapid-reconnection pattern: a connect/disconnect cycle counts when the connection lived less
 * than `shortSessionMs`. Only connections younger than that are remembered, so the map holds at most the connections
 * accepted in the last `shortSessionMs` (and never more than the cap); an older one can no longer be short.
 */

import { LruMap } from '../util/lru-map.js';

export class ShortSessions {
  /** Connection id → when it was accepted. Ids arrive in time order, so the oldest is always first. */
  readonly #opened: LruMap<string, number>;
  readonly #shortSessionMs: number;

  constructor(maxKeys: number, shortSessionMs: number) {
    this.#opened = new LruMap(maxKeys);
    this.#shortSessionMs = shortSessionMs;
  }

  get size(): number {
    return this.#opened.size;
  }

  opened(connectionId: string, now: number): void {
    this.#opened.set(connectionId, now);
  }

  /** True when the connection was accepted less than `shortSessionMs` ago. Forgets it either way. */
  closed(connectionId: string, now: number): boolean {
    const openedAt = this.#opened.peek(connectionId);
    if (openedAt === undefined) return false;
    this.#opened.delete(connectionId);
    return now - openedAt < this.#shortSessionMs;
  }

  /** The guard closed it (a response of ours): its end is not the client's doing and must not count. */
  forget(connectionId: string): void {
    this.#opened.delete(connectionId);
  }

  prune(now: number): void {
    for (const [id, openedAt] of this.#opened.entries()) {
      if (now - openedAt < this.#shortSessionMs) break;
      this.#opened.delete(id);
    }
  }

  clear(): void {
    this.#opened.clear();
  }
}
