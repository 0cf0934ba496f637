/**
 * Three guard processes on one Redis, each its own Socket.IO server (test/stores/fixtures/redis-node.mjs, run from
 * dist/), driven by real socket.io-client clients from distinct local addresses: the per-IP connection cap holds
 * across nodes, a user's message rate is shared within the stated bound, and a ban made on one node closes the
 * target's sockets on another and is refused at the third's handshake. One cluster serves every scenario (each on
 * addresses and users of its own), so it is spawned once.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFor } from '../../src/stores/redis/token-reservations.js';
import { connect, REDIS_URL, redisAvailable, removeKeys, uniquePrefix } from './redis-support.js';
import { assertBuilt, connectTo, startNode, type NodeClient, type NodeProcess } from './node-processes.js';

const available = await redisAvailable();

const IP_CAP = 3;
/** A burst of 60 messages refilling at 10 a second: batches of 6 (a tenth of the burst). */
const BURST = 60;
const PER_MINUTE = 600;

describe.skipIf(!available)('Redis store: three guard processes', () => {
  const keyPrefix = uniquePrefix();
  const redis = connect();
  let nodes: NodeProcess[] = [];
  const clients: NodeClient[] = [];

  beforeAll(async () => {
    assertBuilt();
    const options = {
      redisUrl: REDIS_URL,
      keyPrefix,
      nodeTimeoutMs: 3_000,
      // Generous: on a loaded machine a node that gave up on Redis would count on its own, and the shared limits with it.
      storeTimeoutMs: 1_000,
      maxConnectionsPerIp: IP_CAP,
      maxConnectionsPerUser: 10,
      burstLimit: BURST,
      messageRateLimit: PER_MINUTE,
    };
    const started = await Promise.allSettled(['A', 'B', 'C'].map((name) => startNode(name, options)));
    nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const node of nodes) node.stop();
    await removeKeys(redis, keyPrefix);
    await redis.quit();
  });

  const node = (i: number): NodeProcess => {
    const found = nodes[i];
    if (found === undefined) throw new Error(`no node ${i}`);
    return found;
  };

  async function admitted(target: NodeProcess, user: string, localAddress: string): Promise<NodeClient> {
    const result = await connectTo(target, user, localAddress);
    if (!result.ok) throw new Error(`${user} refused by node ${target.name}: ${String(result.code)}`);
    clients.push(result.client);
    return result.client;
  }

  it('enforces the per-IP connection cap across nodes', async () => {
    // One connection from 127.0.0.2 on each node: the cap of 3, reached across the cluster.
    const fromIp: NodeClient[] = [];
    for (let i = 0; i < IP_CAP; i++) fromIp.push(await admitted(node(i), `ip-user-${i}`, '127.0.0.2'));
    for (let i = 0; i < IP_CAP; i++) {
      const fourth = await connectTo(node(i), `ip-user-extra-${i}`, '127.0.0.2');
      if (fourth.ok) clients.push(fourth.client);
      expect(fourth.ok ? 'admitted' : fourth.code, `node ${node(i).name}`).toBe('too_many_connections_ip');
    }
    // Another address is not affected.
    await admitted(node(0), 'ip-user-other', '127.0.0.3');
    // Closing the one on B frees its slot in Redis: C lets a new one in.
    fromIp[1]?.close();
    await expect.poll(() => node(2).request<number>('leaseCount', { key: 'conn:ip:127.0.0.2' }), { timeout: 3_000 }).toBe(IP_CAP - 1);
    await admitted(node(2), 'ip-user-replacement', '127.0.0.2');
  });

  it('shares a user’s message rate across nodes: from a fresh start never over the limit, short of it by at most what the nodes hold', async () => {
    const batch = batchFor({ capacity: BURST, refillPerSecond: PER_MINUTE / 60 }, 1_000);
    expect(batch).toBe(6);
    // Carol on all three nodes, sending in turn as fast as the acknowledgements come back.
    const sockets = [await admitted(node(0), 'carol', '127.0.0.4'), await admitted(node(1), 'carol', '127.0.0.4'), await admitted(node(2), 'carol', '127.0.0.4')];
    const MESSAGES = 150;
    const allowedPerNode = [0, 0, 0];
    const refusals = new Set<string>();
    const started = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
      const result = await sockets[i % 3]?.send(i);
      if (result?.ok) allowedPerNode[i % 3] = (allowedPerNode[i % 3] ?? 0) + 1;
      else if (result) refusals.add(result.code);
    }
    const elapsedS = (performance.now() - started) / 1000;
    const allowed = allowedPerNode.reduce((a, b) => a + b, 0);
    const limit = BURST + (PER_MINUTE / 60) * elapsedS;
    console.info(
      `3 processes, ${MESSAGES} messages in ${elapsedS.toFixed(2)} s: ${allowed} allowed (${allowedPerNode.join(' + ')}); ` +
        `the limit allowed ${limit.toFixed(1)}, the bound ${BURST - nodes.length * batch}–${limit.toFixed(1)}`,
    );
    expect([...refusals]).toEqual(['message_rate_limited']);
    expect(allowed).toBeLessThanOrEqual(Math.floor(limit) + 1);
    // Tokens still held when the test stops (at most a batch per node) are the most it can fall short by.
    expect(allowed).toBeGreaterThanOrEqual(BURST - nodes.length * batch);
    // Every node took its share: the bucket is one.
    for (const count of allowedPerNode) expect(count).toBeGreaterThan(BURST / 6);
  });

  it('a ban on node A closes the target’s socket on node B within a second, and node C refuses its handshake', async () => {
    const mallory = await admitted(node(1), 'mallory', '127.0.0.5');
    const bystander = await admitted(node(1), 'alice', '127.0.0.6');
    expect((await mallory.send('hi')).ok).toBe(true);
    const bannedAt = performance.now();
    expect(await node(0).request<boolean>('ban', { userId: 'mallory' })).toBe(true);
    const closedAfter = await Promise.race([mallory.closed.then(() => performance.now() - bannedAt), new Promise<null>((r) => setTimeout(() => r(null), 1_000))]);
    expect(closedAfter, 'mallory’s socket on B still open a second after the ban on A').not.toBeNull();
    console.info(`ban on process A closed the socket on process B after ${String(Math.round(closedAfter ?? 0))} ms`);
    expect((await node(1).events()).some((e) => e.type === 'connection_closed_by_guard' && e.reason === 'banned' && e.userId === 'mallory')).toBe(true);
    for (const target of [node(2), node(1)]) {
      const again = await connectTo(target, 'mallory', '127.0.0.5');
      if (again.ok) clients.push(again.client);
      expect(again.ok ? 'admitted' : again.code, `node ${target.name}`).toBe('banned');
    }
    expect((await bystander.send('still here')).ok).toBe(true);
  });
});
