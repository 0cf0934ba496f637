/**
 * The security-event bus: takes events on the hot path in O(1), hands them to listeners and sinks later, in order.
 *
 * Two protections keep an attacker from turning logging into the bottleneck:
 * - Aggregation: identical refusals (same type, reason, IP, user, event) within one interval are delivered once
 *   right away and then once more at the end of the interval with `count` = how many more there were.
 * - A bounded queue: past `queueSize` pending events, new ones are dropped and counted; the next batch carries an
 *   `events_dropped` event with the count.
 */

import { REASON_CODES } from '../codes/reason-codes.js';
import { LruMap } from '../util/lru-map.js';
import { EVENT_TYPES, type SecurityEvent, type SecurityEventInput, type SecurityEventType } from './catalogue.js';
import type { EventSink } from './sink.js';

export type SecurityEventListener = (event: SecurityEvent) => void;

export interface EventBusOptions {
  readonly sinks: readonly EventSink[];
  readonly aggregationMs: number;
  readonly queueSize: number;
  /** Cap on distinct aggregation keys per interval. */
  readonly maxKeys: number;
  readonly now: () => number;
  /** Applied to what the sinks receive (not the listeners): IP anonymisation. */
  readonly forSinks?: ((event: SecurityEvent) => SecurityEvent) | null;
}

export interface EventBusStats {
  readonly queued: number;
  readonly dropped: number;
  readonly aggregated: number;
  readonly sinkErrors: number;
}

/** Refusal types are the ones a flood produces; everything else is rare enough to deliver one by one. */
const AGGREGATED_TYPES: ReadonlySet<SecurityEventType> = new Set<SecurityEventType>([
  'connection_refused',
  'message_refused',
  'connection_would_be_refused',
  'message_would_be_refused',
  'csrf_failure',
]);

interface AggregateEntry {
  readonly sample: SecurityEvent;
  suppressed: number;
}

/**
 * Longest client-chosen event name an event keeps. A refused event's name is chosen by the client and may be as long
 * as a message: cut, and marked as cut, so that no client can smuggle a payload into the audit trail through it.
 */
export const MAX_EVENT_NAME_CHARS = 64;
/** How long `close()` waits for the sinks to deliver what they hold before closing them regardless. */
const CLOSE_GRACE_MS = 3_000;
const CUT_MARK = '\u2026[truncated]';

/** Fill category, severity and time from the catalogue (refusals take them from their reason code). */
export function completeEvent(input: SecurityEventInput, now: number): SecurityEvent {
  return completeInPlace({ ...input }, now);
}

type Completing = { -readonly [K in keyof SecurityEvent]?: SecurityEvent[K] } & Pick<SecurityEvent, 'type'>;

/**
 * `completeEvent` on an object nobody else holds: filled in where it is rather than copied. Same result, key order
 * included (keys the input lacks are added at the end, as the copy adds them; keys it has keep their place).
 */
function completeInPlace(event: Completing, now: number): SecurityEvent {
  const info = EVENT_TYPES[event.type];
  const reasonInfo = event.reason ? REASON_CODES[event.reason] : undefined;
  event.category = info.category === 'reason' ? (reasonInfo?.category ?? 'system') : info.category;
  event.severity = event.severity ?? (info.severity === 'reason' ? (reasonInfo?.severity ?? 'warning') : info.severity);
  event.time = event.time ?? now;
  if (event.event !== undefined && event.event.length > MAX_EVENT_NAME_CHARS) {
    event.event = event.event.slice(0, MAX_EVENT_NAME_CHARS) + CUT_MARK;
  }
  return event as SecurityEvent;
}

