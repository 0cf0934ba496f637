/**
 * Runs a Lua script by its SHA1 (EVALSHA: the script's text is not sent on every call), loading it with EVAL the
 * first time a Redis server (or a Cluster node, or a restarted server) does not know it yet.
 */

import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface Script {
  readonly source: string;
  readonly sha: string;
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

type Arg = string | number;

export function runScript(client: RedisClient, { source, sha }: Script, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
  return client.evalsha(sha, keys.length, ...keys, ...args).catch((error: unknown) => {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    // EVAL also caches the script, so the next EVALSHA on this server finds it.
    return client.eval(source, keys.length, ...keys, ...args);
  });
}
