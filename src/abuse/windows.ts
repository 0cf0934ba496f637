/**
 * Sliding windows and decaying scores, and the bounded map of per-key state that holds them.
 *
 * A window counts evidence in `WINDOW_SLOTS` slots of `windowMs / WINDOW_SLOTS` plus the current one, so it always
 * covers the last `windowMs` and at most one slot (a tenth of the window) more: a count can run a little high at the
 * window's old edge, never low. Memory is one small array per pattern a key has actually shown, whatever the rate:
 * two numbers while its evidence fits in one slot, thirteen once it spans several.
 *
 * Keys are capped (`maxKeys`) and the least recently seen go first; a sweep drops keys idle for longer than anything
 * they hold can matter (`retentionMs`), so a calm server holds no state at all.
 */

import { LruMap } from '../util/lru-map.js';

export const WINDOW_SLOTS = 10;

/**
 * A window is a plain array of numbers: `[slot, total]` while all its evidence is in one slot (most keys never show
 * more than that), then `[slot, total, ...counts]` with a ring of `WINDOW_SLOTS + 1` counts, the newest at
 * `slot % (WINDOW_SLOTS + 1)`. `slot` is the absolute index (`time / slotMs`) of the newest slot.
 */
export type SlidingWindow = number[];

const RING = WINDOW_SLOTS + 1;
const HEADER = 2;

export function slotMsFor(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / WINDOW_SLOTS));
}

/** Move a ring forward to `slot`, forgetting the slots that fell out. A clock stepping back changes nothing. */
function advance(window: SlidingWindow, slot: number): void {
  const newest = window[0] ?? slot;
  const gap = slot - newest;
  if (gap <= 0) return;
  if (gap >= RING) {
    window.fill(0, 1);
  } else {
    let total = window[1] ?? 0;
    for (let i = 1; i <= gap; i++) {
      const index = HEADER + ((newest + i) % RING);
      total -= window[index] ?? 0;
      window[index] = 0;
    }
    window[1] = total;
  }
  window[0] = slot;
}

/** Add `count` at `slot`; returns the window to keep (a new one when it grows from one slot to a ring). */
export function addToWindow(window: SlidingWindow | undefined, slot: number, count: number): SlidingWindow {
  if (window === undefined) return [slot, count];
  const newest = window[0] ?? slot;
  if (window.length === HEADER) {
    if (slot <= newest) {
      window[1] = (window[1] ?? 0) + count;
      return window;
    }
    if (slot - newest >= RING) return [slot, count];
    const ring: SlidingWindow = new Array<number>(HEADER + RING).fill(0);
    ring[0] = newest;
    ring[1] = window[1] ?? 0;
    ring[HEADER + (newest % RING)] = ring[1];
    window = ring;
  }
  advance(window, slot);
  const current = window[0] ?? slot;
  const index = HEADER + (current % RING);
  window[index] = (window[index] ?? 0) + count;
  window[1] = (window[1] ?? 0) + count;
  return window;
}

/** The count in the window at `slot` (it covers this slot and the `WINDOW_SLOTS` before it). */
export function windowTotal(window: SlidingWindow, slot: number): number {
  if (window.length === HEADER) return slot - (window[0] ?? slot) >= RING ? 0 : (window[1] ?? 0);
  advance(window, slot);
  return window[1] ?? 0;
}

/** A score `halfLifeMs` old counts half. */
export function decayed(score: number, since: number, now: number, halfLifeMs: number): number {
  if (score === 0 || now <= since) return score;
  return score * 2 ** (-(now - since) / halfLifeMs);
}

/** What the detector remembers about one key (`ip:<group>` or `user:<id>`). */
export interface KeyState {
  lastSeen: number;
  /** One window per pattern (indexed as `PATTERN_NAMES`), created on the pattern's first evidence. */
  windows: (SlidingWindow | undefined)[] | undefined;
  /** Suspicious-activity score as of `scoreAt`. */
  score: number;
  scoreAt: number;
  /** Per detection (patterns, then the score): offences so far and when the last was; created on the first. */
  offences: ({ count: number; at: number } | undefined)[] | undefined;
}

export interface KeyTrackerOptions {
  readonly maxKeys: number;
  /** How many patterns (windows per key). */
  readonly patterns: number;
  /** A key idle this long holds nothing that still matters (windows, score, ladder position). */
  readonly retentionMs: number;
  /** Keys whose score reaches this are kept on a short list for `scores()`. */
  readonly hotScore: number;
  /** Cap on that list. */
  readonly maxHotKeys: number;
}

