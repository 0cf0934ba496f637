/**
 * Revocation through real clients: `guard.revokeSession` / `guard.revokeUser` close live connections at once with
 * `session_revoked` and refuse new ones until lifted or expired, on every adapter; and a revocation made on one guard
 * reaches the connections of another guard sharing its store (a ws server and a Socket.IO server here, standing for
 * two nodes on one Redis).
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { memoryStore } from '../../src/stores/memory.js';
import { baseConfig, waitFor, type AdapterHarness, type ConnectResult, type TestClient, type TestServer } from './harness.js';
import { socketIoHarness, startSocketIoServer } from './socket.io.harness.js';
import { startWsServer, wsHarness } from './ws.harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function connected(result: ConnectResult): TestClient {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
  cleanups.push(() => result.client.close());
  return result.client;
}

const harnesses: AdapterHarness[] = [wsHarness('server'), wsHarness('noServer'), socketIoHarness('websocket'), socketIoHarness('polling')];

describe.each(harnesses)('revocation: $name', (harness) => {
  async function start(events: SecurityEvent[]): Promise<TestServer> {
    const server = await harness.start(baseConfig(events, {}));
    cleanups.push(() => server.close());
    return server;
  }

  it('revokeSession closes the session at once and refuses it until lifted; other sessions are untouched', async () => {
    const events: SecurityEvent[] = [];
    const server = await start(events);
    // The test hook gives user `alice` the session `session-alice`.
    const alice = connected(await server.connect({ user: 'alice' }));
    const bob = connected(await server.connect({ user: 'bob' }));
    const told = alice.nextGuardError(2_000);
    expect((await server.guard.revokeSession('session-alice', { by: 'test' })).disconnected).toBe(1);
    expect(await told).toMatchObject({ code: 'session_revoked' });
    await alice.closed;

    const again = await server.connect({ user: 'alice' });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error).toMatchObject({ code: 'session_revoked', details: { kind: 'session' } });
    expect((await bob.send('chat:send', {})).ok).toBe(true);

    expect(await server.guard.unrevokeSession('session-alice')).toBe(true);
    connected(await server.connect({ user: 'alice' }));
    await waitFor(
      () => ['session_revoked', 'revocation_lifted'].every((type) => events.some((e) => e.type === type)),
      1_000,
      'revocation events',
    );
  });

  it('revokeUser with a TTL: refused until it ends, then admitted again', async () => {
    const events: SecurityEvent[] = [];
    const server = await start(events);
    const first = connected(await server.connect({ user: 'carol' }));
    const second = connected(await server.connect({ user: 'carol', localAddress: '127.0.0.2' }));
    expect((await server.guard.revokeUser('carol', { ttlMs: 300 })).disconnected).toBe(2);
    await Promise.all([first.closed, second.closed]);
    const refused = await server.connect({ user: 'carol' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'session_revoked', details: { kind: 'user' } } });
    await waitFor(async () => (await server.connect({ user: 'carol' }).then((r) => (r.ok ? (cleanups.push(() => r.client.close()), true) : false))), 2_000, 'carol admitted after the TTL');
    await waitFor(() => server.guard.connections.size === 1, 1_000, 'one connection');
  });
});

describe('revocation across guards sharing a store', () => {
  it('a revocation on one guard closes the session’s connections on the other, and both refuse it', async () => {
    const store = memoryStore();
    cleanups.push(() => store.close());
    const wsEvents: SecurityEvent[] = [];
    const ioEvents: SecurityEvent[] = [];
    const wsNode = await startWsServer(baseConfig(wsEvents, { store }), 'server');
    cleanups.push(() => wsNode.close());
    const ioNode = await startSocketIoServer(baseConfig(ioEvents, { store }), 'websocket');
    cleanups.push(() => ioNode.close());

    const onWs = connected(await wsNode.connect({ user: 'dave' }));
    const onIo = connected(await ioNode.connect({ user: 'dave' }));
    const toldOnIo = onIo.nextGuardError(2_000);
    // Revoked through the ws node: its own connection at once, the Socket.IO node's on receipt.
    expect((await wsNode.guard.revokeSession('session-dave')).disconnected).toBe(1);
    await onWs.closed;
    expect(await toldOnIo).toMatchObject({ code: 'session_revoked' });
    await onIo.closed;
    await waitFor(() => ioEvents.some((e) => e.type === 'connection_closed_by_guard' && e.reason === 'session_revoked'), 1_000, 'closure on the other node');
    expect(await ioNode.connect({ user: 'dave' })).toMatchObject({ ok: false, error: { code: 'session_revoked' } });

    // Lifted through the other node.
    expect(await ioNode.guard.unrevokeSession('session-dave')).toBe(true);
    connected(await wsNode.connect({ user: 'dave' }));
    // The slots are shared: the one left is the new ws connection's.
    await waitFor(() => ioNode.guard.connections.size === 0 && store.leaseCount('conn:user:dave') === 1, 2_000, 'the Socket.IO node released its slots');
  });
});
