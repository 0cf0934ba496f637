import { afterEach, describe, expect, it, vi } from 'vitest';
import { BAN_CHANNEL, historyKey, userSubject } from '../../src/abuse/bans.js';
import { createAbuseDetector } from '../../src/abuse/detector.js';
import type { AbuseEventInput, ObservedEvent } from '../../src/abuse/events.js';
import { ABUSE_PRESETS, resolveAbuseOptions } from '../../src/abuse/options.js';
import { PATTERN_NAMES, type PatternName } from '../../src/abuse/patterns.js';
import type { Store } from '../../src/stores/types.js';
import {
  accepted,
  clock,
  closedEvent,
  connectionRefused,
  feed,
  harness,
  id,
  memoryStoreOn,
  messageRefused,
  type Harness,
} from './harness.js';

const MINUTE = 60_000;
const IP = '203.0.113.7';
const production = ABUSE_PRESETS.production;

afterEach(() => {
  vi.useRealTimers();
});

/** One occurrence of each pattern's evidence, as the guard reports it. */
const occurrence: Record<PatternName, (h: Harness) => void> = {
  connectionFlood: (h) => h.detector.observe(accepted(IP)),
  messageFlood: (h) => h.detector.observe(messageRefused('message_rate_limited', { ip: IP, userId: 'alice' })),
  rapidReconnection: (h) => {
    const connection = id();
    h.detector.observe(accepted(IP, connection));
    h.detector.observe(closedEvent(IP, connection, 50));
  },
  authenticationAbuse: (h) => h.detector.observe(connectionRefused(IP, 'unauthenticated')),
  inputValidationAbuse: (h) => h.detector.observe(messageRefused('event_not_allowed', { ip: IP, userId: 'alice' })),
  largePayloadAbuse: (h) => h.detector.observe(messageRefused('message_too_large', { ip: IP, userId: 'alice' })),
};

/** Detections of `pattern` so far. */
const detectionsOf = (h: Harness, pattern: string): Record<string, unknown>[] => h.detections().filter((d) => d['pattern'] === pattern);

