/* global process, URL */
/**
 * The server variants the harness compares. Each runs alone in its own process (bench/server.mjs), built from dist/.
 *
 * A variant is data plus one `start` function:
 *   id        stable key (results files are compared across commits by it)
 *   label     what the table prints
 *   protocol  what the load generator speaks to it: 'socket.io' (Engine.IO v4 frames over WebSocket) or 'ws' (one JSON
 *             envelope per frame); the drivers are in bench/lib/protocols.mjs.
 *   baseline  the variant its ratios are taken against (null for a baseline itself)
 *   requires  () => null when it can run here, or the reason it cannot (e.g. no Redis): skipped with that reason
 *   flood     true: the flood figure (e) runs on it too (Socket.IO unprotected and protected: that figure is about the
 *             guard's reaction, not a transport)
 *   start     (ctx) => { server: http.Server, stats(): {...}, close(): Promise<void> }, not yet listening
 *
 * Later variants slot in as more entries (e.g. payload inspection alone, baseline 'sio-wsguard' to isolate its cost);
 * nothing else in the harness changes. The `ws` pair (protocol 'ws') has its own baseline, 'ws-bare'. The Redis
 * variant (`sio-wsguard-redis`, baseline 'sio-wsguard': the cost of sharing state) also reports the Redis commands its
 * client sent (`stats().redisCommands`), from which the generator takes round trips per message.
 *
 * Every variant runs the same application: one `echo` event whose acknowledgement returns the payload. The server
 * counts echoes and namespace connections so that server CPU per message / per connection can be taken from the
 * server's own counters.
 */

import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The Redis the Redis-store variant uses. */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Origin the load generator sends (and the protected variant allows). */
export const BENCH_ORIGIN = 'http://bench.wsguard.test';

/** A fixed secret for the CSRF tokens of the bench (at least 32 characters, as production requires). */
const BENCH_CSRF_SECRET = 'wsguard-bench-csrf-secret-0123456789abcdefghij';

/**
 * wsguard's production preset with every message-path check that exists switched on, and its limits raised only so
 * far that the load generator is never refused. Shared by the protected server variants and the micro-benchmarks.
 *
 * The flood figure (`limits.asDeployed`) keeps the preset's own limits and abuse thresholds instead, but for the
 * message rate (`limits.messageRateLimit`, per minute: the preset's 120 is a chat user's, the bench's well-behaved
 * clients send 20 a second): each well-behaved client has its own address and one connection, and the attacker is
 * meant to meet everything the guard has.
 *
 * @param {any} wsguard the dist module (`dist/index.js`)
 * @param {{ maxConnectionsPerIp: number, connectionRateLimit: number, burstLimit: number, connectionsPerProcess: number, asDeployed?: boolean, messageRateLimit?: number }} limits
 *   from the harness plan
 * @param {readonly unknown[]} sinks
 */
export function benchGuardConfig(wsguard, limits, sinks) {
  const deployed = {
    ...wsguard.presets.production,
    // Origin allow-list: the generator sends exactly this origin on every connection.
    allowedOrigins: [BENCH_ORIGIN],
    // Authentication hook: the user named in the handshake `auth` (Socket.IO) or the query (`ws`, which has no `auth`);
    // each generator connection is its own user.
    authenticate: (request) => {
      const user = request.auth['user'] ?? request.query['user'];
      return typeof user === 'string' ? { userId: user, roles: ['user'], sessionId: `s-${user}` } : null;
    },
    // Event allow-list: only what the application handles.
    allowedEvents: ['echo'],
    // Size limit: the preset's 64 KiB stays (messages are ~110 bytes).
    // CSRF: when the preset switches it on, every connection presents a token bound to its session in the handshake
    // (the generator fetches them before it connects, as a page would over HTTP).
    ...(wsguard.presets.production.csrfEnabled === true ? { csrfSecret: BENCH_CSRF_SECRET } : {}),
    // Security events as JSON lines to a file (connection accepted/closed, refusals aggregated, warnings).
    sinks,
  };
  // Messages per minute per user: the well-behaved clients' rate with room to spare; the attacker's is far above.
  if (limits.asDeployed === true) return limits.messageRateLimit ? { ...deployed, messageRateLimit: limits.messageRateLimit } : deployed;
  return {
    ...deployed,
    // Connection rate per IP (one IP here): the harness never opens more than this per minute (TIME_WAIT budget).
    connectionRateLimit: limits.connectionRateLimit,
    // Live connections per IP: the idle-memory figure holds that many from one address (plus churn headroom).
    maxConnectionsPerIp: limits.maxConnectionsPerIp,
    // Unfinished handshakes per IP (one IP here): the generator opens its connections many at once.
    maxPendingHandshakesPerIp: Math.min(100_000, limits.maxConnectionsPerIp),
    // Per user the preset's cap of 5 stays: the generator never holds two connections for one user.
    // Message rate per user: the schema's maximum (16,667/s), since one request/response client on loopback sends
    // more than that; the burst covers the rest of the longest single-connection cell.
    messageRateLimit: 1_000_000,
    burstLimit: limits.burstLimit,
    // Abuse detection, when the preset switches it on, stays on with its ladders (throttle, disconnect, ban) armed:
    // only the evidence the generator produces by design is allowed for. Every connection attempt is connection-flood
    // evidence and every connection of the connection figure a short session (rapid reconnection); one server process
    // sees at most `limits.connectionsPerProcess` connections, so both patterns trip just above that, and the
    // suspicious-activity score (their weights, 0.1 and 1 by default, sum to less than 2) just above twice that.
    // Nothing else the generator does counts as evidence: it is never refused.
    ...(wsguard.presets.production.abuseDetectionEnabled === true
      ? {
          suspiciousActivityThreshold: Math.min(1_000_000, 2 * limits.connectionsPerProcess + 1),
          abuse: {
            patterns: {
              connectionFlood: { threshold: limits.connectionsPerProcess + 1 },
              rapidReconnection: { threshold: limits.connectionsPerProcess + 1 },
            },
          },
        }
      : {}),
  };
}

