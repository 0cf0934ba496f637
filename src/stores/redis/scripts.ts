/**
 * The Lua scripts behind the Redis store: each operation that reads then writes runs as one script, so it is atomic
 * however many nodes call it at once, and costs one round trip.
 *
 * Time comes from Redis (`TIME`), not from the nodes: buckets and leases written by several nodes then agree on one
 * clock. Times are epoch milliseconds with a fraction; numbers are written with `%.17g` so no precision is lost to
 * Lua's default formatting. Redis turns a Lua number into an integer reply by truncating, so every number returned
 * is rounded on purpose first.
 */

const NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local function num(x) return string.format('%.17g', x) end
`;

/** Keep a key at least `ttl` ms more: its expiry follows the latest slot or write, never shortens. */
const EXTEND = `
local function extend(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * KEYS[1] bucket hash {t = tokens, u = updated at}; ARGV capacity, refillPerSecond, cost, want (>= cost).
 * Takes `cost` tokens, and up to `want` when there are that many (a node's batch, handed out locally afterwards).
 * Returns {allowed 0|1, granted (a string: it may be fractional), remaining, retryAfterMs}; a refusal takes nothing
 * and gives the wait for `cost`. With want = cost this is the exact token bucket. A bucket that is full again is the
 * same as none: it expires then.
 */
export const RESERVE_TOKENS = `${NOW}
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
-- Refills add up fractions; without this slack waiting exactly retryAfterMs could be refused again (as in memory).
local slack = 1e-9
local tokens = capacity
local state = redis.call('HMGET', KEYS[1], 't', 'u')
if state[1] then
  local elapsed = now - tonumber(state[2])
  if elapsed < 0 then elapsed = 0 end
  tokens = math.min(capacity, tonumber(state[1]) + elapsed * rate / 1000)
end
if cost > capacity then
  return {0, '0', math.floor(tokens + slack), math.ceil(capacity / rate * 1000)}
end
if tokens + slack < cost then
  return {0, '0', math.floor(tokens + slack), math.ceil((cost - tokens) / rate * 1000)}
end
local granted = math.max(cost, math.min(want, math.floor(tokens + slack)))
tokens = tokens - granted
if tokens < 0 then tokens = 0 end
if tokens < capacity then
  redis.call('HSET', KEYS[1], 't', num(tokens), 'u', num(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1)
end
return {1, num(granted), math.floor(tokens + slack), 0}
`;

/** KEYS[1] counter; ARGV ttlMs, by. Returns {value as a string, resetInMs}. The window starts at the first increment. */
export const INCREMENT = `
local value = redis.call('INCRBYFLOAT', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {value, ttl}
`;

/** KEYS[1] set; ARGV member, ttlMs, max members. Returns the size. At the cap a new member is left out. */
export const SET_ADD = `
if redis.call('SCARD', KEYS[1]) < tonumber(ARGV[3]) or redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[1], ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('SCARD', KEYS[1])
`;

/** KEYS[1] set; ARGV member. Returns the size; the expiry stays as it was. */
export const SET_REMOVE = `
redis.call('SREM', KEYS[1], ARGV[1])
return redis.call('SCARD', KEYS[1])
`;

/**
 * KEYS[1] sorted set of holder -> expiry; ARGV holder, limit, ttlMs. Returns {acquired 0|1, live holders}.
 * Expired holders are trimmed first, so a node that stopped renewing (it died) no longer counts.
 */
export const ACQUIRE_LEASE = `${NOW}${EXTEND}
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', num(now))
local count = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], num(now + ttl), ARGV[1])
  extend(KEYS[1], ttl)
  return {1, count}
end
if count >= tonumber(ARGV[2]) then return {0, count} end
redis.call('ZADD', KEYS[1], num(now + ttl), ARGV[1])
extend(KEYS[1], ttl)
return {1, count + 1}
`;

/** KEYS[1] sorted set; ARGV ttlMs, holder... Extends the holders still live; an expired one is not brought back. */
export const RENEW_LEASES = `${NOW}${EXTEND}
local ttl = tonumber(ARGV[1])
local expires = num(now + ttl)
local renewed = 0
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) > now then
    redis.call('ZADD', KEYS[1], 'XX', expires, ARGV[i])
    renewed = renewed + 1
  end
end
if renewed > 0 then extend(KEYS[1], ttl) end
return renewed
`;

/** KEYS[1] sorted set. Returns the live holders, trimming the expired ones. */
export const LEASE_COUNT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', num(now))
return redis.call('ZCARD', KEYS[1])
`;

/**
 * KEYS[1] ban, KEYS[2] ban index (one slot: {bans}); ARGV ban JSON, expiresAt ('' when permanent), ban key, 'nx' to
 * leave an existing ban alone. The ban's string key expires with the ban. A ban that has already ended replaces the
 * old one with nothing.
 */
export const ADD_BAN = `${NOW}
if ARGV[4] == 'nx' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[2] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], '+inf', ARGV[3])
  return 1
end
local expiresAt = tonumber(ARGV[2])
if expiresAt <= now then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[3])
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', math.ceil(expiresAt - now))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
`;

/** KEYS[1] ban, KEYS[2] ban index; ARGV ban key. Returns 1 when an active ban was there (an expired key is gone). */
export const REMOVE_BAN = `
local existed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return existed
`;

/** KEYS[1] ban index. Trims the bans that have ended and returns the keys of the others. */
export const LIST_BAN_KEYS = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', num(now))
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;