describe('patterns trip at their threshold and not one below', () => {
  for (const pattern of PATTERN_NAMES) {
    const { threshold } = production.patterns[pattern];
    it(`${pattern}: ${threshold} in the window (production default)`, () => {
      // The score is off so that only the pattern under test can trip.
      const h = harness({ settings: { suspiciousActivity: false } });
      for (let i = 0; i < threshold - 1; i++) occurrence[pattern](h);
      expect(detectionsOf(h, pattern)).toEqual([]);
      occurrence[pattern](h);
      const [detection] = detectionsOf(h, pattern);
      expect(detection).toMatchObject({ pattern, count: threshold, threshold, offence: 1, monitor: false });
      expect(detection?.['key']).toBe(pattern === 'connectionFlood' || pattern === 'rapidReconnection' || pattern === 'authenticationAbuse' ? `ip:${IP}` : 'user:alice');
    });
  }

  it('weighs an aggregated event by its count', () => {
    const h = harness();
    h.detector.observe(messageRefused('message_rate_limited', { userId: 'alice', count: 99 }));
    expect(h.detections()).toEqual([]);
    h.detector.observe(messageRefused('message_rate_limited', { userId: 'alice' }));
    expect(h.detections()).toMatchObject([{ pattern: 'messageFlood', count: 100 }]);
  });

  it('forgets evidence older than the window', () => {
    const h = harness({ settings: { patterns: { largePayloadAbuse: { threshold: 3, windowMs: MINUTE } } } });
    const tooLarge = (): ObservedEvent => messageRefused('message_too_large', { userId: 'bob' });
    feed(h.detector, 2, tooLarge);
    h.clock.advance(MINUTE + MINUTE / 10);
    h.detector.observe(tooLarge());
    h.detector.observe(tooLarge());
    expect(h.detections()).toEqual([]);
    h.detector.observe(tooLarge());
    expect(h.detections()).toMatchObject([{ pattern: 'largePayloadAbuse', count: 3 }]);
  });

  it('needs a whole threshold again after an offence', () => {
    const h = harness({ settings: { patterns: { authenticationAbuse: { threshold: 3, ladder: ['log'] } } } });
    feed(h.detector, 5, () => connectionRefused(IP, 'csrf_invalid'));
    expect(detectionsOf(h, 'authenticationAbuse')).toHaveLength(1);
    h.detector.observe(connectionRefused(IP, 'csrf_invalid'));
    expect(detectionsOf(h, 'authenticationAbuse')).toMatchObject([{ offence: 1 }, { offence: 2, count: 3 }]);
  });

  it('counts a short session as a rapid reconnection, a long one or one the guard closed not', () => {
    const h = harness({ settings: { patterns: { rapidReconnection: { threshold: 2, ladder: ['log'] } } } });
    const long = id();
    h.detector.observe(accepted(IP, long));
    h.detector.observe(closedEvent(IP, long, production.shortSessionMs));
    const ours = id();
    h.detector.observe(accepted(IP, ours));
    h.detector.observe({ type: 'connection_closed_by_guard', reason: 'banned', ip: IP, connectionId: ours });
    h.detector.observe(closedEvent(IP, ours, 10));
    // An end that does not say how long the session lasted is not evidence.
    h.detector.observe(closedEvent(IP, id()));
    const short = id();
    h.detector.observe(accepted(IP, short));
    h.detector.observe(closedEvent(IP, short, production.shortSessionMs - 1));
    expect(detectionsOf(h, 'rapidReconnection')).toEqual([]);
    occurrence.rapidReconnection(h);
    expect(detectionsOf(h, 'rapidReconnection')).toMatchObject([{ count: 2 }]);
  });

  it('counts connection attempts against the IP group, messages against the user', () => {
    const h = harness({
      ipGroupOf: (ip) => (ip.startsWith('2001:db8:1:1:') ? '2001:db8:1:1::/64' : ip),
      settings: { patterns: { authenticationAbuse: { threshold: 2, ladder: ['log'] }, inputValidationAbuse: { threshold: 2, ladder: ['log'] } } },
    });
    // A refused handshake names a user (a stolen or victim's session): it counts against the address only.
    h.detector.observe(connectionRefused('2001:db8:1:1::a', 'namespace_forbidden', { userId: 'victim' }));
    h.detector.observe(connectionRefused('2001:db8:1:1::b', 'namespace_forbidden', { userId: 'other' }));
    // A refused message of an admitted connection is its user's doing, whatever the address.
    h.detector.observe(messageRefused('event_not_allowed', { ip: '198.51.100.1', userId: 'mallory' }));
    h.detector.observe(messageRefused('event_not_allowed', { ip: '198.51.100.2', userId: 'mallory' }));
    expect(h.detections().map((d) => d['key'])).toEqual(['ip:2001:db8:1:1::/64', 'user:mallory']);
    expect(h.of('abuse_detected').map((e) => [e.ip, e.userId])).toEqual([
      ['2001:db8:1:1::/64', undefined],
      [undefined, 'mallory'],
    ]);
  });

  it('ignores what the client does not control, and what it does not know', () => {
    const h = harness({ settings: { patterns: { authenticationAbuse: { threshold: 1 }, connectionFlood: { threshold: 1 } } } });
    const ignored: ObservedEvent[] = [
      connectionRefused(IP, 'origin_not_allowed'),
      connectionRefused(IP, 'unauthenticated', { detail: { reason: 'hook_failed' } }),
      { type: 'auth_hook_failed', ip: IP, detail: { error: 'backend down' } },
      connectionRefused(IP, 'internal_error'),
      connectionRefused(IP, 'banned'),
      { type: 'connection_would_be_refused', reason: 'connection_rate_limited', ip: IP },
      { type: 'message_would_be_refused', reason: 'message_rate_limited', ip: IP },
      connectionRefused(IP, 'a_reason_from_the_future'),
      messageRefused('another_one', { ip: IP }),
      { type: 'some_future_event', ip: IP },
      { type: 'connection_refused', ip: IP },
      connectionRefused('', 'unauthenticated'),
      { type: 'config_warning', detail: { code: 'X' } },
    ];
    for (const event of ignored) h.detector.observe(event);
    expect(h.detections()).toEqual([]);
    expect(h.detector.stats().trackedKeys).toBe(0);
  });

  it('reads a malformed count as one', () => {
    const h = harness({ settings: { patterns: { largePayloadAbuse: { threshold: 3, ladder: ['log'] } } } });
    for (const count of [Number.NaN, -5, 0, 1.5, Infinity]) h.detector.observe(messageRefused('message_too_large', { userId: 'u', count }));
    expect(h.detections()).toMatchObject([{ count: 3 }]);
  });

  it('takes findings of payload inspection as evidence, whether refusals or events', () => {
    const h = harness({ settings: { patterns: { inputValidationAbuse: { threshold: 3, ladder: ['log'] }, largePayloadAbuse: { threshold: 2, ladder: ['log'] } } } });
    h.detector.observe(messageRefused('validation_failed', { userId: 'eve' }));
    h.detector.observe(messageRefused('malicious_payload', { userId: 'eve' }));
    h.detector.observe({ type: 'threat_detected', userId: 'eve', detail: { rule: 'xss' } });
    h.detector.observe(messageRefused('payload_too_deep', { userId: 'eve' }));
    h.detector.observe({ type: 'payload_too_complex', userId: 'eve' });
    expect(h.detections().map((d) => d['pattern'])).toEqual(['inputValidationAbuse', 'largePayloadAbuse']);
  });

  it('switches a pattern off with false', () => {
    const h = harness({ settings: { patterns: { connectionFlood: false } } });
    feed(h.detector, 1_000, () => accepted(IP));
    expect(h.detections()).toEqual([]);
  });
});

