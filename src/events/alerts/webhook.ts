/**
 * The webhook alert sink: selected security events POSTed as JSON batches (`{ "events": [...] }`) to a URL.
 *
 * The guard is never slowed by the webhook: `write` only filters and queues (it never blocks, never throws, never
 * does I/O). One POST is in flight at a time, with `batchSize` events. A failed POST (non-2xx status, timeout,
 * network error) puts its batch back at the front of the queue, and the next attempt waits with exponential backoff
 * (1 s, doubling to 60 s, reset by a success), so a broken endpoint sees a handful of requests, never a retry storm.
 *
 * Bounded: past `queueSize` waiting events the OLDEST are dropped and counted; the next delivered batch starts with
 * an `events_dropped` event whose `detail.count` says how many were lost. Delivery is at-least-once: a POST that
 * times out after the receiver took it is sent again.
 */

import type { SecurityEvent } from '../catalogue.js';
import type { EventSink } from '../sink.js';
import { AlertQueue, alertFilter, droppedEvent, positiveInt, safeJson, type AlertFilterOptions } from './filter.js';

export interface WebhookSinkOptions extends AlertFilterOptions {
  /** Where batches are POSTed (http or https). */
  readonly url: string | URL;
  /** A POST not answered within this time fails (and is retried after the backoff). Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Events waiting for delivery before the oldest are dropped (and counted). Default 1000. */
  readonly queueSize?: number;
  /** Events per POST. Default 50. */
  readonly batchSize?: number;
  /** Extra request headers (an `authorization` token, for instance). */
  readonly headers?: Readonly<Record<string, string>>;
  /** First retry delay after a failure; doubles on each further failure. Default 1000 ms. */
  readonly backoffMs?: number;
  /** Longest retry delay. Default 60 000 ms. */
  readonly maxBackoffMs?: number;
  /** Clock for `events_dropped` events. Default `Date.now`. */
  readonly now?: () => number;
}

export interface WebhookSinkStats {
  /** Events waiting for delivery (at most `queueSize`). */
  readonly queued: number;
  /** Events in the POST in flight. */
  readonly inFlight: number;
  /** Events delivered (2xx answer). */
  readonly delivered: number;
  /** POSTs sent, and how many of them failed. */
  readonly attempts: number;
  readonly failures: number;
  /** Events dropped because the queue was full (each reported by a delivered or pending `events_dropped`). */
  readonly dropped: number;
  /** Events written after `close()`. */
  readonly droppedAfterClose: number;
  /** Delay before the next retry while backing off, else 0. */
  readonly retryInMs: number;
  /** Why the last POST failed (`HTTP 500`, `timeout after 5000 ms`, a network error), or null. */
  readonly lastError: string | null;
}

export interface WebhookSink extends EventSink {
  /** Filter and queue; never blocks, never throws. */
  write(events: readonly SecurityEvent[]): void;
  /** Send what is queued now (skipping a backoff wait); resolves when the queue is empty or an attempt failed. */
  flush(): Promise<void>;
  /** Stop timers and abort a POST in flight; events still queued are not sent (the guard flushes first). */
  close(): void;
  stats(): WebhookSinkStats;
}

class HttpWebhookSink implements WebhookSink {
  readonly name = 'webhook';
  readonly #url: URL;
  readonly #timeoutMs: number;
  readonly #batchSize: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #headers: Record<string, string>;
  readonly #accept: (event: SecurityEvent) => boolean;
  readonly #now: () => number;
  readonly #queue: AlertQueue;

  #running = false;
  #kickScheduled = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryDelay: number;
  #retryAt = 0;
  #abort: AbortController | null = null;
  #waiters: (() => void)[] = [];
  #closed = false;

  #inFlight = 0;
  #delivered = 0;
  #attempts = 0;
  #failures = 0;
  #droppedAfterClose = 0;
  #lastError: string | null = null;

