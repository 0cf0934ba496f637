/**
 * The shared lifetime sweep on its own, with a hand-driven clock: what closes a connection and what keeps it alive.
 * Through real clients: test/adapters/lifetime.test.ts.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLifetimes, sweepIntervalFor, type LifetimeCloseCode, type LifetimeOptions } from '../../src/core/lifetime.js';

let clock = 1_000_000;
const closed: Array<[string, LifetimeCloseCode]> = [];
const sweeps: ConnectionLifetimes[] = [];

function sweep(options: Partial<LifetimeOptions> = {}): ConnectionLifetimes {
  const lifetimes = new ConnectionLifetimes({
    idleTimeoutMs: 0,
    maxLifetimeMs: 0,
    maxHeartbeatsPerSecond: 0,
    now: () => clock,
    close: (id, code) => closed.push([id, code]),
    ...options,
  });
  sweeps.push(lifetimes);
  return lifetimes;
}

const counters = () => ({ messagesIn: 0, refusals: 0, heartbeats: 0 });

afterEach(() => {
  for (const s of sweeps.splice(0)) s.stop();
  closed.length = 0;
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
    const quiet = counters();
    const chatty = counters();
    lifetimes.track('quiet', quiet, null);
    lifetimes.track('chatty', chatty, null);
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
    lifetimes.track('a', counters(), null);
    for (let i = 0; i < 5; i++) {
      clock += 200;
      lifetimes.sweep();
    }
    expect(closed).toEqual([['a', 'idle_timeout']]);
    lifetimes.untrack('a');
    expect(lifetimes.size).toBe(0);
  });

  it('closes a connection past its lifetime however busy it is', () => {
    const lifetimes = sweep({ maxLifetimeMs: 5_000, idleTimeoutMs: 1_000 });
    const busy = counters();
    lifetimes.track('busy', busy, null);
    for (let i = 0; i < 10; i++) {
      clock += 600;
      busy.messagesIn++;
      lifetimes.sweep();
    }
    expect(closed).toEqual([['busy', 'lifetime_exceeded']]);
  });

  it('closes at the credentials’ expiry unless they were extended; null means they no longer end it', () => {
    const lifetimes = sweep();
    lifetimes.track('expiring', counters(), clock + 1_000);
    lifetimes.track('refreshed', counters(), clock + 1_000);
    lifetimes.track('unlimited', counters(), clock + 1_000);
    lifetimes.extend('refreshed', clock + 5_000);
    lifetimes.extend('unlimited', null);
    expect(lifetimes.expiresAt('refreshed')).toBe(clock + 5_000);
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
    const flood = counters();
    const steady = counters();
    lifetimes.track('flood', flood, null);
    lifetimes.track('steady', steady, null);
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
