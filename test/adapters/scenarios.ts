/**
 * The shared adapter scenarios: one table of behaviours every adapter must show through its real clients. The
 * Socket.IO tests run it over WebSocket and long-polling; the `ws` adapter runs the same table.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { GuardConfig } from '../../src/config/types.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import {
  baseConfig,
  countsAreZero,
  waitFor,
  type AdapterHarness,
  type ConnectResult,
  type TestClient,
  type TestServer,
} from './harness.js';

function connected(result: ConnectResult): TestClient {
  if (!result.ok) throw new Error(`expected a connection, got refusal ${JSON.stringify(result.error)}`);
  return result.client;
}

function refusedWith(result: ConnectResult, code: string): void {
  if (result.ok) throw new Error(`expected refusal ${code}, but the connection was accepted`);
  expect(result.error?.code).toBe(code);
}

export function runAdapterScenarios(harness: AdapterHarness): void {
  describe(`adapter scenarios: ${harness.name}`, () => {
    let server: TestServer | undefined;
    const clients: TestClient[] = [];
    let events: SecurityEvent[] = [];

    async function start(overrides: GuardConfig): Promise<TestServer> {
      events = [];
      server = await harness.start(baseConfig(events, overrides));
      return server;
    }
    async function open(s: TestServer, options?: Parameters<TestServer['connect']>[0]): Promise<ConnectResult> {
      const result = await s.connect(options);
      if (result.ok) clients.push(result.client);
      return result;
    }
    const refusalEvents = (code: string) =>
      events.filter((e) => (e.type === 'connection_refused' || e.type === 'message_refused') && e.reason === code);

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await server?.close();
      server = undefined;
    });

    it('accepts a client from an allowed origin and delivers its messages', async () => {
      const s = await start({});
      const client = connected(await open(s));
      const reply = await client.send('chat:send', { text: 'hi' });
      expect(reply).toEqual({ ok: true, reply: { ok: true, event: 'chat:send', echo: { text: 'hi' } } });
      expect(s.received).toEqual([{ event: 'chat:send', payload: { text: 'hi' } }]);
      await waitFor(() => events.some((e) => e.type === 'connection_accepted'), 2_000, 'connection_accepted event');
    });

    it('origin_not_allowed: another site, a look-alike host, another scheme or port, null, or no Origin', async () => {
      const s = await start({});
      for (const origin of ['http://evil.test', 'http://app.test.evil.test', 'https://app.test', 'http://app.test:8080', 'null', null]) {
        refusedWith(await open(s, { origin }), 'origin_not_allowed');
      }
      await waitFor(() => refusalEvents('origin_not_allowed').length === 6, 2_000, 'six origin refusal events');
      expect(await countsAreZero(s)).toBe(true);
    });

    it('connection_rate_limited: past the per-IP connection rate, with retryAfterMs', async () => {
      const s = await start({ connectionRateLimit: 2 });
      connected(await open(s));
      connected(await open(s));
      const third = await open(s);
      refusedWith(third, 'connection_rate_limited');
      if (!third.ok) expect(third.error?.retryAfterMs).toBeGreaterThan(0);
      // Another address has its own budget.
      connected(await open(s, { localAddress: '127.0.0.2' }));
    });

    it('too_many_connections_ip: past the per-IP cap, and a slot frees when a client leaves', async () => {
      const s = await start({ maxConnectionsPerIp: 2 });
      const first = connected(await open(s));
      connected(await open(s));
      refusedWith(await open(s), 'too_many_connections_ip');
      connected(await open(s, { localAddress: '127.0.0.2' }));
      await first.close();
      await waitFor(() => s.guard.connections.size === 2, 2_000, 'the closed connection to be released');
      connected(await open(s));
    });

    it('too_many_connections_user: past the per-user cap, whatever the address', async () => {
      const s = await start({ maxConnectionsPerUser: 1 });
      connected(await open(s, { user: 'alice' }));
      refusedWith(await open(s, { user: 'alice', localAddress: '127.0.0.2' }), 'too_many_connections_user');
      connected(await open(s, { user: 'bob' }));
      // The refused attempt released the IP slot it had taken.
      expect(await s.guard.store.leaseCount('conn:ip:127.0.0.2')).toBe(0);
    });

    it('unauthenticated: anonymous when required, a hook that throws, a hook that never answers', async () => {
      const s = await start({ requireAuthentication: true, authTimeoutMs: 150 });
      refusedWith(await open(s), 'unauthenticated');
      refusedWith(await open(s, { user: 'throw' }), 'unauthenticated');
      refusedWith(await open(s, { user: 'slow' }), 'unauthenticated');
      connected(await open(s, { user: 'alice' }));
      await waitFor(() => events.filter((e) => e.type === 'auth_hook_failed').length === 2, 2_000, 'two auth_hook_failed events');
    });

    it('unauthenticated: expired credentials', async () => {
      const s = await start({
        authenticate: () => ({ userId: 'alice', roles: ['user'], expiresAt: Date.now() - 1 }),
      });
      const result = await open(s);
      refusedWith(result, 'unauthenticated');
      if (!result.ok) expect(result.error?.details).toEqual({ reason: 'credentials_expired' });
    });

    it.runIf(harness.namespaces)('namespace_forbidden: a user without the role; admins get in', async () => {
      const s = await start({ namespaces: { '/admin': { roles: ['admin'] } } });
      refusedWith(await open(s, { namespace: '/admin', user: 'bob' }), 'namespace_forbidden');
      refusedWith(await open(s, { namespace: '/admin' }), 'unauthenticated');
      connected(await open(s, { namespace: '/admin', user: 'root', roles: ['admin'] }));
      connected(await open(s, { user: 'bob' }));
    });

    it('forbidden: an event that needs a role the sender lacks', async () => {
      const s = await start({ events: { 'admin:kick': { roles: ['admin'] } } });
      const bob = connected(await open(s, { user: 'bob' }));
      const root = connected(await open(s, { user: 'root', roles: ['admin'] }));
      const refused = await bob.send('admin:kick', { target: 'x' });
      expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect((await root.send('admin:kick', { target: 'x' })).ok).toBe(true);
      expect(s.received.map((r) => r.event)).toEqual(['admin:kick']);
    });

    it('message_rate_limited: past the burst, with retryAfterMs; another user is unaffected', async () => {
      const s = await start({ messageRateLimit: 60, burstLimit: 3 });
      const alice = connected(await open(s, { user: 'alice' }));
      const bob = connected(await open(s, { user: 'bob' }));
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await alice.send('chat:send', { i }));
      expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
      const refused = results[3];
      if (refused && !refused.ok) {
        expect(refused.error.code).toBe('message_rate_limited');
        expect(refused.error.retryAfterMs).toBeGreaterThan(0);
        expect(refused.error.retryAfterMs).toBeLessThanOrEqual(1_000);
      }
      expect((await bob.send('chat:send', {})).ok).toBe(true);
      expect(s.received).toHaveLength(4);
    });

    it(`after a refusal for rate, ${harness.pausesReads ? 'reading pauses until a token is due: the next message waits and is served' : 'the next message is refused too (long-polling cannot pause)'}`, async () => {
      // 120 a minute: the refusal says retry in ~500 ms; the next message is sent as soon as the refusal arrives
      const s = await start({ messageRateLimit: 120, burstLimit: 2 });
      const alice = connected(await open(s, { user: 'alice' }));
      expect((await alice.send('chat:send', { i: 0 })).ok).toBe(true);
      expect((await alice.send('chat:send', { i: 1 })).ok).toBe(true);
      const refused = await alice.send('chat:send', { i: 2 });
      expect(refused).toMatchObject({ ok: false, error: { code: 'message_rate_limited' } });
      const retryAfterMs = refused.ok ? 0 : (refused.error.retryAfterMs ?? 0);
      expect(retryAfterMs).toBeGreaterThan(400);
      expect(retryAfterMs).toBeLessThanOrEqual(500);
      const sent = performance.now();
      const next = await alice.send('chat:send', { i: 3 });
      if (harness.pausesReads) {
        expect(next).toMatchObject({ ok: true });
        // it waited out the pause (a lower bound: load only makes it later)
        expect(performance.now() - sent).toBeGreaterThanOrEqual(retryAfterMs - 50);
        expect(s.received.map((r) => r.payload)).toEqual([{ i: 0 }, { i: 1 }, { i: 3 }]);
      } else {
        expect(next).toMatchObject({ ok: false, error: { code: 'message_rate_limited' } });
      }
      expect(refusalEvents('message_rate_limited').length).toBe(harness.pausesReads ? 1 : 2);
    });

    it('message_rate_limited: a per-event limit replaces the global one for that event', async () => {
      const s = await start({ messageRateLimit: 600, burstLimit: 50, events: { 'chat:send': { rateLimit: 60, burst: 1 } } });
      const alice = connected(await open(s, { user: 'alice' }));
      expect((await alice.send('chat:send', {})).ok).toBe(true);
      expect(await alice.send('chat:send', {})).toMatchObject({ ok: false, error: { code: 'message_rate_limited' } });
      expect((await alice.send('other', {})).ok).toBe(true);
    });

    it('message_rate_limited: anonymous clients are limited per connection', async () => {
      const s = await start({ messageRateLimit: 60, burstLimit: 2 });
      const one = connected(await open(s));
      const two = connected(await open(s));
      expect((await one.send('chat:send', {})).ok).toBe(true);
      expect((await one.send('chat:send', {})).ok).toBe(true);
      expect((await one.send('chat:send', {})).ok).toBe(false);
      expect((await two.send('chat:send', {})).ok).toBe(true);
    });

    it('message_too_large: the wire size over the limit, per-event limits too', async () => {
      const s = await start({ maxMessageBytes: 200, events: { upload: { maxBytes: 2_000 } } });
      const client = connected(await open(s));
      expect((await client.send('chat:send', { text: 'x'.repeat(50) })).ok).toBe(true);
      const big = await client.send('chat:send', { text: 'x'.repeat(300) });
      expect(big).toMatchObject({ ok: false, error: { code: 'message_too_large', details: { limit: 200 } } });
      expect((await client.send('upload', { text: 'x'.repeat(1_000) })).ok).toBe(true);
      // Multi-byte characters are counted as bytes, not characters.
      expect((await client.send('chat:send', { text: 'é'.repeat(120) })).ok).toBe(false);
    });

    it('event_not_allowed: an event outside the allow-list never reaches a handler', async () => {
      const s = await start({ allowedEvents: ['chat:send'] });
      const client = connected(await open(s));
      expect(await client.send('files:delete', {})).toMatchObject({ ok: false, error: { code: 'event_not_allowed' } });
      client.sendWithoutAck('files:delete', {});
      expect(await client.nextGuardError()).toMatchObject({ code: 'event_not_allowed', event: 'files:delete' });
      expect((await client.send('chat:send', {})).ok).toBe(true);
      expect(s.received.map((r) => r.event)).toEqual(['chat:send']);
    });

    it('monitor mode: what would be refused passes, and is reported', async () => {
      const s = await start({ mode: 'monitor', allowedEvents: ['chat:send'], allowedOrigins: ['http://other.test'] });
      const client = connected(await open(s));
      expect((await client.send('files:delete', {})).ok).toBe(true);
      await waitFor(
        () =>
          events.some((e) => e.type === 'connection_would_be_refused' && e.reason === 'origin_not_allowed') &&
          events.some((e) => e.type === 'message_would_be_refused' && e.reason === 'event_not_allowed'),
        2_000,
        'monitor events',
      );
      expect(events.some((e) => e.type === 'connection_refused' || e.type === 'message_refused')).toBe(false);
    });

    it('monitor mode per check: only the monitored check lets through', async () => {
      const s = await start({ mode: { eventAllowList: 'monitor' }, allowedEvents: ['chat:send'], maxMessageBytes: 100 });
      const client = connected(await open(s));
      expect((await client.send('files:delete', {})).ok).toBe(true);
      expect((await client.send('chat:send', { t: 'x'.repeat(200) })).ok).toBe(false);
    });

    it('counts return to zero after client close, guard close by user and by IP, and server shutdown', async () => {
      const s = await start({});
      const a = connected(await open(s, { user: 'alice' }));
      connected(await open(s, { user: 'bob' }));
      const c = connected(await open(s, { user: 'carol', localAddress: '127.0.0.2' }));
      connected(await open(s, { localAddress: '127.0.0.3' }));
      expect(s.guard.connections.size).toBe(4);
      await a.close();
      expect(s.guard.connections.close({ userId: 'bob' }, 'forbidden')).toBe(1);
      expect(s.guard.connections.close({ ip: '127.0.0.2' }, 'forbidden')).toBe(1);
      await c.closed;
      await waitFor(() => s.guard.connections.size === 1, 3_000, 'three connections released');
      await s.stopTransport();
      await waitFor(() => countsAreZero(s, ['alice', 'bob', 'carol']), 3_000, 'every count at zero');
    });

    it('closing by the guard tells the client why', async () => {
      const s = await start({});
      const client = connected(await open(s, { user: 'alice' }));
      const told = client.nextGuardError();
      s.guard.connections.close({ userId: 'alice' }, 'forbidden', 'kicked by admin');
      expect(await told).toMatchObject({ code: 'forbidden' });
      await client.closed;
      await waitFor(() => countsAreZero(s, ['alice']), 3_000, 'counts at zero');
    });
  });
}
