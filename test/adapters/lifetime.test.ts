/**
 * Idle, lifetime and credential limits through real clients of every adapter: an idle client is closed, traffic and
 * heartbeats keep one open, a busy one is still closed at its lifetime, expired credentials close the socket unless
 * the client refreshed them with `wsguard:refresh` (same user only). Limits are a few hundred ms; the shared sweep
 * runs every quarter of the shortest one.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { AuthRequest, Identity } from '../../src/codes/types.js';
import type { GuardConfig } from '../../src/config/types.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, countsAreZero, waitFor, type AdapterHarness, type TestClient, type TestServer } from './harness.js';
import { socketIoHarness, startSocketIoServer } from './socket.io.harness.js';
import { startWsServer, wsHarness, type WsTestClient } from './ws.harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Credentials are `user:ttlMs`, from the `x-test-user` header at the handshake and from `auth.token` in a refresh:
 * the identity expires `ttlMs` after the hook ran.
 */
function expiringAuthenticate(request: AuthRequest): Identity | null {
  const token = typeof request.auth['token'] === 'string' ? request.auth['token'] : request.headers['x-test-user'];
  if (typeof token !== 'string') return null;
  const [user = '', ttl = '60000'] = token.split(':');
  return { userId: user, roles: ['user'], sessionId: `session-${user}`, expiresAt: Date.now() + Number(ttl) };
}

function connected(result: Awaited<ReturnType<TestServer['connect']>>): TestClient {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
  cleanups.push(() => result.client.close());
  return result.client;
}

const closedBy = (events: SecurityEvent[], reason: string) => events.filter((e) => e.type === 'connection_closed_by_guard' && e.reason === reason);

const harnesses: AdapterHarness[] = [wsHarness('server'), socketIoHarness('websocket'), socketIoHarness('polling')];

describe.each(harnesses)('connection limits: $name', (harness) => {
  let events: SecurityEvent[] = [];
  async function start(overrides: GuardConfig): Promise<TestServer> {
    events = [];
    const server = await harness.start(baseConfig(events, overrides));
    cleanups.push(() => server.close());
    return server;
  }

  it('idle_timeout: a silent client is closed and told why; one that keeps talking stays', async () => {
    const server = await start({ idleTimeoutMs: 400 });
    const silent = connected(await server.connect({ user: 'quiet' }));
    const told = silent.nextGuardError(2_000);
    const talker = connected(await server.connect({ user: 'chatty' }));
    for (let i = 0; i < 8; i++) {
      expect((await talker.send('chat:send', { i })).ok).toBe(true);
      await sleep(100);
    }
    expect(await told).toMatchObject({ code: 'idle_timeout' });
    await silent.closed;
    await waitFor(() => closedBy(events, 'idle_timeout').length === 1, 1_000, 'the idle_timeout event');
    expect(closedBy(events, 'idle_timeout').map((e) => e.userId)).toEqual(['quiet']);
    await talker.close();
    await waitFor(() => countsAreZero(server, ['quiet', 'chatty']), 2_000, 'counts back to zero');
  });

  it('lifetime_exceeded: even a busy client is closed at its maximum lifetime', async () => {
    const server = await start({ maxConnectionLifetimeMs: 400 });
    const client = connected(await server.connect({ user: 'alice' }));
    const told = client.nextGuardError(2_000);
    let sent = 0;
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline && (await Promise.race([told.then(() => false), sleep(50).then(() => true)]))) {
      await client.send('chat:send', { sent: ++sent }).catch(() => undefined);
    }
    expect(await told).toMatchObject({ code: 'lifetime_exceeded' });
    expect(sent).toBeGreaterThan(3);
    await client.closed;
    await waitFor(() => countsAreZero(server, ['alice']), 2_000, 'counts back to zero');
  });

  it('credentials_expired: the socket closes when the identity’s expiresAt passes', async () => {
    const server = await start({ authenticate: expiringAuthenticate });
    const client = connected(await server.connect({ user: 'alice:300' }));
    expect(await client.nextGuardError(2_000)).toMatchObject({ code: 'credentials_expired' });
    await client.closed;
    await waitFor(() => closedBy(events, 'credentials_expired').length === 1, 1_000, 'the credentials_expired event');
    await waitFor(() => countsAreZero(server, ['alice']), 2_000, 'counts back to zero');
  });

  it('wsguard:refresh with new credentials for the same user keeps the socket; another user’s are refused', async () => {
    const server = await start({ authenticate: expiringAuthenticate, allowedEvents: ['chat:send'] });
    const client = connected(await server.connect({ user: 'alice:400' }));
    const refused = await client.send('wsguard:refresh', { token: 'mallory:60000' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'unauthenticated', details: { reason: 'user_mismatch' } } });
    expect(await client.send('wsguard:refresh', 'not an object')).toMatchObject({ ok: false, error: { details: { reason: 'malformed' } } });
    const refreshed = await client.send('wsguard:refresh', { token: 'alice:60000' });
    expect(refreshed).toMatchObject({ ok: true, reply: { ok: true } });
    if (refreshed.ok) expect((refreshed.reply as { expiresAt: number }).expiresAt).toBeGreaterThan(Date.now() + 50_000);
    await sleep(600);
    expect((await client.send('chat:send', { text: 'still here' })).ok).toBe(true);
    // The refresh event is the guard's: the application never saw it, and it needed no place in allowedEvents.
    expect(server.received.map((r) => r.event)).toEqual(['chat:send']);
    await waitFor(() => events.some((e) => e.type === 'credentials_refreshed'), 1_000, 'credentials_refreshed event');
    expect(closedBy(events, 'credentials_expired')).toHaveLength(0);
  });
});

