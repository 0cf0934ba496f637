/**
 * Redis stopped in the middle of traffic and started again, with two guard processes on it: a `redis-server` of the
 * test's own on a free port (no persistence) is killed while clients chat on both nodes. Every message keeps being
 * answered (each node falls back to its local limits, which still refuse a flood), each node reports
 * `store_degraded` once per outage, not per message; Redis is started again on the same port, each node reports
 * `store_recovered`, and the shared limits and cluster-wide bans work again (pub/sub resubscribed).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, sleep, uniquePrefix } from './redis-support.js';
import { assertBuilt, connectTo, OwnRedis, redisServerInstalled, startNode, type NodeClient, type NodeProcess } from './node-processes.js';

const installed = redisServerInstalled();
if (!installed && process.env['REQUIRE_REDIS'] === '1') throw new Error('REQUIRE_REDIS=1 but redis-server is not installed');
if (!installed) console.warn('Redis restart test skipped: redis-server is not installed');
const available = installed && (await redisAvailable());

interface Sent {
  readonly ok: boolean;
  readonly code?: string;
  readonly ms: number;
}

/** A client sending one message every `everyMs` until stopped (at most 500). */
function chatter(client: NodeClient, everyMs: number): { readonly sent: Sent[]; stop(): Promise<void> } {
  const sent: Sent[] = [];
  let running = true;
  const loop = (async () => {
    while (running && sent.length < 500) {
      const started = performance.now();
      try {
        const result = await client.send(sent.length);
        sent.push({ ok: result.ok, ...(result.ok ? {} : { code: result.code }), ms: performance.now() - started });
      } catch {
        sent.push({ ok: false, code: 'no acknowledgement', ms: performance.now() - started });
      }
      await sleep(everyMs);
    }
  })();
  return {
    sent,
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe.skipIf(!available)('Redis store: Redis stopped mid-traffic and started again', () => {
  let redis: OwnRedis | null = null;
  let nodes: NodeProcess[] = [];
  const clients: NodeClient[] = [];

  beforeAll(async () => {
    assertBuilt();
    redis = await OwnRedis.start();
    const options = {
      redisUrl: redis.url,
      keyPrefix: uniquePrefix(),
      nodeTimeoutMs: 3_000,
      // A killed Redis closes the connection: the nodes notice at once. The deadline only has to ride out a loaded
      // machine (the whole suite on two cores) without declaring a live Redis dead.
      storeTimeoutMs: 1_000,
      probeIntervalMs: 100,
      reconnectMs: 50,
      maxConnectionsPerUser: 2,
      // 10 messages a second, a burst of 40.
      burstLimit: 40,
      messageRateLimit: 600,
    };
    const started = await Promise.allSettled(['A', 'B'].map((name) => startNode(name, options)));
    nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const node of nodes) node.stop();
    await redis?.stop();
  });

  async function admitted(node: NodeProcess | undefined, user: string): Promise<NodeClient> {
    if (node === undefined) throw new Error('no node');
    const result = await connectTo(node, user);
    if (!result.ok) throw new Error(`${user} refused by node ${node.name}: ${String(result.code)}`);
    clients.push(result.client);
    return result.client;
  }

  const eventCount = async (node: NodeProcess, type: string): Promise<number> => (await node.events()).filter((e) => e.type === type).length;
  /** The node's store is on Redis again: its last health event is a recovery. */
  const recovered = async (node: NodeProcess): Promise<boolean> =>
    (await node.events()).filter((e) => e.type === 'store_degraded' || e.type === 'store_recovered').at(-1)?.type === 'store_recovered';

  it('serves every message through the outage on local limits, and shares limits and bans again once Redis is back', async () => {
    const [a, b] = nodes;
    if (a === undefined || b === undefined || redis === null) throw new Error('cluster not started');
    const onA = chatter(await admitted(a, 'dan'), 100);
    const erin = await admitted(b, 'erin');
    const onB = chatter(erin, 100);
    const flooder = await admitted(a, 'hank');
    await sleep(300);

    await redis.stop('SIGKILL');
    const killedAt = performance.now();
    await expect.poll(async () => (await eventCount(a, 'store_degraded')) + (await eventCount(b, 'store_degraded')), { timeout: 3_000 }).toBe(2);
    // Local limits still refuse a flood: hank's burst of 40 is counted on node A alone now. (Sent all at once: one
    // at a time, each would wait out the pause that follows a refusal and be served.)
    const flood = (await Promise.all(Array.from({ length: 60 }, (_, i) => flooder.send(i)))).map((result) => (result.ok ? 'ok' : result.code));
    expect(flood.filter((r) => r === 'ok').length).toBeGreaterThanOrEqual(35);
    expect(flood.filter((r) => r === 'message_rate_limited').length).toBeGreaterThan(10);
    // New connections are let in (failure mode 'open'), on what each node knows.
    await admitted(b, 'frank');
    await sleep(300);
    const duringOutage = onA.sent.length + onB.sent.length;

    await redis.start();
    const restartedAt = performance.now();
    await expect.poll(async () => (await recovered(a)) && (await recovered(b)), { timeout: 10_000 }).toBe(true);
    const recoveredMs = performance.now() - restartedAt;
    await sleep(200);
    await onA.stop();
    await onB.stop();

    const sent = [...onA.sent, ...onB.sent];
    console.info(
      `Redis killed and restarted: ${sent.length} messages from two chatting clients (${duringOutage} by the end of the outage), ` +
        `all answered, slowest in ${Math.max(...sent.map((s) => s.ms)).toFixed(0)} ms; outage ${(restartedAt - killedAt).toFixed(0)} ms; ` +
        `both nodes recovered ${recoveredMs.toFixed(0)} ms after the restart`,
    );
    expect(sent.filter((s) => !s.ok)).toEqual([]);
    expect(sent.length).toBeGreaterThan(10);
    // Once per outage, not per message: dozens of messages and a flood went through each node meanwhile.
    for (const node of [a, b]) {
      const degraded = await eventCount(node, 'store_degraded');
      expect(degraded, `node ${node.name}`).toBeGreaterThanOrEqual(1);
      expect(degraded, `node ${node.name}`).toBeLessThanOrEqual(2);
      expect(await eventCount(node, 'store_recovered'), `node ${node.name}`).toBe(degraded);
    }

    // Shared again: gina's cap of two connections counts both nodes.
    await admitted(a, 'gina');
    await admitted(b, 'gina');
    const third = await connectTo(a, 'gina');
    if (third.ok) clients.push(third.client);
    expect(third.ok ? 'admitted' : third.code).toBe('too_many_connections_user');
    // And bans travel again: erin, on B, banned on A.
    expect(await a.request<boolean>('ban', { userId: 'erin' })).toBe(true);
    const closed = await Promise.race([erin.closed.then(() => true), sleep(2_000).then(() => false)]);
    expect(closed, 'erin’s socket on B still open after the ban on A').toBe(true);
  });
});
