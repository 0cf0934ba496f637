/**
 * Heap per tracked key: N keys fed through `observe`, heap measured after a full GC before and after. The numbers are
 * printed for the README; the assertions are loose ceilings that catch a regression in kind (an array per event, a
 * closure per key), not a benchmark.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ObservedEvent } from '../../src/abuse/events.js';
import { harness } from './harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = 50_000;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Addresses of the same length as real ones, all distinct. */
const ipOf = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Feed each key its events, once per round, moving the clock by `stepMs` between rounds. */
function bytesPerKey(eventsFor: (i: number) => ObservedEvent[], rounds = 1, stepMs = 0): number {
  const h = harness({ settings: { maxTrackedKeys: N } });
  const batches = Array.from({ length: N }, (_, i) => eventsFor(i));
  const before = heapAfterGc();
  for (let round = 0; round < rounds; round++) {
    if (round > 0) h.clock.advance(stepMs);
    for (const batch of batches) for (const event of batch) h.detector.observe(event);
  }
  const after = heapAfterGc();
  expect(h.detector.stats().trackedKeys).toBe(N);
  // Keep everything alive through the measurement.
  expect(batches.length).toBe(N);
  return Math.round((after - before) / N);
}

describe('heap per tracked key', () => {
  it('an IP group seen once (one connection accepted: one window, a score)', () => {
    const bytes = bytesPerKey((i) => [{ type: 'connection_accepted', ip: ipOf(i) }]);
    console.log(`abuse detector: ${bytes} bytes per key, one pattern (N = ${N})`);
    expect(bytes).toBeLessThan(1_000);
  });

  it('an IP group seen in several slots of its window (the window becomes a ring)', () => {
    // Connection attempts 30 s apart: the 5-minute window has 30-second slots.
    const bytes = bytesPerKey((i) => [{ type: 'connection_accepted', ip: ipOf(i) }], 3, 30_000);
    console.log(`abuse detector: ${bytes} bytes per key, one pattern over several slots (N = ${N})`);
    expect(bytes).toBeLessThan(1_200);
  });

  it('a user showing all four message-level patterns', () => {
    const reasons = ['message_rate_limited', 'event_not_allowed', 'message_too_large', 'forbidden'];
    const bytes = bytesPerKey((i) => reasons.map((reason) => ({ type: 'message_refused', reason, userId: `user-${i}` })));
    console.log(`abuse detector: ${bytes} bytes per key, four patterns (N = ${N})`);
    expect(bytes).toBeLessThan(2_500);
  });
});
