/**
 * Abuse windows and ladder positions kept in a shared store (Redis), so that an attacker spreading over several nodes
 * is caught as on one: each piece of evidence (already aggregated by the event bus, off the message path) is also added
 * to a store counter per pattern and key, a pattern trips on that cluster-wide count instead of this node's, and the
 * offence number that picks the ladder's step is counted in the store too.
 *
 * Windows: the store's fixed-window counter, which starts at the key's first evidence and lasts `windowMs` (one
 * node's own windows slide). Over a window's edge a key can so show up to 2 × (threshold − 1) pieces of evidence in
 * `windowMs` without tripping, where a sliding window would trip: the same average rate either way. A counter is never
 * reset (nodes would race): the node whose addition reaches the next multiple of the threshold takes the offence —
 * exactly one node, since the store adds atomically — and the next offence needs a whole threshold more, as on one
 * node (an aggregated event that jumps past a multiple leaves its excess counted towards the next). One store round
 * trip per piece of evidence (per aggregated event), two when it trips.
 *
 * Ladder positions: a store set per detection and key with one member per offence, which expires `offenceMemoryMs`
 * after its last one, so that (as on one node) the position is forgotten after that long without an offence. Its size
 * is the offence number.
 *
 * Lifting a ban empties both. With the memory store none of this runs: the detector keeps its synchronous windows.
 */

import { randomUUID } from 'node:crypto';
import type { Awaitable } from '../codes/types.js';
import type { CounterResult, Store } from '../stores/types.js';
import type { Subject } from './bans.js';
import type { ResolvedPattern } from './options.js';

export function sharedWindowKey(pattern: ResolvedPattern, subject: Subject): string {
  return `abuse:window:${pattern.name}:${subject.key}`;
}

export function sharedLadderKey(pattern: ResolvedPattern, subject: Subject): string {
  return `abuse:ladder:${pattern.name}:${subject.key}`;
}

export interface SharedWindowsDeps {
  readonly store: Store;
  readonly patterns: readonly ResolvedPattern[];
  readonly offenceMemoryMs: number;
  /** Keeps the detector's `flush()` waiting for counts in flight. */
  readonly track: (promise: Promise<unknown>) => void;
  readonly fault: (stage: string, error: unknown) => void;
}

/** Runs on the node whose evidence tripped a pattern: the evidence since the last offence, and the offence number. */
export type Tripped = (evidence: number, offence: number) => void;

export class SharedWindows {
  readonly #deps: SharedWindowsDeps;
  /** Makes this node's ladder members unique across nodes. */
  readonly #node = randomUUID();
  #offences = 0;

  constructor(deps: SharedWindowsDeps) {
    this.#deps = deps;
  }

  /** Add `count` pieces of evidence for `pattern` against `subject`; `tripped` runs once the store has answered. */
  count(subject: Subject, pattern: ResolvedPattern, count: number, tripped: Tripped): void {
    let counted: Awaitable<CounterResult>;
    try {
      counted = this.#deps.store.increment(sharedWindowKey(pattern, subject), pattern.windowMs, count);
    } catch (error) {
      this.#deps.fault('window', error);
      return;
    }
    const settle = ({ value }: CounterResult): Awaitable<void> => {
      const before = Math.floor((value - count) / pattern.threshold);
      if (Math.floor(value / pattern.threshold) <= before) return undefined;
      // Since the last offence; one offence however many multiples an aggregated event jumped.
      const evidence = value - before * pattern.threshold;
      const member = `${this.#node}:${String(++this.#offences)}`;
      const size = this.#deps.store.setAdd(sharedLadderKey(pattern, subject), member, this.#deps.offenceMemoryMs);
      if (size instanceof Promise) return size.then((offence) => tripped(evidence, offence));
      tripped(evidence, size);
      return undefined;
    };
    if (counted instanceof Promise) {
      this.#deps.track(counted.then(settle).catch((error: unknown) => this.#deps.fault('window', error)));
      return;
    }
    try {
      const settled = settle(counted);
      if (settled instanceof Promise) this.#deps.track(settled.catch((error: unknown) => this.#deps.fault('window', error)));
    } catch (error) {
      this.#deps.fault('window', error);
    }
  }

  /** Forget `subject`'s evidence and ladder positions (the contract has no delete: counters go back to zero). */
  async reset(subject: Subject): Promise<void> {
    const { store, patterns } = this.#deps;
    await Promise.all(
      patterns
        .filter((pattern) => pattern.enabled)
        .map(async (pattern) => {
          const windowKey = sharedWindowKey(pattern, subject);
          const value = await store.getCounter(windowKey);
          if (value !== 0) await store.increment(windowKey, pattern.windowMs, -value);
          const ladderKey = sharedLadderKey(pattern, subject);
          for (const member of await store.setMembers(ladderKey)) await store.setRemove(ladderKey, member);
        }),
    );
  }
}