  constructor(options: WebhookSinkOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError('webhookSink: url must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('webhookSink: url must be http or https');
    this.#url = url;
    this.#timeoutMs = positiveInt('webhookSink', 'timeoutMs', options.timeoutMs ?? 5000, 1);
    this.#queue = new AlertQueue(positiveInt('webhookSink', 'queueSize', options.queueSize ?? 1000, 1));
    this.#batchSize = positiveInt('webhookSink', 'batchSize', options.batchSize ?? 50, 1);
    this.#backoffMs = positiveInt('webhookSink', 'backoffMs', options.backoffMs ?? 1000, 1);
    this.#maxBackoffMs = positiveInt('webhookSink', 'maxBackoffMs', options.maxBackoffMs ?? 60_000, this.#backoffMs);
    this.#retryDelay = this.#backoffMs;
    this.#headers = { 'user-agent': 'wsguard', ...options.headers, 'content-type': 'application/json' };
    this.#accept = alertFilter(options);
    this.#now = options.now ?? Date.now;
  }

  write(events: readonly SecurityEvent[]): void {
    try {
      for (const event of events) {
        if (this.#closed) this.#droppedAfterClose++;
        else if (this.#accept(event)) this.#queue.push(event);
      }
    } catch {
      // A caller passing something that is not an array of events: nothing to deliver.
    }
    this.#kick();
  }

  flush(): Promise<void> {
    if (this.#closed || (!this.#running && !this.#queue.hasWork)) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#waiters.push(resolve));
    if (!this.#running) {
      this.#clearRetry();
      void this.#pump();
    }
    return done;
  }

  close(): void {
    this.#closed = true;
    this.#clearRetry();
    this.#abort?.abort(new Error('closed'));
    this.#settle();
  }

  stats(): WebhookSinkStats {
    return {
      queued: this.#queue.length,
      inFlight: this.#inFlight,
      delivered: this.#delivered,
      attempts: this.#attempts,
      failures: this.#failures,
      dropped: this.#queue.dropped,
      droppedAfterClose: this.#droppedAfterClose,
      retryInMs: this.#retryTimer ? Math.max(0, this.#retryAt - Date.now()) : 0,
      lastError: this.#lastError,
    };
  }

  /** Start delivery off the caller's stack, unless a POST is in flight or a backoff wait is pending. */
  #kick(): void {
    if (this.#closed || this.#running || this.#retryTimer || this.#kickScheduled || !this.#queue.hasWork) return;
    this.#kickScheduled = true;
    setImmediate(() => {
      this.#kickScheduled = false;
      if (!this.#retryTimer) void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#running || this.#closed) return;
    this.#running = true;
    try {
      while (!this.#closed && this.#queue.hasWork) {
        const drops = this.#queue.takeDrops();
        const events = this.#queue.take(this.#batchSize);
        this.#inFlight = events.length;
        const error = await this.#post(drops > 0 ? [droppedEvent(drops, this.name, this.#now()), ...events] : events);
        this.#inFlight = 0;
        if (error === null) {
          this.#delivered += events.length;
          this.#retryDelay = this.#backoffMs;
          continue;
        }
        this.#failures++;
        this.#lastError = error;
        if (this.#closed) {
          this.#droppedAfterClose += events.length;
          break;
        }
        this.#queue.putBack(events, drops);
        this.#scheduleRetry();
        break;
      }
    } finally {
      this.#running = false;
      this.#settle();
    }
  }

  async #post(events: readonly SecurityEvent[]): Promise<string | null> {
    this.#attempts++;
    const controller = new AbortController();
    this.#abort = controller;
    const timer = setTimeout(() => controller.abort(new Error('timeout')), this.#timeoutMs);
    timer.unref();
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: this.#headers,
        body: safeJson((list) => ({ events: list }), events),
        signal: controller.signal,
        redirect: 'manual',
      });
      // The answer's body is not needed; cancelling it frees the connection.
      await response.body?.cancel().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}`;
    } catch (error) {
      if (controller.signal.aborted) return this.#closed ? 'closed' : `timeout after ${this.#timeoutMs} ms`;
      const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
      if (typeof cause?.code === 'string') return cause.code;
      return error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
      if (this.#abort === controller) this.#abort = null;
    }
  }

  #scheduleRetry(): void {
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#maxBackoffMs);
    this.#retryAt = Date.now() + delay;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#pump();
    }, delay);
    // Like the other sinks, the webhook does not keep the process alive: close the guard on shutdown.
    this.#retryTimer.unref();
  }

  #clearRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #settle(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** A sink that POSTs `admin_alert` events (and any others selected by `types` / `minSeverity`) to a webhook. */
export function webhookSink(options: WebhookSinkOptions): WebhookSink {
  return new HttpWebhookSink(options);
}
