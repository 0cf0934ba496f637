/**
 * Abuse detection through real clients: offenders on one address banned and disconnected, refused at the handshake
 * with `banned`, while a well-behaved client on another address keeps chatting.
 */

import { describe, expect, it } from 'vitest';
import { presets } from '../../src/config/presets.js';
import type { GuardConfig } from '../../src/config/types.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, TEST_ORIGIN, waitFor, type TestClient } from './harness.js';
import { socketIoTestScope, startSocketIoServer, type SocketIoTestServer } from './socket.io.harness.js';

const scope = socketIoTestScope();
const { ok, refusal } = scope;
let events: SecurityEvent[] = [];
let time = Date.now();

async function start(overrides: GuardConfig): Promise<SocketIoTestServer> {
  events = [];
  time = Date.now();
  return scope.use(await startSocketIoServer(baseConfig(events, { now: () => time, ...overrides }), 'websocket'));
}

/** One refused message per send: a burst of 1 and a slow refill. */
const FLOOD_CONFIG: GuardConfig = {
  messageRateLimit: 1,
  burstLimit: 1,
  abuse: { patterns: { messageFlood: { threshold: 5, windowMs: 60_000, ladder: ['temp_ban', 'temp_ban'] } }, bans: { baseMs: 60_000 } },
};

function flood(client: TestClient, count: number): void {
  for (let i = 0; i < count; i++) client.sendWithoutAck('chat:send', { i });
}

