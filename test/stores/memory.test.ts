import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { memoryStore, type MemoryStore, type MemoryStoreOptions } from '../../src/stores/memory.js';
import type { Ban, CounterResult, LeaseResult, TokenBucketResult } from '../../src/stores/types.js';
import { runStoreContract, type StoreHarness } from './store-contract.js';

function fakeClockHarness(sweepOnAdvance: boolean): () => Promise<StoreHarness> {
  return () => {
    let time = Date.now();
    const store = memoryStore({ now: () => time, sweepIntervalMs: 0 });
    return Promise.resolve({
      store,
      advance: (ms) => {
        time += ms;
        if (sweepOnAdvance) store.sweep();
        return Promise.resolve();
      },
      cleanup: () => Promise.resolve(store.close()),
    });
  };
}

runStoreContract('memory', fakeClockHarness(false));
// The sweep must only drop what is equivalent to absent: the contract holds with a sweep after every step too.
runStoreContract('memory, swept after every advance', fakeClockHarness(true));
// Proves the suite's margins hold on real time, as they must for the Redis store.
runStoreContract('memory on real time', () => {
  const store = memoryStore();
  return Promise.resolve({
    store,
    // Timers may fire a millisecond early by the wall clock.
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms + 1)),
    cleanup: () => Promise.resolve(store.close()),
  });
});

