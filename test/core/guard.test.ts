/**
 * The core on plain context objects: no transport involved. Behaviour through real clients lives in
 * test/adapters; here are the properties that a transport cannot show directly (bounded state, fault handling,
 * synchronous answers, warnings once per process).
 */

import { describe, expect, it } from 'vitest';
import type { ConnectionContext, Verdict } from '../../src/codes/types.js';
import type { GuardConfig } from '../../src/config/types.js';
import { createGuard, type Guard } from '../../src/core/guard.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { memoryStore } from '../../src/stores/memory.js';
import type { Store } from '../../src/stores/types.js';

let nextId = 0;
function ctx(overrides: Partial<ConnectionContext> = {}): ConnectionContext {
  return {
    id: `c${++nextId}`,
    remoteAddress: '203.0.113.1',
    headers: { origin: 'https://app.example.com' },
    url: '/socket.io/',
    query: {},
    namespace: '/',
    auth: {},
    ...overrides,
  };
}

function guardWith(config: GuardConfig = {}): { guard: Guard; events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  const guard = createGuard({
    allowedOrigins: ['https://app.example.com'],
    eventAggregationMs: 0,
    sinks: [{ name: 'capture', write: (batch) => void events.push(...batch) }],
    ...config,
  });
  return { guard, events };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function open(guard: Guard, id: string): void {
  guard.connectionOpened({ id, transport: 'test', close: () => undefined, notify: () => undefined, native: {} });
}

describe('createGuard', () => {
  it('refuses an invalid config with one error naming every bad field', () => {
    expect(() => createGuard({ maxMesageBytes: 10, burstLimit: -1 } as GuardConfig)).toThrow(
      /maxMesageBytes[\s\S]*maxMessageBytes[\s\S]*burstLimit|burstLimit[\s\S]*maxMesageBytes/,
    );
  });

  it('refuses a per-event schema that is not a Standard Schema validator', () => {
    expect(() => createGuard({ events: { chat: { schema: { parse: () => 1 } } } })).toThrow(/Standard Schema/);
  });

  it('logs each weakened default once per process, however many guards', async () => {
    const first = guardWith({ allowedOrigins: ['*'] });
    const second = guardWith({ allowedOrigins: ['*'] });
    expect(first.guard.warnings.map((w) => w.code)).toContain('WSGUARD_W_ORIGIN_WILDCARD');
    await first.guard.close();
    await second.guard.close();
    const logged = [...first.events, ...second.events].filter(
      (e) => e.type === 'config_warning' && e.detail?.['code'] === 'WSGUARD_W_ORIGIN_WILDCARD',
    );
    expect(logged).toHaveLength(1);
  });
});

describe('message path', () => {
  it('answers synchronously with the memory store (no promise per message)', async () => {
    const { guard } = guardWith();
    const c = ctx();
    expect((await guard.admitConnection(c)).allowed).toBe(true);
    open(guard, c.id);
    const verdict = guard.admitMessage({ connectionId: c.id, event: 'chat', bytes: 10, payload: [] });
    expect(verdict).not.toBeInstanceOf(Promise);
    expect((verdict as Verdict).allowed).toBe(true);
    await guard.close();
  });

  it('limits anonymous clients per IP group as well as per connection', async () => {
    const { guard } = guardWith({ messageRateLimit: 60, burstLimit: 2, maxConnectionsPerIp: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = ctx({ remoteAddress: `2001:db8:1:2::${i + 1}` });
      const verdict = await guard.admitConnection(c);
      if (verdict.allowed) ids.push(c.id);
    }
    // Three addresses of one /64 are one group: the cap of two applies to them together.
    expect(ids).toHaveLength(2);
    let passed = 0;
    for (const id of ids) {
      for (let i = 0; i < 5; i++) {
        const v = guard.admitMessage({ connectionId: id, event: 'chat', bytes: 1, payload: [] }) as Verdict;
        if (v.allowed) passed++;
      }
    }
    // Each connection has a burst of 2 and the group a burst of 2 × 2: four messages pass in all.
    expect(passed).toBe(4);
    await guard.close();
  });

  it('refuses messages of a connection it does not know', async () => {
    const { guard } = guardWith();
    const verdict = (await guard.admitMessage({ connectionId: 'nope', event: 'chat', bytes: 1, payload: [] }));
    expect(verdict).toMatchObject({ allowed: false, code: 'internal_error' });
    await guard.close();
  });
});

describe('faults', () => {
  function faultyStore(method: keyof Store): Store {
    const store = memoryStore();
    return new Proxy(store, {
      get(target, key, receiver) {
        if (key === method) return () => Promise.reject(new Error('store down'));
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it('turns a store fault at connection time into internal_error and an event, not a rejection', async () => {
    const { guard, events } = guardWith({ store: faultyStore('consumeTokens') });
    const verdict = await guard.admitConnection(ctx());
    expect(verdict).toMatchObject({ allowed: false, code: 'internal_error', status: 500 });
    await flush();
    expect(events.some((e) => e.type === 'internal_error' && e.detail?.['error'] === 'store down')).toBe(true);
    await guard.close();
  });

  it('releases the IP slot when taking the user slot fails', async () => {
    const store = faultyStore('acquireLease');
    let calls = 0;
    const flaky: Store = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'acquireLease') {
          return (...args: Parameters<Store['acquireLease']>) => (++calls === 1 ? memory.acquireLease(...args) : Promise.reject(new Error('store down')));
        }
        if (key === 'releaseLease') return (...args: Parameters<Store['releaseLease']>) => memory.releaseLease(...args);
        if (key === 'leaseCount') return (k: string) => memory.leaseCount(k);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const memory = memoryStore();
    const { guard } = guardWith({ store: flaky, authenticate: () => ({ userId: 'alice', roles: [] }) });
    const verdict = await guard.admitConnection(ctx());
    expect(verdict).toMatchObject({ allowed: false, code: 'internal_error' });
    expect(memory.leaseCount('conn:ip:203.0.113.1')).toBe(0);
    await guard.close();
    memory.close();
  });

  it('turns a store fault on the message path into internal_error', async () => {
    const store = memoryStore();
    let broken = false;
    const switchable: Store = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'consumeTokens' && broken) return () => Promise.reject(new Error('store down'));
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const { guard } = guardWith({ store: switchable });
    const c = ctx();
    await guard.admitConnection(c);
    open(guard, c.id);
    broken = true;
    const verdict = await guard.admitMessage({ connectionId: c.id, event: 'chat', bytes: 1, payload: [] });
    expect(verdict).toMatchObject({ allowed: false, code: 'internal_error' });
    await guard.close();
    store.close();
  });
});

describe('bounded state', () => {
  it('a flood of distinct addresses does not grow what the guard keeps beyond its cap', async () => {
    const store = memoryStore({ maxKeys: 500 });
    const { guard } = guardWith({ store, maxTrackedKeys: 500, connectionRateLimit: 1 });
    for (let i = 0; i < 5_000; i++) {
      const c = ctx({ remoteAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
      // Two attempts each: the second is refused and lands in the "recently limited" screen.
      await guard.admitConnection(c);
      await guard.admitConnection({ ...c, id: `${c.id}b` });
      guard.connectionClosed(c.id);
    }
    const stats = store.stats();
    expect(stats.buckets).toBeLessThanOrEqual(500);
    expect(stats.leaseKeys).toBe(0);
    expect(guard.connections.size).toBe(0);
    await guard.close();
    store.close();
  });

  it('connectionClosed is idempotent and releases every slot', async () => {
    const store = memoryStore();
    const { guard } = guardWith({ store, authenticate: () => ({ userId: 'alice', roles: [] }) });
    const c = ctx();
    await guard.admitConnection(c);
    open(guard, c.id);
    expect(store.leaseCount('conn:ip:203.0.113.1')).toBe(1);
    expect(store.leaseCount('conn:user:alice')).toBe(1);
    guard.connectionClosed(c.id);
    guard.connectionClosed(c.id);
    expect(store.leaseCount('conn:ip:203.0.113.1')).toBe(0);
    expect(store.leaseCount('conn:user:alice')).toBe(0);
    await guard.close();
    store.close();
  });
});

describe('authenticate hook', () => {
  it('receives a transport-neutral request with the resolved client address', async () => {
    let seen: unknown;
    const { guard } = guardWith({
      trustProxy: 1,
      authenticate: (request) => {
        seen = request;
        return null;
      },
    });
    await guard.admitConnection(
      ctx({ headers: { origin: 'https://app.example.com', 'x-forwarded-for': '198.51.100.7' }, auth: { token: 't' }, query: { v: '1' } }),
    );
    expect(seen).toMatchObject({
      remoteAddress: '203.0.113.1',
      ip: '198.51.100.7',
      auth: { token: 't' },
      query: { v: '1' },
      url: '/socket.io/',
    });
    await guard.close();
  });

  it('refuses an identity without a userId as a hook failure', async () => {
    const { guard } = guardWith({ authenticate: () => ({ roles: [] }) as never });
    expect(await guard.admitConnection(ctx())).toMatchObject({ allowed: false, code: 'unauthenticated', details: { reason: 'hook_failed' } });
    await guard.close();
  });
});
