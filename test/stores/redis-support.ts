/**
 * What the Redis store tests share: the Redis to use (`REDIS_URL`, default redis://127.0.0.1:6379), whether it
 * answers, and clients whose keys are removed afterwards. When no Redis answers the tests skip with a message, unless
 * `REQUIRE_REDIS=1` (CI), where that is a failure.
 */

import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Whether the Redis tests run: true when Redis answers; throws under REQUIRE_REDIS=1 when it does not. */
export async function redisAvailable(): Promise<boolean> {
  if (await answers(REDIS_URL)) return true;
  if (process.env['REQUIRE_REDIS'] === '1') throw new Error(`REQUIRE_REDIS=1 but no Redis answers at ${REDIS_URL}`);
  console.warn(`Redis store tests skipped: no Redis answers at ${REDIS_URL} (set REDIS_URL, or REQUIRE_REDIS=1 to fail instead)`);
  return false;
}

/** A key prefix no other test (nor an earlier run) uses. */
export function uniquePrefix(): string {
  return `wsg-test:${randomUUID()}:`;
}

export function connect(url = REDIS_URL, options: RedisOptions = {}): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, ...options });
  client.on('error', () => undefined);
  return client;
}

/** Remove every key under `prefix` (each test's keys expire anyway; permanent bans would not). */
export async function removeKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  // Bounded: a test writes a few dozen keys at most.
  for (let round = 0; round < 1_000; round++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
    if (cursor === '0') return;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
