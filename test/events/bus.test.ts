import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import type { EventSink } from '../../src/events/sink.js';

function memorySink(): EventSink & { events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  return { name: 'memory', events, write: (batch) => void events.push(...batch) };
}

function bus(sinks: EventSink[], overrides: Partial<ConstructorParameters<typeof EventBus>[0]> = {}) {
  let time = 1_000;
  const b = new EventBus({ sinks, aggregationMs: 1_000, queueSize: 1_000, maxKeys: 100, now: () => time, ...overrides });
  return { bus: b, advance: (ms: number) => (time += ms) };
}

describe('event bus', () => {
  it('fills category and severity from the catalogue and from the reason code', async () => {
    const sink = memorySink();
    const { bus: b } = bus([sink]);
    b.emit({ type: 'connection_accepted', ip: '1.2.3.4' });
    b.emit({ type: 'connection_refused', reason: 'connection_rate_limited', ip: '1.2.3.4' });
    b.emit({ type: 'connection_refused', reason: 'origin_not_allowed', ip: '1.2.3.4' });
    await b.flush();
    expect(sink.events.map((e) => [e.type, e.category, e.severity])).toEqual([
      ['connection_accepted', 'connection', 'info'],
      ['connection_refused', 'rate_limit', 'warning'],
      ['connection_refused', 'connection', 'warning'],
    ]);
    expect(sink.events[0]?.time).toBe(1_000);
  });

  it('delivers after the emitting call returns (off the hot path)', async () => {
    const sink = memorySink();
    const { bus: b } = bus([sink]);
    b.emit({ type: 'connection_accepted' });
    expect(sink.events).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.events).toHaveLength(1);
  });

  it('aggregates identical refusals: the first at once, the rest as one count per interval', async () => {
    const sink = memorySink();
    const { bus: b } = bus([sink]);
    for (let i = 0; i < 500; i++) b.emit({ type: 'message_refused', reason: 'message_rate_limited', ip: '1.2.3.4', userId: 'u1', event: 'chat' });
    b.emit({ type: 'message_refused', reason: 'message_rate_limited', ip: '5.6.7.8', userId: 'u2', event: 'chat' });
    await b.flush();
    const fromFirst = sink.events.filter((e) => e.userId === 'u1');
    expect(fromFirst).toHaveLength(2);
    expect(fromFirst[0]?.count).toBeUndefined();
    expect(fromFirst[1]?.count).toBe(499);
    expect(sink.events.filter((e) => e.userId === 'u2')).toHaveLength(1);
    expect(b.stats().aggregated).toBe(499);
  });

  it('never aggregates connection lifecycle events', async () => {
    const sink = memorySink();
    const { bus: b } = bus([sink]);
    for (let i = 0; i < 5; i++) b.emit({ type: 'connection_accepted', ip: '1.2.3.4' });
    await b.flush();
    expect(sink.events).toHaveLength(5);
  });

  it('drops past the queue size and reports the count in an events_dropped event', async () => {
    const sink = memorySink();
    const { bus: b } = bus([sink], { queueSize: 10 });
    for (let i = 0; i < 25; i++) b.emit({ type: 'connection_accepted', connectionId: String(i) });
    await b.flush();
    expect(sink.events.filter((e) => e.type === 'connection_accepted')).toHaveLength(10);
    const dropped = sink.events.find((e) => e.type === 'events_dropped');
    expect(dropped?.detail).toEqual({ count: 15 });
    expect(b.stats().dropped).toBe(15);
  });

  it('bounds aggregation keys: an evicted key reports its count at once', async () => {
    const sink = memorySink();
    const { bus: b } = bus([sink], { maxKeys: 2 });
    for (const ip of ['1.1.1.1', '1.1.1.1', '2.2.2.2', '3.3.3.3']) b.emit({ type: 'connection_refused', reason: 'origin_not_allowed', ip });
    await b.flush();
    const first = sink.events.filter((e) => e.ip === '1.1.1.1');
    expect(first.map((e) => e.count ?? 1)).toEqual([1, 1]);
  });

  it('keeps going when a sink or a listener throws, and counts sink failures', async () => {
    const good = memorySink();
    const bad: EventSink = { name: 'bad', write: () => { throw new Error('disk full'); } };
    const rejecting: EventSink = { name: 'rejecting', write: () => Promise.reject(new Error('network')) };
    const { bus: b } = bus([bad, rejecting, good]);
    const seen: string[] = [];
    b.on(() => { throw new Error('listener bug'); });
    b.on((e) => seen.push(e.type));
    b.emit({ type: 'connection_accepted' });
    await b.flush();
    expect(good.events).toHaveLength(1);
    expect(seen).toEqual(['connection_accepted']);
    expect(b.stats().sinkErrors).toBe(2);
  });

  it('stops accepting events after close', async () => {
    const sink = memorySink();
    const { bus: b } = bus([sink]);
    await b.close();
    b.emit({ type: 'connection_accepted' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.events).toHaveLength(0);
  });
});
