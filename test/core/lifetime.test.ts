/**
 * The shared lifetime sweep on its own, with a hand-driven clock: what closes a connection and what keeps it alive.
 * Through real clients: test/adapters/lifetime.test.ts.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionLifetimes,
  sweepIntervalFor,
  type LifetimeCloseCode,
  type LifetimeOptions,
  type TrackedConnection,
} from '../../src/core/lifetime.js';

let clock = 1_000_000;
const closed: Array<[string, LifetimeCloseCode]> = [];
const sweeps: ConnectionLifetimes[] = [];
/** The live connections the sweep walks (the guard's registry in production). */
const live = new Map<string, TrackedConnection & { messagesIn: number; refusals: number; heartbeats: number }>();

function sweep(options: Partial<LifetimeOptions> = {}): ConnectionLifetimes {
  const lifetimes = new ConnectionLifetimes(
    {
      idleTimeoutMs: 0,
      maxLifetimeMs: 0,
      maxHeartbeatsPerSecond: 0,
      now: () => clock,
      close: (id, code) => closed.push([id, code]),
      ...options,
    },
    () => live.values(),
  );
  sweeps.push(lifetimes);
  return lifetimes;
}

/** A connection that opens now, as the guard opens one: registered, then tracked. */
function open(lifetimes: ConnectionLifetimes, id: string, expiresAt: number | null = null) {
  const connection = {
    id,
    connectedAt: clock,
    expiresAt,
    messagesIn: 0,
    refusals: 0,
    heartbeats: 0,
    lastActivity: 0,
    activeAfterMs: 0,
    windowHeartbeats: 0,
    closing: false,
  };
  live.set(id, connection);
  lifetimes.track(connection);
  return connection;
}

afterEach(() => {
  for (const s of sweeps.splice(0)) s.stop();
  closed.length = 0;
  live.clear();
  clock = 1_000_000;
});

describe('ConnectionLifetimes', () => {
  it('sweeps every quarter of the shortest limit, between 50 ms and 1 s', () => {
    expect(sweepIntervalFor([0, 0])).toBe(1_000);
    expect(sweepIntervalFor([300_000, 86_400_000])).toBe(1_000);
    expect(sweepIntervalFor([400, 0])).toBe(100);
    expect(sweepIntervalFor([100, 5_000])).toBe(50);
  });

  it('closes an idle connection; any inbound message, refusal or heartbeat keeps it alive', () => {
    const lifetimes = sweep({ idleTimeoutMs: 1_000 });
    open(lifetimes, 'quiet');
    const chatty = open(lifetimes, 'chatty');
    for (const bump of [() => chatty.messagesIn++, () => chatty.refusals++, () => chatty.heartbeats++]) {
      clock += 600;
      bump();
      lifetimes.sweep();
    }
    expect(closed).toEqual([['quiet', 'idle_timeout']]);
    clock += 1_000;
    lifetimes.sweep();
    expect(closed).toEqual([['quiet', 'idle_timeout'], ['chatty', 'idle_timeout']]);
  });

  it('closes once: a connection waiting for its transport to end is not closed again', () => {
    const lifetimes = sweep({ idleTimeoutMs: 100 });
    open(lifetimes, 'a');
    for (let i = 0; i < 5; i++) {
      clock += 200;
      lifetimes.sweep();
    }
    expect(closed).toEqual([['a', 'idle_timeout']]);
  });

  it('counts idleness from the last activity, however long ago the connection opened', () => {
    const lifetimes = sweep({ idleTimeoutMs: 1_000 });
    const old = open(lifetimes, 'old');
    clock += 50 * 86_400_000;
    old.messagesIn++;
    lifetimes.sweep();
    clock += 900;
    lifetimes.sweep();
    expect(closed).toEqual([]);
    clock += 100;
    lifetimes.sweep();
    expect(closed).toEqual([['old', 'idle_timeout']]);
  });

  it('closes a connection past its lifetime however busy it is', () => {
    const lifetimes = sweep({ maxLifetimeMs: 5_000, idleTimeoutMs: 1_000 });
    const busy = open(lifetimes, 'busy');
    for (let i = 0; i < 10; i++) {
      clock += 600;
      busy.messagesIn++;
      lifetimes.sweep();
    }
    expect(closed).toEqual([['busy', 'lifetime_exceeded']]);
  });

  it('closes at the credentials’ expiry unless they were extended; null means they no longer end it', () => {
    const lifetimes = sweep();
    open(lifetimes, 'expiring', clock + 1_000);
    const refreshed = open(lifetimes, 'refreshed', clock + 1_000);
    const unlimited = open(lifetimes, 'unlimited', clock + 1_000);
    // What the guard does when the client refreshes its credentials.
    refreshed.expiresAt = clock + 5_000;
    unlimited.expiresAt = null;
    clock += 1_000;
    lifetimes.sweep();
    expect(closed).toEqual([['expiring', 'credentials_expired']]);
    clock += 4_000;
    lifetimes.sweep();
    expect(closed).toEqual([['expiring', 'credentials_expired'], ['refreshed', 'credentials_expired']]);
    clock += 1_000_000;
    lifetimes.sweep();
    expect(closed).toHaveLength(2);
  });

  it('closes a heartbeat flood with message_rate_limited; a steady heartbeat passes', () => {
    const lifetimes = sweep({ maxHeartbeatsPerSecond: 10 });
    const flood = open(lifetimes, 'flood');
    const steady = open(lifetimes, 'steady');
    for (let i = 0; i < 4; i++) {
      clock += 250;
      flood.heartbeats += 5;
      steady.heartbeats += 2;
      lifetimes.sweep();
    }
    expect(closed).toEqual([['flood', 'message_rate_limited']]);
  });

  it('runs the after-sweep hook on the same timer', async () => {
    let runs = 0;
    sweep({ idleTimeoutMs: 200, now: Date.now, afterSweep: () => runs++ });
    await new Promise((resolve) => setTimeout(resolve, 180));
    expect(runs).toBeGreaterThanOrEqual(1);
  });
});
