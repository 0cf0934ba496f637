/**
 * What the Redis store promises beyond the store contract (run against it in redis.contract.test.ts): options checked
 * with messages that name the fix, keys under the deployment's prefix with a bounded lifetime, state shared between
 * stores on one prefix and kept apart across prefixes, scripts loaded when Redis does not know them, and well under one
 * Redis round trip per message (exactly one with `tokenBatch: 1`).
 */

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { redisStore, REDIS_STORE_DEFAULTS, type RedisStore, type RedisStoreOptions } from '../../src/stores/redis/index.js';
import { runScript, script } from '../../src/stores/redis/script-runner.js';
import { baseConfig, type TestClient } from '../adapters/harness.js';
import { startSocketIoServer } from '../adapters/socket.io.harness.js';
import { connect, redisAvailable, removeKeys, uniquePrefix } from './redis-support.js';

const available = await redisAvailable();

describe('redisStore options', () => {
  // No Redis needed: options are checked before anything is sent, and nothing is (the client never connects).
  const client = connect('redis://127.0.0.1:1', { lazyConnect: true });
  const make = (options: RedisStoreOptions): RedisStore => redisStore(client, options);

  it('has documented defaults, and the lease TTL follows nodeTimeoutMs', () => {
    const store = make({});
    expect(store.name).toBe('redis');
    expect(store.shared).toBe(true);
    expect(store.options).toMatchObject({ keyPrefix: 'wsguard:', nodeTimeoutMs: 15_000, storeTimeoutMs: 250, redisFailureMode: 'open', tokenBatch: 'auto', reservationMs: 1_000 });
    expect(store.leaseTtlMs).toBe(REDIS_STORE_DEFAULTS.nodeTimeoutMs);
    expect(make({ nodeTimeoutMs: 3_000 }).leaseTtlMs).toBe(3_000);
    expect(Object.isFrozen(store.options)).toBe(true);
  });

  it('refuses bad options with a message naming the option and the fix', () => {
    expect(() => make({ keyPrefix: 'app{1}:' })).toThrow(/keyPrefix must be a string without \{ or \}/);
    expect(() => make({ nodeTimeoutMs: 400, storeTimeoutMs: 250 })).toThrow(/nodeTimeoutMs \(400\) must be at least twice storeTimeoutMs \(250\)/);
    expect(() => make({ nodeTimeoutMs: 100 })).toThrow(/nodeTimeoutMs must be a number of milliseconds between 300/);
    expect(() => make({ storeTimeoutMs: 0 })).toThrow(/storeTimeoutMs/);
    expect(() => make({ redisFailureMode: 'shut' as 'open' })).toThrow(/redisFailureMode must be 'open' or 'closed'/);
    expect(() => make({ maxKeys: 0 })).toThrow(/maxKeys must be a positive integer/);
    expect(() => make({ tokenBatch: 0 })).toThrow(/tokenBatch must be 'auto' or an integer between 1 \(exact\)/);
    expect(() => make({ tokenBatch: 2.5 })).toThrow(/tokenBatch/);
    expect(() => make({ reservationMs: 0 })).toThrow(/reservationMs must be a number of milliseconds/);
  });
});

