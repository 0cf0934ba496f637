/**
 * A detector on a clock the test moves by hand, a memory store without its sweep timer, and recorders for what the
 * detector emits and which connections it closes.
 */

import { createAbuseDetector, type AbuseDetector, type AbuseDetectorDeps } from '../../src/abuse/detector.js';
import type { AbuseEventInput, ObservedEvent } from '../../src/abuse/events.js';
import { resolveAbuseOptions, type AbuseOptionsInput, type AbuseSettings } from '../../src/abuse/options.js';
import type { AbuseCloseCode, ConnectionSelector } from '../../src/abuse/bans.js';
import { memoryStore, type MemoryStore } from '../../src/stores/memory.js';
import type { Store } from '../../src/stores/types.js';

export interface Clock {
  now: () => number;
  advance: (ms: number) => void;
}

export function clock(start = 1_700_000_000_000): Clock {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

export interface Harness {
  readonly detector: AbuseDetector;
  readonly store: Store;
  readonly clock: Clock;
  readonly events: AbuseEventInput[];
  readonly closed: { selector: ConnectionSelector; code: AbuseCloseCode }[];
  /** Events of one type, in order. */
  of(type: AbuseEventInput['type']): AbuseEventInput[];
  /** `detail` of each `abuse_detected` event, in order. */
  detections(): Record<string, unknown>[];
}

export interface HarnessOptions extends Omit<AbuseOptionsInput, 'settings'> {
  readonly settings?: AbuseSettings;
  readonly store?: Store;
  readonly clock?: Clock;
  readonly ipGroupOf?: AbuseDetectorDeps['ipGroupOf'];
}

export function memoryStoreOn(c: Clock): MemoryStore {
  return memoryStore({ now: c.now, sweepIntervalMs: 0 });
}

export function harness(options: HarnessOptions = {}): Harness {
  const c = options.clock ?? clock();
  const store = options.store ?? memoryStoreOn(c);
  const events: AbuseEventInput[] = [];
  const closed: Harness['closed'] = [];
  const detector = createAbuseDetector(
    {
      store,
      now: c.now,
      emit: (event) => void events.push(event),
      closeConnections: (selector, code) => {
        closed.push({ selector, code });
        return 1;
      },
      ipGroupOf: options.ipGroupOf,
    },
    resolveAbuseOptions({
      preset: options.preset ?? 'production',
      // Acting by default, so that tests see responses; `monitor: undefined` leaves it to the preset.
      monitor: 'monitor' in options ? options.monitor : false,
      suspiciousActivityThreshold: options.suspiciousActivityThreshold,
      settings: { sweepIntervalMs: 0, ...options.settings },
    }),
  );
  return {
    detector,
    store,
    clock: c,
    events,
    closed,
    of: (type) => events.filter((e) => e.type === type),
    detections: () => events.filter((e) => e.type === 'abuse_detected').map((e) => ({ ...e.detail })),
  };
}

let nextId = 0;
export const id = (): string => `c${++nextId}`;

export const accepted = (ip: string, connectionId = id(), userId?: string): ObservedEvent => ({
  type: 'connection_accepted',
  ip,
  connectionId,
  ...(userId ? { userId } : {}),
});

/** A connection's end as the guard reports it, with how long it lasted (absent: not reported). */
export const closedEvent = (ip: string, connectionId: string, durationMs?: number): ObservedEvent => ({
  type: 'connection_closed',
  ip,
  connectionId,
  ...(durationMs === undefined ? {} : { detail: { reason: 'close', durationMs } }),
});

export const connectionRefused = (ip: string, reason: string, extra: Partial<ObservedEvent> = {}): ObservedEvent => ({
  type: 'connection_refused',
  reason,
  ip,
  ...extra,
});

export const messageRefused = (reason: string, extra: Partial<ObservedEvent> = {}): ObservedEvent => ({
  type: 'message_refused',
  reason,
  event: 'chat:message',
  ...extra,
});

/** Feed `n` copies of an event, one by one. */
export function feed(detector: AbuseDetector, n: number, make: () => ObservedEvent): void {
  for (let i = 0; i < n; i++) detector.observe(make());
}
