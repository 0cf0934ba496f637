/**
 * Prometheus metrics on a real guard driven through plain contexts (no sockets), and the handler over a real
 * node:http server.
 */

import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { reasonCodes, type ReasonCode } from '../../src/codes/reason-codes.js';
import type { ConnectionContext } from '../../src/codes/types.js';
import type { GuardConfig } from '../../src/config/types.js';
import { createGuard, type Guard } from '../../src/core/guard.js';
import {
  createMetrics,
  INSPECTION_BUCKETS,
  METRIC_PATTERNS,
  METRIC_THREAT_KINDS,
  type GuardMetrics,
} from '../../src/metrics/index.js';

const ORIGIN = 'https://app.example.com';
const IP = '203.0.113.7';

let nextId = 0;
function ctx(overrides: Partial<ConnectionContext> = {}): ConnectionContext {
  return {
    id: `m${++nextId}`,
    remoteAddress: IP,
    headers: { origin: ORIGIN },
    url: '/socket.io/',
    query: {},
    namespace: '/',
    auth: {},
    ...overrides,
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(
  config: GuardConfig = {},
  metricsOptions: Parameters<typeof createMetrics>[1] = {},
): { guard: Guard; metrics: GuardMetrics } {
  const guard = createGuard({ allowedOrigins: [ORIGIN], eventAggregationMs: 0, sinks: [], ...config });
  const metrics = createMetrics(guard, metricsOptions);
  cleanups.push(() => guard.close(), () => metrics.close());
  return { guard, metrics };
}

/** Events reach listeners on the next turn of the event loop. */
const delivered = () => new Promise((resolve) => setImmediate(resolve));

async function connect(guard: Guard, overrides: Partial<ConnectionContext> = {}): Promise<string> {
  const c = ctx(overrides);
  const verdict = await guard.admitConnection(c);
  expect(verdict.allowed).toBe(true);
  guard.connectionOpened({ id: c.id, transport: 'test', close: () => undefined, notify: () => undefined, native: {} });
  return c.id;
}

/** The samples of a text exposition: `name{labels}` → value. Throws on a line that is not a comment or a sample. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) throw new Error(`not an exposition line: ${JSON.stringify(line)}`);
    samples.set(match[1], Number(match[2]));
  }
  return samples;
}

async function scrape(metrics: GuardMetrics): Promise<{ text: string; lines: string[]; samples: Map<string, number> }> {
  const text = await metrics.registry.metrics();
  return { text, lines: text.split('\n'), samples: parse(text) };
}

describe('createMetrics', () => {
  it('exposes counters and gauges in the text format, with exact lines', async () => {
    const { guard, metrics } = setup();
    await connect(guard);
    expect((await guard.admitConnection(ctx({ headers: { origin: 'https://evil.example' } }))).allowed).toBe(false);
    await delivered();

    const { lines, samples } = await scrape(metrics);
    expect(lines).toContain('# TYPE wsguard_connections_total counter');
    expect(lines).toContain('wsguard_connections_total{result="accepted"} 1');
    expect(lines).toContain('# TYPE wsguard_connections_refused_total counter');
    expect(lines).toContain('wsguard_connections_refused_total{reason="origin_not_allowed"} 1');
    expect(lines).toContain('wsguard_connections_refused_total{reason="banned"} 0');
    expect(lines).toContain('# TYPE wsguard_active_connections gauge');
    expect(lines).toContain('wsguard_active_connections 1');
    expect(lines).toContain('wsguard_active_connections_by_namespace{namespace="/"} 1');
    expect(lines).toContain('wsguard_active_connections_by_namespace{namespace="other"} 0');
    expect(lines).toContain('wsguard_bans_active 0');
    expect(lines).toContain('wsguard_events_dropped_total 0');
    expect(lines).toContain('# TYPE wsguard_inspection_seconds histogram');
    expect(lines).toContain('wsguard_inspection_seconds_count 0');
    expect(samples.get('wsguard_messages_refused_total{reason="message_too_large"}')).toBe(0);
  });

  it('counts refused messages by reason, CSRF failures by where they happened', async () => {
    const { guard, metrics } = setup({ maxMessageBytes: 100 });
    const id = await connect(guard);
    for (let i = 0; i < 3; i++) await guard.admitMessage({ connectionId: id, event: 'chat', bytes: 10_000, payload: [] });
    guard.refuseUnreadable(id, 'binary_not_allowed');
    guard.emit({ type: 'csrf_failure', reason: 'csrf_missing', ip: IP, detail: { stage: 'handshake' } });
    guard.emit({ type: 'csrf_failure', reason: 'csrf_invalid', ip: IP, event: 'transfer', connectionId: id });
    await delivered();

    const { samples } = await scrape(metrics);
    expect(samples.get('wsguard_messages_refused_total{reason="message_too_large"}')).toBe(3);
    expect(samples.get('wsguard_messages_refused_total{reason="binary_not_allowed"}')).toBe(1);
    expect(samples.get('wsguard_connections_refused_total{reason="csrf_missing"}')).toBe(1);
    expect(samples.get('wsguard_messages_refused_total{reason="csrf_missing"}')).toBe(0);
    expect(samples.get('wsguard_messages_refused_total{reason="csrf_invalid"}')).toBe(1);
    expect(samples.get('wsguard_connections_refused_total{reason="csrf_invalid"}')).toBe(0);
  });

  it('adds the count of aggregated events: 50 identical refusals in one window count 50', async () => {
    const { guard, metrics } = setup({ eventAggregationMs: 40, connectionRateLimit: 1_000 });
    for (let i = 0; i < 50; i++) {
      const verdict = await guard.admitConnection(ctx({ headers: { origin: 'https://evil.example' } }));
      expect(verdict.allowed).toBe(false);
    }
    await delivered();
    // Within the window, only the first refusal has been delivered.
    expect((await scrape(metrics)).samples.get('wsguard_connections_refused_total{reason="origin_not_allowed"}')).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 120));
    await delivered();
    expect((await scrape(metrics)).samples.get('wsguard_connections_refused_total{reason="origin_not_allowed"}')).toBe(50);
  });

  it('keeps label sets fixed: no client-chosen event name, namespace, IP or user id; unknown values become other', async () => {
    const { guard, metrics } = setup({ maxMessageBytes: 100 }, { namespaces: ['/chat'] });
    await connect(guard, { namespace: '/chat' });
    await connect(guard, { namespace: '/' });
    const stranger = await connect(guard, { namespace: '/attacker-chosen-ns' });
    await guard.admitMessage({ connectionId: stranger, event: 'attacker_chosen_event', bytes: 10_000, payload: [] });
    guard.emit({ type: 'connection_refused', reason: 'made_up_reason' as ReasonCode, ip: '198.51.100.99' });
    guard.emit({ type: 'message_refused', event: 'another_client_event', ip: IP, userId: 'user-secret-42' });
    guard.emit({ type: 'abuse_detected', ip: IP, detail: { pattern: 'clientInventedPattern' } });
    guard.emit({ type: 'abuse_detected', ip: IP, detail: { pattern: 'messageFlood' } });
    guard.emit({
      type: 'threat_detected',
      ip: IP,
      event: 'x',
      detail: { action: 'flag', findings: [{ kind: 'xss', rule: 'r', path: '$' }, { kind: 'weird-kind' }, 'junk'] },
    });
    await delivered();

    const { text, samples } = await scrape(metrics);
    for (const leaked of [
      'attacker-chosen-ns',
      'attacker_chosen_event',
      'another_client_event',
      'made_up_reason',
      'clientInventedPattern',
      'weird-kind',
      'user-secret-42',
      IP,
      '198.51.100.99',
    ]) {
      expect(text).not.toContain(leaked);
    }
    expect(samples.get('wsguard_active_connections_by_namespace{namespace="/chat"}')).toBe(1);
    expect(samples.get('wsguard_active_connections_by_namespace{namespace="/"}')).toBe(1);
    expect(samples.get('wsguard_active_connections_by_namespace{namespace="other"}')).toBe(1);
    expect(samples.get('wsguard_connections_refused_total{reason="other"}')).toBe(1);
    expect(samples.get('wsguard_messages_refused_total{reason="other"}')).toBe(1);
    expect(samples.get('wsguard_messages_refused_total{reason="message_too_large"}')).toBe(1);
    expect(samples.get('wsguard_abuse_detections_total{pattern="other"}')).toBe(1);
    expect(samples.get('wsguard_abuse_detections_total{pattern="messageFlood"}')).toBe(1);
    expect(samples.get('wsguard_threat_findings_total{kind="xss"}')).toBe(1);
    expect(samples.get('wsguard_threat_findings_total{kind="other"}')).toBe(2);

    // Every label value is from a fixed set.
    const fixed: Record<string, ReadonlySet<string>> = {
      result: new Set(['accepted']),
      reason: new Set([...reasonCodes, 'other']),
      pattern: new Set([...METRIC_PATTERNS, 'other']),
      kind: new Set([...METRIC_THREAT_KINDS, 'other']),
      namespace: new Set(['/', '/chat', 'other']),
      le: new Set([...INSPECTION_BUCKETS.map(String), '+Inf']),
    };
    for (const key of samples.keys()) {
      for (const [, name, value] of key.matchAll(/([a-z_]+)="([^"]*)"/g)) {
        expect(fixed[name ?? '']?.has(value ?? ''), key).toBe(true);
      }
    }
    const namespaceValues = [...samples.keys()]
      .map((key) => /namespace="([^"]*)"/.exec(key)?.[1])
      .filter((value) => value !== undefined);
    expect(new Set(namespaceValues)).toEqual(new Set(['/', '/chat', 'other']));
  });

  it('takes the guard’s configured namespaces as label values by default', async () => {
    const { guard, metrics } = setup({ namespaces: { '/admin': { requireAuthentication: false } } });
    await connect(guard, { namespace: '/admin' });
    const { samples } = await scrape(metrics);
    expect(samples.get('wsguard_active_connections_by_namespace{namespace="/admin"}')).toBe(1);
    expect(samples.get('wsguard_active_connections_by_namespace{namespace="other"}')).toBe(0);
  });

  it('reads the gauges at scrape time: live connections and active bans', async () => {
    const { guard, metrics } = setup();
    const ids = [await connect(guard), await connect(guard), await connect(guard)];
    expect((await scrape(metrics)).samples.get('wsguard_active_connections')).toBe(3);
    guard.connectionClosed(ids[0] ?? '');
    expect((await scrape(metrics)).samples.get('wsguard_active_connections')).toBe(2);
    expect((await scrape(metrics)).samples.get('wsguard_active_connections_by_namespace{namespace="/"}')).toBe(2);

    expect(guard.abuse).not.toBeNull();
    await guard.abuse?.ban({ ip: '198.51.100.1' }, { durationMs: 60_000, reason: 'test', by: 'ops' });
    await guard.abuse?.ban({ userId: 'u1' }, { permanent: true, reason: 'test', by: 'ops' });
    expect((await scrape(metrics)).samples.get('wsguard_bans_active')).toBe(2);
    await guard.abuse?.unban({ userId: 'u1' });
    expect((await scrape(metrics)).samples.get('wsguard_bans_active')).toBe(1);
    expect((await scrape(metrics)).text).not.toContain('198.51.100.1');
  });

  it('reports 0 bans when abuse detection is off', async () => {
    const { metrics } = setup({ abuseDetectionEnabled: false });
    expect((await scrape(metrics)).samples.get('wsguard_bans_active')).toBe(0);
  });

  it('counts dropped events from the events_dropped count', async () => {
    const { guard, metrics } = setup({ eventQueueSize: 5 });
    for (let i = 0; i < 12; i++) guard.emit({ type: 'connection_refused', reason: 'origin_not_allowed', ip: IP });
    await delivered();
    const { samples } = await scrape(metrics);
    expect(samples.get('wsguard_events_dropped_total')).toBe(7);
    expect(samples.get('wsguard_connections_refused_total{reason="origin_not_allowed"}')).toBe(5);
  });

  it('records sampled inspection times into the histogram, ignoring nonsense', async () => {
    const { metrics } = setup();
    metrics.observeInspection(0.000_003);
    metrics.observeInspection(0.000_2);
    metrics.observeInspection(Number.NaN);
    metrics.observeInspection(-1);
    const { lines, samples } = await scrape(metrics);
    expect(lines).toContain('wsguard_inspection_seconds_bucket{le="0.000005"} 1');
    expect(lines).toContain('wsguard_inspection_seconds_bucket{le="0.00025"} 2');
    expect(lines).toContain('wsguard_inspection_seconds_bucket{le="+Inf"} 2');
    expect(lines).toContain('wsguard_inspection_seconds_count 2');
    expect(samples.get('wsguard_inspection_seconds_sum')).toBeCloseTo(0.000_203, 9);
  });

  it('counts accepted messages and times one inspection in 64 from the guard itself', async () => {
    const { guard, metrics } = setup({ burstLimit: 100, messageRateLimit: 60 });
    const id = await connect(guard);
    let refusedOnce = false;
    for (let i = 0; i < 130; i++) {
      const verdict = await guard.admitMessage({ connectionId: id, event: 'chat', bytes: 20, payload: [{ text: `hello ${i}` }] });
      if (!verdict.allowed) refusedOnce = true;
    }
    expect(refusedOnce).toBe(true); // a burst of 100 lets 100 of the 130 through
    const accepted = guard.stats().messagesAccepted;
    expect(accepted).toBe(100);
    const { samples } = await scrape(metrics);
    expect(samples.get('wsguard_messages_accepted_total')).toBe(accepted);
    // Only accepted messages are inspected (the rate limit comes first): one sample per 64 of them.
    expect(samples.get('wsguard_inspection_seconds_count')).toBe(1);
    // A second scrape adds nothing when nothing happened in between.
    expect((await scrape(metrics)).samples.get('wsguard_messages_accepted_total')).toBe(accepted);
  });

  it('uses a registry of its own by default, or the one given, with the prefix given; close removes its metrics', async () => {
    const registry = new Registry();
    const guard = createGuard({ allowedOrigins: [ORIGIN], eventAggregationMs: 0, sinks: [] });
    cleanups.push(() => guard.close());
    const metrics = createMetrics(guard, { registry, prefix: 'app_ws_' });
    expect(metrics.registry).toBe(registry);
    expect(await registry.getSingleMetricAsString('app_ws_active_connections')).toContain('app_ws_active_connections 0');

    metrics.close();
    metrics.close();
    expect(await registry.getMetricsAsJSON()).toHaveLength(0);

    // The same names can be registered again once closed.
    const again = createMetrics(guard, { registry, prefix: 'app_ws_' });
    cleanups.push(() => again.close());
    expect((await scrape(again)).samples.get('app_ws_connections_refused_total{reason="origin_not_allowed"}')).toBe(0);
    const own = createMetrics(guard);
    cleanups.push(() => own.close());
    expect(own.registry).not.toBe(registry);
  });

  it('unsubscribes from the guard on close', () => {
    const listeners = new Set<unknown>();
    const samplers = new Set<unknown>();
    const fake = {
      events: { on: (listener: unknown) => (listeners.add(listener), () => listeners.delete(listener)) },
      connections: { size: 0, list: () => [] },
      abuse: null,
      stats: () => ({ messagesAccepted: 0 }),
      onInspectionSample: (listener: unknown) => (samplers.add(listener), () => samplers.delete(listener)),
    } as unknown as Parameters<typeof createMetrics>[0];
    const metrics = createMetrics(fake);
    expect(listeners.size).toBe(1);
    expect(samplers.size).toBe(1);
    metrics.close();
    expect(listeners.size).toBe(0);
    expect(samplers.size).toBe(0);
  });
});

describe('handler', () => {
  async function serve(metrics: GuardMetrics): Promise<number> {
    const server = createServer((req, res) => metrics.handler(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return (server.address() as AddressInfo).port;
  }

  function get(port: number, method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/metrics', method }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('answers the text exposition with its content type over node:http', async () => {
    const { guard, metrics } = setup();
    await connect(guard);
    await delivered();
    const port = await serve(metrics);

    const res = await get(port);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(metrics.registry.contentType);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
    const samples = parse(res.body);
    expect(samples.get('wsguard_connections_total{result="accepted"}')).toBe(1);
    expect(samples.get('wsguard_active_connections')).toBe(1);

    const head = await get(port, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');

    const post = await get(port, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });
});