export class KeyTracker {
  readonly #keys: LruMap<string, KeyState>;
  /**
   * Keys with a notable score, so that `scores()` never walks every key. A plain Map (its native iteration is several
   * times faster than a generator) kept small: past the cap, the key listed longest ago goes.
   */
  readonly #hot = new Map<string, KeyState>();
  readonly #options: KeyTrackerOptions;

  constructor(options: KeyTrackerOptions) {
    this.#options = options;
    this.#keys = new LruMap(options.maxKeys, (key) => this.#hot.delete(key));
  }

  get size(): number {
    return this.#keys.size;
  }

  get hotSize(): number {
    return this.#hot.size;
  }

  /** The key's state, created if new, marked as seen now (the most recently seen key is the last evicted). */
  touch(key: string, now: number): KeyState {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { lastSeen: now, windows: undefined, score: 0, scoreAt: now, offences: undefined };
      this.#keys.set(key, state);
    } else if (now > state.lastSeen) {
      state.lastSeen = now;
    }
    return state;
  }

  /** Add `count` to the key's window for `pattern`; returns the window's total. */
  count(state: KeyState, pattern: number, count: number, now: number, slotMs: number): number {
    // Sized once: growing an empty array by index would reserve room for 17.
    const windows = (state.windows ??= new Array<SlidingWindow | undefined>(this.#options.patterns));
    const window = addToWindow(windows[pattern], Math.floor(now / slotMs), count);
    windows[pattern] = window;
    return window[1] ?? 0;
  }

  /** Empty the key's window for `pattern` (after it tripped: the next offence needs a full threshold again). */
  resetWindow(state: KeyState, pattern: number): void {
    if (state.windows !== undefined) state.windows[pattern] = undefined;
  }

  /** Add `points` to the key's decayed score; returns the new score. */
  addScore(key: string, state: KeyState, points: number, now: number, halfLifeMs: number): number {
    state.score = decayed(state.score, state.scoreAt, now, halfLifeMs) + points;
    state.scoreAt = now;
    if (state.score >= this.#options.hotScore && !this.#hot.has(key)) {
      this.#hot.set(key, state);
      if (this.#hot.size > this.#options.maxHotKeys) {
        for (const oldest of this.#hot.keys()) {
          this.#hot.delete(oldest);
          break;
        }
      }
    }
    return state.score;
  }

  resetScore(key: string, state: KeyState, now: number): void {
    state.score = 0;
    state.scoreAt = now;
    this.#hot.delete(key);
  }

  /** Record an offence of detection `index`, forgetting earlier ones older than `memoryMs`; returns its number. */
  offence(state: KeyState, index: number, now: number, memoryMs: number): number {
    const offences = (state.offences ??= new Array<{ count: number; at: number } | undefined>(this.#options.patterns + 1));
    const previous = offences[index];
    const count = previous !== undefined && now - previous.at < memoryMs ? previous.count + 1 : 1;
    offences[index] = { count, at: now };
    return count;
  }

  /** Forget everything about a key (an admin lifted its ban: it starts clean). */
  forget(key: string): void {
    this.#keys.delete(key);
    this.#hot.delete(key);
  }

  /**
   * The `limit` highest scores now, highest first, from the short list; keys whose score decayed below the floor are
   * dropped from it on the way.
   */
  top(limit: number, now: number, halfLifeMs: number): [key: string, state: KeyState, score: number][] {
    const top: [string, KeyState, number][] = [];
    for (const [key, state] of this.#hot) {
      const score = decayed(state.score, state.scoreAt, now, halfLifeMs);
      if (score < this.#options.hotScore) {
        this.#hot.delete(key);
        continue;
      }
      if (top.length === limit && score <= (top[limit - 1]?.[2] ?? Infinity)) continue;
      // Insertion into a short sorted list: `limit` is what a dashboard shows (tens), the list at most a thousand.
      let at = top.length;
      while (at > 0 && (top[at - 1]?.[2] ?? Infinity) < score) at--;
      top.splice(at, 0, [key, state, score]);
      if (top.length > limit) top.pop();
    }
    return top;
  }

  /** Drop keys idle for `retentionMs`. Keys are in order of last sight, so this stops at the first one still fresh. */
  prune(now: number): number {
    let dropped = 0;
    for (const [key, state] of this.#keys.entries()) {
      if (now - state.lastSeen < this.#options.retentionMs) break;
      this.#keys.delete(key);
      this.#hot.delete(key);
      dropped++;
    }
    return dropped;
  }

  clear(): void {
    this.#keys.clear();
    this.#hot.clear();
  }
}
