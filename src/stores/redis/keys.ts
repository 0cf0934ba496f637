/**
 * Where each piece of state lives in Redis. Every key starts with the deployment's prefix. Keys that one script
 * touches together (a ban and the ban index) share a hash tag, `{bans}`, so they sit in one Redis Cluster slot; every
 * other script touches a single key, which Redis Cluster routes by that key alone.
 */

export interface RedisKeys {
  bucket(key: string): string;
  counter(key: string): string;
  set(key: string): string;
  lease(key: string): string;
  ban(key: string): string;
  /** A sorted set of ban keys, scored by expiry (`+inf` when permanent): how bans are listed without a SCAN. */
  readonly banIndex: string;
  channel(channel: string): string;
}

export function redisKeys(prefix: string): RedisKeys {
  // One namespace per structure: the same wsguard key used as a counter and as a set never collides.
  const bucket = `${prefix}tb:`;
  const counter = `${prefix}ctr:`;
  const set = `${prefix}set:`;
  const lease = `${prefix}lease:`;
  const ban = `${prefix}{bans}:ban:`;
  const channel = `${prefix}ch:`;
  return {
    bucket: (key) => bucket + key,
    counter: (key) => counter + key,
    set: (key) => set + key,
    lease: (key) => lease + key,
    ban: (key) => ban + key,
    banIndex: `${prefix}{bans}:index`,
    channel: (name) => channel + name,
  };
}
