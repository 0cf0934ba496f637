/**
 * Bounded state, the building blocks (windows, ladders, allow-list) on their own, and a store that answers with
 * promises, as a network store does.
 */

import { describe, expect, expectTypeOf, it } from 'vitest';
import { compileAllowList } from '../../src/abuse/allow-list.js';
import { escalatedMs, type ConnectionSelector } from '../../src/abuse/bans.js';
import { ladderIssues, resolveLadder, stepFor } from '../../src/abuse/ladder.js';
import { ABUSE_PRESETS } from '../../src/abuse/options.js';
import { KeyTracker, WINDOW_SLOTS, addToWindow, slotMsFor, windowTotal } from '../../src/abuse/windows.js';
import type { ConnectionSelector as RegistrySelector } from '../../src/core/registry.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import type { Store } from '../../src/stores/types.js';
import { accepted, clock, closedEvent, connectionRefused, feed, harness, id, memoryStoreOn, messageRefused } from './harness.js';

const MINUTE = 60_000;

describe('bounded state', () => {
  it('tracks at most maxTrackedKeys keys, dropping the least recently seen', () => {
    const h = harness({ settings: { maxTrackedKeys: 100, patterns: { connectionFlood: { threshold: 2, ladder: ['log'] } } } });
    h.detector.observe(accepted('198.51.100.1'));
    for (let i = 0; i < 1_000; i++) h.detector.observe(accepted(`10.0.${i >> 8}.${i & 255}`));
    expect(h.detector.stats().trackedKeys).toBe(100);
    // The first address was dropped: its earlier attempt is forgotten.
    h.detector.observe(accepted('198.51.100.1'));
    expect(h.detections()).toEqual([]);
  });

  it('drops every key once nothing it holds can matter any more', () => {
    const h = harness();
    feed(h.detector, 50, () => accepted(`203.0.113.${Math.floor(Math.random() * 250)}`));
    h.detector.observe(messageRefused('message_too_large', { userId: 'u' }));
    expect(h.detector.stats().trackedKeys).toBeGreaterThan(1);
    h.clock.advance(ABUSE_PRESETS.production.offenceMemoryMs - 1);
    h.detector.sweep();
    expect(h.detector.stats().trackedKeys).toBeGreaterThan(1);
    // The longest a key holds anything: the ladder memory (1 h) and four score half-lives (40 min), the windows less.
    h.clock.advance(1);
    h.detector.sweep();
    expect(h.detector.stats().trackedKeys).toBe(0);
  });

  it('keeps nothing per live connection: a session’s length comes with its end', () => {
    const h = harness();
    const ids = [id(), id(), id()];
    for (const connection of ids) h.detector.observe(accepted('203.0.113.1', connection));
    // One key (the address, for its connection attempts), nothing per connection.
    expect(h.detector.stats()).toMatchObject({ trackedKeys: 1, closedByGuard: 0 });
    // Only a connection the guard closed is remembered, until its end comes.
    h.detector.observe({ type: 'connection_closed_by_guard', reason: 'banned', ip: '203.0.113.1', connectionId: ids[0] });
    expect(h.detector.stats().closedByGuard).toBe(1);
    for (const connection of ids) h.detector.observe(closedEvent('203.0.113.1', connection, ABUSE_PRESETS.production.shortSessionMs));
    expect(h.detector.stats().closedByGuard).toBe(0);
    // Their ends are not counted (they were long sessions).
    expect(h.detector.scores()).toEqual([]);
  });

  it('lists scores from a short list, not by walking every key', () => {
    const h = harness({ settings: { maxTrackedKeys: 20_000 } });
    // Ten thousand keys with a trace of evidence (below the listing floor) and one with a real score.
    for (let i = 0; i < 10_000; i++) h.detector.observe(connectionRefused(`10.1.${i >> 8}.${i & 255}`, 'csrf_missing'));
    feed(h.detector, 10, () => connectionRefused('198.51.100.50', 'csrf_missing'));
    expect(h.detector.stats()).toMatchObject({ trackedKeys: 10_001, scoredKeys: 1 });
    expect(h.detector.scores().map((s) => s.key)).toEqual(['ip:198.51.100.50']);
  });
});