export class EventBus {
  readonly #options: EventBusOptions;
  readonly #listeners = new Set<SecurityEventListener>();
  #queue: SecurityEvent[] = [];
  #dropped = 0;
  #droppedTotal = 0;
  #aggregatedTotal = 0;
  #sinkErrors = 0;
  #flushScheduled = false;
  #pendingWrites = new Set<Promise<void>>();
  readonly #aggregates: LruMap<string, AggregateEntry>;
  #windowTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: EventBusOptions) {
    this.#options = options;
    // An aggregate pushed out by the cap is reported at once rather than lost.
    this.#aggregates = new LruMap(options.maxKeys, (_key, entry) => this.#reportAggregate(entry));
  }

  /** Subscribe to every event (after aggregation). Listeners run off the hot path; a throwing listener is ignored. */
  on(listener: SecurityEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(input: SecurityEventInput): void {
    this.#accept(input, false);
  }

  /**
   * `emit` for an object made for this call alone (the guard's own events): the bus keeps it and fills it in where it
   * is instead of copying it. The caller must not touch it afterwards.
   */
  emitOwned(input: SecurityEventInput): void {
    this.#accept(input, true);
  }

  #accept(input: SecurityEventInput, owned: boolean): void {
    if (this.#closed) return;
    const now = this.#options.now();
    if (this.#options.aggregationMs > 0 && AGGREGATED_TYPES.has(input.type)) {
      const key = `${input.type}|${input.reason ?? ''}|${input.ip ?? ''}|${input.userId ?? ''}|${input.event ?? ''}`;
      const entry = this.#aggregates.get(key);
      if (entry) {
        entry.suppressed++;
        this.#aggregatedTotal++;
        return;
      }
      const event = owned ? completeInPlace(input, now) : completeEvent(input, now);
      this.#aggregates.set(key, { sample: event, suppressed: 0 });
      this.#startWindow();
      this.#enqueue(event);
      return;
    }
    this.#enqueue(owned ? completeInPlace(input, now) : completeEvent(input, now));
  }

  stats(): EventBusStats {
    return {
      queued: this.#queue.length,
      dropped: this.#droppedTotal,
      aggregated: this.#aggregatedTotal,
      sinkErrors: this.#sinkErrors,
    };
  }

  /** Deliver everything pending (aggregates included) and wait for the sinks. */
  async flush(): Promise<void> {
    this.#closeWindow();
    this.#deliver();
    while (this.#pendingWrites.size > 0) await Promise.all([...this.#pendingWrites]);
    await Promise.all(
      this.#options.sinks.map(async (sink) => {
        try {
          await sink.flush?.();
        } catch {
          this.#sinkErrors++;
        }
      }),
    );
  }

  async close(): Promise<void> {
    // A sink that cannot deliver (a webhook that never answers) must not hold a shutdown: wait for the flush a while,
    // then close the sinks anyway, which aborts what is in flight. Local sinks (files, logs) finish well within it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    this.#closed = true;
    if (this.#windowTimer) clearTimeout(this.#windowTimer);
    this.#windowTimer = null;
    await Promise.all(
      this.#options.sinks.map(async (sink) => {
        try {
          await sink.close?.();
        } catch {
          this.#sinkErrors++;
        }
      }),
    );
    this.#listeners.clear();
  }

  #enqueue(event: SecurityEvent): void {
    if (this.#queue.length >= this.#options.queueSize) {
      this.#dropped++;
      this.#droppedTotal++;
    } else {
      this.#queue.push(event);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#deliver());
    }
  }

  #startWindow(): void {
    if (this.#windowTimer) return;
    this.#windowTimer = setTimeout(() => {
      this.#windowTimer = null;
      this.#closeWindow();
    }, this.#options.aggregationMs);
    this.#windowTimer.unref();
  }

  #closeWindow(): void {
    for (const entry of this.#aggregates.values()) this.#reportAggregate(entry);
    this.#aggregates.clear();
  }

  #reportAggregate(entry: AggregateEntry): void {
    if (entry.suppressed === 0) return;
    this.#enqueue({ ...entry.sample, time: this.#options.now(), count: entry.suppressed });
    entry.suppressed = 0;
  }

  #deliver(): void {
    this.#flushScheduled = false;
    if (this.#dropped > 0) {
      // Always room for this one: it is how a dropped batch stays visible.
      this.#queue.push(completeEvent({ type: 'events_dropped', detail: { count: this.#dropped } }, this.#options.now()));
      this.#dropped = 0;
    }
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    for (const listener of this.#listeners) {
      for (const event of batch) {
        try {
          listener(event);
        } catch {
          // A listener's bug must not stop the others or the sinks.
        }
      }
    }
    const forSinks = this.#options.forSinks;
    const written = forSinks ? batch.map(forSinks) : batch;
    for (const sink of this.#options.sinks) {
      let result: void | Promise<void>;
      try {
        result = sink.write(written);
      } catch {
        this.#sinkErrors++;
        continue;
      }
      if (result instanceof Promise) {
        const pending: Promise<void> = result.then(
          () => {
            this.#pendingWrites.delete(pending);
          },
          () => {
            this.#sinkErrors++;
            this.#pendingWrites.delete(pending);
          },
        );
        this.#pendingWrites.add(pending);
      }
    }
  }
}
