/**
 * Live event streams for admins (SSE over HTTP, or the admin namespace): events are collected per subscriber and
 * delivered in batches every `intervalMs`, so a flood of events costs one write per subscriber per interval and a
 * dashboard stays responsive. Each batch is capped: beyond `maxBatch` events in one interval, the rest are counted
 * and reported as dropped rather than queued without bound.
 */

import type { SecurityEvent } from '../events/catalogue.js';
import { matchesFilter, type EventFilter } from './recent-events.js';

/**
 * Send one batch; return false when the subscriber cannot keep up (it is then removed). An empty batch is a
 * heartbeat, sent after `heartbeatMs` without events so that proxies keep an idle stream open.
 */
export type DeliverBatch = (events: readonly SecurityEvent[], dropped: number) => boolean;

interface Subscriber {
  readonly filter: EventFilter;
  readonly deliver: DeliverBatch;
  readonly onRemoved: () => void;
  pending: SecurityEvent[];
  dropped: number;
  lastSent: number;
}

export class EventStreams {
  readonly #subscribers = new Set<Subscriber>();
  #timer: NodeJS.Timeout | null = null;

  constructor(
    readonly intervalMs: number,
    readonly maxBatch: number,
    readonly maxSubscribers: number,
    readonly heartbeatMs = 15_000,
  ) {}

  get size(): number {
    return this.#subscribers.size;
  }

  /** Subscribe; returns the unsubscribe function, or null when `maxSubscribers` are already listening. */
  add(filter: EventFilter, deliver: DeliverBatch, onRemoved: () => void = () => undefined): (() => void) | null {
    if (this.#subscribers.size >= this.maxSubscribers) return null;
    const subscriber: Subscriber = { filter, deliver, onRemoved, pending: [], dropped: 0, lastSent: Date.now() };
    this.#subscribers.add(subscriber);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#flush(), this.intervalMs);
      this.#timer.unref();
    }
    return () => this.#remove(subscriber);
  }

  push(event: SecurityEvent): void {
    for (const subscriber of this.#subscribers) {
      if (!matchesFilter(event, subscriber.filter)) continue;
      if (subscriber.pending.length < this.maxBatch) subscriber.pending.push(event);
      else subscriber.dropped += event.count ?? 1;
    }
  }

  #flush(): void {
    const now = Date.now();
    for (const subscriber of this.#subscribers) {
      if (subscriber.pending.length === 0 && subscriber.dropped === 0 && now - subscriber.lastSent < this.heartbeatMs) continue;
      subscriber.lastSent = now;
      const batch = subscriber.pending;
      const dropped = subscriber.dropped;
      subscriber.pending = [];
      subscriber.dropped = 0;
      let kept: boolean;
      try {
        kept = subscriber.deliver(batch, dropped);
      } catch {
        kept = false;
      }
      if (!kept) this.#remove(subscriber);
    }
  }

  #remove(subscriber: Subscriber): void {
    if (!this.#subscribers.delete(subscriber)) return;
    subscriber.onRemoved();
    if (this.#subscribers.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  close(): void {
    for (const subscriber of [...this.#subscribers]) this.#remove(subscriber);
  }
}