describe('heartbeats count as activity', () => {
  it('ws: a client that only pings stays open past idleTimeoutMs; one that stops is closed', async () => {
    const events: SecurityEvent[] = [];
    const server = await startWsServer(baseConfig(events, { idleTimeoutMs: 400 }), 'server');
    cleanups.push(() => server.close());
    const result = await server.open({ user: 'pinger' });
    if (!result.ok) throw new Error('refused');
    const client: WsTestClient = result.client;
    cleanups.push(() => client.close());
    for (let i = 0; i < 8; i++) {
      client.ws.ping();
      await sleep(100);
    }
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect((await client.closeFrame).code).toBe(1001);
    await waitFor(() => closedBy(events, 'idle_timeout').length === 1, 1_000, 'the idle_timeout event');
  });

  it('ws: a ping flood is closed as message_rate_limited', async () => {
    const events: SecurityEvent[] = [];
    const server = await startWsServer(baseConfig(events, { burstLimit: 5 }), 'server');
    cleanups.push(() => server.close());
    const result = await server.open({ user: 'flooder' });
    if (!result.ok) throw new Error('refused');
    const client = result.client;
    cleanups.push(() => client.close());
    const deadline = Date.now() + 3_000;
    while (client.ws.readyState === client.ws.OPEN && Date.now() < deadline) {
      for (let i = 0; i < 10; i++) client.ws.ping();
      await sleep(20);
    }
    expect((await client.closeFrame).reason).toBe('message_rate_limited');
    await waitFor(() => closedBy(events, 'message_rate_limited').length === 1, 1_000, 'the message_rate_limited event');
  });

  it('Socket.IO: engine heartbeats keep a silent client open past idleTimeoutMs', async () => {
    const events: SecurityEvent[] = [];
    const server = await startSocketIoServer(baseConfig(events, { idleTimeoutMs: 400 }), 'websocket', { server: { pingInterval: 100, pingTimeout: 1_000 } });
    cleanups.push(() => server.close());
    const client = connected(await server.connect({ user: 'silent' }));
    await sleep(800);
    expect(server.guard.connections.size).toBe(1);
    expect(closedBy(events, 'idle_timeout')).toHaveLength(0);
    expect((await client.send('chat:send', {})).ok).toBe(true);
  });
});
