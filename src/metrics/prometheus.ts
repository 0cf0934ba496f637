/**
 * Prometheus metrics for a guard, with prom-client.
 *
 * Counters are fed from the security-event stream (`guard.events.on`): after aggregation and off the hot path, so
 * they cost the message path nothing. An aggregated event stands for `count` occurrences and is counted as many.
 * Gauges (live connections, bans) are read from the guard when Prometheus scrapes, never maintained per event.
 *
 * Cardinality is bounded by construction: every label value comes from a fixed set known when the metrics are
 * created — reason codes from the catalogue, abuse pattern names, threat kinds, the namespaces the operator
 * configured — and anything else is counted under `other`. No label ever carries an IP, a user id, a session id or
 * an event name a client chose.
 *
 * Accepted messages emit no event (nothing runs on that path but the checks): the guard keeps a plain counter,
 * read at scrape time. Inspection latency comes from the guard timing one inspection in 64
 * (`guard.onInspectionSample`), so the histogram costs one clock read per 64 messages.
 */

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isReasonCode, reasonCodes } from '../codes/reason-codes.js';
import { PATTERN_NAMES, SUSPICIOUS_ACTIVITY } from '../abuse/patterns.js';
import type { Guard } from '../core/guard.js';
import type { SecurityEvent } from '../events/catalogue.js';
import type { ScanFindingKind } from '../policies/inspection/scan/types.js';

/** The label value for anything outside a metric's fixed set. */
export const OTHER = 'other';

/** Every `detail.pattern` an `abuse_detected` event may carry. */
export const METRIC_PATTERNS: readonly string[] = Object.freeze([...PATTERN_NAMES, SUSPICIOUS_ACTIVITY]);

const THREAT_KIND_LIST = ['xss', 'sqli', 'cmdi', 'path', 'proto', 'limit'] as const satisfies readonly ScanFindingKind[];
// Compile-time check that the list names every finding kind: a new kind fails the type check here.
type MissingThreatKind = Exclude<ScanFindingKind, (typeof THREAT_KIND_LIST)[number]>;
const _everyThreatKindListed: [MissingThreatKind] extends [never] ? true : MissingThreatKind = true;

/** Every `kind` a `threat_detected` finding may carry. */
export const METRIC_THREAT_KINDS: readonly string[] = Object.freeze([...THREAT_KIND_LIST]);

/**
 * Histogram buckets for `inspection_seconds`: inspecting one message takes microseconds, a pathological one a few
 * milliseconds; past 25 ms is a problem whatever the exact figure.
 */
export const INSPECTION_BUCKETS: readonly number[] = Object.freeze([
  0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
]);

/** What the metrics read from the guard. */
export type MetricsGuard = Pick<Guard, 'events' | 'connections' | 'abuse' | 'stats' | 'onInspectionSample'> & {
  readonly options?: { readonly namespaces?: ReadonlyMap<string, unknown> };
};

export interface MetricsOptions {
  /** Where the metrics are registered. Default: a new registry of their own (never prom-client's global one). */
  readonly registry?: Registry;
  /** Prefix of every metric name. Default `wsguard_`. */
  readonly prefix?: string;
  /**
   * Namespaces allowed as label values (`/` always is); connections to any other namespace count as `other`.
   * Default: the namespaces configured in the guard's `namespaces` option.
   */
  readonly namespaces?: readonly string[];
}

/** The part of a request the handler reads (node:http `IncomingMessage`, Express `Request`). */
export interface MetricsRequest {
  readonly method?: string | undefined;
}

/** The part of a response the handler uses (node:http `ServerResponse`, Express `Response`). */
export interface MetricsResponse {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  end(body?: string): unknown;
}

export interface GuardMetrics {
  readonly registry: Registry;
  /**
   * Answers GET (and HEAD) with the text exposition and its content type; 405 for other methods. Mount it on a
   * port or path that only Prometheus can reach: `http.createServer(metrics.handler)`, `app.get('/metrics', …)`.
   */
  handler(req: MetricsRequest, res: MetricsResponse): void;
  /**
   * Record one message inspection's duration in seconds into `inspection_seconds`. Meant to be called for 1 message
   * in N (time it with `performance.now()` only when a countdown reaches zero), so the message path pays one
   * decrement per message. Non-finite or negative values are ignored.
   */
  observeInspection(seconds: number): void;
  /** Unsubscribe from the guard and remove these metrics from the registry. Idempotent. */
  close(): void;
}

