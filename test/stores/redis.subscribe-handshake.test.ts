/**
 * Subscribing before the store's subscriber connection is ready. During its handshake, ioredis (5.8.2 and later 5.x) writes
 * a SUBSCRIBE at once in that state; when its reply arrives before the handshake's ready check, the check is refused
 * in subscriber mode and ioredis drops the connection with every command it had queued. A node started that way was
 * marked degraded and could lose its ban subscription for good (seen as a cluster test that failed now and then).
 *
 * The window is made certain here: Redis is reached through a proxy that holds every byte while the subscriber
 * connection opens and sends its handshake, a second channel is subscribed in that window, and then everything held
 * is let through at once, so the SUBSCRIBE reply comes in the same read as the handshake's replies. A client made
 * with `enableOfflineQueue: false` refuses a command sent while it connects (its subscriber, a duplicate, does too),
 * and a first login that Redis refuses makes ioredis reject the commands it had queued.
 */

import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { redisStore, type RedisStore } from '../../src/stores/redis/index.js';
import { waitFor } from '../adapters/harness.js';
import { connect, REDIS_URL, redisAvailable, uniquePrefix } from './redis-support.js';
import { TcpProxy } from './tcp-proxy.js';

const available = await redisAvailable();

describe.skipIf(!available)('Redis store: subscribing before the subscriber connection is ready', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function proxiedStore(): Promise<{ proxy: TcpProxy; store: RedisStore; health: string[] }> {
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
    return { proxy, store, health };
  }

  /**
   * Publish as another node on the same prefix: reaches `keyPrefix`'s subscribers only through Redis (a degraded store
   * would deliver its own publishes locally).
   */
  async function publishFromAnotherNode(keyPrefix: string, channel: string, message: string): Promise<void> {
    const client = connect();
    const other = redisStore(client, { keyPrefix });
    cleanups.push(() => client.disconnect(), () => other.close());
    await other.publish(channel, message);
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

  it('subscribes once the connection is ready when the client was made with enableOfflineQueue: false', async () => {
    // Fail-fast clients refuse commands until connected; the store's subscriber is a duplicate and inherits that, so
    // a SUBSCRIBE sent while it connects would be refused.
    const redis = connect(REDIS_URL, { enableOfflineQueue: false });
    cleanups.push(() => redis.disconnect());
    await waitFor(() => redis.status === 'ready', 5_000, 'the application’s client ready');
    const keyPrefix = uniquePrefix();
    const store = redisStore(redis, { keyPrefix, storeTimeoutMs: 5_000 });
    cleanups.push(() => store.close());
    const health: string[] = [];
    store.onHealthChange((state) => health.push(state));
    const heard: string[] = [];
    await store.subscribe('revocations', (message) => heard.push(message));
    expect(health).toEqual([]);

    await publishFromAnotherNode(keyPrefix, 'revocations', 'y');
    await waitFor(() => heard.length > 0, 5_000, 'the other node’s message');
    expect(heard).toEqual(['y']);
  });

  it('subscribes once its subscriber can log in, when Redis refused the first login (a password rotation)', async () => {
    // A Redis user of the test's own, so that the store's subscriber can be refused at AUTH while the connection the
    // application opened stays logged in.
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
    const keyPrefix = uniquePrefix();
    const store = redisStore(redis, { keyPrefix, storeTimeoutMs: 5_000 });
    cleanups.push(() => store.close());

    // New logins refused: the subscriber's AUTH fails (Redis's ACL LOG says so), and ioredis retries it every 50 ms.
    await admin.call('ACL', 'SETUSER', user, 'off');
    const heard: string[] = [];
    const subscribed = store.subscribe('bans', (message) => heard.push(message));
    await waitFor(
      async () => ((await admin.call('ACL', 'LOG')) as unknown[][]).some((entry) => entry.includes('auth') && entry.includes(user)),
      5_000,
      'the subscriber’s login refused',
    );
    await admin.call('ACL', 'SETUSER', user, 'on');
    await subscribed;

    await publishFromAnotherNode(keyPrefix, 'bans', 'x');
    await waitFor(() => heard.length > 0, 5_000, 'the other node’s message');
    expect(heard).toEqual(['x']);
  });
});