describe('suspicious-activity score', () => {
  it('trips at the threshold on evidence below every pattern threshold, and not one point below', () => {
    const h = harness();
    // 2 points per authentication failure and per refused input: 24 × 2 + 25 × 2 = 98.
    feed(h.detector, 24, () => connectionRefused(IP, 'unauthenticated'));
    feed(h.detector, 25, () => messageRefused('event_not_allowed', { ip: IP }));
    expect(h.detector.scores()).toMatchObject([{ key: `ip:${IP}`, score: 98, evidence: { authenticationAbuse: 24, inputValidationAbuse: 25 } }]);
    expect(h.detections()).toEqual([]);
    h.detector.observe(messageRefused('event_not_allowed', { ip: IP }));
    expect(h.detections()).toMatchObject([
      { pattern: 'suspiciousActivity', key: `ip:${IP}`, score: 100, threshold: 100, evidence: { authenticationAbuse: 24, inputValidationAbuse: 26 }, actions: ['alert'] },
    ]);
    expect(h.of('admin_alert')).toMatchObject([{ ip: IP, detail: { pattern: 'suspiciousActivity' } }]);
    // The score starts again from zero.
    expect(h.detector.scores()).toEqual([]);
  });

  it('decays: half after a half-life', () => {
    const h = harness();
    feed(h.detector, 20, () => connectionRefused(IP, 'unauthenticated'));
    expect(h.detector.scores()[0]?.score).toBe(40);
    h.clock.advance(production.suspiciousActivity.halfLifeMs);
    expect(h.detector.scores()[0]?.score).toBe(20);
    h.clock.advance(3 * production.suspiciousActivity.halfLifeMs);
    // 2.5 is below the listing floor (5% of the threshold).
    expect(h.detector.scores()).toEqual([]);
  });

  it('lists the highest scores first, up to the limit', () => {
    const h = harness();
    for (const [n, ip] of [[5, '198.51.100.5'], [15, '198.51.100.15'], [10, '198.51.100.10']] as const) {
      feed(h.detector, n, () => connectionRefused(ip, 'csrf_missing'));
    }
    expect(h.detector.scores(2).map((s) => [s.ipGroup, s.score])).toEqual([
      ['198.51.100.15', 30],
      ['198.51.100.10', 20],
    ]);
  });

  it('uses the threshold given', () => {
    const h = harness({ suspiciousActivityThreshold: 10 });
    feed(h.detector, 5, () => connectionRefused(IP, 'unauthenticated'));
    expect(h.detections()).toMatchObject([{ pattern: 'suspiciousActivity', score: 10, threshold: 10 }]);
  });
});

