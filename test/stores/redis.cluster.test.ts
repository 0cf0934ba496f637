/**
 * Several nodes on one Redis, through real Socket.IO servers and clients: a ban or a revocation made on one node closes
 * the target's sockets on the others within a second and is refused at every node's handshake, and limits hold across
 * nodes.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { GuardConfig } from '../../src/config/types.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { redisStore, type RedisStore } from '../../src/stores/redis/index.js';
import { baseConfig, type TestClient } from '../adapters/harness.js';
import { startSocketIoServer, type SocketIoTestServer } from '../adapters/socket.io.harness.js';
import { connect, redisAvailable, removeKeys, uniquePrefix } from './redis-support.js';

const available = await redisAvailable();

describe.skipIf(!available)('Redis store: several nodes', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** One node: its own Redis connection, store and Socket.IO server, on the deployment's shared prefix. */
  async function startNode(keyPrefix: string, config: GuardConfig = {}): Promise<{ server: SocketIoTestServer; store: RedisStore; events: SecurityEvent[] }> {
    const redis = connect();
    const store = redisStore(redis, { keyPrefix });
    const events: SecurityEvent[] = [];
    const server = await startSocketIoServer(baseConfig(events, { store, ...config }), 'websocket');
    cleanups.push(
      async () => {
        await removeKeys(redis, keyPrefix);
        await redis.quit();
      },
      () => store.close(),
      () => server.close(),
    );
    await server.guard.abuse?.ready;
    return { server, store, events };
  }

  function ok(result: Awaited<ReturnType<SocketIoTestServer['connect']>>): TestClient {
    if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
    cleanups.push(() => result.client.close());
    return result.client;
  }

  it('a ban on node A closes the target’s sockets on node B within a second, and B refuses its handshake', async () => {
    const keyPrefix = uniquePrefix();
    const a = await startNode(keyPrefix);
    const b = await startNode(keyPrefix);
    const onB = ok(await b.server.connect({ user: 'mallory' }));
    const bystander = ok(await b.server.connect({ user: 'alice' }));
    expect((await onB.send('hello', 1)).ok).toBe(true);

    const bannedAt = Date.now();
    const outcome = await a.server.guard.abuse?.ban({ userId: 'mallory' }, { reason: 'spam', by: 'admin', durationMs: 60_000 });
    expect(outcome).toMatchObject({ banned: true });
    const closedWithin = await Promise.race([onB.closed.then(() => Date.now() - bannedAt), new Promise<null>((r) => setTimeout(() => r(null), 1_000))]);
    expect(closedWithin, 'mallory’s socket on B still open a second after the ban on A').not.toBeNull();
    console.info(`ban on node A closed the socket on node B after ${String(closedWithin)} ms`);
    expect(b.events.some((e) => e.type === 'connection_closed_by_guard' && e.reason === 'banned' && e.userId === 'mallory')).toBe(true);

    // Refused at B's handshake from now on, and at a node started after the ban (it reads the ban from Redis).
    const again = await b.server.connect({ user: 'mallory' });
    expect(again.ok ? null : again.error?.code).toBe('banned');
    const c = await startNode(keyPrefix);
    const atC = await c.server.connect({ user: 'mallory' });
    expect(atC.ok ? null : atC.error?.code).toBe('banned');
    // Nobody else was touched.
    expect((await bystander.send('hello', 2)).ok).toBe(true);
    ok(await c.server.connect({ user: 'alice' }));

    // Lifted on B: A lets mallory in again.
    expect(await b.server.guard.abuse?.unban({ userId: 'mallory' })).toBe(true);
    await expect.poll(async () => (await a.server.connect({ user: 'mallory' })).ok, { timeout: 2_000 }).toBe(true);
  });

  it('a revocation on node A closes the user’s sockets on node B within a second; every node refuses it until lifted', async () => {
    const keyPrefix = uniquePrefix();
    const a = await startNode(keyPrefix);
    const b = await startNode(keyPrefix);
    const onB = ok(await b.server.connect({ user: 'dave' }));
    const bystander = ok(await b.server.connect({ user: 'erin' }));

    const revokedAt = Date.now();
    await a.server.guard.revokeUser('dave', { ttlMs: 60_000, by: 'admin' });
    const closedWithin = await Promise.race([onB.closed.then(() => Date.now() - revokedAt), new Promise<null>((r) => setTimeout(() => r(null), 1_000))]);
    expect(closedWithin, 'dave’s socket on B still open a second after the revocation on A').not.toBeNull();
    console.info(`revocation on node A closed the socket on node B after ${String(closedWithin)} ms`);

    const atB = await b.server.connect({ user: 'dave' });
    expect(atB.ok ? null : atB.error?.code).toBe('session_revoked');
    const c = await startNode(keyPrefix);
    const atC = await c.server.connect({ user: 'dave' });
    expect(atC.ok ? null : atC.error?.code).toBe('session_revoked');
    expect((await bystander.send('hello', 1)).ok).toBe(true);

    // Lifted on C: B lets dave in again.
    expect(await c.server.guard.unrevokeUser('dave')).toBe(true);
    await expect.poll(async () => (await b.server.connect({ user: 'dave' })).ok, { timeout: 2_000 }).toBe(true);
  });

  it('shares a user’s message rate and connection cap across nodes', async () => {
    const keyPrefix = uniquePrefix();
    // A burst of 4 messages, refilling at one a minute: the fifth message, on whichever node, is refused.
    const config: GuardConfig = { burstLimit: 4, messageRateLimit: 1, maxConnectionsPerUser: 2 };
    const a = await startNode(keyPrefix, config);
    const b = await startNode(keyPrefix, config);
    const onA = ok(await a.server.connect({ user: 'carol' }));
    const onB = ok(await b.server.connect({ user: 'carol' }));
    const results = [];
    for (const client of [onA, onB, onA, onB, onA, onB]) results.push((await client.send('chat', 'x')).ok);
    expect(results).toEqual([true, true, true, true, false, false]);
    const third = await a.server.connect({ user: 'carol' });
    expect(third.ok ? null : third.error?.code).toBe('too_many_connections_user');
  });
});
