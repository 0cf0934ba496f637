/**
 * `wsguard/redis`: the store for several nodes sharing one Redis (ioredis is an optional peer dependency, needed only
 * by this entry point).
 */

export { redisStore, type RedisStore } from './store.js';
export { REDIS_STORE_DEFAULTS, type RedisFailureMode, type RedisStoreOptions, type ResolvedRedisStoreOptions } from './options.js';
export { StoreUnavailableError, isStoreUnavailable } from '../errors.js';