/** A store on a clock the test moves by hand, with no sweep timer. */
function clocked(options: MemoryStoreOptions = {}): { store: MemoryStore; advance: (ms: number) => void } {
  let time = 1_000_000;
  const store = memoryStore({ now: () => time, sweepIntervalMs: 0, ...options });
  return { store, advance: (ms) => void (time += ms) };
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('memoryStore', () => {
  it('is named memory and not shared', () => {
    const { store } = clocked();
    expect(store.name).toBe('memory');
    expect(store.shared).toBe(false);
  });

  it('answers every method synchronously', () => {
    const { store } = clocked();
    const ban: Ban = { key: 'ip:1', reason: 'r', createdAt: 0, expiresAt: null };
    const received: string[] = [];
    const answers: Array<[string, unknown, unknown]> = [
      ['consumeTokens', store.consumeTokens('b', { capacity: 2, refillPerSecond: 1 }), { allowed: true, remaining: 1, retryAfterMs: 0 }],
      ['resetTokens', store.resetTokens('b'), undefined],
      ['increment', store.increment('c', 1_000), { value: 1, resetInMs: 1_000 }],
      ['getCounter', store.getCounter('c'), 1],
      ['setAdd', store.setAdd('s', 'm', 1_000), 1],
      ['setMembers', store.setMembers('s'), ['m']],
      ['setRemove', store.setRemove('s', 'm'), 0],
      ['acquireLease', store.acquireLease('l', 'h', 1, 1_000), { acquired: true, count: 1 }],
      ['renewLeases', store.renewLeases('l', ['h'], 1_000), undefined],
      ['leaseCount', store.leaseCount('l'), 1],
      ['releaseLease', store.releaseLease('l', 'h'), undefined],
      ['addBan', store.addBan(ban), undefined],
      ['getBan', store.getBan('ip:1'), ban],
      ['listBans', store.listBans(), [ban]],
      ['removeBan', store.removeBan('ip:1'), true],
      ['publish', store.publish('ch', 'x'), undefined],
    ];
    const unsubscribe = store.subscribe('ch', (m) => received.push(m));
    answers.push(['subscribe', typeof unsubscribe, 'function'], ['unsubscribe', unsubscribe(), undefined]);
    answers.push(['close', store.close(), undefined]);
    for (const [method, answer, expected] of answers) {
      expect(isThenable(answer), method).toBe(false);
      expect(answer, method).toEqual(expected);
    }
  });

  it('declares synchronous return types, so callers need no await', () => {
    expectTypeOf<ReturnType<MemoryStore['consumeTokens']>>().toEqualTypeOf<TokenBucketResult>();
    expectTypeOf<ReturnType<MemoryStore['increment']>>().toEqualTypeOf<CounterResult>();
    expectTypeOf<ReturnType<MemoryStore['acquireLease']>>().toEqualTypeOf<LeaseResult>();
    expectTypeOf<ReturnType<MemoryStore['getBan']>>().toEqualTypeOf<Ban | null>();
    expectTypeOf<ReturnType<ReturnType<MemoryStore['subscribe']>>>().toBeVoid();
    expectTypeOf<ReturnType<MemoryStore['close']>>().toBeVoid();
  });

  it('rejects options and arguments that make no sense', () => {
    expect(() => memoryStore({ maxKeys: 0 })).toThrow(RangeError);
    expect(() => memoryStore({ maxKeys: 1.5 })).toThrow(RangeError);
    expect(() => memoryStore({ sweepIntervalMs: -1 })).toThrow(RangeError);
    expect(() => memoryStore({ sweepIntervalMs: Infinity })).toThrow(RangeError);
    const { store } = clocked();
    expect(() => store.consumeTokens('b', { capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => store.consumeTokens('b', { capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
    expect(() => store.consumeTokens('b', { capacity: 1, refillPerSecond: 1 }, -1)).toThrow(RangeError);
    expect(() => store.consumeTokens('b', { capacity: 1, refillPerSecond: 1 }, Number.NaN)).toThrow(RangeError);
    expect(() => store.increment('c', 0)).toThrow(RangeError);
    expect(() => store.increment('c', 100, Infinity)).toThrow(RangeError);
    expect(() => store.setAdd('s', 'm', Infinity)).toThrow(RangeError);
    expect(() => store.acquireLease('l', 'h', Number.NaN, 100)).toThrow(RangeError);
    expect(store.stats()).toEqual({ buckets: 0, counters: 0, sets: 0, leaseKeys: 0, bans: 0, channels: 0 });
  });

  describe('token buckets on an exact clock', () => {
    it('gives the exact wait for the missing tokens', () => {
      const { store, advance } = clocked();
      const spec = { capacity: 10, refillPerSecond: 2 };
      store.consumeTokens('k', spec, 10);
      expect(store.consumeTokens('k', spec)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
      advance(250);
      expect(store.consumeTokens('k', spec)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 250 });
      expect(store.consumeTokens('k', spec, 3)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1_250 });
      advance(250);
      expect(store.consumeTokens('k', spec)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    });

    it('answers a cost above capacity with the time to fill the bucket from empty', () => {
      const { store } = clocked();
      const spec = { capacity: 3, refillPerSecond: 10 };
      store.consumeTokens('k', spec);
      expect(store.consumeTokens('k', spec, 4)).toEqual({ allowed: false, remaining: 2, retryAfterMs: 300 });
      expect(store.consumeTokens('k', spec, 2)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    });

    it('keeps no bucket for a cost of 0 on a full one', () => {
      const { store } = clocked();
      expect(store.consumeTokens('k', { capacity: 3, refillPerSecond: 1 }, 0)).toEqual({ allowed: true, remaining: 3, retryAfterMs: 0 });
      expect(store.stats().buckets).toBe(0);
    });

    it('lets a client through after retryAfterMs, and not sooner than rounding explains', () => {
      // Awkward rates and costs, where refills add up fractions that floating point cannot hold exactly.
      let seed = 7;
      const random = (n: number): number => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed % n;
      };
      const { store, advance } = clocked();
      for (let round = 0; round < 500; round++) {
        const spec = { capacity: 1 + random(50), refillPerSecond: (1 + random(300)) / (1 + random(7)) };
        const key = `k${round}`;
        for (let step = 0; step < 20; step++) {
          const cost = 1 + random(spec.capacity);
          const result = store.consumeTokens(key, spec, cost);
          if (result.allowed) {
            advance(random(200));
            continue;
          }
          // Rounding up to whole milliseconds, and the float slack, may make the wait up to 1 ms longer than needed.
          if (result.retryAfterMs > 2) {
            advance(result.retryAfterMs - 2);
            expect(store.consumeTokens(key, spec, cost).allowed, `${key} step ${step} early`).toBe(false);
            advance(2);
          } else {
            advance(result.retryAfterMs);
          }
          expect(store.consumeTokens(key, spec, cost).allowed, `${key} step ${step}`).toBe(true);
        }
      }
    });
  });

  describe('bounds', () => {
    it('keeps at most maxKeys buckets, counters, sets and bans', () => {
      const { store } = clocked({ maxKeys: 10 });
      for (let i = 0; i < 30; i++) {
        store.consumeTokens(`b${i}`, { capacity: 5, refillPerSecond: 1 });
        store.increment(`c${i}`, 60_000);
        store.setAdd(`s${i}`, 'm', 60_000);
        store.addBan({ key: `ip:${i}`, reason: 'r', createdAt: 0, expiresAt: null });
      }
      expect(store.stats()).toEqual({ buckets: 10, counters: 10, sets: 10, leaseKeys: 0, bans: 10, channels: 0 });
      // The newest survive.
      expect(store.getCounter('c29')).toBe(1);
      expect(store.getCounter('c19')).toBe(0);
      expect(store.listBans().map((b) => b.key)).toEqual(Array.from({ length: 10 }, (_, i) => `ip:${20 + i}`));
    });

    it('never lets a flood of temporary bans push out a permanent one', () => {
      const { store } = clocked({ maxKeys: 10 });
      store.addBan({ key: 'user:mallory', reason: 'r', createdAt: 0, expiresAt: null });
      for (let i = 0; i < 100; i++) store.addBan({ key: `ip:${i}`, reason: 'r', createdAt: 0, expiresAt: Date.now() + 600_000 });
      expect(store.getBan('user:mallory')?.expiresAt).toBeNull();
      expect(store.stats().bans).toBe(11);
      // Replacing the permanent ban with a temporary one moves it, and removing it works either way.
      store.addBan({ key: 'user:mallory', reason: 'r', createdAt: 0, expiresAt: Date.now() + 600_000 });
      expect(store.getBan('user:mallory')?.expiresAt).not.toBeNull();
      expect(store.removeBan('user:mallory')).toBe(true);
      expect(store.getBan('user:mallory')).toBeNull();
    });

    it('keeps at most maxKeys members in one set, leaving new ones out', () => {
      const { store } = clocked({ maxKeys: 10 });
      let size = 0;
      for (let i = 0; i < 30; i++) size = store.setAdd('s', `m${i}`, 60_000);
      expect(size).toBe(10);
      expect(store.setMembers('s')).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
      expect(store.setRemove('s', 'm0')).toBe(9);
      expect(store.setAdd('s', 'new', 60_000)).toBe(10);
      expect(store.setMembers('s')).toContain('new');
    });

    it('evicts the least recently used key, not the oldest one', () => {
      const { store } = clocked({ maxKeys: 3 });
      const spec = { capacity: 10, refillPerSecond: 0.001 };
      store.consumeTokens('a', spec, 2);
      store.consumeTokens('b', spec);
      store.consumeTokens('c', spec);
      store.consumeTokens('a', spec);
      store.consumeTokens('d', spec);
      // b was the least recently used: it starts full again. a kept its state.
      expect(store.consumeTokens('b', spec).remaining).toBe(9);
      expect(store.consumeTokens('a', spec).remaining).toBe(6);

      store.increment('x', 60_000);
      store.increment('y', 60_000);
      store.increment('z', 60_000);
      store.getCounter('x');
      store.increment('w', 60_000);
      expect(store.getCounter('y')).toBe(0);
      expect(store.getCounter('x')).toBe(1);

      const ban = (key: string): Ban => ({ key, reason: 'r', createdAt: 0, expiresAt: null });
      store.addBan(ban('x'));
      store.addBan(ban('y'));
      store.addBan(ban('z'));
      store.getBan('x');
      store.addBan(ban('w'));
      expect(store.getBan('y')).toBeNull();
      expect(store.getBan('x')).toEqual(ban('x'));
    });

    it('never evicts leases, whatever maxKeys', () => {
      const { store } = clocked({ maxKeys: 2 });
      for (let i = 0; i < 5; i++) store.acquireLease(`l${i}`, 'h', 1, 60_000);
      expect(store.stats().leaseKeys).toBe(5);
      for (let i = 0; i < 5; i++) expect(store.acquireLease(`l${i}`, 'other', 1, 60_000)).toEqual({ acquired: false, count: 1 });
    });
  });

  describe('expiry', () => {
    it('ends state at exactly its expiry time', () => {
      const { store, advance } = clocked();
      store.increment('c', 100);
      store.setAdd('s', 'm', 100);
      store.acquireLease('l', 'h', 1, 100);
      store.addBan({ key: 'b', reason: 'r', createdAt: 0, expiresAt: 1_000_100 });
      advance(99);
      expect([store.getCounter('c'), store.setMembers('s').length, store.leaseCount('l'), store.getBan('b') !== null]).toEqual([1, 1, 1, true]);
      advance(1);
      expect([store.getCounter('c'), store.setMembers('s').length, store.leaseCount('l'), store.getBan('b')]).toEqual([0, 0, 0, null]);
    });

    it('starts a new window or set when written at exactly its expiry time', () => {
      const { store, advance } = clocked();
      store.increment('c', 100);
      store.setAdd('s', 'a', 100);
      advance(100);
      expect(store.increment('c', 100)).toEqual({ value: 1, resetInMs: 100 });
      expect(store.setAdd('s', 'b', 100)).toBe(1);
    });

    it('drops a lease key once its last holder is gone, so leases stay bounded by live connections', () => {
      const { store, advance } = clocked();
      store.acquireLease('released', 'h', 1, 1_000);
      store.acquireLease('expired', 'h', 1, 100);
      store.releaseLease('released', 'h');
      expect(store.stats().leaseKeys).toBe(1);
      advance(100);
      expect(store.leaseCount('expired')).toBe(0);
      expect(store.stats().leaseKeys).toBe(0);
    });

    it('purges expired holders before counting against the limit', () => {
      const { store, advance } = clocked();
      store.acquireLease('l', 'short', 2, 100);
      store.acquireLease('l', 'long', 2, 1_000);
      advance(150);
      expect(store.acquireLease('l', 'new', 2, 1_000)).toEqual({ acquired: true, count: 2 });
    });

    it('counts lease holders as a plain list of expiries would, through acquires, renewals, releases and time', () => {
      // The store skips purging a key before its soonest expiry: a random walk checked against the obvious model.
      const { store, advance } = clocked();
      let now = 0;
      const model = new Map<string, Map<string, number>>();
      const live = (key: string): Map<string, number> => {
        const holders = model.get(key) ?? new Map<string, number>();
        for (const [holder, until] of holders) if (until <= now) holders.delete(holder);
        model.set(key, holders);
        return holders;
      };
      let seed = 7;
      const random = (n: number): number => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed % n;
      };
      for (let step = 0; step < 5_000; step++) {
        const key = `k${random(3)}`;
        const holder = `h${random(12)}`;
        const ttl = 50 + random(500);
        switch (random(5)) {
          case 0:
          case 1: {
            const holders = live(key);
            const limit = 1 + random(10);
            const acquired = holders.has(holder) || holders.size < limit;
            if (acquired) holders.set(holder, now + ttl);
            expect(store.acquireLease(key, holder, limit, ttl)).toEqual({ acquired, count: holders.size });
            break;
          }
          case 2:
            live(key).delete(holder);
            store.releaseLease(key, holder);
            break;
          case 3: {
            const holders = live(key);
            const renewed = [holder, `h${random(12)}`];
            for (const h of renewed) if (holders.has(h)) holders.set(h, now + ttl);
            store.renewLeases(key, renewed, ttl);
            break;
          }
          default: {
            const ms = random(120);
            now += ms;
            advance(ms);
          }
        }
        expect(store.leaseCount(key)).toBe(live(key).size);
      }
    });

    it('keeps a set’s expiry on removal (no ttl to renew it with)', () => {
      const { store, advance } = clocked();
      store.setAdd('s', 'a', 200);
      store.setAdd('s', 'b', 200);
      advance(150);
      expect(store.setRemove('s', 'a')).toBe(1);
      advance(50);
      expect(store.setMembers('s')).toEqual([]);
    });

    it('drops on sweep what has expired or refilled, and only that', () => {
      const { store, advance } = clocked();
      store.consumeTokens('refills', { capacity: 2, refillPerSecond: 10 });
      store.consumeTokens('drained', { capacity: 10, refillPerSecond: 0.01 }, 10);
      store.increment('short', 100);
      store.increment('long', 10_000);
      store.setAdd('short', 'm', 100);
      store.setAdd('long', 'm', 10_000);
      store.acquireLease('short', 'h', 5, 100);
      store.acquireLease('mixed', 'gone', 5, 100);
      store.acquireLease('mixed', 'live', 5, 10_000);
      store.addBan({ key: 'short', reason: 'r', createdAt: 0, expiresAt: 1_000_100 });
      store.addBan({ key: 'forever', reason: 'r', createdAt: 0, expiresAt: null });
      advance(150);
      expect(store.stats()).toEqual({ buckets: 2, counters: 2, sets: 2, leaseKeys: 2, bans: 2, channels: 0 });
      store.sweep();
      expect(store.stats()).toEqual({ buckets: 1, counters: 1, sets: 1, leaseKeys: 1, bans: 1, channels: 0 });
      expect(store.leaseCount('mixed')).toBe(1);
      expect(store.consumeTokens('drained', { capacity: 10, refillPerSecond: 0.01 }).allowed).toBe(false);
    });

    it('sweeps on its timer, and close stops the timer', () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      let time = 0;
      const store = memoryStore({ now: () => time, sweepIntervalMs: 1_000 });
      store.increment('c', 100);
      time = 200;
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(999);
      expect(store.stats().counters).toBe(1);
      vi.advanceTimersByTime(1);
      expect(store.stats().counters).toBe(0);
      store.close();
      expect(vi.getTimerCount()).toBe(0);
    });

    it('never keeps the process alive with its timer, and starts none when sweepIntervalMs is 0', () => {
      const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
      const clearIntervalSpy = vi.spyOn(globalThis, 'clearInterval');
      const store = memoryStore({ sweepIntervalMs: 5_000 });
      expect(setIntervalSpy).toHaveBeenCalledTimes(1);
      const timer = setIntervalSpy.mock.results[0]?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      store.close();
      expect(clearIntervalSpy).toHaveBeenCalledWith(timer);
      memoryStore({ sweepIntervalMs: 0 }).close();
      expect(setIntervalSpy).toHaveBeenCalledTimes(1);
    });
  });

  describe('bans', () => {
    it('stores a frozen copy, safe from the caller changing its object', () => {
      const { store } = clocked();
      const meta: Record<string, unknown> = { by: 'admin' };
      store.addBan({ key: 'k', reason: 'r', createdAt: 0, expiresAt: null, meta });
      meta['by'] = 'someone else';
      const stored = store.getBan('k');
      expect(stored?.meta).toEqual({ by: 'admin' });
      expect(Object.isFrozen(stored)).toBe(true);
      expect(Object.isFrozen(stored?.meta)).toBe(true);
    });

    it('lifts the current ban when replaced by one that has already ended', () => {
      const { store } = clocked();
      store.addBan({ key: 'k', reason: 'r', createdAt: 0, expiresAt: null });
      store.addBan({ key: 'k', reason: 'r', createdAt: 0, expiresAt: 1 });
      expect(store.getBan('k')).toBeNull();
      expect(store.stats().bans).toBe(0);
    });
  });

  describe('publish / subscribe', () => {
    it('delivers after publish returns, never inside it', async () => {
      const { store } = clocked();
      const received: string[] = [];
      store.subscribe('ch', (m) => received.push(m));
      store.publish('ch', 'x');
      expect(received).toEqual([]);
      await tick();
      expect(received).toEqual(['x']);
    });

    it('lets a handler publish without re-entering itself', async () => {
      const { store } = clocked();
      const log: string[] = [];
      store.subscribe('ch', (m) => {
        log.push(`start ${m}`);
        if (m === 'first') store.publish('ch', 'second');
        log.push(`end ${m}`);
      });
      store.publish('ch', 'first');
      await tick();
      expect(log).toEqual(['start first', 'end first', 'start second', 'end second']);
    });

    it('reports a throwing handler to onError and still delivers to the others', async () => {
      const errors: unknown[] = [];
      const { store } = clocked({ onError: (err) => errors.push(err) });
      const received: string[] = [];
      const boom = new Error('boom');
      store.subscribe('ch', () => {
        throw boom;
      });
      store.subscribe('ch', (m) => received.push(m));
      store.publish('ch', 'x');
      await tick();
      expect(errors).toEqual([boom]);
      expect(received).toEqual(['x']);
    });

    it('turns a throwing handler into a process warning by default', async () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const { store } = clocked();
      store.subscribe('ch', () => {
        throw new Error('boom');
      });
      store.publish('ch', 'x');
      await tick();
      expect(warn).toHaveBeenCalledTimes(1);
      const options = warn.mock.calls[0]?.[1];
      expect(options).toMatchObject({ type: 'WsguardSubscriberError' });
      expect(JSON.stringify(options)).toContain('Error: boom');
    });

    it('skips a handler unsubscribed by an earlier one during the same delivery', async () => {
      const { store } = clocked();
      const received: string[] = [];
      store.subscribe('ch', () => unsubscribeSecond());
      const unsubscribeSecond = store.subscribe('ch', (m) => received.push(m));
      store.publish('ch', 'x');
      await tick();
      expect(received).toEqual([]);
    });

    it('treats every subscribe call as its own subscription, and drops empty channels', async () => {
      const { store } = clocked();
      const received: string[] = [];
      const handler = (m: string): void => void received.push(m);
      const first = store.subscribe('ch', handler);
      const second = store.subscribe('ch', handler);
      store.publish('ch', 'both');
      await tick();
      first();
      first();
      store.publish('ch', 'one');
      await tick();
      expect(received).toEqual(['both', 'both', 'one']);
      expect(store.stats().channels).toBe(1);
      second();
      expect(store.stats().channels).toBe(0);
    });
  });

  describe('close', () => {
    it('clears everything, refuses further calls, and drops queued deliveries', async () => {
      const { store } = clocked();
      const received: string[] = [];
      store.consumeTokens('b', { capacity: 2, refillPerSecond: 1 });
      store.increment('c', 1_000);
      store.setAdd('s', 'm', 1_000);
      store.acquireLease('l', 'h', 1, 1_000);
      store.addBan({ key: 'k', reason: 'r', createdAt: 0, expiresAt: null });
      const unsubscribe = store.subscribe('ch', (m) => received.push(m));
      store.publish('ch', 'queued');
      store.close();
      await tick();
      expect(received).toEqual([]);
      expect(store.stats()).toEqual({ buckets: 0, counters: 0, sets: 0, leaseKeys: 0, bans: 0, channels: 0 });
      expect(() => store.consumeTokens('b', { capacity: 2, refillPerSecond: 1 })).toThrow('store closed');
      expect(() => store.getBan('k')).toThrow('store closed');
      expect(() => store.publish('ch', 'x')).toThrow('store closed');
      expect(() => unsubscribe()).not.toThrow();
      expect(() => store.close()).not.toThrow();
    });
  });
});