describe('sliding windows', () => {
  it('covers at least the window and at most one slot more', () => {
    const tracker = new KeyTracker({ maxKeys: 10, patterns: 6, retentionMs: MINUTE, hotScore: 1, maxHotKeys: 10 });
    const slotMs = slotMsFor(MINUTE);
    expect(slotMs).toBe(MINUTE / WINDOW_SLOTS);
    const start = 1_000_000 * slotMs; // a slot boundary
    const state = tracker.touch('k', start);
    expect(tracker.count(state, 0, 5, start, slotMs)).toBe(5);
    expect(tracker.count(state, 0, 1, start + MINUTE - 1, slotMs)).toBe(6);
    // Exactly one window later the first five still count (the slot they are in is within window + one slot)…
    expect(tracker.count(state, 0, 0, start + MINUTE, slotMs)).toBe(6);
    // …and are gone one slot after that.
    expect(tracker.count(state, 0, 0, start + MINUTE + slotMs, slotMs)).toBe(1);
    expect(tracker.count(state, 0, 0, start + 3 * MINUTE, slotMs)).toBe(0);
  });

  it('keeps two numbers while the evidence fits in one slot, and starts over after a whole window', () => {
    const slotMs = slotMsFor(MINUTE);
    let window = addToWindow(undefined, 100, 2);
    window = addToWindow(window, 100, 3);
    expect(window).toEqual([100, 5]);
    expect(windowTotal(window, 100 + WINDOW_SLOTS)).toBe(5);
    expect(windowTotal(window, 100 + WINDOW_SLOTS + 1)).toBe(0);
    expect(addToWindow(window, 100 + WINDOW_SLOTS + 1, 1)).toEqual([100 + WINDOW_SLOTS + 1, 1]);
    // A second slot turns it into a ring that still holds the first.
    const ring = addToWindow([100, 5], 103, 1);
    expect(ring).toHaveLength(2 + WINDOW_SLOTS + 1);
    expect(windowTotal(ring, 100 + WINDOW_SLOTS)).toBe(6);
    expect(windowTotal(ring, 101 + WINDOW_SLOTS)).toBe(1);
    expect(slotMs).toBe(6_000);
  });

  it('is not disturbed by a clock stepping back', () => {
    const tracker = new KeyTracker({ maxKeys: 10, patterns: 6, retentionMs: MINUTE, hotScore: 1, maxHotKeys: 10 });
    const slotMs = slotMsFor(MINUTE);
    const state = tracker.touch('k', 10 * MINUTE);
    tracker.count(state, 0, 3, 10 * MINUTE, slotMs);
    expect(tracker.count(state, 0, 1, 9 * MINUTE, slotMs)).toBe(4);
  });
});

describe('ladders', () => {
  it('takes step n for offence n and repeats the last', () => {
    const ladder = resolveLadder(['log', ['alert', 'disconnect'], 'temp_ban']);
    expect([1, 2, 3, 4, 9].map((n) => stepFor(ladder, n))).toEqual([['log'], ['disconnect', 'alert'], ['temp_ban'], ['temp_ban'], ['temp_ban']]);
  });

  it('orders a step, drops duplicates, log beside others, and temp_ban beside permanent_ban', () => {
    expect(resolveLadder([['alert', 'permanent_ban', 'temp_ban', 'log', 'throttle', 'throttle']])).toEqual([['throttle', 'permanent_ban', 'alert']]);
  });

  it('names every problem', () => {
    expect(ladderIssues('temp_ban')).toEqual(['must be a list of steps, for example ["throttle", "temp_ban"]']);
    expect(ladderIssues([])).toHaveLength(1);
    expect(ladderIssues(['ban', [], ['throttle', 'kick']])).toEqual([
      'step 1: "ban" is not one of log, throttle, disconnect, temp_ban, permanent_ban, alert',
      'step 2 is empty',
      'step 3: "kick" is not one of log, throttle, disconnect, temp_ban, permanent_ban, alert',
    ]);
    expect(ladderIssues(new Array(11).fill('log'))).toEqual(['has 11 steps; at most 10']);
  });
});