function eventCount(event: SecurityEvent): number {
  const { count } = event;
  return typeof count === 'number' && Number.isFinite(count) && count > 0 ? count : 1;
}

function reasonLabel(reason: unknown): string {
  return isReasonCode(reason) ? reason : OTHER;
}

function fromSet(set: ReadonlySet<string>, value: unknown): string {
  return typeof value === 'string' && set.has(value) ? value : OTHER;
}

export function createMetrics(guard: MetricsGuard, options: MetricsOptions = {}): GuardMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'wsguard_';
  const registers = [registry];
  const patterns = new Set(METRIC_PATTERNS);
  const threatKinds = new Set(METRIC_THREAT_KINDS);
  const namespaceList = [
    ...new Set(['/', ...(options.namespaces ?? [...(guard.options?.namespaces?.keys() ?? [])])]),
  ].filter((name) => name !== OTHER);
  const namespaces = new Set(namespaceList);

  const connections = new Counter({
    name: `${prefix}connections_total`,
    help: 'Connections accepted (passed every check and registered).',
    labelNames: ['result'] as const,
    registers,
  });
  const connectionsRefused = new Counter({
    name: `${prefix}connections_refused_total`,
    help: 'Connection attempts refused, by reason code.',
    labelNames: ['reason'] as const,
    registers,
  });
  const messagesRefused = new Counter({
    name: `${prefix}messages_refused_total`,
    help: 'Messages refused before their handler, by reason code.',
    labelNames: ['reason'] as const,
    registers,
  });
  const abuseDetections = new Counter({
    name: `${prefix}abuse_detections_total`,
    help: 'Abuse thresholds crossed, by pattern.',
    labelNames: ['pattern'] as const,
    registers,
  });
  const threatFindings = new Counter({
    name: `${prefix}threat_findings_total`,
    help: 'Threat findings in payloads let through (flag or sanitize), by kind; at most five per message are reported.',
    labelNames: ['kind'] as const,
    registers,
  });
  let acceptedSeen = 0;
  new Counter({
    name: `${prefix}messages_accepted_total`,
    help: 'Messages that passed every check (monitor-mode passes included).',
    registers,
    collect() {
      // The guard's counter only grows: add what it gained since the last scrape.
      const accepted = guard.stats().messagesAccepted;
      if (accepted > acceptedSeen) this.inc(accepted - acceptedSeen);
      acceptedSeen = accepted;
    },
  });
  const eventsDropped = new Counter({
    name: `${prefix}events_dropped_total`,
    help: 'Security events dropped because the event queue was full.',
    registers,
  });
  new Gauge({
    name: `${prefix}active_connections`,
    help: 'Live connections.',
    registers,
    collect() {
      this.set(guard.connections.size);
    },
  });
  new Gauge({
    name: `${prefix}active_connections_by_namespace`,
    help: 'Live connections by namespace (unconfigured namespaces count as "other").',
    labelNames: ['namespace'] as const,
    registers,
    collect() {
      const tally = new Map<string, number>();
      for (const record of guard.connections.list()) {
        const label = fromSet(namespaces, record.namespace);
        tally.set(label, (tally.get(label) ?? 0) + 1);
      }
      for (const namespace of namespaceList) this.set({ namespace }, tally.get(namespace) ?? 0);
      this.set({ namespace: OTHER }, tally.get(OTHER) ?? 0);
    },
  });
  new Gauge({
    name: `${prefix}bans_active`,
    help: 'Active bans this process knows (all of them with the memory store).',
    registers,
    collect() {
      this.set(guard.abuse?.listBans().length ?? 0);
    },
  });
  const inspection = new Histogram({
    name: `${prefix}inspection_seconds`,
    help: 'Time to inspect one message, sampled (1 message in N).',
    buckets: [...INSPECTION_BUCKETS],
    registers,
  });
  const stopSampling = guard.onInspectionSample((seconds) => inspection.observe(seconds));
  const names = [
    'messages_accepted_total',
    'connections_total',
    'connections_refused_total',
    'messages_refused_total',
    'abuse_detections_total',
    'threat_findings_total',
    'events_dropped_total',
    'active_connections',
    'active_connections_by_namespace',
    'bans_active',
    'inspection_seconds',
  ].map((name) => `${prefix}${name}`);

  // Every series of a fixed set starts at 0, so `rate()` sees the first occurrence.
  connections.inc({ result: 'accepted' }, 0);
  for (const reason of [...reasonCodes, OTHER]) {
    connectionsRefused.inc({ reason }, 0);
    messagesRefused.inc({ reason }, 0);
  }
  for (const pattern of [...METRIC_PATTERNS, OTHER]) abuseDetections.inc({ pattern }, 0);
  for (const kind of [...METRIC_THREAT_KINDS, OTHER]) threatFindings.inc({ kind }, 0);
  eventsDropped.inc(0);

  const listener = (event: SecurityEvent): void => {
    switch (event.type) {
      case 'connection_accepted':
        connections.inc({ result: 'accepted' }, eventCount(event));
        return;
      case 'connection_refused':
        connectionsRefused.inc({ reason: reasonLabel(event.reason) }, eventCount(event));
        return;
      case 'message_refused':
        messagesRefused.inc({ reason: reasonLabel(event.reason) }, eventCount(event));
        return;
      case 'csrf_failure': {
        // A handshake failure has no event name; a message failure has one.
        const counter = event.event === undefined ? connectionsRefused : messagesRefused;
        counter.inc({ reason: reasonLabel(event.reason) }, eventCount(event));
        return;
      }
      case 'internal_error': {
        // A check that threw refuses with `internal_error` and reports only this event, no refusal event.
        const stage = event.detail?.['stage'];
        if (stage === 'connection') connectionsRefused.inc({ reason: 'internal_error' }, eventCount(event));
        else if (stage === 'message') messagesRefused.inc({ reason: 'internal_error' }, eventCount(event));
        return;
      }
      case 'abuse_detected':
        abuseDetections.inc({ pattern: fromSet(patterns, event.detail?.['pattern']) }, eventCount(event));
        return;
      case 'threat_detected': {
        const findings = event.detail?.['findings'];
        if (!Array.isArray(findings)) return;
        const times = eventCount(event);
        for (const finding of findings as unknown[]) {
          const kind = typeof finding === 'object' && finding !== null ? (finding as { kind?: unknown }).kind : undefined;
          threatFindings.inc({ kind: fromSet(threatKinds, kind) }, times);
        }
        return;
      }
      case 'events_dropped': {
        const dropped = event.detail?.['count'];
        if (typeof dropped === 'number' && Number.isFinite(dropped) && dropped > 0) eventsDropped.inc(dropped);
        return;
      }
      default:
        return;
    }
  };
  let unsubscribe: (() => unknown) | null = guard.events.on(listener);

  return {
    registry,
    handler(req, res) {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') {
        res.statusCode = 405;
        res.setHeader('Allow', 'GET, HEAD');
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end('Method not allowed\n');
        return;
      }
      registry.metrics().then(
        (body) => {
          res.statusCode = 200;
          res.setHeader('Content-Type', registry.contentType);
          res.setHeader('Cache-Control', 'no-store');
          res.end(method === 'HEAD' ? undefined : body);
        },
        () => {
          // The error may name internals: the scraper only needs to know the scrape failed.
          res.statusCode = 500;
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.end('Metrics collection failed\n');
        },
      );
    },
    observeInspection(seconds) {
      if (unsubscribe === null || !Number.isFinite(seconds) || seconds < 0) return;
      inspection.observe(seconds);
    },
    close() {
      if (unsubscribe === null) return;
      unsubscribe();
      unsubscribe = null;
      stopSampling();
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
