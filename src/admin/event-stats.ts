/**
 * Counters for the dashboard since the admin API started: events per category and per type, refusals per reason.
 * Keys come from the fixed catalogues (categories, event types, reason codes), never from client input, so the maps
 * are bounded by the catalogue's size.
 */

import type { SecurityEvent } from '../events/catalogue.js';

const REFUSALS = new Set(['connection_refused', 'message_refused', 'csrf_failure']);

export interface EventCounts {
  readonly eventsByCategory: Readonly<Record<string, number>>;
  readonly eventsByType: Readonly<Record<string, number>>;
  /** Refused connections and messages (enforced refusals only; monitor-mode `would_be` events are not refusals). */
  readonly refusalsByReason: Readonly<Record<string, number>>;
}

export class EventStats {
  readonly #byCategory = new Map<string, number>();
  readonly #byType = new Map<string, number>();
  readonly #byReason = new Map<string, number>();

  add(event: SecurityEvent): void {
    // An aggregated event stands for `count` identical ones.
    const n = event.count ?? 1;
    this.#byCategory.set(event.category, (this.#byCategory.get(event.category) ?? 0) + n);
    this.#byType.set(event.type, (this.#byType.get(event.type) ?? 0) + n);
    if (event.reason !== undefined && REFUSALS.has(event.type)) {
      this.#byReason.set(event.reason, (this.#byReason.get(event.reason) ?? 0) + n);
    }
  }

  snapshot(): EventCounts {
    return {
      eventsByCategory: Object.fromEntries(this.#byCategory),
      eventsByType: Object.fromEntries(this.#byType),
      refusalsByReason: Object.fromEntries(this.#byReason),
    };
  }
}
