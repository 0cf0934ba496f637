/** The admin API across nodes on one Redis: `?scope=cluster` gathers every node's connections and stats. */

import { afterEach, describe, expect, it } from 'vitest';
import { createAdminApi, type AdminApi } from '../../src/admin/index.js';
import type { MonitorSnapshot } from '../../src/core/guard.js';
import { redisStore } from '../../src/stores/redis/index.js';
import { baseConfig, type TestClient } from '../adapters/harness.js';
import { startSocketIoServer, type SocketIoTestServer } from '../adapters/socket.io.harness.js';
import { connect, redisAvailable, removeKeys, uniquePrefix } from '../stores/redis-support.js';

const available = await redisAvailable();
const SECRET = 'admin-cluster-test-secret-0123456789abc';
const asAdmin = { 'x-test-user': 'root', 'x-test-roles': 'admin' };

describe.skipIf(!available)('admin API across nodes (Redis)', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startNode(keyPrefix: string): Promise<{ server: SocketIoTestServer; admin: AdminApi; url: string }> {
    const redis = connect();
    const store = redisStore(redis, { keyPrefix });
    const server = await startSocketIoServer(baseConfig([], { store, csrfEnabled: true, csrfSecret: SECRET }), 'websocket');
    // a generous window: both nodes share this process's event loop, which a loaded machine slows down
    const admin = createAdminApi(server.guard, { clusterWindowMs: 1_000 });
    server.http.on('request', (req, res) => void admin.handle(req, res));
    cleanups.push(
      async () => {
        await removeKeys(redis, keyPrefix);
        await redis.quit();
      },
      () => store.close(),
      () => server.close(),
      () => admin.close(),
    );
    return { server, admin, url: server.url };
  }

  const join = async (server: SocketIoTestServer, user: string): Promise<TestClient> => {
    const result = await server.connect({ user, csrfToken: server.guard.csrf.issue(`session-${user}`).token });
    if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
    cleanups.push(() => result.client.close());
    return result.client;
  };

  it('lists every node’s connections with scope=cluster, this node’s without', async () => {
    const prefix = uniquePrefix();
    const a = await startNode(prefix);
    const b = await startNode(prefix);
    await join(a.server, 'alice');
    await join(b.server, 'bob');
    await join(b.server, 'carol');

    const own = (await (await fetch(`${a.url}/admin/api/connections`, { headers: asAdmin })).json()) as MonitorSnapshot;
    expect(own.connections.map((c) => c.userId)).toEqual(['alice']);

    const whole = (await (await fetch(`${a.url}/admin/api/connections?scope=cluster`, { headers: asAdmin })).json()) as {
      nodes: { node: string; data: MonitorSnapshot & { truncated: boolean } }[];
    };
    expect(whole.nodes).toHaveLength(2);
    expect(whole.nodes[0]?.node).toBe(a.admin.cluster.node);
    const users = whole.nodes.flatMap((n) => n.data.connections.map((c) => c.userId)).sort();
    expect(users).toEqual(['alice', 'bob', 'carol']);
    expect(whole.nodes.find((n) => n.node === b.admin.cluster.node)?.data.byUser).toEqual({ bob: 1, carol: 1 });

    const stats = (await (await fetch(`${b.url}/admin/api/stats?scope=cluster`, { headers: asAdmin })).json()) as {
      nodes: { data: { connections: number } }[];
    };
    expect(stats.nodes.map((n) => n.data.connections).sort()).toEqual([1, 2]);

    // The scope is checked; a non-admin gets nothing from any node.
    expect((await fetch(`${a.url}/admin/api/connections?scope=everything`, { headers: asAdmin })).status).toBe(400);
    expect((await fetch(`${a.url}/admin/api/connections?scope=cluster`, { headers: { 'x-test-user': 'mallory' } })).status).toBe(403);
  });
});
