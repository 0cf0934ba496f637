/**
 * What the alert sinks deliver, and the bounded drop-oldest queue they share.
 *
 * An alert sink is meant for a human or a SIEM, not for the full event stream: by default it takes `admin_alert`
 * events and anything `critical`. `types` lists event types always delivered, `minSeverity` the lowest severity
 * delivered whatever the type.
 */

import type { Severity } from '../../codes/reason-codes.js';
import { completeEvent } from '../bus.js';
import type { SecurityEvent } from '../catalogue.js';
import { serializableEvent } from '../serializable.js';

export interface AlertFilterOptions {
  /** Events at or above this severity are delivered, whatever their type. Default `'critical'`. */
  readonly minSeverity?: Severity;
  /** Event types always delivered, whatever their severity. Default `['admin_alert']`. */
  readonly types?: readonly string[];
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, high: 2, critical: 3 };

/** The predicate an alert sink applies to every event it is handed. */
export function alertFilter(options: AlertFilterOptions = {}): (event: SecurityEvent) => boolean {
  const minSeverity = options.minSeverity ?? 'critical';
  const min = SEVERITY_RANK[minSeverity];
  if (min === undefined) throw new RangeError(`alert sink: unknown minSeverity ${minSeverity as string}`);
  const types = new Set<string>(options.types ?? ['admin_alert']);
  return (event) => {
    if (event === null || typeof event !== 'object') return false;
    if (types.has(event.type)) return true;
    const rank = SEVERITY_RANK[event.severity] as number | undefined;
    return rank !== undefined && rank >= min;
  };
}

/** The event that tells the receiver how many alerts this sink dropped (queue full) since the last delivery. */
export function droppedEvent(count: number, sink: string, now: number): SecurityEvent {
  return completeEvent({ type: 'events_dropped', count: 1, detail: { count, sink } }, now);
}

export function positiveInt(sink: string, name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${sink}: ${name} must be an integer >= ${min}`);
  return value;
}

/**
 * A FIFO of at most `capacity` events. Pushing into a full queue drops the oldest event; drops are counted in
 * `dropped` (total) and in `pendingDrops` (not yet reported), which the sink turns into an `events_dropped` event.
 */
export class AlertQueue {
  readonly capacity: number;
  #items: (SecurityEvent | undefined)[] = [];
  #head = 0;
  /** Events dropped since the sink was created. */
  dropped = 0;
  /** Events dropped and not yet reported by a delivered `events_dropped` event. */
  pendingDrops = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** True when there is something to deliver: events or an unreported drop count. */
  get hasWork(): boolean {
    return this.length > 0 || this.pendingDrops > 0;
  }

  push(event: SecurityEvent): void {
    if (this.length >= this.capacity) this.#dropOldest();
    this.#items.push(event);
  }

  /** Remove and return up to `n` of the oldest events. */
  take(n: number): SecurityEvent[] {
    const end = Math.min(this.#items.length, this.#head + n);
    const out = this.#items.slice(this.#head, end) as SecurityEvent[];
    this.#items.fill(undefined, this.#head, end);
    this.#head = end;
    this.#compact();
    return out;
  }

  /** A batch that could not be delivered goes back to the front (the oldest beyond capacity are dropped). */
  putBack(events: readonly SecurityEvent[], drops: number): void {
    this.pendingDrops += drops;
    if (events.length > 0) {
      this.#items = [...events, ...(this.#items.slice(this.#head) as SecurityEvent[])];
      this.#head = 0;
    }
    while (this.length > this.capacity) this.#dropOldest();
  }

  /** The unreported drop count, reset to zero (given back through `putBack` if the delivery fails). */
  takeDrops(): number {
    const n = this.pendingDrops;
    this.pendingDrops = 0;
    return n;
  }

  #dropOldest(): void {
    this.#items[this.#head] = undefined;
    this.#head++;
    this.dropped++;
    this.pendingDrops++;
    this.#compact();
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** JSON for a batch; an event JSON cannot serialize (a cycle, a BigInt) becomes a stub with `detail.unserializable`. */
export function safeJson(value: (events: unknown[]) => unknown, events: readonly SecurityEvent[]): string {
  try {
    return JSON.stringify(value([...events]));
  } catch {
    return JSON.stringify(value(events.map((event) => serializableEvent(event))));
  }
}

