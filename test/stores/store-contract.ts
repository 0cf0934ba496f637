import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ban, Store } from '../../src/stores/types.js';

/**
 * What the contract suite needs to drive one store. Time advances stay in the tens to hundreds of milliseconds, so a
 * store on real time (Redis) runs the suite in a few seconds; assertions leave room for the milliseconds that pass
 * between calls on real time, and stay exact enough to fail on a wrong result.
 */
export interface StoreHarness {
  /** A store whose clock reads wall-clock time at the start: bans carry epoch milliseconds (`Date.now()`). */
  readonly store: Store;
  /** Let `ms` pass for the store: move a fake clock, or sleep for a store on real time. */
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

/** Real time for pub/sub, which no fake clock drives: the longest a delivery may take, and the quiet period. */
const DELIVERY_TIMEOUT_MS = 2_000;
const SETTLE_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait until `check` stops throwing (a delivery arrived), or fail with its last error. */
async function eventually(check: () => void): Promise<void> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(5);
    }
  }
}

/** Call a store method so that a synchronous throw and a rejection both end up as a rejected promise. */
function settled<T>(call: () => T | Promise<T>): Promise<T> {
  return Promise.resolve().then(call);
}

export function runStoreContract(name: string, create: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;
    /** A key prefix no other test (nor an earlier run against a shared store) uses. */
    let p: string;

    beforeEach(async () => {
      harness = await create();
      store = harness.store;
      p = `wsg-contract:${randomUUID()}:`;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    describe('token buckets', () => {
      // One token every 100 ms: slow enough that the few milliseconds between calls on real time change little.
      const spec = { capacity: 3, refillPerSecond: 10 };

      it('starts a new bucket full, one per key, cost 1 by default', async () => {
        expect(await store.consumeTokens(`${p}a`, spec)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
        expect(await store.consumeTokens(`${p}a`, spec)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
        expect(await store.consumeTokens(`${p}b`, spec)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
      });

      it('allows a burst up to capacity, then refuses with the wait for the next token', async () => {
        const remaining: number[] = [];
        for (let i = 0; i < 3; i++) {
          const result = await store.consumeTokens(`${p}k`, spec);
          expect(result.allowed).toBe(true);
          remaining.push(result.remaining);
        }
        expect(remaining).toEqual([2, 1, 0]);
        const refused = await store.consumeTokens(`${p}k`, spec);
        expect(refused.allowed).toBe(false);
        expect(refused.remaining).toBe(0);
        expect(refused.retryAfterMs).toBeGreaterThan(60);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(100);
      });

      it('refills over time, and waiting retryAfterMs is enough', async () => {
        expect((await store.consumeTokens(`${p}k`, spec, 3)).remaining).toBe(0);
        await harness.advance(130);
        expect(await store.consumeTokens(`${p}k`, spec)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
        const refused = await store.consumeTokens(`${p}k`, spec);
        expect(refused.allowed).toBe(false);
        // 0.3 of a token left at least, so less than the 100 ms a whole token takes.
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(70);
        await harness.advance(refused.retryAfterMs);
        expect((await store.consumeTokens(`${p}k`, spec)).allowed).toBe(true);
      });

      it('never holds more than capacity', async () => {
        expect((await store.consumeTokens(`${p}k`, spec)).remaining).toBe(2);
        // Long enough for 3 more tokens than there is room for.
        await harness.advance(400);
        expect((await store.consumeTokens(`${p}k`, spec)).remaining).toBe(2);
        expect((await store.consumeTokens(`${p}k`, spec, 2)).remaining).toBe(0);
        expect((await store.consumeTokens(`${p}k`, spec)).allowed).toBe(false);
      });

      it('takes a cost greater than 1 at once, and a refusal takes nothing', async () => {
        const big = { capacity: 5, refillPerSecond: 10 };
        expect(await store.consumeTokens(`${p}k`, big, 3)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
        const refused = await store.consumeTokens(`${p}k`, big, 3);
        expect(refused.allowed).toBe(false);
        expect(refused.remaining).toBe(2);
        // One token short.
        expect(refused.retryAfterMs).toBeGreaterThan(60);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(100);
        expect(await store.consumeTokens(`${p}k`, big, 2)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
      });

      it('refuses a cost above capacity with a finite, positive retryAfterMs, taking nothing', async () => {
        const refused = await store.consumeTokens(`${p}k`, spec, 4);
        expect(refused.allowed).toBe(false);
        expect(refused.remaining).toBe(3);
        expect(Number.isFinite(refused.retryAfterMs)).toBe(true);
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(await store.consumeTokens(`${p}k`, spec, 3)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
      });

      it('resetTokens makes a bucket start full again', async () => {
        await store.consumeTokens(`${p}k`, spec, 3);
        expect((await store.consumeTokens(`${p}k`, spec)).allowed).toBe(false);
        await store.resetTokens(`${p}k`);
        expect(await store.consumeTokens(`${p}k`, spec)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
        await expect(settled(() => store.resetTokens(`${p}never-used`))).resolves.toBeUndefined();
      });
    });

    describe('counters', () => {
      it('adds 1 by default, or `by`, and reports the window', async () => {
        const first = await store.increment(`${p}c`, 1_000);
        expect(first.value).toBe(1);
        expect(first.resetInMs).toBeGreaterThan(900);
        expect(first.resetInMs).toBeLessThanOrEqual(1_000);
        expect((await store.increment(`${p}c`, 1_000, 4)).value).toBe(5);
        expect(await store.getCounter(`${p}c`)).toBe(5);
        expect(await store.getCounter(`${p}other`)).toBe(0);
      });

      it('keeps a fixed window from the first increment, then starts a new one', async () => {
        await store.increment(`${p}c`, 200);
        await harness.advance(100);
        const second = await store.increment(`${p}c`, 200);
        expect(second.value).toBe(2);
        // The window did not move with the second increment.
        expect(second.resetInMs).toBeGreaterThan(0);
        expect(second.resetInMs).toBeLessThanOrEqual(100);
        await harness.advance(150);
        expect(await store.getCounter(`${p}c`)).toBe(0);
        const fresh = await store.increment(`${p}c`, 200);
        expect(fresh.value).toBe(1);
        expect(fresh.resetInMs).toBeGreaterThan(150);
        expect(fresh.resetInMs).toBeLessThanOrEqual(200);
      });

      it('reads 0 for a counter never incremented', async () => {
        expect(await store.getCounter(`${p}absent`)).toBe(0);
      });
    });

    describe('sets', () => {
      it('adds, removes and lists members, returning the size', async () => {
        expect(await store.setAdd(`${p}s`, 'a', 5_000)).toBe(1);
        expect(await store.setAdd(`${p}s`, 'b', 5_000)).toBe(2);
        expect(await store.setAdd(`${p}s`, 'a', 5_000)).toBe(2);
        expect([...(await store.setMembers(`${p}s`))].sort()).toEqual(['a', 'b']);
        expect(await store.setRemove(`${p}s`, 'a')).toBe(1);
        expect(await store.setRemove(`${p}s`, 'not-a-member')).toBe(1);
        expect(await store.setMembers(`${p}s`)).toEqual(['b']);
        expect(await store.setRemove(`${p}s`, 'b')).toBe(0);
        expect(await store.setMembers(`${p}s`)).toEqual([]);
        expect(await store.setRemove(`${p}absent`, 'a')).toBe(0);
        expect(await store.setMembers(`${p}absent`)).toEqual([]);
      });

      it('expires a set ttlMs after its last change', async () => {
        await store.setAdd(`${p}s`, 'a', 200);
        await store.setAdd(`${p}unread`, 'a', 200);
        await harness.advance(120);
        await store.setAdd(`${p}s`, 'b', 200);
        await harness.advance(120);
        // 240 ms after the first add, 120 after the last.
        expect([...(await store.setMembers(`${p}s`))].sort()).toEqual(['a', 'b']);
        await harness.advance(120);
        expect(await store.setMembers(`${p}s`)).toEqual([]);
        expect(await store.setAdd(`${p}s`, 'c', 200)).toBe(1);
        // Expired without being read since: adding starts an empty set all the same.
        expect(await store.setAdd(`${p}unread`, 'b', 200)).toBe(1);
        expect(await store.setMembers(`${p}unread`)).toEqual(['b']);
      });
    });

    describe('leases', () => {
      it('grants at most `limit` slots; a holder re-acquiring keeps its one slot', async () => {
        expect(await store.acquireLease(`${p}l`, 'a', 2, 5_000)).toEqual({ acquired: true, count: 1 });
        expect(await store.acquireLease(`${p}l`, 'b', 2, 5_000)).toEqual({ acquired: true, count: 2 });
        expect(await store.acquireLease(`${p}l`, 'c', 2, 5_000)).toEqual({ acquired: false, count: 2 });
        expect(await store.acquireLease(`${p}l`, 'a', 2, 5_000)).toEqual({ acquired: true, count: 2 });
        expect(await store.leaseCount(`${p}l`)).toBe(2);
        expect(await store.acquireLease(`${p}other`, 'c', 2, 5_000)).toEqual({ acquired: true, count: 1 });
      });

      it('frees a slot on release; releasing a slot not held changes nothing', async () => {
        await store.acquireLease(`${p}l`, 'a', 1, 5_000);
        await store.releaseLease(`${p}l`, 'nobody');
        await store.releaseLease(`${p}never-used`, 'nobody');
        expect(await store.leaseCount(`${p}l`)).toBe(1);
        expect(await store.acquireLease(`${p}l`, 'b', 1, 5_000)).toEqual({ acquired: false, count: 1 });
        await store.releaseLease(`${p}l`, 'a');
        expect(await store.leaseCount(`${p}l`)).toBe(0);
        expect(await store.acquireLease(`${p}l`, 'b', 1, 5_000)).toEqual({ acquired: true, count: 1 });
        await store.releaseLease(`${p}l`, 'a');
        expect(await store.leaseCount(`${p}l`)).toBe(1);
      });

      it('frees a slot whose holder stops renewing it', async () => {
        await store.acquireLease(`${p}l`, 'a', 1, 150);
        await harness.advance(200);
        expect(await store.leaseCount(`${p}l`)).toBe(0);
        expect(await store.acquireLease(`${p}l`, 'b', 1, 150)).toEqual({ acquired: true, count: 1 });
      });

      it('keeps a renewed slot, and renews only the holders present', async () => {
        await store.acquireLease(`${p}l`, 'a', 1, 200);
        await harness.advance(120);
        await store.renewLeases(`${p}l`, ['a', 'ghost'], 200);
        await harness.advance(120);
        // 240 ms after acquiring, 120 after renewing; the ghost took no slot.
        expect(await store.leaseCount(`${p}l`)).toBe(1);
        expect(await store.acquireLease(`${p}l`, 'b', 1, 200)).toEqual({ acquired: false, count: 1 });
        await harness.advance(120);
        expect(await store.leaseCount(`${p}l`)).toBe(0);
      });

      it('does not bring back a slot that expired before its renewal', async () => {
        await store.acquireLease(`${p}l`, 'a', 1, 100);
        await harness.advance(150);
        await store.renewLeases(`${p}l`, ['a'], 5_000);
        expect(await store.leaseCount(`${p}l`)).toBe(0);
        await store.renewLeases(`${p}never-used`, ['a'], 5_000);
        expect(await store.leaseCount(`${p}never-used`)).toBe(0);
      });
    });

    describe('bans', () => {
      const ban = (key: string, extra: Partial<Ban> = {}): Ban => ({
        key,
        reason: 'abuse',
        createdAt: Date.now(),
        expiresAt: null,
        ...extra,
      });
      const listed = async (): Promise<Ban[]> => (await store.listBans()).filter((b) => b.key.startsWith(p));

      it('adds, reads, lists and lifts a permanent ban', async () => {
        const permanent = ban(`${p}ip:203.0.113.7`, { meta: { by: 'admin', offence: 2 } });
        await store.addBan(permanent);
        expect(await store.getBan(permanent.key)).toEqual(permanent);
        expect(await listed()).toEqual([permanent]);
        expect(await store.getBan(`${p}ip:203.0.113.8`)).toBeNull();
        expect(await store.removeBan(permanent.key)).toBe(true);
        expect(await store.getBan(permanent.key)).toBeNull();
        expect(await store.removeBan(permanent.key)).toBe(false);
        expect(await listed()).toEqual([]);
      });

      it('ends a timed ban at expiresAt; a permanent one stays', async () => {
        const timed = ban(`${p}user:alice`, { expiresAt: Date.now() + 150 });
        const permanent = ban(`${p}user:bob`);
        await store.addBan(timed);
        await store.addBan(permanent);
        expect(await store.getBan(timed.key)).toEqual(timed);
        expect(await listed()).toHaveLength(2);
        await harness.advance(250);
        // Listed before any getBan, which could tidy the expired ban away first.
        expect(await listed()).toEqual([permanent]);
        expect(await store.getBan(timed.key)).toBeNull();
        expect(await store.getBan(permanent.key)).toEqual(permanent);
        expect(await store.removeBan(permanent.key)).toBe(true);
      });

      it('never returns a ban that has already expired', async () => {
        const expired = ban(`${p}user:carol`, { expiresAt: Date.now() - 1_000 });
        await store.addBan(expired);
        expect(await store.getBan(expired.key)).toBeNull();
        expect(await listed()).toEqual([]);
        expect(await store.removeBan(expired.key)).toBe(false);
      });

      it('replaces a ban on the same key, expiry included', async () => {
        await store.addBan(ban(`${p}ip:198.51.100.1`, { reason: 'first' }));
        const second = ban(`${p}ip:198.51.100.1`, { reason: 'second', expiresAt: Date.now() + 150 });
        await store.addBan(second);
        expect(await store.getBan(second.key)).toEqual(second);
        expect(await listed()).toEqual([second]);
        await harness.advance(250);
        // An ended ban is not there to lift.
        expect(await store.removeBan(second.key)).toBe(false);
        expect(await store.getBan(second.key)).toBeNull();
      });
    });

    describe('publish / subscribe', () => {
      it('delivers every message, in order, to every subscriber of the channel', async () => {
        const one: string[] = [];
        const two: string[] = [];
        await store.subscribe(`${p}ch`, (m) => one.push(m));
        await store.subscribe(`${p}ch`, (m) => two.push(m));
        await store.publish(`${p}ch`, 'hello');
        await store.publish(`${p}ch`, 'again');
        await eventually(() => {
          expect(one).toEqual(['hello', 'again']);
          expect(two).toEqual(['hello', 'again']);
        });
      });

      it('stops delivering to a handler once unsubscribed, and only to that one', async () => {
        const gone: string[] = [];
        const kept: string[] = [];
        const unsubscribe = await store.subscribe(`${p}ch`, (m) => gone.push(m));
        await store.subscribe(`${p}ch`, (m) => kept.push(m));
        await unsubscribe();
        await store.publish(`${p}ch`, 'after');
        await eventually(() => expect(kept).toEqual(['after']));
        await sleep(SETTLE_MS);
        expect(gone).toEqual([]);
      });

      it('keeps channels apart', async () => {
        const a: string[] = [];
        const b: string[] = [];
        await store.subscribe(`${p}a`, (m) => a.push(m));
        await store.subscribe(`${p}b`, (m) => b.push(m));
        await store.publish(`${p}a`, 'for-a');
        await store.publish(`${p}b`, 'for-b');
        await store.publish(`${p}nobody`, 'lost');
        await eventually(() => {
          expect(a).toEqual(['for-a']);
          expect(b).toEqual(['for-b']);
        });
        await sleep(SETTLE_MS);
        expect(a).toEqual(['for-a']);
        expect(b).toEqual(['for-b']);
      });
    });

    describe('refusals', () => {
      it('reports going over a limit as a result, never by throwing', async () => {
        const spec = { capacity: 1, refillPerSecond: 1 };
        await store.consumeTokens(`${p}k`, spec);
        await expect(settled(() => store.consumeTokens(`${p}k`, spec))).resolves.toMatchObject({ allowed: false });
        await store.acquireLease(`${p}l`, 'a', 1, 5_000);
        await expect(settled(() => store.acquireLease(`${p}l`, 'b', 1, 5_000))).resolves.toEqual({ acquired: false, count: 1 });
      });
    });
  });
}