describe('response ladder', () => {
  it('takes the steps in order, then repeats the last, with escalating bans', async () => {
    const h = harness({ settings: { suspiciousActivity: false } });
    const flood = (): void => h.detector.observe(messageRefused('message_rate_limited', { ip: IP, userId: 'alice', count: 100 }));

    flood();
    expect(h.detections()).toMatchObject([{ offence: 1, actions: ['throttle'] }]);
    expect(h.detector.throttleFor({ userId: 'alice' })).toBe(production.throttle.factor);
    expect(h.detector.throttleFor({ userId: 'bob', ipGroup: IP })).toBeNull();
    expect(h.closed).toEqual([]);

    flood();
    expect(h.detections()[1]).toMatchObject({ offence: 2, actions: ['disconnect'], disconnected: 1 });
    expect(h.closed).toEqual([{ selector: { userId: 'alice' }, code: 'abuse_disconnected' }]);
    expect(h.detector.checkBanned({ userId: 'alice' })).toBeNull();

    flood();
    await h.detector.flush();
    expect(h.detections()[2]).toMatchObject({ offence: 3, actions: ['temp_ban'] });
    expect(h.of('ban_added')).toMatchObject([{ userId: 'alice', detail: { key: 'user:alice', durationMs: 10 * MINUTE, offence: 1, permanent: false } }]);
    expect(h.closed[1]).toEqual({ selector: { userId: 'alice' }, code: 'banned' });
    expect(h.detector.checkBanned({ ipGroup: IP, userId: 'alice' })).toEqual({ code: 'banned', permanent: false, retryAfterMs: 10 * MINUTE, key: 'user:alice' });

    h.clock.advance(10 * MINUTE);
    expect(h.detector.checkBanned({ userId: 'alice' })).toBeNull();
    flood();
    await h.detector.flush();
    // The last step again; the second ban is twice as long.
    expect(h.detections()[3]).toMatchObject({ offence: 4, actions: ['temp_ban'] });
    expect(h.of('ban_added')[1]).toMatchObject({ detail: { durationMs: 20 * MINUTE, offence: 2 } });
  });

  it('runs the actions of one step together, the alert after the detection', async () => {
    const h = harness({
      settings: { suspiciousActivity: false, patterns: { largePayloadAbuse: { threshold: 1, ladder: [['alert', 'temp_ban', 'throttle', 'log']] } } },
    });
    h.detector.observe(messageRefused('message_too_large', { ip: IP }));
    await h.detector.flush();
    expect(h.detections()).toMatchObject([{ actions: ['throttle', 'temp_ban', 'alert'] }]);
    expect(h.events.map((e) => e.type)).toEqual(['abuse_detected', 'admin_alert', 'ban_added']);
    expect(h.detector.throttleFor({ ipGroup: IP })).toBe(0.25);
  });

  it('forgets the ladder position after offenceMemoryMs without an offence', () => {
    const h = harness({ settings: { offenceMemoryMs: MINUTE, patterns: { largePayloadAbuse: { threshold: 1, ladder: ['log', 'throttle'] } } } });
    h.detector.observe(messageRefused('message_too_large', { userId: 'u' }));
    h.clock.advance(MINUTE);
    h.detector.observe(messageRefused('message_too_large', { userId: 'u' }));
    expect(h.detections().map((d) => d['offence'])).toEqual([1, 1]);
  });

  it('ends a throttle after its duration', () => {
    const h = harness({ settings: { patterns: { largePayloadAbuse: { threshold: 1, ladder: ['throttle'] } } } });
    h.detector.observe(messageRefused('message_too_large', { ip: IP }));
    expect(h.detector.throttleFor({ ipGroup: IP, userId: 'anyone' })).toBe(0.25);
    h.clock.advance(production.throttle.durationMs);
    expect(h.detector.throttleFor({ ipGroup: IP })).toBeNull();
  });
});

