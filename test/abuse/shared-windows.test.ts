/**
 * Abuse windows shared through Redis (src/abuse/shared-windows.ts): two detectors, each on its own Redis store with
 * one key prefix (two nodes), see an attacker's evidence split between them and trip at the same threshold, and take
 * the same ladder steps, as one node seeing all of it. Side by side with one node on the memory store.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { AbuseSettings } from '../../src/abuse/options.js';
import { redisStore } from '../../src/stores/redis/index.js';
import { connect, redisAvailable, removeKeys, uniquePrefix } from '../stores/redis-support.js';
import { clock, harness, messageRefused, type Harness } from './harness.js';

const available = await redisAvailable();

const IP = '203.0.113.9';
/** Input validation only (the score off), tripping at 6: the first offence logs, the second bans. */
const SETTINGS: AbuseSettings = {
  suspiciousActivity: false,
  patterns: { inputValidationAbuse: { threshold: 6, windowMs: 60_000, ladder: ['log', 'temp_ban'] } },
};
const refusal = (count = 1) => messageRefused('event_not_allowed', { ip: IP, userId: 'mallory', ...(count > 1 ? { count } : {}) });
const detections = (...nodes: Harness[]) => nodes.flatMap((h) => h.detections().filter((d) => d['pattern'] === 'inputValidationAbuse'));

describe.skipIf(!available)('abuse windows shared through Redis', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** One node: a detector on its own Redis connection and store, on the deployment's prefix, on real time. */
  async function node(keyPrefix: string): Promise<Harness> {
    const redis = connect();
    const store = redisStore(redis, { keyPrefix });
    const h = harness({ store, clock: clock(Date.now()), settings: SETTINGS });
    cleanups.push(
      async () => {
        await removeKeys(redis, keyPrefix);
        await redis.quit();
      },
      () => store.close(),
      () => h.detector.close(),
    );
    await h.detector.ready;
    return h;
  }

  const settle = (...nodes: Harness[]): Promise<unknown> => Promise.all(nodes.map((h) => h.detector.flush()));

  it('evidence split over two nodes trips at the same threshold, and the same ladder step, as on one node', async () => {
    // One node on the memory store, for reference.
    const single = harness({ settings: SETTINGS });
    for (let i = 0; i < 5; i++) single.detector.observe(refusal());
    expect(detections(single)).toEqual([]);
    single.detector.observe(refusal());
    expect(detections(single)).toMatchObject([{ count: 6, threshold: 6, offence: 1, actions: ['log'] }]);

    const prefix = uniquePrefix();
    const [a, b] = [await node(prefix), await node(prefix)];
    // Five, alternating: three on A, two on B. Neither node alone is anywhere near, nor are they together.
    for (let i = 0; i < 5; i++) (i % 2 === 0 ? a : b).detector.observe(refusal());
    await settle(a, b);
    expect(detections(a, b)).toEqual([]);
    // The sixth, on B: B takes the offence, once, for the whole cluster.
    b.detector.observe(refusal());
    await settle(a, b);
    expect(detections(a)).toEqual([]);
    expect(detections(b)).toMatchObject([{ count: 6, threshold: 6, offence: 1, actions: ['log'], shared: true, key: 'user:mallory' }]);

    // The second offence needs a whole threshold more, again split — and is the second on the ladder wherever it trips.
    for (let i = 0; i < 5; i++) (i % 2 === 0 ? b : a).detector.observe(refusal());
    await settle(a, b);
    expect(detections(a, b)).toHaveLength(1);
    a.detector.observe(refusal());
    await settle(a, b);
    expect(detections(a)).toMatchObject([{ count: 6, offence: 2, actions: ['temp_ban'], shared: true }]);
    expect(a.of('ban_added')).toHaveLength(1);
    // The ban reaches B by pub/sub: refused there too, and B counts nothing more against a banned key.
    await expect.poll(() => b.detector.cachedBan({ userId: 'mallory' }), { timeout: 2_000 }).toMatchObject({ code: 'banned' });
    for (let i = 0; i < 10; i++) b.detector.observe(refusal());
    await settle(a, b);
    expect(detections(a, b)).toHaveLength(2);
  });

  it('counts an aggregated event by its occurrences, and trips once however far past the threshold', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [await node(prefix), await node(prefix)];
    a.detector.observe(refusal(4));
    await settle(a, b);
    b.detector.observe(refusal(9));
    await settle(a, b);
    expect(detections(a)).toEqual([]);
    expect(detections(b)).toMatchObject([{ count: 13, offence: 1 }]);
  });

  it('forgets the shared evidence and ladder position when a ban is lifted', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [await node(prefix), await node(prefix)];
    a.detector.observe(refusal(6));
    await settle(a, b);
    b.detector.observe(refusal(6));
    await settle(a, b);
    expect(b.of('ban_added')).toHaveLength(1);
    expect(await a.detector.unban({ userId: 'mallory' })).toBe(true);
    await expect.poll(() => b.detector.cachedBan({ userId: 'mallory' }), { timeout: 2_000 }).toBeNull();
    // A clean start: five are not enough, and the sixth is a first offence again.
    b.detector.observe(refusal(5));
    await settle(a, b);
    expect(detections(a, b)).toHaveLength(2);
    a.detector.observe(refusal());
    await settle(a, b);
    expect(detections(a).at(-1)).toMatchObject({ count: 6, offence: 1, actions: ['log'] });
  });
});
