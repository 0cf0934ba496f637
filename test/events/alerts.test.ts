import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { completeEvent } from '../../src/events/bus.js';
import type { SecurityEvent, SecurityEventInput } from '../../src/events/catalogue.js';
import { webhookSink, type WebhookSink, type WebhookSinkOptions } from '../../src/events/alerts/index.js';

type Mode = 'ok' | 'fail' | 'hang';
interface Received {
  readonly time: number;
  readonly headers: IncomingMessage['headers'];
  readonly events: SecurityEvent[] | null;
}

interface Hook {
  readonly url: string;
  mode: Mode;
  readonly received: Received[];
  readonly hanging: ServerResponse[];
  close(): Promise<void>;
}

const servers: Server[] = [];
const sinks: WebhookSink[] = [];
afterEach(async () => {
  for (const sink of sinks.splice(0)) sink.close();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function hook(mode: Mode = 'ok'): Promise<Hook> {
  const state: Hook = {
    url: '',
    mode,
    received: [],
    hanging: [],
    close: () => Promise.resolve(),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let events: SecurityEvent[] | null = null;
      try {
        events = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: SecurityEvent[] }).events;
      } catch {
        events = null;
      }
      if (state.mode === 'hang') {
        state.hanging.push(res);
        return;
      }
      state.received.push({ time: Date.now(), headers: req.headers, events });
      if (state.mode === 'fail') res.writeHead(500).end('no');
      else res.writeHead(204).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: `http://127.0.0.1:${port}/hook` });
}

function make(url: string, extra: Partial<WebhookSinkOptions> = {}): WebhookSink {
  const sink = webhookSink({ url, ...extra });
  sinks.push(sink);
  return sink;
}

const ev = (input: Partial<SecurityEventInput> & { n?: number } = {}): SecurityEvent => {
  const { n, ...rest } = input;
  return completeEvent({ type: 'connection_accepted', ip: '10.0.0.1', ...(n === undefined ? {} : { detail: { n } }), ...rest }, 1_000);
};
const alert = (n: number) => ev({ type: 'admin_alert', n });
const delivered = (h: Hook) => h.received.flatMap((r) => r.events ?? []);
function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error('missing');
  return value;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(10);
  }
}

