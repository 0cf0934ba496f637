/**
 * Token buckets taken from Redis in batches (src/stores/redis/token-reservations.ts): from a fresh start the cluster
 * never lets more through than the limit, and never more than the limit plus what the nodes held (nodes × batch)
 * after an idle spell; the tokens withheld by other nodes stay within (nodes − 1) × batch; calls cost well under one
 * round trip; concurrent callers share one request; refusals are remembered until their retry time; reservations
 * lapse; and the local map is capped.
 */

import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisStore, type RedisStore, type RedisStoreOptions } from '../../src/stores/redis/index.js';
import { batchFor } from '../../src/stores/redis/token-reservations.js';
import type { TokenBucketResult, TokenBucketSpec } from '../../src/stores/types.js';
import { connect, redisAvailable, removeKeys, sleep, uniquePrefix } from './redis-support.js';

const available = await redisAvailable();

describe('the automatic batch', () => {
  it('is a tenth of the burst, at most the refill of reservationMs, between 1 and 1,024', () => {
    // The production preset's message bucket: burst 20, 120 a minute.
    expect(batchFor({ capacity: 20, refillPerSecond: 2 }, 1_000)).toBe(2);
    expect(batchFor({ capacity: 300, refillPerSecond: 100 }, 1_000)).toBe(30);
    // Slow refill: what comes back in reservationMs.
    expect(batchFor({ capacity: 300, refillPerSecond: 5 }, 1_000)).toBe(5);
    expect(batchFor({ capacity: 300, refillPerSecond: 100 }, 100)).toBe(10);
    // Small or slow buckets are exact; large ones capped.
    expect(batchFor({ capacity: 3, refillPerSecond: 10 }, 1_000)).toBe(1);
    expect(batchFor({ capacity: 1_000, refillPerSecond: 0.01 }, 1_000)).toBe(1);
    expect(batchFor({ capacity: 3_000, refillPerSecond: 16_667 }, 1_000)).toBe(300);
    expect(batchFor({ capacity: 35_000, refillPerSecond: 16_667 }, 1_000)).toBe(1_024);
  });
});

/** A store with its own client, and the number of commands that client has sent so far (each one round trip). */
interface CountedStore {
  readonly store: RedisStore;
  commands(): number;
}

