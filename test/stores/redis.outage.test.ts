/**
 * Redis outages, through a real Socket.IO server and clients: Redis is reached through a TCP proxy the test stalls
 * (slow: accepts, never answers) or cuts (down). No message waits on Redis longer than `storeTimeoutMs` (with a
 * generous margin), limits keep working from local memory, `redisFailureMode: 'closed'` refuses handshakes with
 * `store_unavailable`, and the guard reports one `store_degraded` and, once Redis is back, one `store_recovered`.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { GuardConfig } from '../../src/config/types.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { redisStore, type RedisStoreOptions } from '../../src/stores/redis/index.js';
import { baseConfig, waitFor, type TestClient } from '../adapters/harness.js';
import { startSocketIoServer, type SocketIoTestServer } from '../adapters/socket.io.harness.js';
import { connect, REDIS_URL, redisAvailable, removeKeys, uniquePrefix } from './redis-support.js';
import { TcpProxy } from './tcp-proxy.js';

const available = await redisAvailable();

const STORE_TIMEOUT_MS = 250;
/** Room for a loaded machine (two cores shared by several test runs): the point is "not for ever", not speed. */
const MARGIN_MS = 1_500;

const count = (events: readonly SecurityEvent[], type: SecurityEvent['type']): number => events.filter((e) => e.type === type).length;

