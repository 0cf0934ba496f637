/**
 * Socket.IO-specific behaviour beyond the shared scenarios: namespaces created later, guard.secure, proxies,
 * the pre-handshake screen, binary attachments, and counts released on the less common ways a socket ends.
 */

import { describe, expect, it } from 'vitest';
import { io as connectClient } from 'socket.io-client';
import { presets } from '../../src/config/presets.js';
import type { GuardConfig } from '../../src/config/types.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, countsAreZero, TEST_ORIGIN, waitFor } from './harness.js';
import { socketIoTestScope, startSocketIoServer, type SocketIoTestServer } from './socket.io.harness.js';

const scope = socketIoTestScope();
const { ok } = scope;
let events: SecurityEvent[] = [];

async function start(overrides: GuardConfig, raw = false, echo = true): Promise<SocketIoTestServer> {
  events = [];
  return scope.use(await startSocketIoServer(raw ? overrides : baseConfig(events, overrides), 'websocket', { echo }));
}

describe('protect(io, guard)', () => {
  it('protects namespaces created after protect()', async () => {
    const s = await start({ allowedEvents: ['chat:send'] });
    s.io.of('/late').on('connection', (socket) => socket.on('chat:send', (_p: unknown, ack: (r: unknown) => void) => ack('late ok')));
    const refused = await s.connect({ namespace: '/late', origin: 'http://evil.test' });
    expect(refused.ok ? null : refused.error?.code).toBe('origin_not_allowed');
    const client = ok(await s.connect({ namespace: '/late' }));
    expect(await client.send('chat:send', {})).toEqual({ ok: true, reply: 'late ok' });
    expect(await client.send('other', {})).toMatchObject({ ok: false, error: { code: 'event_not_allowed' } });
  });

  it('protects dynamic (parent) namespaces', async () => {
    const s = await start({ allowedOrigins: ['http://only.test'] });
    s.io.of(/^\/room-\d+$/).on('connection', () => undefined);
    const refused = await s.connect({ namespace: '/room-42' });
    expect(refused.ok ? null : refused.error?.code).toBe('origin_not_allowed');
    ok(await s.connect({ namespace: '/room-42', origin: 'http://only.test' }));
  });

  it('runs before application middlewares, and releases counts when one refuses after it', async () => {
    const s = await start({});
    let appMiddlewareRuns = 0;
    s.io.use((socket, next) => {
      appMiddlewareRuns++;
      if (socket.handshake.headers['x-app-block']) return next(new Error('blocked by app'));
      next();
    });
    const evil = await s.connect({ origin: 'http://evil.test' });
    expect(evil.ok).toBe(false);
    expect(appMiddlewareRuns).toBe(0);
    const blocked = await s.connect({ headers: { 'x-app-block': '1' }, user: 'alice' });
    expect(blocked).toEqual({ ok: false, error: null });
    await waitFor(() => countsAreZero(s, ['alice']), 3_000, 'slots of the app-refused socket released');
  });

  it('releases the counts of a client that left while its authentication was running', async () => {
    const s = await start({
      authenticate: () => new Promise((resolve) => setTimeout(() => resolve({ userId: 'alice', roles: [] }), 300)),
    });
    const socket = connectClient(s.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin: TEST_ORIGIN },
    });
    await new Promise((resolve) => setTimeout(resolve, 80));
    socket.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await countsAreZero(s, ['alice'])).toBe(true);
    expect(events.some((e) => e.type === 'connection_accepted')).toBe(false);
  });

  it('turns away a flooding address before the handshake once it was rate limited', async () => {
    const s = await start({ connectionRateLimit: 1 });
    ok(await s.connect());
    const coded = await s.connect();
    expect(coded.ok ? null : coded.error?.code).toBe('connection_rate_limited');
    // Next attempt is refused by allowRequest: a transport error, no wsguard code.
    expect(await s.connect()).toEqual({ ok: false, error: null });
    await waitFor(
      () => events.some((e) => e.type === 'connection_refused' && e.detail?.['stage'] === 'pre_handshake'),
      2_000,
      'pre-handshake refusal event',
    );
    // Another address is not affected.
    ok(await s.connect({ localAddress: '127.0.0.2' }));
  });

  it('counts binary attachments toward the size limit', async () => {
    const s = await start({ maxMessageBytes: 1_000 });
    const socket = connectClient(s.url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin: TEST_ORIGIN } });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const small: unknown = await socket.timeout(2_000).emitWithAck('upload', Buffer.alloc(100));
    expect(small).toMatchObject({ ok: true });
    const big: unknown = await socket.timeout(2_000).emitWithAck('upload', Buffer.alloc(5_000));
    expect(big).toMatchObject({ error: { code: 'message_too_large' } });
    socket.disconnect();
  });
});