describe.skipIf(!available)('Redis store: token batches', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Ready to count: connected, and the script loaded (the first call on a fresh Redis costs an EVALSHA and an EVAL). */
  async function open(keyPrefix: string, options: RedisStoreOptions = {}): Promise<CountedStore> {
    const redis: Redis = connect();
    // A generous deadline: on a loaded machine a store that gave up on Redis would answer from local limits instead.
    const store = redisStore(redis, { keyPrefix, storeTimeoutMs: 1_000, ...options });
    let commands = 0;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
      commands++;
      return send(...args);
    };
    cleanups.push(
      async () => {
        await removeKeys(redis, keyPrefix);
        await redis.quit();
      },
      () => store.close(),
    );
    await store.consumeTokens('warm-up', { capacity: 1, refillPerSecond: 1 });
    const baseline = commands;
    return { store, commands: () => commands - baseline };
  }

  const consume = async (node: CountedStore, key: string, spec: TokenBucketSpec, cost = 1): Promise<TokenBucketResult> =>
    node.store.consumeTokens(key, spec, cost);

  it('three nodes hammering a fresh bucket: never more than the limit, never fewer than it less what they hold', async () => {
    const prefix = uniquePrefix();
    const nodes = [await open(prefix), await open(prefix), await open(prefix)];
    // Burst 200, 100 a second: an automatic batch of 20.
    const spec = { capacity: 200, refillPerSecond: 100 };
    const batch = batchFor(spec, 1_000);
    expect(batch).toBe(20);
    const HAMMER_MS = 600;
    const CALLERS_PER_NODE = 8;
    let allowed = 0;
    let calls = 0;
    const started = performance.now();
    const stopAt = started + HAMMER_MS;
    await Promise.all(
      nodes.flatMap((node) =>
        Array.from({ length: CALLERS_PER_NODE }, async () => {
          // Bounded by time and by count.
          for (let i = 0; i < 50_000 && performance.now() < stopAt; i++) {
            const result = await consume(node, 'hot', spec);
            calls++;
            if (result.allowed) allowed++;
            // A caller served from memory never yields: let the others (and the replies) in.
            if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
          }
        }),
      ),
    );
    const elapsedS = (performance.now() - started) / 1000;
    const limit = spec.capacity + spec.refillPerSecond * elapsedS;
    const commands = nodes.reduce((sum, node) => sum + node.commands(), 0);
    console.info(
      `3 nodes × ${CALLERS_PER_NODE} callers, ${elapsedS.toFixed(2)} s: ${allowed} allowed of ${calls} calls; the limit allowed ` +
        `${limit.toFixed(0)}; ${commands} Redis commands (${(commands / calls).toFixed(4)} per call)`,
    );
    // Every token served came out of the shared bucket: the cluster never exceeds the limit.
    expect(allowed).toBeLessThanOrEqual(Math.floor(limit) + 1);
    // The whole burst is served but for what the nodes still hold when the hammering stops.
    expect(allowed).toBeGreaterThanOrEqual(spec.capacity - nodes.length * batch);
    // A flood costs well under one round trip per call: refusals are remembered until their retry time.
    expect(calls).toBeGreaterThan(allowed);
    expect(commands / calls).toBeLessThan(0.2);
  });

  it('withholds at most (nodes − 1) × batch tokens from a client moving to a third node, and they lapse unused', async () => {
    const prefix = uniquePrefix();
    const options: RedisStoreOptions = { tokenBatch: 10, reservationMs: 200 };
    const [a, b, c] = [await open(prefix, options), await open(prefix, options), await open(prefix, options)];
    // Burst 100, refilling one a minute: nothing comes back during the test.
    const spec = { capacity: 100, refillPerSecond: 1 / 60 };
    expect((await consume(a, 'k', spec)).allowed).toBe(true);
    expect((await consume(b, 'k', spec)).allowed).toBe(true);
    // A and B each hold 9 more; C gets all the rest.
    let onC = 0;
    for (let i = 0; i < 200; i++) {
      if (!(await consume(c, 'k', spec)).allowed) break;
      onC++;
    }
    expect(onC).toBe(80);
    // A and B still serve what they hold; each asks Redis once more at most (its refill ahead, refused and remembered).
    const before = a.commands() + b.commands();
    for (let i = 0; i < 9; i++) {
      expect((await consume(a, 'k', spec)).allowed).toBe(true);
      expect((await consume(b, 'k', spec)).allowed).toBe(true);
    }
    expect(a.commands() + b.commands()).toBeLessThanOrEqual(before + 2);
    expect((await consume(a, 'k', spec)).allowed).toBe(false);
    // Exactly the burst, all told.
    expect(2 + onC + 18).toBe(spec.capacity);

    // Held and unused, they lapse after reservationMs and are not given back: C stays refused.
    const d = await open(prefix, options);
    expect((await consume(d, 'k2', spec)).allowed).toBe(true);
    await sleep(250);
    const asked = d.commands();
    const afterLapse = await consume(d, 'k2', spec);
    expect(afterLapse.allowed).toBe(true);
    expect(d.commands()).toBe(asked + 1);
    // The first reservation (10) lapsed with 9 unused: the second took 10 more, 80 are left in Redis, 9 held here.
    expect(afterLapse.remaining).toBe(100 - 20 + 9);
  });

  it('after an idle spell, exceeds the burst by no more than the nodes held: at most nodes × batch', async () => {
    const prefix = uniquePrefix();
    const options: RedisStoreOptions = { tokenBatch: 10, reservationMs: 5_000 };
    const nodes = [await open(prefix, options), await open(prefix, options), await open(prefix, options)];
    // Burst 50, 100 a second.
    const spec = { capacity: 50, refillPerSecond: 100 };
    for (const node of nodes) expect((await consume(node, 'k', spec)).allowed).toBe(true);
    // Each node holds 9; meanwhile the shared bucket fills up again (30 taken, back in 0.3 s).
    await sleep(400);
    let served = 0;
    const started = performance.now();
    await Promise.all(
      nodes.map(async (node) => {
        for (let i = 0; i < 500; i++) {
          if (!(await consume(node, 'k', spec)).allowed) return;
          served++;
        }
      }),
    );
    const allowance = spec.capacity + (spec.refillPerSecond * (performance.now() - started)) / 1000;
    console.info(`after an idle spell: ${served} served at once by 3 nodes holding 9 each; the bucket allowed ${allowance.toFixed(1)}`);
    expect(served).toBeLessThanOrEqual(Math.floor(allowance) + nodes.length * 10);
    // What they held was served on top of the full bucket: the bound is what the nodes hold, no less.
    expect(served).toBeGreaterThan(spec.capacity);
  });

  it('lets concurrent callers share one request: no stampede', async () => {
    const node = await open(uniquePrefix());
    // Burst 640, 1,000 a second: batches of 64.
    const spec = { capacity: 640, refillPerSecond: 1_000 };
    const first = await Promise.all(Array.from({ length: 50 }, () => consume(node, 'k', spec)));
    expect(first.every((r) => r.allowed)).toBe(true);
    expect(node.commands()).toBe(1);
    // 100 at once on a fresh bucket: 64 from the first batch, the other 36 together from a second.
    const second = await Promise.all(Array.from({ length: 100 }, () => consume(node, 'k2', spec)));
    expect(second.every((r) => r.allowed)).toBe(true);
    expect(node.commands()).toBe(3);
  });

  it('asks for what the waiting callers need in all, even past the batch; only the rest is refused', async () => {
    const node = await open(uniquePrefix());
    // Burst 10, one a second: a batch of 1.
    const spec = { capacity: 10, refillPerSecond: 1 };
    const eight = await Promise.all(Array.from({ length: 8 }, () => consume(node, 'k', spec)));
    expect(eight.map((r) => r.allowed)).toEqual(Array<boolean>(8).fill(true));
    // One request for the first caller, one for the seven that waited on it.
    expect(node.commands()).toBe(2);
    const five = await Promise.all(Array.from({ length: 5 }, () => consume(node, 'k', spec)));
    expect(five.map((r) => r.allowed)).toEqual([true, true, false, false, false]);
    for (const r of five.slice(2)) expect(r.retryAfterMs).toBeGreaterThan(0);
  });

  it('remembers a refusal until its retry time: a flood against an empty bucket costs no round trip', async () => {
    const node = await open(uniquePrefix());
    const spec = { capacity: 2, refillPerSecond: 2 };
    expect((await consume(node, 'k', spec, 2)).allowed).toBe(true);
    const refused = await consume(node, 'k', spec);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(300);
    // One token every 500 ms; the wait is rounded up to whole milliseconds on Redis's clock.
    expect(refused.retryAfterMs).toBeLessThanOrEqual(510);
    const before = node.commands();
    // Up to 1,000 calls, all within the remembered refusal (a loaded machine may run fewer before it lapses).
    const until = Date.now() + refused.retryAfterMs - 150;
    let calls = 0;
    while (calls < 1_000 && Date.now() < until) {
      const again = await consume(node, 'k', spec);
      expect(again.allowed).toBe(false);
      expect(again.retryAfterMs).toBeLessThanOrEqual(refused.retryAfterMs);
      calls++;
    }
    expect(calls).toBeGreaterThan(0);
    expect(node.commands()).toBe(before);
    // Waiting the retry time is enough.
    await sleep(refused.retryAfterMs + 1);
    expect((await consume(node, 'k', spec)).allowed).toBe(true);
  });

  it('keeps at most maxKeys buckets locally, least recently used dropped first', async () => {
    const node = await open(uniquePrefix(), { maxKeys: 2, tokenBatch: 10 });
    const spec = { capacity: 100, refillPerSecond: 1 };
    const counted = async (key: string): Promise<number> => {
      const before = node.commands();
      expect((await consume(node, key, spec)).allowed).toBe(true);
      return node.commands() - before;
    };
    expect(await counted('k1')).toBe(1);
    expect(await counted('k2')).toBe(1);
    expect(await counted('k1')).toBe(0);
    // A third key pushes out k2, the least recently used: its reservation is gone.
    expect(await counted('k3')).toBe(1);
    expect(await counted('k1')).toBe(0);
    expect(await counted('k2')).toBe(1);
  });

  it('resetTokens drops the local reservation and the remembered refusal too', async () => {
    const node = await open(uniquePrefix());
    const spec = { capacity: 1, refillPerSecond: 0.1 };
    expect((await consume(node, 'k', spec)).allowed).toBe(true);
    expect((await consume(node, 'k', spec)).allowed).toBe(false);
    await node.store.resetTokens('k');
    expect(await consume(node, 'k', spec)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });
});