/**
 * @param {(io: import('socket.io').Server, ctx: StartContext) => Promise<{ close?: () => Promise<void> } | void>} protectServer
 *   installs the variant's protection before the application's handlers
 * @returns {(ctx: StartContext) => Promise<StartedServer>}
 */
function socketIoVariant(protectServer) {
  return async (ctx) => {
    const { Server } = await import('socket.io');
    const server = createServer();
    const io = new Server(server, { serveClient: false });
    /** @type {{ close?: () => Promise<void>, credentials?: StartedServer['credentials'], stats?: () => object }} */
    const extra = (await protectServer(io, ctx)) ?? {};
    let echoes = 0;
    let connects = 0;
    io.on('connection', (socket) => {
      connects++;
      socket.on('echo', (payload, ack) => {
        echoes++;
        if (typeof ack === 'function') ack(payload);
      });
    });
    return {
      server,
      credentials: extra.credentials,
      stats: () => ({ echoes, connects, clients: io.engine.clientsCount, ...extra.stats?.() }),
      async close() {
        await extra.close?.();
        io.close();
      },
    };
  };
}

/**
 * @typedef {{ repoRoot: string, tmpDir: string, group?: string, limits: { maxConnectionsPerIp: number, connectionRateLimit: number, burstLimit: number, connectionsPerProcess: number, asDeployed?: boolean } }} StartContext
 * @typedef {{
 *   server: import('node:http').Server,
 *   stats: () => { echoes: number, connects: number, clients: number, redisCommands?: number, redisOutages?: number, redisDegraded?: boolean },
 *   credentials?: (users: string[]) => { tokens: Record<string, string>, payloadField?: string } | null,
 *   close: () => Promise<void>,
 * }} StartedServer
 * @typedef {{
 *   id: string, label: string, short: string, protocol: 'socket.io' | 'ws', baseline: string | null,
 *   optional?: boolean, flood?: boolean, requires: () => string | null, start: (ctx: StartContext) => Promise<StartedServer>,
 * }} Variant
 */

/**
 * A wsguard guard from dist/ with `benchGuardConfig` plus `overrides`, on the store `openStore` makes (default: the
 * memory store the guard creates), handed to `install` (the adapter's `protect`).
 * @param {StartContext} ctx
 * @param {(wsguard: any) => object} overrides
 * @param {((ctx: StartContext) => Promise<{ store: unknown, stats: () => object, close: () => Promise<void> }>) | undefined} openStore
 * @param {(guard: any) => Promise<void>} install
 */
