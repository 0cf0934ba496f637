/**
 * Throttles: IP groups and users whose rate limits are tightened for a while. Two maps keyed by the raw group and user
 * id, so that `factorFor` on the message path builds no string, and answers at once when nobody is throttled.
 */

import { LruMap } from '../util/lru-map.js';

export class Throttles {
  readonly #byIpGroup: LruMap<string, number>;
  readonly #byUser: LruMap<string, number>;

  constructor(maxKeys: number) {
    this.#byIpGroup = new LruMap(maxKeys);
    this.#byUser = new LruMap(maxKeys);
  }

  get size(): number {
    return this.#byIpGroup.size + this.#byUser.size;
  }

  /** Throttle until `until` (epoch ms); a later throttle of the same key replaces the earlier one. */
  add(kind: 'ip' | 'user', id: string, until: number): void {
    (kind === 'ip' ? this.#byIpGroup : this.#byUser).set(id, until);
  }

  remove(kind: 'ip' | 'user', id: string): void {
    (kind === 'ip' ? this.#byIpGroup : this.#byUser).delete(id);
  }

  /** Epoch ms when the throttle ends, or undefined. */
  until(kind: 'ip' | 'user', id: string, now: number): number | undefined {
    const map = kind === 'ip' ? this.#byIpGroup : this.#byUser;
    const until = map.peek(id);
    if (until === undefined) return undefined;
    if (until <= now) {
      map.delete(id);
      return undefined;
    }
    return until;
  }

  /** True when either the IP group or the user is throttled now. */
  throttled(ipGroup: string | undefined, userId: string | undefined, now: number): boolean {
    if (this.#byIpGroup.size === 0 && this.#byUser.size === 0) return false;
    return (
      (ipGroup !== undefined && this.until('ip', ipGroup, now) !== undefined) ||
      (userId !== undefined && this.until('user', userId, now) !== undefined)
    );
  }

  prune(now: number): void {
    for (const map of [this.#byIpGroup, this.#byUser]) {
      for (const [id, until] of map.entries()) if (until <= now) map.delete(id);
    }
  }

  clear(): void {
    this.#byIpGroup.clear();
    this.#byUser.clear();
  }
}
