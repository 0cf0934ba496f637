import { afterEach, describe, expect, it } from 'vitest';
import { io as connectClient } from 'socket.io-client';
import { createAdminApi, type AdminApi } from '../../src/admin/index.js';
import { ADMIN_EVENTS_BATCH, serveAdminNamespace } from '../../src/adapters/socket.io/index.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, identityHeaders, TEST_ORIGIN } from '../adapters/harness.js';
import { socketIoTestScope, startSocketIoServer, type SocketIoTestServer } from '../adapters/socket.io.harness.js';

const SECRET = 'admin-namespace-test-secret-0123456789';

describe('admin namespace (Socket.IO)', () => {
  const scope = socketIoTestScope();
  const apis: AdminApi[] = [];
  afterEach(() => {
    for (const api of apis.splice(0)) api.close();
  });

  async function start(events: SecurityEvent[] = []): Promise<SocketIoTestServer> {
    const server = scope.use(
      await startSocketIoServer(
        baseConfig(events, { csrfEnabled: true, csrfSecret: SECRET, abuseDetectionEnabled: true, namespaces: { '/admin': { roles: ['admin'] } } }),
        'websocket',
        { echo: false },
      ),
    );
    const admin = createAdminApi(server.guard, { streamIntervalMs: 50 });
    apis.push(admin);
    serveAdminNamespace(server.io, server.guard, admin);
    return server;
  }

  const token = (server: SocketIoTestServer, user: string): string => server.guard.csrf.issue(`session-${user}`).token;

  it('will not serve a namespace the guard lets everyone into', async () => {
    const server = scope.use(await startSocketIoServer(baseConfig([], { csrfEnabled: true, csrfSecret: SECRET }), 'websocket', { echo: false }));
    const admin = createAdminApi(server.guard);
    apis.push(admin);
    expect(() => serveAdminNamespace(server.io, server.guard, admin)).toThrow(/roles: \['admin'\]/);
  });

  it('refuses a normal user at the namespace handshake', async () => {
    const server = await start();
    const refused = scope.refusal(await server.connect({ namespace: '/admin', user: 'alice', csrfToken: token(server, 'alice') }));
    expect(refused?.code).toBe('namespace_forbidden');
  });

  it('answers reads, refuses changes without a CSRF token, bans with one and closes the target', async () => {
    const server = await start();
    const mallory = scope.ok(await server.connect({ user: 'mallory', csrfToken: token(server, 'mallory') }));
    const admin = scope.ok(await server.connect({ namespace: '/admin', user: 'root', roles: ['admin'], csrfToken: token(server, 'root') }));

    const listed = await admin.send('admin:connections', {});
    expect(listed.ok).toBe(true);
    const users = (listed.ok ? (listed.reply as { connections: { userId: string }[] }).connections : []).map((c) => c.userId).sort();
    expect(users).toEqual(['mallory', 'root']);

    const unprotected = await admin.send('admin:ban', { userId: 'mallory' });
    expect(unprotected.ok ? null : unprotected.error.code).toBe('csrf_missing');
    expect(server.guard.abuse?.listBans()).toEqual([]);

    const bad = await admin.send('admin:ban', { userId: 'mallory', durationMs: -1, csrfToken: token(server, 'root') });
    expect(bad.ok ? null : bad.error.code).toBe('bad_request');

    const banned = await admin.send('admin:ban', { userId: 'mallory', durationMs: 30_000, csrfToken: token(server, 'root') });
    expect(banned.ok).toBe(true);
    await mallory.closed;
    expect(server.guard.abuse?.listBans().map((b) => b.key)).toEqual(['user:mallory']);
    expect(server.guard.abuse?.listBans()[0]?.meta).toMatchObject({ by: 'root' });

    const lifted = await admin.send('admin:unban', { userId: 'mallory', csrfToken: token(server, 'root') });
    expect(lifted).toMatchObject({ ok: true, reply: { removed: true } });
  });

  it('pushes live events in batches to a subscribed admin', async () => {
    const server = await start();
    const socket = connectClient(`${server.url}/admin`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: identityHeaders({ user: 'root', roles: ['admin'], origin: TEST_ORIGIN }),
      auth: { csrfToken: token(server, 'root') },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const batches: { events: SecurityEvent[]; dropped: number }[] = [];
      socket.on(ADMIN_EVENTS_BATCH, (batch: { events: SecurityEvent[]; dropped: number }) => batches.push(batch));
      const ack = (await socket.timeout(2_000).emitWithAck('admin:subscribe', { type: 'message_refused' })) as unknown;
      expect(ack).toEqual({ subscribed: true });
      for (let i = 0; i < 3; i++) server.guard.emit({ type: 'message_refused', reason: 'event_not_allowed', userId: `u${i}` });
      server.guard.emit({ type: 'connection_refused', reason: 'origin_not_allowed' });
      const deadline = Date.now() + 3_000;
      while (batches.flatMap((b) => b.events).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const seen = batches.flatMap((b) => b.events);
      expect(seen.map((e) => e.userId)).toEqual(['u0', 'u1', 'u2']);
      expect(seen.every((e) => e.type === 'message_refused')).toBe(true);
    } finally {
      socket.disconnect();
    }
  });
});