async function startGuard(ctx, overrides, openStore, install) {
  const wsguard = await import(pathToFileURL(join(ctx.repoRoot, 'dist/index.js')).href);
  const sink = wsguard.pinoSink({ destination: join(ctx.tmpDir, `wsguard-events-${process.pid}.jsonl`) });
  const opened = openStore ? await openStore(ctx) : null;
  const config = { ...benchGuardConfig(wsguard, ctx.limits, [sink]), ...overrides(wsguard), ...(opened ? { store: opened.store } : {}) };
  const guard = wsguard.createGuard(config);
  await install(guard);
  const perEvent = Object.values(config.events ?? {}).some((rule) => rule.requireCsrf === true);
  return {
    stats: () => ({ ...opened?.stats(), ...guardStats(guard) }),
    close: async () => {
      await guard.close();
      await opened?.close();
    },
    credentials: (users) => {
      if (!guard.csrf?.enabled) return null;
      const tokens = {};
      for (const user of users) tokens[user] = guard.csrf.issue(`s-${user}`).token;
      return { tokens, ...(perEvent ? { payloadField: guard.options.csrf?.field ?? 'csrfToken' } : {}) };
    },
  };
}

/** What the flood figure reports of the guard's reaction: bans in force and the event bus's aggregation. */
function guardStats(guard) {
  const abuse = guard.abuse?.stats();
  return { guardBans: abuse?.bans ?? 0, guardThrottles: abuse?.throttles ?? 0 };
}

/**
 * wsguard in front of a Socket.IO server (see `startGuard`).
 * @param {(wsguard: any) => object} overrides
 * @param {(ctx: StartContext) => Promise<{ store: unknown, stats: () => object, close: () => Promise<void> }>} [openStore]
 */
function wsguardVariant(overrides, openStore) {
  return socketIoVariant(async (io, ctx) =>
    startGuard(ctx, overrides, openStore, async (guard) => {
      const { protect } = await import(pathToFileURL(join(ctx.repoRoot, 'dist/adapters/socket.io/index.js')).href);
      protect(io, guard);
    }),
  );
}

/**
 * A plain `ws` server (ws 8, no compression, as ws defaults) running the same application as the Socket.IO variants,
 * over one JSON envelope per frame: `{ event, data, id }` in, `{ event, data, id }` back.
 * @param {(wss: import('ws').WebSocketServer, ctx: StartContext) => Promise<{ close?: () => Promise<void>, credentials?: StartedServer['credentials'], stats?: () => object } | void>} protectServer
 * @param {(ws: import('ws').WebSocket, echoed: () => void) => void} app the application's message handling
 * @returns {(ctx: StartContext) => Promise<StartedServer>}
 */
function wsVariant(protectServer, app) {
  return async (ctx) => {
    const { WebSocketServer } = await import('ws');
    const server = createServer();
    const wss = new WebSocketServer({ server });
    const extra = (await protectServer(wss, ctx)) ?? {};
    let echoes = 0;
    let connects = 0;
    const echoed = () => {
      echoes++;
    };
    wss.on('connection', (ws) => {
      connects++;
      app(ws, echoed);
    });
    return {
      server,
      credentials: extra.credentials,
      stats: () => ({ echoes, connects, clients: wss.clients.size, ...extra.stats?.() }),
      async close() {
        await extra.close?.();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
      },
    };
  };
}

/** The unprotected `ws` application: what a user writes by hand — parse the frame, check its shape, answer. */
function plainWsApp(ws, echoed) {
  ws.on('message', (raw) => {
    let message;
    try {
      message = JSON.parse(raw.toString('utf8'));
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null || typeof message.event !== 'string') return;
    if (message.event === 'echo') {
      echoed();
      ws.send(JSON.stringify({ event: 'echo', data: message.data, id: message.id }));
    }
  });
}

/** The same application behind wsguard/ws: the adapter parses the envelope and hands over `(event, data, reply)`. */
function guardedWsApp(ws, echoed) {
  ws.on('event', (event, data, reply) => {
    if (event === 'echo') {
      echoed();
      reply?.(data);
    }
  });
}

/**
 * The Redis store at REDIS_URL for one server process: a key prefix of its own (removed on close), and a count of the
 * commands its client sends — each one Redis round trip at most (pipelined ones share one). Counted at the client,
 * not from `INFO commandstats`: that also counts the commands inside scripts, and other clients of the same Redis.
 * @param {StartContext} ctx
 */
