/**
 * Connection counts that survive a crash: a node process killed with SIGKILL (no close, no release) must stop
 * counting within `nodeTimeoutMs`, while a live node's counts stay. Node A runs in a child process from the built
 * package (test/stores/fixtures/redis-node.mjs); node B runs here; both share one Redis and one key prefix.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../../src/stores/redis/index.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, TEST_ORIGIN, waitFor } from '../adapters/harness.js';
import { startSocketIoServer, type SocketIoTestServer } from '../adapters/socket.io.harness.js';
import { connect, REDIS_URL, redisAvailable, removeKeys, sleep, uniquePrefix } from './redis-support.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const FIXTURE = resolve(import.meta.dirname, 'fixtures/redis-node.mjs');
// Long enough that a child process starved of CPU for a second or two on a loaded machine still renews in time.
const NODE_TIMEOUT_MS = 3_000;
const CAP = 5;

const available = await redisAvailable();

/** Start node A in a child process; resolves with its port once it listens. */
function startChildNode(keyPrefix: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [FIXTURE, JSON.stringify({ redisUrl: REDIS_URL, keyPrefix, nodeTimeoutMs: NODE_TIMEOUT_MS, maxConnectionsPerIp: CAP, origin: TEST_ORIGIN })],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node A did not start in time\n${stderr}`));
    }, 10_000);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type !== 'ready' || typeof message.port !== 'number') return;
      clearTimeout(timer);
      resolvePromise({ child, port: message.port });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`node A exited (${String(code ?? signal)}) before listening\n${stderr}`));
    });
  });
}

function connectTo(url: string, user: string): Promise<Socket> {
  const socket = connectClient(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { origin: TEST_ORIGIN, 'x-test-user': user },
  });
  return new Promise((resolvePromise, reject) => {
    socket.once('connect', () => resolvePromise(socket));
    socket.once('connect_error', (error: Error) => {
      socket.disconnect();
      reject(error);
    });
  });
}

describe.skipIf(!available)('Redis store: a node killed with SIGKILL', () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(() => {
    if (!existsSync(resolve(repoRoot, 'dist/stores/redis/index.js'))) {
      throw new Error('dist/stores/redis/index.js is missing: run `npm run build` first (`npm test` does)');
    }
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('drops the dead node’s connection counts within nodeTimeoutMs; the live node’s stay', async () => {
    const keyPrefix = uniquePrefix();
    const redis = connect();
    cleanups.push(async () => {
      await removeKeys(redis, keyPrefix);
      await redis.quit();
    });

    const { child, port } = await startChildNode(keyPrefix);
    cleanups.push(() => void child.kill('SIGKILL'));
    const store = redisStore(redis, { keyPrefix, nodeTimeoutMs: NODE_TIMEOUT_MS });
    const events: SecurityEvent[] = [];
    const nodeB: SocketIoTestServer = await startSocketIoServer(
      baseConfig(events, { store, maxConnectionsPerIp: CAP, maxConnectionsPerUser: 10 }),
      'websocket',
    );
    cleanups.push(() => store.close(), () => nodeB.close());

    // Three connections on A, two on B: one address and one user, counted together in Redis.
    const onA = [await connectTo(`http://127.0.0.1:${port}`, 'alice'), await connectTo(`http://127.0.0.1:${port}`, 'alice')];
    onA.push(await connectTo(`http://127.0.0.1:${port}`, 'alice'));
    cleanups.push(() => onA.forEach((socket) => socket.disconnect()));
    for (let i = 0; i < 2; i++) {
      const result = await nodeB.connect({ user: 'alice' });
      expect(result.ok).toBe(true);
    }
    expect(await store.leaseCount('conn:ip:127.0.0.1')).toBe(5);
    expect(await store.leaseCount('conn:user:alice')).toBe(5);
    // The per-address cap holds across nodes: B refuses a sixth connection from that address.
    const sixth = await nodeB.connect({ user: 'bob' });
    expect(sixth.ok ? null : sixth.error?.code).toBe('too_many_connections_ip');

    // While A lives, its renewals keep its slots past nodeTimeoutMs.
    await sleep(NODE_TIMEOUT_MS + 500);
    expect(await store.leaseCount('conn:ip:127.0.0.1')).toBe(5);

    const killedAt = Date.now();
    child.kill('SIGKILL');
    await waitFor(async () => (await store.leaseCount('conn:ip:127.0.0.1')) === 2, NODE_TIMEOUT_MS + 1_000, 'A’s slots to expire');
    const freedAfterMs = Date.now() - killedAt;
    console.info(`SIGKILLed node's connection counts gone after ${freedAfterMs} ms (nodeTimeoutMs ${NODE_TIMEOUT_MS})`);
    expect(await store.leaseCount('conn:user:alice')).toBe(2);

    // B's own slots stay: B keeps renewing them.
    await sleep(NODE_TIMEOUT_MS);
    expect(await store.leaseCount('conn:ip:127.0.0.1')).toBe(2);
    expect(await store.leaseCount('conn:user:alice')).toBe(2);
    // And the freed room is usable: B lets a new connection in from that address.
    const again = await nodeB.connect({ user: 'bob' });
    expect(again.ok).toBe(true);
    expect(await store.leaseCount('conn:ip:127.0.0.1')).toBe(3);
  });
});
