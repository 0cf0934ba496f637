// Type-checked twice by the smoke test against the built declarations: once as an ES module ("type": "module",
// resolving the `import` condition: dist/*.d.ts) and once as CommonJS ("type": "commonjs": dist/*.d.cts).
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createGuard, memoryStore, presets, REASON_CODES, reasonCodes, type Guard, type GuardConfig, type Verdict } from 'wsguard';
import { protect } from 'wsguard/socket.io';
import { redisStore, type RedisStore, type RedisStoreOptions } from 'wsguard/redis';
import type { Redis } from 'ioredis';

const config: GuardConfig = {
  ...presets.development,
  allowedOrigins: ['https://app.example.com', 'https://*.example.com'],
  maxMessageBytes: 16_384,
  authenticate: (request) => (request.headers['x-user'] === 'alice' ? { userId: 'alice', roles: ['admin'] } : null),
};

// @ts-expect-error an unknown key is refused, not silently ignored
const _misspelt: GuardConfig = { maxMessageByte: 1 };
// @ts-expect-error a limit is a number
const _wrongType: GuardConfig = { maxConnectionsPerIp: '10' };

export const guard: Guard = createGuard(config);

export function describeVerdict(verdict: Verdict): string {
  if (verdict.allowed) {
    // @ts-expect-error an allowed verdict carries no reason code
    void verdict.code;
    return 'allowed';
  }
  const code: keyof typeof REASON_CODES = verdict.code;
  const status: number = verdict.status;
  const retry: number | undefined = verdict.retryAfterMs;
  return `${code} (${status}${retry === undefined ? '' : `, retry in ${retry} ms`}): ${REASON_CODES[code].message}`;
}

export const knownCodes: readonly string[] = reasonCodes;
export const store: unknown = memoryStore;

const redisOptions: RedisStoreOptions = { keyPrefix: 'chat:', nodeTimeoutMs: 15_000, storeTimeoutMs: 250, redisFailureMode: 'closed' };
// @ts-expect-error the failure mode is 'open' or 'closed'
const _badMode: RedisStoreOptions = { redisFailureMode: 'shut' };
export function sharedConfig(client: Redis): GuardConfig {
  const shared: RedisStore = redisStore(client, redisOptions);
  return { ...config, store: shared };
}

export async function start(): Promise<Server> {
  const httpServer = createServer();
  const io = new Server(httpServer);
  protect(io, guard);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return io;
}

export async function stop(io: Server): Promise<void> {
  await io.close();
  await guard.close();
}