async function openRedisStore(ctx) {
  const { Redis } = await import('ioredis');
  const { redisStore } = await import(pathToFileURL(join(ctx.repoRoot, 'dist/stores/redis/index.js')).href);
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  let commands = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = (...args) => {
    commands++;
    return send(...args);
  };
  const keyPrefix = `wsguard-bench:${process.pid}-${Date.now()}:`;
  const store = redisStore(client, { keyPrefix });
  // A Redis too slow to answer within storeTimeoutMs (a busy machine) degrades the store to local limits: the cell then
  // measures the fallback, not Redis, and the harness says so.
  let outages = 0;
  store.onHealthChange((state) => {
    if (state === 'degraded') outages++;
  });
  return {
    store,
    stats: () => ({ redisCommands: commands, redisOutages: outages, redisDegraded: store.degraded }),
    async close() {
      await store.close();
      // Every key expires on its own; this only tidies up sooner. Bounded: a cell writes a few thousand keys.
      let cursor = '0';
      for (let round = 0; round < 1_000; round++) {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1_000);
        if (keys.length > 0) await client.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
      await client.quit();
    },
  };
}

/** @type {string | null | undefined} */
let redisMissing;
/** Why the Redis variant cannot run here (no Redis answers at REDIS_URL), or null. Asked once, in a child (sync). */
function redisRequirement() {
  if (redisMissing !== undefined) return redisMissing;
  const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
  const ping = `import { Redis } from 'ioredis';
const r = new Redis(process.argv[1], { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
r.on('error', () => {});
try { await r.connect(); process.exitCode = (await r.ping()) === 'PONG' ? 0 : 1; } catch { process.exitCode = 1; } finally { r.disconnect(); }`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', ping, REDIS_URL], { cwd: repoRoot, timeout: 5_000, stdio: 'ignore' });
  redisMissing = result.status === 0 ? null : `no Redis answers at ${REDIS_URL} (start one, or set REDIS_URL)`;
  return redisMissing;
}

/** @type {readonly Variant[]} */
export const VARIANTS = [
  {
    id: 'sio-bare',
    label: 'Socket.IO, unprotected',
    short: 'unprotected',
    protocol: 'socket.io',
    baseline: null,
    flood: true,
    requires: () => null,
    start: socketIoVariant(async () => {}),
  },
  {
    id: 'sio-rlf',
    label: 'Socket.IO + hand-written rate-limiter-flexible middleware',
    short: 'hand-written RLF',
    protocol: 'socket.io',
    baseline: 'sio-bare',
    requires: () => null,
    // What a user writes by hand today: one RateLimiterMemory `consume` per packet in `socket.use`.
    start: socketIoVariant(async (io) => {
      const { RateLimiterMemory } = await import('rate-limiter-flexible');
      const limiter = new RateLimiterMemory({ points: 1_000_000, duration: 1 });
      io.on('connection', (socket) => {
        socket.use((_packet, next) => {
          limiter.consume(socket.id).then(
            () => next(),
            () => next(new Error('rate limited')),
          );
        });
      });
    }),
  },
  {
    id: 'sio-wsguard',
    label: 'Socket.IO + wsguard (production preset, every check on)',
    short: 'wsguard',
    protocol: 'socket.io',
    baseline: 'sio-bare',
    flood: true,
    requires: () => null,
    start: wsguardVariant(() => ({})),
  },
  {
    id: 'ws-bare',
    label: 'ws, unprotected (JSON envelope parsed by hand)',
    short: 'ws unprotected',
    protocol: 'ws',
    baseline: null,
    requires: () => null,
    start: wsVariant(async () => {}, plainWsApp),
  },
  {
    id: 'ws-wsguard',
    label: 'ws + wsguard/ws (production preset, every check on)',
    short: 'ws + wsguard',
    protocol: 'ws',
    baseline: 'ws-bare',
    requires: () => null,
    start: wsVariant(
      (wss, ctx) =>
        startGuard(ctx, () => ({}), undefined, async (guard) => {
          const { protect } = await import(pathToFileURL(join(ctx.repoRoot, 'dist/adapters/ws/index.js')).href);
          protect(wss, guard);
        }),
      guardedWsApp,
    ),
  },
  {
    // The same guard with its state in Redis (shared with other nodes): its ratio is taken against the memory store.
    // Redis runs unpinned on the same two cores as the server and the generator.
    id: 'sio-wsguard-redis',
    label: 'Socket.IO + wsguard on the Redis store (REDIS_URL)',
    short: 'wsguard on Redis',
    protocol: 'socket.io',
    baseline: 'sio-wsguard',
    // Opt-in (--variants …,sio-wsguard-redis): it needs a Redis, and keeps the default runs within their time.
    optional: true,
    requires: redisRequirement,
    start: wsguardVariant(() => ({}), openRedisStore),
  },
  {
    // Opt-in (--variants …,sio-wsguard-csrf): the per-event CSRF check on top, a token in every echo payload (so its
    // requests are ~120 bytes longer than the others').
    id: 'sio-wsguard-csrf',
    label: 'Socket.IO + wsguard, per-event CSRF token on echo',
    short: 'wsguard + event CSRF',
    protocol: 'socket.io',
    baseline: 'sio-bare',
    optional: true,
    requires: () => null,
    start: wsguardVariant((wsguard) => {
      if (wsguard.presets.production.csrfEnabled !== true) throw new Error('this wsguard build has no CSRF protection');
      return { events: { echo: { requireCsrf: true } } };
    }),
  },
];