describe('webhookSink', () => {
  it('POSTs admin_alert and critical events as JSON batches by default, with the configured headers', async () => {
    const h = await hook();
    const sink = make(h.url, { headers: { authorization: 'Bearer t' } });
    sink.write([
      ev({ type: 'connection_accepted' }),
      alert(1),
      ev({ type: 'internal_error', reason: 'internal_error' }),
      ev({ type: 'ban_added' }),
      ev({ type: 'threat_detected' }),
    ]);
    await sink.flush();
    expect(h.received).toHaveLength(1);
    const first = must(h.received[0]);
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers.authorization).toBe('Bearer t');
    expect(first.events?.map((e) => e.type)).toEqual(['admin_alert', 'internal_error']);
    expect(first.events?.[0]?.detail).toEqual({ n: 1 });
    expect(sink.stats()).toMatchObject({ delivered: 2, attempts: 1, failures: 0, queued: 0, dropped: 0 });
  });

  it('delivers by minSeverity and by types, and admin_alert always', async () => {
    const h = await hook();
    const sink = make(h.url, { minSeverity: 'high', types: ['admin_alert', 'ban_lifted'] });
    sink.write([
      ev({ type: 'connection_accepted' }), // info: no
      ev({ type: 'threat_detected' }), // warning: no
      ev({ type: 'ban_lifted' }), // warning, but listed
      ev({ type: 'handler_error' }), // high
      ev({ type: 'internal_error' }), // critical
      alert(1),
      ev({ type: 'connection_refused', reason: 'connection_rate_limited' }),
    ]);
    await sink.flush();
    expect(delivered(h).map((e) => e.type)).toEqual(['ban_lifted', 'handler_error', 'internal_error', 'admin_alert']);

    const h2 = await hook();
    const low = make(h2.url, { minSeverity: 'info' });
    low.write([ev({ type: 'connection_accepted' }), alert(2)]);
    await low.flush();
    expect(delivered(h2).map((e) => e.type)).toEqual(['connection_accepted', 'admin_alert']);
  });

  it('splits the queue into batches of batchSize, one POST at a time, in order', async () => {
    const h = await hook();
    const sink = make(h.url, { batchSize: 3 });
    sink.write(Array.from({ length: 8 }, (_, i) => alert(i)));
    await sink.flush();
    expect(h.received.map((r) => r.events?.length)).toEqual([3, 3, 2]);
    expect(delivered(h).map((e) => e.detail?.['n'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('write starts delivery by itself, off the caller stack', async () => {
    const h = await hook();
    const sink = make(h.url);
    const result = sink.write([alert(1)]) as unknown;
    expect(result).toBeUndefined();
    expect(sink.stats().attempts).toBe(0);
    // The endpoint has the request before the sink has read the answer: wait for the sink's count.
    await until(() => sink.stats().delivered === 1);
    expect(h.received).toHaveLength(1);
  });

  it('a failing endpoint gets retries spaced by exponential backoff, then success drains the queue', async () => {
    const h = await hook('fail');
    const sink = make(h.url);
    sink.write([alert(1), alert(2)]);
    await sleep(1_500);
    // t=0 fails, t≈1 s retry fails, the next waits 2 s more: two attempts, not a storm.
    expect(h.received.length).toBe(2);
    expect(must(h.received[1]).time - must(h.received[0]).time).toBeGreaterThanOrEqual(900);
    expect(sink.stats()).toMatchObject({ attempts: 2, failures: 2, queued: 2, lastError: 'HTTP 500' });
    expect(sink.stats().retryInMs).toBeGreaterThan(1_000);
    // Writes while backing off do not trigger an attempt.
    sink.write([alert(3)]);
    await sleep(100);
    expect(h.received.length).toBe(2);

    h.mode = 'ok';
    await sink.flush();
    const ok = h.received.slice(2);
    expect(ok.flatMap((r) => r.events ?? []).map((e) => e.detail?.['n'])).toEqual([1, 2, 3]);
    expect(sink.stats()).toMatchObject({ delivered: 3, queued: 0, retryInMs: 0, failures: 2 });
  });

  it('backoff resets after a success', async () => {
    const h = await hook('fail');
    const sink = make(h.url, { backoffMs: 50, maxBackoffMs: 400 });
    sink.write([alert(1)]);
    await until(() => h.received.length >= 4);
    h.mode = 'ok';
    await until(() => sink.stats().delivered === 1, 2000);
    h.mode = 'fail';
    const before = h.received.length;
    sink.write([alert(2)]);
    await until(() => h.received.length >= before + 2);
    const [a, b] = h.received.slice(before);
    expect(must(b).time - must(a).time).toBeLessThan(300);
  });

  it('never slows the caller: a webhook that never answers, 10 000 writes return at once, the queue stays bounded, drops are reported', async () => {
    const h = await hook('hang');
    const queueSize = 1000;
    const sink = make(h.url, { queueSize, timeoutMs: 300 });
    const events = Array.from({ length: 10_000 }, (_, i) => alert(i));
    await until(() => {
      sink.write([must(events[0])]);
      return h.hanging.length === 1;
    });
    // events[0] may have been queued a few times while waiting for the request to arrive; count from here.
    const start = sink.stats();
    let maxQueued = 0;
    for (let i = 1; i < events.length; i++) {
      const result = sink.write([must(events[i])]) as unknown;
      expect(result).toBeUndefined();
      maxQueued = Math.max(maxQueued, sink.stats().queued);
    }
    // Returning undefined (not a promise) is what "never slows the caller" means: nothing waits on the network.
    expect(maxQueued).toBeLessThanOrEqual(queueSize);
    expect(sink.stats().queued).toBe(queueSize);
    expect(sink.stats().dropped - start.dropped).toBe(events.length - 1 - (queueSize - start.queued));

    // The hung POST times out; the endpoint recovers; the next delivered batch starts with the drop report.
    h.mode = 'ok';
    await sink.flush(); // the in-flight attempt fails (timeout)
    expect(sink.stats().failures).toBe(1);
    expect(sink.stats().lastError).toBe('timeout after 300 ms');
    await sink.flush(); // retries now and drains
    const first = must(h.received[0]?.events);
    expect(first[0]?.type).toBe('events_dropped');
    const reported = first[0]?.detail?.['count'] as number;
    const stats = sink.stats();
    expect(reported).toBe(stats.dropped);
    // Every event accepted is either delivered or reported as dropped.
    const real = delivered(h).filter((e) => e.type !== 'events_dropped');
    expect(real.length + reported).toBe(stats.delivered + stats.dropped);
    expect(real.length).toBe(queueSize);
    expect(real.at(-1)?.detail?.['n']).toBe(events.length - 1);
    expect(delivered(h).filter((e) => e.type === 'events_dropped')).toHaveLength(1);
    expect(stats).toMatchObject({ queued: 0, inFlight: 0 });
  });

  it('honours timeoutMs', async () => {
    const h = await hook('hang');
    const sink = make(h.url, { timeoutMs: 150 });
    sink.write([alert(1)]);
    const t0 = Date.now();
    await sink.flush();
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(1_000);
    expect(sink.stats()).toMatchObject({ attempts: 1, failures: 1, queued: 1, lastError: 'timeout after 150 ms' });
  });

  it('counts network errors as failures and does not throw', async () => {
    const h = await hook();
    const url = h.url;
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    const sink = make(url);
    expect(() => sink.write([alert(1)])).not.toThrow();
    await sink.flush();
    expect(sink.stats()).toMatchObject({ attempts: 1, failures: 1, queued: 1 });
    expect(sink.stats().lastError).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('never throws from write on junk, and counts events written after close', async () => {
    const h = await hook();
    const sink = make(h.url);
    expect(() => sink.write(null as unknown as SecurityEvent[])).not.toThrow();
    expect(() => sink.write([null as unknown as SecurityEvent, 5 as unknown as SecurityEvent])).not.toThrow();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    sink.write([ev({ type: 'admin_alert', detail: cyclic })]);
    await sink.flush();
    expect(delivered(h)[0]?.detail).toEqual({ unserializable: true });
    sink.close();
    sink.write([alert(1)]);
    expect(sink.stats().droppedAfterClose).toBe(1);
    await sink.flush();
  });

  it('validates its options', () => {
    expect(() => webhookSink({ url: 'not a url' })).toThrow(TypeError);
    expect(() => webhookSink({ url: 'ftp://x/' })).toThrow(TypeError);
    expect(() => webhookSink({ url: 'http://x/', queueSize: 0 })).toThrow(RangeError);
    expect(() => webhookSink({ url: 'http://x/', minSeverity: 'loud' as 'info' })).toThrow(RangeError);
  });
});