describe('ban lengths', () => {
  it('multiply from the base up to the cap', () => {
    const bans = { ...ABUSE_PRESETS.production.bans };
    expect([1, 2, 3, 4, 8, 9, 500].map((n) => escalatedMs(bans, n) / MINUTE)).toEqual([10, 20, 40, 80, 1280, 1440, 1440]);
  });
});

describe('allow-list', () => {
  it('matches addresses, CIDRs (IPv4-mapped included), IP groups by their network, and users exactly', () => {
    const list = compileAllowList({ ips: ['10.0.0.0/8', '::ffff:192.0.2.1', '2001:db8::/32'], users: ['bot'] });
    expect(['10.200.0.1', '192.0.2.1', '2001:db8:5::1', '2001:db8:5:6::/64'].map((ip) => list.allowsIp(ip))).toEqual([true, true, true, true]);
    expect(['11.0.0.1', '192.0.2.2', '2001:db9::1', 'not-an-ip', ''].map((ip) => list.allowsIp(ip))).toEqual([false, false, false, false, false]);
    expect([list.allowsUser('bot'), list.allowsUser('Bot'), list.allowsUser('')]).toEqual([true, false, false]);
  });

  it('refuses an entry that is not an address or CIDR', () => {
    for (const entry of ['example.com', '10.0.0.0/33', '10.0.0.0/', '::1/129', '10.0.0.0/8x']) {
      expect(() => compileAllowList({ ips: [entry] }), entry).toThrow(RangeError);
    }
  });
});

/** Every method of the memory store answering with a promise, as Redis will. */
function promisingStore(c: ReturnType<typeof clock>): Store {
  const store = memoryStoreOn(c);
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return property === 'shared' ? true : value;
      return (...args: unknown[]) => Promise.resolve().then(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}

describe('a store that answers with promises', () => {
  it('loads saved bans before ready, bans, checks and lifts through promises', async () => {
    const c = clock();
    const store = promisingStore(c);
    await store.addBan({ key: 'user:old', reason: 'r', createdAt: c.now(), expiresAt: c.now() + MINUTE });
    const h = harness({ clock: c, store, settings: { patterns: { authenticationAbuse: { threshold: 1, ladder: ['temp_ban'] } } } });
    await h.detector.ready;
    expect(h.detector.cachedBan({ userId: 'old' })).toMatchObject({ retryAfterMs: MINUTE });

    h.detector.observe(connectionRefused('203.0.113.9', 'unauthenticated'));
    await h.detector.flush();
    expect(h.of('ban_added')).toMatchObject([{ ip: '203.0.113.9', detail: { offence: 1 } }]);
    expect(h.detector.checkBanned({ ipGroup: '203.0.113.9' })).toMatchObject({ code: 'banned' });

    const miss = h.detector.checkBanned({ ipGroup: '198.51.100.1', userId: 'nobody' });
    expect(miss).toBeInstanceOf(Promise);
    expect(await miss).toBeNull();
    expect(await h.detector.unban({ ipGroup: '203.0.113.9' })).toBe(true);
    expect(await h.detector.checkBanned({ ipGroup: '203.0.113.9' })).toBeNull();
    await h.detector.close();
  });
});

describe('fits the guard', () => {
  it('takes the guard\u2019s security events and hands the registry selectors it knows', () => {
    const h = harness();
    const event: SecurityEvent = { type: 'connection_accepted', category: 'connection', severity: 'info', time: 1, ip: '203.0.113.1', connectionId: 'x' };
    h.detector.observe(event);
    expectTypeOf<ConnectionSelector>().toExtend<RegistrySelector>();
    expect(h.detector.stats().trackedKeys).toBe(1);
  });
});