/**
 * Targets from the issue, checked (and printed) after a run. `minRatio` / `maxRatio`: variant / `vs` medians;
 * `maxDelta`: variant − `vs` medians, in the figure's unit; `max`: the variant's own median. The CPU-per-operation
 * forms of the rate targets (1 / 0.90, 1 / 0.85) move less than the rates when other work shares the machine.
 */
export const TARGETS = [
  { variant: 'sio-wsguard', figure: 'echo_pipelined', vs: 'sio-bare', minRatio: 0.9 },
  { variant: 'sio-wsguard', figure: 'cpu_per_msg', vs: 'sio-bare', maxRatio: 1 / 0.9, note: 'the CPU form of ≥ 0.90× msg/s' },
  { variant: 'sio-wsguard', figure: 'echo_rr', vs: 'sio-bare', minRatio: 0.9 },
  { variant: 'sio-wsguard', figure: 'echo_pipelined', vs: 'sio-rlf', minRatio: 0.95, note: 'not below hand-written beyond noise' },
  { variant: 'sio-wsguard', figure: 'cpu_per_msg', vs: 'sio-rlf', maxRatio: 1.05, note: 'not above hand-written beyond noise' },
  { variant: 'sio-wsguard', figure: 'conn_rate', vs: 'sio-bare', minRatio: 0.85 },
  { variant: 'sio-wsguard', figure: 'cpu_per_conn', vs: 'sio-bare', maxRatio: 1 / 0.85, note: 'the CPU form of ≥ 0.85× conn/s' },
  { variant: 'sio-wsguard', figure: 'heap_per_conn', vs: 'sio-bare', maxDelta: 1024 },
  { variant: 'sio-wsguard', figure: 'flood_p99_ratio', max: 2, note: 'well-behaved p99 under the flood ≤ 2× their p99 without' },
  { variant: 'sio-wsguard', figure: 'flood_rss_steady_growth', max: 16 * 1024 * 1024, note: 'RSS bounded: it stops growing once the guard has acted' },
  { variant: 'ws-wsguard', figure: 'echo_pipelined', vs: 'ws-bare', minRatio: 0.85 },
  { variant: 'ws-wsguard', figure: 'cpu_per_msg', vs: 'ws-bare', maxRatio: 1 / 0.85, note: 'the CPU form of ≥ 0.85× msg/s' },
  { variant: 'sio-wsguard-redis', figure: 'echo_pipelined', vs: 'sio-wsguard', minRatio: 0.8, note: 'the Redis store against the memory store' },
  { variant: 'sio-wsguard-redis', figure: 'cpu_per_msg', vs: 'sio-wsguard', maxRatio: 1 / 0.8, note: 'the CPU form of ≥ 0.80× msg/s' },
];

/** @param {string} id */
export function findVariant(id) {
  if (id.endsWith(BASE_BUILD_SUFFIX)) {
    const built = VARIANTS.find((v) => `${v.id}${BASE_BUILD_SUFFIX}` === id);
    return built && built.baseline !== null ? onBaseBuild(built) : undefined;
  }
  return VARIANTS.find((v) => v.id === id);
}

/**
 * `--base-build DIR`: each protected variant also runs on the build in DIR (another checkout's dist/, e.g. the commit
 * before a change), under the id `<id>@base`, alternating with the rest like any variant, so that a change is measured
 * against what it changes in the same runs. Its ratio is taken against the same unprotected baseline. The harness
 * starts its server with DIR as the repository root; this only names it.
 */
export const BASE_BUILD_SUFFIX = '@base';

/** @param {Variant} variant @returns {Variant} */
export function onBaseBuild(variant) {
  return {
    ...variant,
    id: `${variant.id}${BASE_BUILD_SUFFIX}`,
    label: `${variant.label} [base build]`,
    short: `${variant.short} [base]`,
    optional: true,
    flood: false,
  };
}