describe('client address', () => {
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const s = await start({ trustProxy: ['10.0.0.0/8'], maxConnectionsPerIp: 1 });
    ok(await s.connect({ headers: { 'x-forwarded-for': '203.0.113.1' } }));
    // A different spoofed address does not buy a second slot: both are counted as 127.0.0.1.
    const second = await s.connect({ headers: { 'x-forwarded-for': '203.0.113.2' } });
    expect(second.ok ? null : second.error?.code).toBe('too_many_connections_ip');
    await waitFor(() => events.some((e) => e.type === 'connection_accepted'), 2_000, 'accepted event');
    expect(events.find((e) => e.type === 'connection_accepted')?.ip).toBe('127.0.0.1');
  });

  it('reads X-Forwarded-For through a trusted proxy', async () => {
    const s = await start({ trustProxy: ['127.0.0.1'], maxConnectionsPerIp: 1 });
    ok(await s.connect({ headers: { 'x-forwarded-for': '203.0.113.1' } }));
    ok(await s.connect({ headers: { 'x-forwarded-for': '203.0.113.2' } }));
    await waitFor(() => events.filter((e) => e.type === 'connection_accepted').length === 2, 2_000, 'accepted events');
    expect(events.filter((e) => e.type === 'connection_accepted').map((e) => e.ip).sort()).toEqual(['203.0.113.1', '203.0.113.2']);
  });
});

describe('guard.secure', () => {
  async function startWithHandlers(config: GuardConfig = {}) {
    const s = await start(config, false, false);
    const calls: string[] = [];
    s.io.on('connection', (socket) => {
      socket.on('admin:kick', s.guard.secure({ adminOnly: true, operation: 'admin.kick' }, (_payload: unknown, ack: (r: unknown) => void) => {
        calls.push('kick');
        ack({ kicked: true });
      }));
      socket.on('search', s.guard.secure({ rateLimit: 60, burst: 2 }, function search(_payload: unknown, ack: (r: unknown) => void) {
        calls.push('search');
        ack({ results: [] });
      }));
      socket.on('explode', s.guard.secure({}, async () => {
        await Promise.resolve();
        throw new Error('handler bug');
      }));
    });
    return { s, calls };
  }

  it('refuses a role-protected handler to a user without the role, and runs it for an admin', async () => {
    const { s, calls } = await startWithHandlers();
    const bob = ok(await s.connect({ user: 'bob' }));
    const root = ok(await s.connect({ user: 'root', roles: ['admin'] }));
    expect(await bob.send('admin:kick', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await root.send('admin:kick', {})).toMatchObject({ ok: true, reply: { kicked: true } });
    expect(calls.filter((c) => c === 'kick')).toHaveLength(1);
    await waitFor(() => events.some((e) => e.type === 'message_refused' && e.event === 'admin.kick'), 2_000, 'refusal named by operation');
  });

  it('applies a per-handler rate limit', async () => {
    const { s } = await startWithHandlers();
    const alice = ok(await s.connect({ user: 'alice' }));
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await alice.send('search', {}));
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(results[2]).toMatchObject({ ok: false, error: { code: 'message_rate_limited' } });
    await waitFor(() => events.some((e) => e.type === 'message_refused' && e.event === 'search'), 2_000, 'operation named after the function');
  });

  it('answers internal_error when the handler rejects, and the server keeps serving', async () => {
    const { s } = await startWithHandlers();
    const alice = ok(await s.connect({ user: 'alice' }));
    expect(await alice.send('explode', {})).toMatchObject({ ok: false, error: { code: 'internal_error' } });
    expect((await alice.send('search', {})).ok).toBe(true);
    await waitFor(() => events.some((e) => e.type === 'handler_error'), 2_000, 'handler_error event');
  });

  it('refuses to wrap options whose feature is off or that are malformed', async () => {
    const s = await start({});
    expect(() => s.guard.secure({ requireCsrf: true }, () => undefined)).toThrow(/csrfEnabled: true/);
    expect(() => s.guard.secure({ schema: {} }, () => undefined)).toThrow(/Standard Schema/);
    expect(() => s.guard.secure({ rateLimit: -1 }, () => undefined)).toThrow(/positive integer/);
  });
});

