/**
 * The admin API's memory of recent security events: a ring buffer of the last N (fixed capacity, so a flood of
 * events costs no more memory than a quiet hour), and the filters that `GET /events` and the live stream share.
 */

import { EVENT_TYPES, type SecurityEvent } from '../events/catalogue.js';
import type { EventCategory, Severity } from '../codes/reason-codes.js';

const SEVERITIES: readonly Severity[] = ['info', 'warning', 'high', 'critical'];
const CATEGORIES: readonly EventCategory[] = ['connection', 'rate_limit', 'csrf', 'validation', 'abuse', 'authorization', 'admin', 'system'];

/** Which events a caller wants. Every field narrows; an empty filter matches everything. */
export interface EventFilter {
  readonly types?: ReadonlySet<string>;
  readonly severities?: ReadonlySet<Severity>;
  /** At least this severity. */
  readonly minSeverity?: Severity;
  readonly categories?: ReadonlySet<EventCategory>;
  readonly ip?: string;
  readonly userId?: string;
  /** Epoch ms: only events at or after it. */
  readonly since?: number;
}

export type ParsedFilter = { readonly filter: EventFilter; readonly limit: number } | { readonly error: string };

/** Longest filter value accepted: values are compared, never stored, but a query string is client input. */
const MAX_VALUE_LENGTH = 256;

function list<T extends string>(raw: string, allowed: readonly T[], name: string): ReadonlySet<T> | string {
  const values = raw.split(',').map((v) => v.trim()).filter((v) => v !== '');
  const unknown = values.filter((v) => !(allowed as readonly string[]).includes(v));
  if (unknown.length > 0) return `unknown ${name}: ${unknown.slice(0, 3).join(', ')} (one of ${allowed.join(', ')})`;
  return new Set(values as T[]);
}

/**
 * Read a filter from query parameters: `type`, `severity`, `category` (comma-separated lists), `minSeverity`, `ip`,
 * `userId` (or `user`), `since` (epoch ms) and `limit` (1 to `maxLimit`, default `maxLimit`).
 */
export function parseEventFilter(params: URLSearchParams, maxLimit: number): ParsedFilter {
  const filter: {
    -readonly [K in keyof EventFilter]: EventFilter[K];
  } = {};
  for (const [key, value] of params) {
    if (value.length > MAX_VALUE_LENGTH) return { error: `${key} is longer than ${MAX_VALUE_LENGTH} characters` };
  }
  const type = params.get('type');
  if (type !== null) {
    const types = list(type, Object.keys(EVENT_TYPES), 'type');
    if (typeof types === 'string') return { error: types };
    filter.types = types;
  }
  const severity = params.get('severity');
  if (severity !== null) {
    const severities = list(severity, SEVERITIES, 'severity');
    if (typeof severities === 'string') return { error: severities };
    filter.severities = severities;
  }
  const minSeverity = params.get('minSeverity');
  if (minSeverity !== null) {
    if (!(SEVERITIES as readonly string[]).includes(minSeverity)) return { error: `minSeverity must be one of ${SEVERITIES.join(', ')}` };
    filter.minSeverity = minSeverity as Severity;
  }
  const category = params.get('category');
  if (category !== null) {
    const categories = list(category, CATEGORIES, 'category');
    if (typeof categories === 'string') return { error: categories };
    filter.categories = categories;
  }
  const ip = params.get('ip');
  if (ip !== null && ip !== '') filter.ip = ip;
  const userId = params.get('userId') ?? params.get('user');
  if (userId !== null && userId !== '') filter.userId = userId;
  const since = params.get('since');
  if (since !== null) {
    const value = Number(since);
    if (!Number.isFinite(value) || value < 0) return { error: 'since must be epoch milliseconds' };
    filter.since = value;
  }
  let limit = maxLimit;
  const rawLimit = params.get('limit');
  if (rawLimit !== null) {
    const value = Number(rawLimit);
    if (!Number.isInteger(value) || value < 1 || value > maxLimit) return { error: `limit must be an integer from 1 to ${maxLimit}` };
    limit = value;
  }
  return { filter, limit };
}

export function matchesFilter(event: SecurityEvent, filter: EventFilter): boolean {
  if (filter.since !== undefined && event.time < filter.since) return false;
  if (filter.types !== undefined && !filter.types.has(event.type)) return false;
  if (filter.severities !== undefined && !filter.severities.has(event.severity)) return false;
  if (filter.minSeverity !== undefined && SEVERITIES.indexOf(event.severity) < SEVERITIES.indexOf(filter.minSeverity)) return false;
  if (filter.categories !== undefined && !filter.categories.has(event.category)) return false;
  if (filter.ip !== undefined && event.ip !== filter.ip) return false;
  if (filter.userId !== undefined && event.userId !== filter.userId) return false;
  return true;
}

/** The last `capacity` events, oldest first. */
export class RecentEvents {
  readonly #ring: (SecurityEvent | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#ring = new Array<SecurityEvent | undefined>(capacity);
  }

  push(event: SecurityEvent): void {
    this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** The newest `limit` events that match, oldest first. */
  query(filter: EventFilter, limit: number): SecurityEvent[] {
    const found: SecurityEvent[] = [];
    for (let i = 1; i <= this.#size && found.length < limit; i++) {
      const event = this.#ring[(this.#next - i + this.capacity) % this.capacity];
      if (event !== undefined && matchesFilter(event, filter)) found.push(event);
    }
    return found.reverse();
  }
}
