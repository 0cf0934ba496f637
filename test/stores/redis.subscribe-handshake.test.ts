/**
 * Subscribing while the store's subscriber connection is still in its handshake. ioredis (5.8.2 and later 5.x) writes
 * a SUBSCRIBE at once in that state; when its reply arrives before the handshake's ready check, the check is refused
 * in subscriber mode and ioredis drops the connection with every command it had queued. A node started that way was
 * marked degraded and could lose its ban subscription for good (seen as a cluster test that failed now and then).
 *
 * The window is made certain here: Redis is reached through a proxy that holds every byte while the subscriber
 * connection opens and sends its handshake, a second channel is subscribed in that window, and then everything held
 * is let through at once, so the SUBSCRIBE reply comes in the same read as the handshake's replies.
 */

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisStore, type RedisStore } from '../../src/stores/redis/index.js';
import { waitFor } from '../adapters/harness.js';
import { connect, REDIS_URL, redisAvailable, uniquePrefix } from './redis-support.js';
import { TcpProxy } from './tcp-proxy.js';

const available = await redisAvailable();

describe.skipIf(!available)('Redis store: subscribing during the subscriber connection’s handshake', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function proxiedStore(): Promise<{ proxy: TcpProxy; redis: Redis; store: RedisStore; health: string[] }> {
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    cleanups.push(() => proxy.close());
    const redis = connect(proxy.urlFor(REDIS_URL));
    cleanups.push(() => redis.disconnect());
    // The application's client is ready before the proxy holds anything: only the store's subscriber is caught.
    expect(await redis.ping()).toBe('PONG');
    const store = redisStore(redis, { keyPrefix: uniquePrefix(), storeTimeoutMs: 5_000 });
    cleanups.push(() => store.close());
    const health: string[] = [];
    store.onHealthChange((state, error) => health.push(error === undefined ? state : `${state}: ${error}`));
    return { proxy, redis, store, health };
  }

  it('confirms a subscription sent mid-handshake, stays healthy, and delivers on every channel', async () => {
    const { proxy, store, health } = await proxiedStore();
    const heard: string[] = [];
    proxy.stall();
    // The first subscribe opens the subscriber connection; ioredis queues it until the connection is ready.
    const first = store.subscribe('first', (message) => heard.push(`first ${message}`));
    // The subscriber has connected and sent its handshake (held by the proxy): ioredis's status is `connect`.
    await waitFor(() => proxy.connections === 2 && proxy.heldFromClients > 0, 5_000, 'the subscriber’s handshake');
    const second = store.subscribe('second', (message) => heard.push(`second ${message}`));
    proxy.resume();
    await Promise.all([first, second]);

    expect(health).toEqual([]);
    expect(store.degraded).toBe(false);
    await store.publish('first', 'a');
    await store.publish('second', 'b');
    await waitFor(() => heard.length === 2, 3_000, 'both messages');
    expect(heard.sort()).toEqual(['first a', 'second b']);
  });

  it('subscribes again after a handshake failure rejected the subscription it had queued', async () => {
    // A Redis user of the test's own, so that the store's subscriber can be refused at AUTH (as during a password
    // rotation) while the connection the application opened stays authenticated.
    const admin = connect();
    const user = `wsg-test-${randomUUID()}`;
    cleanups.push(async () => {
      await admin.call('ACL', 'DELUSER', user);
      await admin.quit();
    });
    await admin.call('ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all');
    const redis = connect(REDIS_URL, { username: user, password: 'secret', retryStrategy: () => 50 });
    cleanups.push(() => redis.disconnect());
    expect(await redis.ping()).toBe('PONG');
    const store = redisStore(redis, { keyPrefix: uniquePrefix(), storeTimeoutMs: 5_000, probeIntervalMs: 50 });
    cleanups.push(() => store.close());
    const health: string[] = [];
    store.onHealthChange((state) => health.push(state));

    // New logins refused: the subscriber's AUTH fails, and ioredis rejects the SUBSCRIBE it had queued.
    await admin.call('ACL', 'SETUSER', user, 'off');
    const heard: string[] = [];
    const subscribed = store.subscribe('bans', (message) => heard.push(message));
    await waitFor(() => health.includes('degraded'), 5_000, 'the refused subscription reported');
    await admin.call('ACL', 'SETUSER', user, 'on');
    await subscribed;

    // The subscription was sent again once the subscriber was ready: a message published now is heard.
    await waitFor(() => health.at(-1) === 'recovered', 5_000, 'the store recovered');
    await waitFor(
      async () => {
        await store.publish('bans', 'x');
        return heard.length > 0;
      },
      5_000,
      'a message on the channel',
    );
    expect(heard[0]).toBe('x');
  });
});