describe.skipIf(!available)('Redis store: outages', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startNode(options: RedisStoreOptions, config: GuardConfig) {
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    const keyPrefix = uniquePrefix();
    const direct = connect();
    // Reconnects quickly, so that the test does not wait on ioredis's back-off once the proxy is up again.
    const redis = connect(proxy.urlFor(REDIS_URL), { retryStrategy: () => 50 });
    const store = redisStore(redis, { keyPrefix, storeTimeoutMs: STORE_TIMEOUT_MS, probeIntervalMs: 100, nodeTimeoutMs: 1_500, ...options });
    const events: SecurityEvent[] = [];
    const server = await startSocketIoServer(baseConfig(events, { store, ...config }), 'websocket');
    cleanups.push(
      async () => {
        await removeKeys(direct, keyPrefix);
        await direct.quit();
      },
      () => proxy.close(),
      () => Promise.resolve(redis.disconnect()),
      () => store.close(),
      () => server.close(),
    );
    return { proxy, store, server, events, direct, keyPrefix };
  }

  function ok(result: Awaited<ReturnType<SocketIoTestServer['connect']>>): TestClient {
    if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
    cleanups.push(() => result.client.close());
    return result.client;
  }

  /** Send and time the answer. */
  async function timedSend(client: TestClient): Promise<{ ok: boolean; code: string | undefined; ms: number }> {
    const started = performance.now();
    const result = await client.send('chat', 'hello');
    return { ok: result.ok, code: result.ok ? undefined : result.error.code, ms: performance.now() - started };
  }

  it('a slow Redis: messages answered within storeTimeoutMs, limits kept locally, one degraded and one recovered event', async () => {
    // A burst of 3 messages refilling at one a minute: the fourth in a row is refused.
    const node = await startNode({}, { burstLimit: 3, messageRateLimit: 1 });
    const alice = ok(await node.server.connect({ user: 'alice' }));
    expect((await timedSend(alice)).ok).toBe(true);
    const bucketKey = `${node.keyPrefix}tb:rate:msg:u:alice`;
    expect(await node.direct.exists(bucketKey)).toBe(1);

    node.proxy.stall();
    const first = await timedSend(alice);
    expect(first.ok).toBe(true);
    expect(first.ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
    await waitFor(() => count(node.events, 'store_degraded') === 1, 2_000, 'store_degraded');
    expect(node.store.degraded).toBe(true);

    // The local bucket started full: two more pass, the next is refused — and none waits on Redis.
    const rest = [await timedSend(alice), await timedSend(alice), await timedSend(alice)];
    expect(rest.map((r) => r.ok)).toEqual([true, true, false]);
    expect(rest[2]?.code).toBe('message_rate_limited');
    for (const r of rest) expect(r.ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
    console.info(`stalled Redis: first message answered in ${first.ms.toFixed(0)} ms, the next ones in ${rest.map((r) => r.ms.toFixed(1)).join(', ')} ms`);
    // New connections are let in ('open'), counted locally.
    ok(await node.server.connect({ user: 'bob' }));
    expect(count(node.events, 'store_degraded')).toBe(1);
    const degraded = node.events.find((e) => e.type === 'store_degraded');
    expect(degraded).toMatchObject({ category: 'system', severity: 'warning', detail: { store: 'redis' } });

    node.proxy.resume();
    await waitFor(() => count(node.events, 'store_recovered') === 1, 5_000, 'store_recovered');
    expect(node.store.degraded).toBe(false);
    expect(count(node.events, 'store_degraded')).toBe(1);
    // Back on Redis: the shared bucket moves again.
    const before = Number(await node.direct.hget(bucketKey, 't'));
    const carol = ok(await node.server.connect({ user: 'carol' }));
    await carol.send('chat', 'x');
    await timedSend(alice);
    const after = await node.direct.hget(bucketKey, 't');
    expect(after).not.toBeNull();
    expect(Number(after)).toBeLessThan(before);
    expect(count(node.events, 'store_recovered')).toBe(1);
  });

  it("Redis down with redisFailureMode 'closed': handshakes refused with store_unavailable, live sockets served, back when Redis is", async () => {
    const node = await startNode({ redisFailureMode: 'closed' }, {});
    const alice = ok(await node.server.connect({ user: 'alice' }));

    node.proxy.down();
    const started = performance.now();
    const refused = await node.server.connect({ user: 'bob' });
    const handshakeMs = performance.now() - started;
    expect(refused.ok ? null : refused.error).toMatchObject({ code: 'store_unavailable' });
    expect(handshakeMs).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
    console.info(`Redis down, failure mode closed: handshake refused with store_unavailable in ${handshakeMs.toFixed(0)} ms`);
    await waitFor(() => count(node.events, 'store_degraded') === 1, 2_000, 'store_degraded');
    // The connection already open keeps being served, on local limits.
    const sent = await timedSend(alice);
    expect(sent.ok).toBe(true);
    expect(sent.ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
    const again = await node.server.connect({ user: 'bob' });
    expect(again.ok ? null : again.error?.code).toBe('store_unavailable');
    expect(node.events.some((e) => e.type === 'connection_refused' && e.reason === 'store_unavailable')).toBe(true);
    expect(count(node.events, 'store_degraded')).toBe(1);

    node.proxy.up();
    await waitFor(() => count(node.events, 'store_recovered') === 1, 5_000, 'store_recovered');
    ok(await node.server.connect({ user: 'bob' }));
    expect(count(node.events, 'store_degraded')).toBe(1);
  });

  it("Redis down with redisFailureMode 'open' (the default): handshakes let in on what this node knows", async () => {
    const node = await startNode({}, {});
    ok(await node.server.connect({ user: 'alice' }));
    node.proxy.down();
    ok(await node.server.connect({ user: 'bob' }));
    await waitFor(() => count(node.events, 'store_degraded') === 1, 2_000, 'store_degraded');
    // A ban made here while Redis is away still holds here, and reaches Redis once it is back.
    await node.server.guard.abuse?.ban({ userId: 'mallory' }, { reason: 'spam', by: 'admin', durationMs: 60_000 });
    const mallory = await node.server.connect({ user: 'mallory' });
    expect(mallory.ok ? null : mallory.error?.code).toBe('banned');
    node.proxy.up();
    await waitFor(() => count(node.events, 'store_recovered') === 1, 5_000, 'store_recovered');
    await expect.poll(() => node.direct.exists(`${node.keyPrefix}{bans}:ban:user:mallory`), { timeout: 2_000 }).toBe(1);
  });
});