describe('presets through a real client', () => {
  it('production: origins, an authenticate hook and a CSRF secret added; anonymous and tokenless refused', async () => {
    const s = await start(
      {
        ...presets.production,
        allowedOrigins: [TEST_ORIGIN],
        authenticate: baseConfig([], {}).authenticate,
        csrfSecret: 'production-test-secret-0123456789abcdef',
        sinks: baseConfig(events, {}).sinks,
        eventAggregationMs: 0,
      },
      true,
    );
    const anonymous = await s.connect();
    expect(anonymous.ok ? null : anonymous.error?.code).toBe('unauthenticated');
    const evil = await s.connect({ origin: 'http://evil.test', user: 'alice' });
    expect(evil.ok ? null : evil.error?.code).toBe('origin_not_allowed');
    const noToken = await s.connect({ user: 'alice' });
    expect(noToken.ok ? null : noToken.error?.code).toBe('csrf_missing');
    const alice = ok(await s.connect({ user: 'alice', csrfToken: s.guard.csrf.issue('session-alice').token }));
    expect((await alice.send('chat:send', {})).ok).toBe(true);
  });

  it('development: localhost on any port and scripts without Origin are let in', async () => {
    const s = await start({ ...presets.development, sinks: baseConfig(events, {}).sinks }, true);
    ok(await s.connect({ origin: 'http://localhost:5173' }));
    ok(await s.connect({ origin: null }));
    const evil = await s.connect({ origin: 'http://evil.test' });
    expect(evil.ok ? null : evil.error?.code).toBe('origin_not_allowed');
  });
});

describe('guard.monitor', () => {
  it('shows each live connection with its messages in and out and its refusals', async () => {
    const s = await start({ allowedEvents: ['chat:send'] }, false, false);
    s.io.on('connection', (socket) => {
      socket.on('chat:send', (_payload: unknown, ack: (r: unknown) => void) => {
        socket.emit('chat:message', { text: 'one' });
        ack({ ok: true });
      });
    });
    const alice = ok(await s.connect({ user: 'alice' }));
    ok(await s.connect({ user: 'bob', localAddress: '127.0.0.2' }));
    expect((await alice.send('chat:send', {})).ok).toBe(true);
    expect((await alice.send('chat:send', {})).ok).toBe(true);
    expect((await alice.send('files:delete', {})).ok).toBe(false);
    const snapshot = s.guard.monitor.snapshot();
    expect(snapshot.connections).toHaveLength(2);
    const row = snapshot.connections.find((c) => c.userId === 'alice');
    expect(row).toMatchObject({ ip: '127.0.0.1', namespace: '/', transport: 'websocket', messagesIn: 3, messagesOut: 2, refusals: 1 });
    expect(snapshot.byUser).toEqual({ alice: 1, bob: 1 });
    expect(snapshot.byIpGroup).toEqual({ '127.0.0.1': 1, '127.0.0.2': 1 });
  });
});