describe('escalating bans', () => {
  const banEveryOffence = { suspiciousActivity: false, patterns: { authenticationAbuse: { threshold: 1, ladder: ['temp_ban'] } } } as const;

  it('doubles a repeat offender\u2019s ban up to the cap, then makes it permanent, with an alert', async () => {
    const h = harness({ settings: { ...banEveryOffence, bans: { baseMs: MINUTE, multiplier: 2, maxMs: 3 * MINUTE, permanentAfter: 3 } } });
    const lengths: (number | null)[] = [];
    for (let offence = 1; offence <= 4; offence++) {
      h.detector.observe(connectionRefused(IP, 'unauthenticated'));
      await h.detector.flush();
      const ban = h.detector.listBans()[0];
      lengths.push(ban?.expiresAt == null ? null : ban.expiresAt - ban.createdAt);
      h.clock.advance(ban?.expiresAt == null ? 0 : ban.expiresAt - h.clock.now());
    }
    expect(lengths).toEqual([MINUTE, 2 * MINUTE, 3 * MINUTE, null]);
    expect(h.detector.checkBanned({ ipGroup: IP })).toEqual({ code: 'banned', permanent: true, key: `ip:${IP}` });
    expect(h.of('admin_alert')).toMatchObject([{ ip: IP, detail: { key: `ip:${IP}`, offence: 4 } }]);
    expect(h.detector.listBans()[0]?.meta).toEqual({ by: 'detector', offence: 4, pattern: 'authenticationAbuse' });
  });

  it('keeps the history in the store, so a new detector on it escalates too', async () => {
    const c = clock();
    const store = memoryStoreOn(c);
    const first = harness({ clock: c, store, settings: banEveryOffence });
    first.detector.observe(connectionRefused(IP, 'unauthenticated'));
    await first.detector.close();
    c.advance(production.bans.baseMs);
    const second = harness({ clock: c, store, settings: banEveryOffence });
    second.detector.observe(connectionRefused(IP, 'unauthenticated'));
    await second.detector.flush();
    expect(second.of('ban_added')).toMatchObject([{ detail: { offence: 2, durationMs: 2 * production.bans.baseMs } }]);
  });

  it('bans once when a key trips again while its ban is being written', async () => {
    const h = harness({ settings: banEveryOffence });
    h.detector.observe(connectionRefused(IP, 'unauthenticated'));
    h.detector.observe(connectionRefused(IP, 'unauthenticated'));
    await h.detector.flush();
    expect(h.of('ban_added')).toHaveLength(1);
    expect(await h.store.getCounter(`abuse:offences:ip:${IP}`)).toBe(1);
    // Banned: further evidence is not even counted.
    h.detector.observe(connectionRefused(IP, 'unauthenticated'));
    expect(h.detections()).toHaveLength(2);
  });

  it('refuses with retryAfterMs while temporary, ends on time and reports the expiry once', async () => {
    const h = harness();
    await h.detector.ban({ ip: IP }, { durationMs: 5 * MINUTE, reason: 'spam', by: 'ops' });
    h.clock.advance(5 * MINUTE - 1);
    expect(h.detector.checkBanned({ ipGroup: IP })).toMatchObject({ retryAfterMs: 1, permanent: false });
    h.detector.sweep();
    expect(h.of('ban_expired')).toEqual([]);
    h.clock.advance(1);
    expect(h.detector.checkBanned({ ipGroup: IP })).toBeNull();
    h.detector.sweep();
    h.detector.sweep();
    expect(h.of('ban_expired')).toMatchObject([{ ip: IP, detail: { key: `ip:${IP}`, reason: 'spam' } }]);
    expect(h.detector.listBans()).toEqual([]);
    expect(await h.store.getBan(`ip:${IP}`)).toBeNull();
  });

  it('reports expiries from one unref\u2019d sweep timer', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const h = harness({ clock: { now: () => Date.now(), advance: (ms) => vi.advanceTimersByTime(ms) }, settings: { sweepIntervalMs: 1_000 } });
    await h.detector.ban({ userId: 'u1' }, { durationMs: 1_500, reason: 'r', by: 'ops' });
    await h.detector.ban({ userId: 'u2' }, { durationMs: 2_500, reason: 'r', by: 'ops' });
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(h.of('ban_expired').map((e) => e.userId)).toEqual(['u1']);
    vi.advanceTimersByTime(1_000);
    expect(h.of('ban_expired').map((e) => e.userId)).toEqual(['u1', 'u2']);
    await h.detector.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('bans by hand', () => {
  it('bans, lists and lifts, closing connections and reporting each', async () => {
    const h = harness();
    const outcome = await h.detector.ban({ userId: 'mallory' }, { permanent: true, reason: 'harassment', by: 'moderator' });
    expect(outcome).toMatchObject({ banned: true, ban: { key: 'user:mallory', expiresAt: null, reason: 'harassment', meta: { by: 'moderator' } } });
    expect(h.closed).toEqual([{ selector: { userId: 'mallory' }, code: 'banned' }]);
    expect(h.detector.listBans().map((b) => b.key)).toEqual(['user:mallory']);
    expect(await h.store.getBan('user:mallory')).toMatchObject({ reason: 'harassment' });

    expect(await h.detector.unban({ userId: 'mallory' }, { by: 'moderator' })).toBe(true);
    expect(h.detector.checkBanned({ userId: 'mallory' })).toBeNull();
    expect(h.detector.listBans()).toEqual([]);
    expect(await h.store.getBan('user:mallory')).toBeNull();
    expect(h.of('ban_added')).toMatchObject([{ userId: 'mallory', detail: { by: 'moderator', permanent: true } }]);
    expect(h.of('ban_lifted')).toMatchObject([{ userId: 'mallory', detail: { key: 'user:mallory', by: 'moderator', reason: 'harassment' } }]);
    expect(await h.detector.unban({ userId: 'mallory' })).toBe(false);
    expect(h.of('ban_lifted')).toHaveLength(1);
  });

  it('groups an address like the guard, and lists the soonest to end first', async () => {
    const h = harness({ ipGroupOf: (ip) => (ip.includes(':') ? `${ip.split(':').slice(0, 4).join(':')}::/64` : ip) });
    await h.detector.ban({ ip: '2001:db8:a:b:1:2:3:4' }, { durationMs: 2 * MINUTE, reason: 'r', by: 'ops' });
    await h.detector.ban({ ipGroup: '198.51.100.9' }, { durationMs: MINUTE, reason: 'r', by: 'ops' });
    await h.detector.ban({ userId: 'z' }, { permanent: true, reason: 'r', by: 'ops' });
    expect(h.detector.listBans().map((b) => b.key)).toEqual(['ip:198.51.100.9', 'ip:2001:db8:a:b::/64', 'user:z']);
    expect(h.detector.checkBanned({ ip: '2001:db8:a:b:ffff::1', ipGroup: '2001:db8:a:b::/64' })).toMatchObject({ key: 'ip:2001:db8:a:b::/64' });
  });

  it('escalates a ban given no length, like an automatic one', async () => {
    const h = harness();
    await h.detector.ban({ userId: 'x' }, { reason: 'r', by: 'ops' });
    await h.detector.unban({ userId: 'x' });
    const second = await h.detector.ban({ userId: 'x' }, { reason: 'r', by: 'ops' });
    expect(second.banned && second.ban.expiresAt !== null && second.ban.expiresAt - second.ban.createdAt).toBe(2 * production.bans.baseMs);
  });

  it('forgets the history when asked, and the key\u2019s windows always', async () => {
    const h = harness({ settings: { suspiciousActivity: false, patterns: { largePayloadAbuse: { threshold: 2, ladder: ['temp_ban'] } } } });
    feed(h.detector, 2, () => messageRefused('message_too_large', { userId: 'x' }));
    await h.detector.flush();
    expect(await h.store.getCounter(historyKey(userSubject('x')))).toBe(1);
    await h.detector.unban({ userId: 'x' }, { resetHistory: true });
    expect(await h.store.getCounter(historyKey(userSubject('x')))).toBe(0);
    h.detector.observe(messageRefused('message_too_large', { userId: 'x' }));
    expect(h.detections()).toHaveLength(1);
    h.detector.observe(messageRefused('message_too_large', { userId: 'x' }));
    await h.detector.flush();
    expect(h.of('ban_added')[1]).toMatchObject({ detail: { offence: 1, durationMs: production.bans.baseMs } });
  });

  it('refuses a length that is not a positive number', async () => {
    const h = harness();
    await expect(h.detector.ban({ userId: 'x' }, { durationMs: 0, reason: 'r', by: 'ops' })).rejects.toThrow(RangeError);
    await expect(h.detector.ban({ userId: 'x' }, { durationMs: Number.NaN, reason: 'r', by: 'ops' })).rejects.toThrow(RangeError);
  });

  it('answers from the cache without a promise with the memory store', async () => {
    const h = harness();
    expect(h.detector.checkBanned({ ipGroup: IP, userId: 'u' })).toBeNull();
    await h.detector.ban({ ipGroup: IP }, { durationMs: MINUTE, reason: 'r', by: 'ops' });
    const check = h.detector.checkBanned({ ipGroup: IP });
    expect(check).not.toBeInstanceOf(Promise);
    expect(check).toMatchObject({ code: 'banned' });
    expect(h.detector.cachedBan({ ipGroup: IP })).toEqual(check);
    expect(h.detector.cachedBanCount).toBe(1);
  });
});

describe('allow-list', () => {
  const allowList = { ips: ['10.0.0.0/8', '2001:db8:ffff::/48', '192.0.2.1'], users: ['loadtest-bot'] };

  it('never counts, throttles, disconnects or bans a listed IP, CIDR or user', async () => {
    const h = harness({ settings: { allowList, patterns: { connectionFlood: { threshold: 1, ladder: [['throttle', 'disconnect', 'temp_ban']] } } } });
    feed(h.detector, 1_000, () => accepted('10.1.2.3'));
    feed(h.detector, 1_000, () => accepted('192.0.2.1'));
    feed(h.detector, 1_000, () => messageRefused('message_too_large', { ip: '198.51.100.1', userId: 'loadtest-bot' }));
    await h.detector.flush();
    expect(h.events).toEqual([]);
    expect(h.closed).toEqual([]);
    expect(await h.detector.ban({ ip: '10.9.9.9' }, { permanent: true, reason: 'r', by: 'ops' })).toEqual({ banned: false, why: 'allow_listed' });
    expect(await h.detector.ban({ ipGroup: '2001:db8:ffff:1::/64' }, { permanent: true, reason: 'r', by: 'ops' })).toEqual({ banned: false, why: 'allow_listed' });
    expect(await h.detector.ban({ userId: 'loadtest-bot' }, { permanent: true, reason: 'r', by: 'ops' })).toEqual({ banned: false, why: 'allow_listed' });
    expect(h.detector.listBans()).toEqual([]);
  });

  it('lets a listed address in even when the IP group around it is banned', async () => {
    const h = harness({ settings: { allowList: { ips: ['2001:db8:1:2::5'] } } });
    await h.detector.ban({ ipGroup: '2001:db8:1:2::/64' }, { permanent: true, reason: 'r', by: 'ops' });
    expect(h.detector.checkBanned({ ip: '2001:db8:1:2::5', ipGroup: '2001:db8:1:2::/64' })).toBeNull();
    expect(h.detector.checkBanned({ ip: '2001:db8:1:2::6', ipGroup: '2001:db8:1:2::/64' })).toMatchObject({ code: 'banned' });
  });
});

describe('monitor mode (autoDisconnectOnAbuse: false)', () => {
  it('reports what each step would do and does none of it', async () => {
    const h = harness({ monitor: true });
    for (let i = 0; i < 10; i++) h.detector.observe(connectionRefused(IP, 'unauthenticated', { count: production.patterns.authenticationAbuse.threshold }));
    feed(h.detector, 3, () => messageRefused('message_rate_limited', { userId: 'alice', count: 100 }));
    await h.detector.flush();
    const actions = h.detections().map((d) => [d['pattern'], d['monitor'], d['actions']]);
    expect(actions.slice(0, 3)).toEqual([
      ['authenticationAbuse', true, ['throttle']],
      ['authenticationAbuse', true, ['temp_ban']],
      ['suspiciousActivity', true, ['alert']],
    ]);
    expect(actions.filter(([p]) => p === 'messageFlood').map(([, , a]) => a)).toEqual([['throttle'], ['disconnect'], ['temp_ban']]);
    expect(h.events.every((e) => e.type === 'abuse_detected')).toBe(true);
    expect(h.closed).toEqual([]);
    expect(h.detector.listBans()).toEqual([]);
    expect(await h.store.listBans()).toEqual([]);
    expect(h.detector.throttleFor({ ipGroup: IP, userId: 'alice' })).toBeNull();
    expect(h.detector.checkBanned({ ipGroup: IP, userId: 'alice' })).toBeNull();
  });

  it('is the development preset\u2019s default, with four times the thresholds', () => {
    const h = harness({ preset: 'development', monitor: undefined });
    expect(h.detector.options.monitor).toBe(true);
    feed(h.detector, 4 * production.patterns.largePayloadAbuse.threshold - 1, () => messageRefused('message_too_large', { userId: 'dev' }));
    expect(h.detections()).toEqual([]);
    h.detector.observe(messageRefused('message_too_large', { userId: 'dev' }));
    expect(h.detections()).toMatchObject([{ pattern: 'largePayloadAbuse', monitor: true }]);
  });

  it('still lets an admin ban by hand', async () => {
    const h = harness({ monitor: true });
    await h.detector.ban({ userId: 'x' }, { durationMs: MINUTE, reason: 'r', by: 'ops' });
    expect(h.detector.checkBanned({ userId: 'x' })).toMatchObject({ code: 'banned' });
  });
});

describe('persistence and several processes', () => {
  it('keeps bans across a restart when the store outlives the detector', async () => {
    const c = clock();
    const store = memoryStoreOn(c);
    const before = harness({ clock: c, store });
    await before.detector.ban({ userId: 'x' }, { durationMs: 2 * MINUTE, reason: 'r', by: 'ops' });
    await before.detector.close();
    c.advance(MINUTE);
    const after = harness({ clock: c, store });
    expect(after.detector.checkBanned({ userId: 'x' })).toEqual({ code: 'banned', permanent: false, retryAfterMs: MINUTE, key: 'user:x' });
    c.advance(MINUTE);
    after.detector.sweep();
    expect(after.of('ban_expired')).toHaveLength(1);
  });

  /** The memory store, claiming to be shared: two detectors on it stand for two processes on one Redis. */
  function sharedStore(c: ReturnType<typeof clock>): Store {
    return Object.create(memoryStoreOn(c), { shared: { value: true } }) as Store;
  }

  it('spreads bans and lifts to the other processes, which close their own connections', async () => {
    const c = clock();
    const store = sharedStore(c);
    const a = harness({ clock: c, store });
    const b = harness({ clock: c, store });
    await Promise.all([a.detector.ready, b.detector.ready]);
    await a.detector.ban({ userId: 'x' }, { durationMs: MINUTE, reason: 'r', by: 'ops' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(b.detector.cachedBan({ userId: 'x' })).toMatchObject({ key: 'user:x' });
    expect(b.closed).toEqual([{ selector: { userId: 'x' }, code: 'banned' }]);
    expect(b.of('ban_added')).toEqual([]);
    await a.detector.unban({ userId: 'x' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(b.detector.cachedBan({ userId: 'x' })).toBeNull();
  });

  it('asks a shared store on a cache miss, and ignores malformed messages', async () => {
    const c = clock();
    const store = sharedStore(c);
    const h = harness({ clock: c, store });
    await h.detector.ready;
    await store.addBan({ key: 'ip:198.51.100.77', reason: 'elsewhere', createdAt: c.now(), expiresAt: null });
    // Not in the cache (no message came): the store is asked.
    expect(h.detector.cachedBan({ ipGroup: '198.51.100.77' })).toBeNull();
    expect(await h.detector.checkBanned({ ipGroup: '198.51.100.77' })).toMatchObject({ permanent: true });
    // Now cached.
    expect(h.detector.cachedBan({ ipGroup: '198.51.100.77' })).toMatchObject({ permanent: true });
    for (const message of ['not json', '42', '{"op":"add","ban":{"key":"nope"}}', JSON.stringify({ op: 'add', ban: { key: 'ip:1', reason: 1 } })]) {
      await store.publish(BAN_CHANNEL, message);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.detector.listBans().map((b) => b.key)).toEqual(['ip:198.51.100.77']);
  });
});

describe('faults and lifecycle', () => {
  it('reports a store fault under an automatic ban as internal_error and goes on', async () => {
    const c = clock();
    const store = memoryStoreOn(c);
    const broken = Object.create(store, {
      addBan: { value: () => Promise.reject(new Error('store down')) },
    }) as Store;
    const h = harness({ clock: c, store: broken, settings: { patterns: { largePayloadAbuse: { threshold: 1, ladder: ['temp_ban'] } } } });
    h.detector.observe(messageRefused('message_too_large', { userId: 'x' }));
    await h.detector.flush();
    expect(h.of('internal_error')).toMatchObject([{ detail: { stage: 'abuse_ban', error: 'store down' } }]);
    expect(h.detector.checkBanned({ userId: 'x' })).toBeNull();
  });

  it('survives a close operation that throws, and reports it', () => {
    const c = clock();
    const events: AbuseEventInput[] = [];
    const detector = createAbuseDetector(
      {
        store: memoryStoreOn(c),
        now: c.now,
        emit: (event) => void events.push(event),
        closeConnections: () => {
          throw new Error('adapter bug');
        },
      },
      resolveAbuseOptions({ settings: { sweepIntervalMs: 0, patterns: { largePayloadAbuse: { threshold: 1, ladder: ['disconnect'] } } } }),
    );
    expect(() => detector.observe(messageRefused('message_too_large', { userId: 'x' }))).not.toThrow();
    expect(events.map((e) => e.type)).toEqual(['internal_error', 'abuse_detected']);
    expect(events[0]).toMatchObject({ detail: { stage: 'abuse_close', error: 'adapter bug' } });
  });

  it('stops on close: no timer, no state, nothing observed; the store stays open', async () => {
    const h = harness();
    await h.detector.ban({ userId: 'x' }, { durationMs: MINUTE, reason: 'r', by: 'ops' });
    feed(h.detector, 5, () => accepted(IP));
    await h.detector.close();
    await h.detector.close();
    h.detector.observe(connectionRefused(IP, 'unauthenticated', { count: 1_000 }));
    expect(h.detector.stats()).toMatchObject({ trackedKeys: 0, bans: 0, throttles: 0 });
    expect(h.detector.checkBanned({ userId: 'x' })).toBeNull();
    expect(h.detector.scores()).toEqual([]);
    await expect(h.detector.ban({ userId: 'y' }, { durationMs: 1, reason: 'r', by: 'ops' })).rejects.toThrow(/closed/);
    expect(await h.store.getBan('user:x')).not.toBeNull();
  });
});