describe.skipIf(!available)('redisStore on a real Redis', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function open(keyPrefix: string, options: RedisStoreOptions = {}): { redis: Redis; store: RedisStore } {
    const redis = connect();
    const store = redisStore(redis, { keyPrefix, ...options });
    cleanups.push(
      async () => {
        await removeKeys(redis, keyPrefix);
        await redis.quit();
      },
      () => store.close(),
    );
    return { redis, store };
  }

  it('shares state between stores on one prefix, and keeps prefixes apart', async () => {
    const prefix = uniquePrefix();
    const a = open(prefix).store;
    const b = open(prefix).store;
    const other = open(uniquePrefix()).store;
    const spec = { capacity: 2, refillPerSecond: 0.01 };
    expect((await a.consumeTokens('k', spec)).remaining).toBe(1);
    expect((await b.consumeTokens('k', spec)).remaining).toBe(0);
    expect((await other.consumeTokens('k', spec)).remaining).toBe(1);
    expect((await a.acquireLease('l', 'x', 1, 5_000)).acquired).toBe(true);
    expect(await b.acquireLease('l', 'y', 1, 5_000)).toEqual({ acquired: false, count: 1 });
    await a.addBan({ key: 'user:eve', reason: 'r', createdAt: Date.now(), expiresAt: null });
    expect((await b.getBan('user:eve'))?.reason).toBe('r');
    expect(await other.getBan('user:eve')).toBeNull();

    const heard: string[] = [];
    const elsewhere: string[] = [];
    await b.subscribe('news', (m) => heard.push(m));
    await other.subscribe('news', (m) => elsewhere.push(m));
    await a.publish('news', 'hello');
    await expect.poll(() => heard).toEqual(['hello']);
    expect(elsewhere).toEqual([]);
  });

  it('keeps every key under the prefix with an expiry (bar permanent bans), and bans in one cluster slot', async () => {
    const prefix = uniquePrefix();
    const { redis, store } = open(prefix);
    await store.consumeTokens('rate:msg:u:alice', { capacity: 5, refillPerSecond: 1 });
    await store.increment('abuse:offences:user:alice', 60_000);
    await store.setAdd('s', 'm', 60_000);
    await store.acquireLease('conn:ip:1', 'c1', 5, 60_000);
    await store.addBan({ key: 'user:alice', reason: 'r', createdAt: Date.now(), expiresAt: Date.now() + 60_000 });
    await store.addBan({ key: 'user:bob', reason: 'r', createdAt: Date.now(), expiresAt: null });
    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toEqual(
      [
        `${prefix}ctr:abuse:offences:user:alice`,
        `${prefix}lease:conn:ip:1`,
        `${prefix}set:s`,
        `${prefix}tb:rate:msg:u:alice`,
        `${prefix}{bans}:ban:user:alice`,
        `${prefix}{bans}:ban:user:bob`,
        `${prefix}{bans}:index`,
      ].sort(),
    );
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      if (key.endsWith('ban:user:bob') || key.endsWith('{bans}:index')) expect(ttl, key).toBe(-1);
      else expect(ttl, key).toBeGreaterThan(0);
    }
    expect(await store.listBans()).toHaveLength(2);
  });

  it('caps the members of one set at maxKeys', async () => {
    const { store } = open(uniquePrefix(), { maxKeys: 3 });
    for (const member of ['a', 'b', 'c', 'd']) await store.setAdd('s', member, 5_000);
    expect(await store.setMembers('s')).toHaveLength(3);
    expect(await store.setAdd('s', 'a', 5_000)).toBe(3);
  });

  it('loads a script Redis does not know yet (EVALSHA answered NOSCRIPT), then runs it by its hash', async () => {
    const { redis } = open(uniquePrefix());
    const fresh = script(`return ARGV[1] -- ${randomUUID()}`);
    expect(await redis.script('EXISTS', fresh.sha)).toEqual([0]);
    expect(await runScript(redis, fresh, [], ['one'])).toBe('one');
    expect(await redis.script('EXISTS', fresh.sha)).toEqual([1]);
    expect(await runScript(redis, fresh, [], ['two'])).toBe('two');
  });

  /** Redis commands per message sent by `store`'s client, for a user and an anonymous client, over 100 messages each. */
  async function commandsPerMessage(options: RedisStoreOptions): Promise<number[]> {
    const { redis, store } = open(uniquePrefix(), options);
    const events: SecurityEvent[] = [];
    const server = await startSocketIoServer(baseConfig(events, { store, burstLimit: 10_000, messageRateLimit: 100_000 }), 'websocket');
    cleanups.push(() => server.close());
    const clients: TestClient[] = [];
    for (const user of ['alice', undefined]) {
      const result = await server.connect(user === undefined ? {} : { user });
      if (!result.ok) throw new Error('refused');
      clients.push(result.client);
    }
    // Every command the store's client sends is one round trip (pipelined or not): count them at the client.
    let commands = 0;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
      commands++;
      return send(...args);
    };
    const MESSAGES = 100;
    const perClient: number[] = [];
    for (const client of clients) {
      const before = commands;
      for (let i = 0; i < MESSAGES; i++) expect((await client.send('chat', i)).ok).toBe(true);
      perClient.push((commands - before) / MESSAGES);
    }
    return perClient;
  }

  it('costs well under one Redis round trip per message (tokens taken in batches), for users and anonymous clients', async () => {
    const [user, anonymous] = await commandsPerMessage({});
    console.info(`Redis commands per message, batched: user ${String(user)}, anonymous ${String(anonymous)}`);
    // Batches of 1,000 (a tenth of this bucket's burst): one reservation serves all 100 messages.
    expect(user).toBeLessThanOrEqual(0.05);
    expect(anonymous).toBeLessThanOrEqual(0.05);
    // Not zero either: the user's and the address's buckets are shared through Redis.
    expect(user).toBeGreaterThan(0);
    expect(anonymous).toBeGreaterThan(0);
  });

  it('costs exactly one round trip per message with tokenBatch: 1', async () => {
    const perClient = await commandsPerMessage({ tokenBatch: 1 });
    expect(perClient).toEqual([1, 1]);
  });
});