describe('abuse detection with real clients', () => {
  it('bans a flooding user at the threshold, closes its socket and refuses it at the handshake; others chat on', async () => {
    const s = await start(FLOOD_CONFIG);
    const alice = ok(await s.connect({ user: 'alice' }));
    const mallory = ok(await s.connect({ user: 'mallory', localAddress: '127.0.0.2' }));
    // The first message passes (burst 1); four refusals are one below the threshold.
    flood(mallory, 5);
    await waitFor(() => events.filter((e) => e.type === 'message_refused' && e.userId === 'mallory').length === 4, 2_000, 'four refusals');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.some((e) => e.type === 'ban_added')).toBe(false);
    expect(s.guard.connections.select({ userId: 'mallory' })).toHaveLength(1);

    mallory.sendWithoutAck('chat:send', { i: 'fifth refusal' });
    const told = await mallory.nextGuardError();
    expect(told.code).toBe('message_rate_limited');
    await mallory.closed;
    await waitFor(() => events.some((e) => e.type === 'ban_added' && e.userId === 'mallory'), 2_000, 'ban_added');
    expect(events.find((e) => e.type === 'abuse_detected')?.detail).toMatchObject({ pattern: 'messageFlood' });

    const again = refusal(await s.connect({ user: 'mallory', localAddress: '127.0.0.3' }));
    expect(again?.code).toBe('banned');
    expect(again?.retryAfterMs).toBeGreaterThan(59_000);
    expect(again?.retryAfterMs).toBeLessThanOrEqual(60_000);
    // The well-behaved client on another address never noticed.
    expect((await alice.send('chat:send', { hello: true })).ok).toBe(true);
    expect(s.guard.abuse?.listBans().map((b) => b.key)).toEqual(['user:mallory']);
  });

  it('lifts a ban by hand and on time, and bans a repeat offender for longer', async () => {
    const s = await start(FLOOD_CONFIG);
    const mallory = ok(await s.connect({ user: 'mallory' }));
    flood(mallory, 6);
    await mallory.closed;
    await waitFor(() => (s.guard.abuse?.listBans().length ?? 0) === 1, 2_000, 'first ban');
    expect(await s.guard.abuse?.unban({ userId: 'mallory' }, { by: 'admin' })).toBe(true);
    await waitFor(() => events.some((e) => e.type === 'ban_lifted'), 2_000, 'ban_lifted');

    const back = ok(await s.connect({ user: 'mallory' }));
    time += 120_000; // the bucket refills: the next flood starts from one allowed message again
    flood(back, 6);
    await back.closed;
    await waitFor(() => (s.guard.abuse?.listBans().length ?? 0) === 1, 2_000, 'second ban');
    const second = s.guard.abuse?.listBans()[0];
    // The second automatic ban is twice the first (escalation).
    expect((second?.expiresAt ?? 0) - time).toBe(120_000);
    time += 120_001;
    ok(await s.connect({ user: 'mallory' }));
  });

  it('bans a connection-flooding address and turns it away before the handshake', async () => {
    const s = await start({
      connectionRateLimit: 2,
      abuse: { patterns: { connectionFlood: { threshold: 4, windowMs: 60_000, ladder: ['temp_ban'] } } },
    });
    for (let i = 0; i < 4; i++) await s.connect({ localAddress: '127.0.0.2' });
    await waitFor(() => events.some((e) => e.type === 'ban_added'), 2_000, 'ban_added');
    const coded = await s.connect({ localAddress: '127.0.0.2' });
    // Screened by allowRequest: a transport error without a code, and a refusal event that says why.
    expect(coded).toEqual({ ok: false, error: null });
    await waitFor(
      () => events.some((e) => e.type === 'connection_refused' && e.reason === 'banned' && e.detail?.['stage'] === 'pre_handshake'),
      2_000,
      'pre-handshake ban refusal',
    );
    ok(await s.connect({ localAddress: '127.0.0.3' }));
  });

  it('never bans an allow-listed address', async () => {
    const s = await start({
      connectionRateLimit: 2,
      abuse: { allowList: { ips: ['127.0.0.2'] }, patterns: { connectionFlood: { threshold: 4, windowMs: 60_000, ladder: ['temp_ban'] } } },
    });
    for (let i = 0; i < 8; i++) await s.connect({ localAddress: '127.0.0.2' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.some((e) => e.type === 'ban_added' || e.type === 'abuse_detected')).toBe(false);
  });

  it('the development preset reports what it would do and bans nobody', async () => {
    const s = await start({
      ...presets.development,
      allowedOrigins: [TEST_ORIGIN],
      csrfEnabled: false,
      messageRateLimit: 1,
      burstLimit: 1,
      abuse: { patterns: { messageFlood: { threshold: 5, windowMs: 60_000, ladder: ['temp_ban'] } } },
    });
    const mallory = ok(await s.connect({ user: 'mallory' }));
    flood(mallory, 10);
    await waitFor(() => events.some((e) => e.type === 'abuse_detected'), 2_000, 'abuse_detected');
    expect(events.find((e) => e.type === 'abuse_detected')?.detail).toMatchObject({ monitor: true });
    expect(events.some((e) => e.type === 'ban_added')).toBe(false);
    expect((await mallory.send('ping', {})).ok).toBe(false); // still rate limited, but still connected
    expect(s.guard.connections.select({ userId: 'mallory' })).toHaveLength(1);
  });

  describe('each pattern trips at its threshold through real clients, and not one below', () => {
    const THRESHOLD = 3;
    const banAt = (pattern: string) => ({ abuse: { patterns: { [pattern]: { threshold: THRESHOLD, windowMs: 60_000, ladder: ['temp_ban'] } } } });
    const banned = () => events.some((e) => e.type === 'ban_added');
    const settle = () => new Promise((resolve) => setTimeout(resolve, 60));
    /** A banned address is turned away before the handshake (no code reaches the client), and the log says why. */
    async function expectBannedAddress(s: SocketIoTestServer, localAddress: string): Promise<void> {
      expect(await s.connect({ user: 'alice', localAddress })).toEqual({ ok: false, error: null });
      await waitFor(() => events.some((e) => e.type === 'connection_refused' && e.reason === 'banned' && e.ip === localAddress), 2_000, 'banned refusal');
    }

    it('rapidReconnection: short sessions from one address', async () => {
      const s = await start(banAt('rapidReconnection'));
      for (let i = 0; i < THRESHOLD; i++) {
        if (i === THRESHOLD - 1) {
          await settle();
          expect(banned()).toBe(false);
        }
        const client = ok(await s.connect({ localAddress: '127.0.0.2' }));
        await client.close();
        scope.forget(client);
      }
      await waitFor(banned, 2_000, 'ban after the third short session');
      await expectBannedAddress(s, '127.0.0.2');
    });

    it('authenticationAbuse: refused handshakes from one address', async () => {
      const s = await start({ requireAuthentication: true, ...banAt('authenticationAbuse') });
      for (let i = 0; i < THRESHOLD - 1; i++) expect(refusal(await s.connect({ localAddress: '127.0.0.2' }))?.code).toBe('unauthenticated');
      await settle();
      expect(banned()).toBe(false);
      expect(refusal(await s.connect({ localAddress: '127.0.0.2' }))?.code).toBe('unauthenticated');
      await waitFor(banned, 2_000, 'ban after the third refusal');
      await expectBannedAddress(s, '127.0.0.2');
      ok(await s.connect({ user: 'alice', localAddress: '127.0.0.3' }));
    });

    it('inputValidationAbuse: events off the allow-list from one user', async () => {
      const s = await start({ allowedEvents: ['chat:send'], ...banAt('inputValidationAbuse') });
      const mallory = ok(await s.connect({ user: 'mallory' }));
      for (let i = 0; i < THRESHOLD - 1; i++) expect((await mallory.send('admin:drop', {})).ok).toBe(false);
      await settle();
      expect(banned()).toBe(false);
      mallory.sendWithoutAck('admin:drop', {});
      await waitFor(banned, 2_000, 'ban after the third refusal');
      await mallory.closed;
      expect(s.guard.abuse?.listBans().map((b) => b.key)).toEqual(['user:mallory']);
    });

    it('largePayloadAbuse: oversized messages from one user', async () => {
      const s = await start({ maxMessageBytes: 200, ...banAt('largePayloadAbuse') });
      const mallory = ok(await s.connect({ user: 'mallory' }));
      const big = { blob: 'x'.repeat(500) };
      for (let i = 0; i < THRESHOLD - 1; i++) expect(await mallory.send('chat:send', big)).toMatchObject({ ok: false, error: { code: 'message_too_large' } });
      await settle();
      expect(banned()).toBe(false);
      mallory.sendWithoutAck('chat:send', big);
      await waitFor(banned, 2_000, 'ban after the third oversized message');
      await mallory.closed;
    });
  });
});
