/**
 * `createAbuseDetector`: reads security events, counts evidence per key in sliding windows, and when a pattern's
 * threshold (or the suspicious-activity score) is reached, takes the next step of that pattern's response ladder:
 * log, throttle, disconnect, temporary or permanent ban, alert. It acts only through its deps: the store (bans and
 * their history), the registry's close operation, and the event bus. It never sits on the message path; the guard
 * asks it two cheap questions there: `checkBanned` at the handshake and `throttleFor` in the rate checks.
 *
 * With a shared store (several nodes), patterns trip on evidence counted across nodes and the ladder's position is
 * shared too (shared-windows.ts); the suspicious-activity score, throttles and disconnects stay per node.
 */

import type { Awaitable } from '../codes/types.js';
import type { Ban, Store } from '../stores/types.js';
import {
  BanBook,
  cidrSubject,
  historyKey,
  ipSubject,
  selectorOf,
  subjectFields,
  subjectOfKey,
  userSubject,
  type CloseConnections,
  type Subject,
} from './bans.js';
import type { AbuseEventInput, ObservedEvent } from './events.js';
import { stepFor, type AbuseAction, type Ladder } from './ladder.js';
import type { AbuseOptions } from './options.js';
import { PATTERN_INDEX, PATTERN_NAMES, SUSPICIOUS_ACTIVITY, classify, type DetectionName, type PatternName } from './patterns.js';
import { ShortSessions } from './sessions.js';
import { SharedWindows } from './shared-windows.js';
import { Throttles } from './throttles.js';
import { KeyTracker, windowTotal, type KeyState } from './windows.js';

export interface AbuseDetectorDeps {
  readonly store: Store;
  /** Clock in epoch ms. */
  readonly now: () => number;
  /** Into the guard's event bus. */
  emit(event: AbuseEventInput): void;
  /** The registry's close operation: close every live connection of an IP group or a user; returns how many. */
  readonly closeConnections: CloseConnections;
  /**
   * The key an address is counted under (the guard's IPv6 /64 grouping). Events carry the client address; without
   * this each address is its own group.
   */
  readonly ipGroupOf?: (ip: string) => string;
}

/** What a ban can be placed on. `ip` is grouped like the guard groups addresses. */
/** `cidr`: an address block (`203.0.113.0/24`, `2001:db8::/48`), for admins; the detector bans IP groups and users. */
export type BanTarget =
  | { readonly ipGroup: string }
  | { readonly ip: string }
  | { readonly userId: string }
  | { readonly cidr: string };

export type BanOptions = {
  readonly reason: string;
  /** Who is banning (an admin's name); shown in the ban and its events. */
  readonly by: string;
} & (
  | { readonly durationMs: number; readonly permanent?: undefined }
  | { readonly permanent: true; readonly durationMs?: undefined }
  /** Neither: the length comes from the escalation schedule, and the ban counts in the key's history. */
  | { readonly durationMs?: undefined; readonly permanent?: undefined }
);

export type BanOutcome = { readonly banned: true; readonly ban: Ban } | { readonly banned: false; readonly why: 'allow_listed' };

export interface UnbanOptions {
  /** Who lifts it. Default `admin`. */
  readonly by?: string;
  /** Also forget the key's ban history, so that its next ban starts again at the base length. Default false. */
  readonly resetHistory?: boolean;
}

/** The client a handshake is about: the IP fields once the address is resolved, the user once authenticated. */
export interface BanCheckSubject {
  /** The client address; an allow-listed address is never refused, even when its IP group is banned. */
  readonly ip?: string;
  readonly ipGroup?: string;
  readonly userId?: string;
}

export interface BanCheck {
  readonly code: 'banned';
  readonly permanent: boolean;
  /** Until the ban ends; absent for a permanent ban. */
  readonly retryAfterMs?: number;
  /** The ban that matched (`ip:<group>` or `user:<id>`). */
  readonly key: string;
}

export interface ScoreEntry {
  readonly key: string;
  readonly ipGroup?: string;
  readonly userId?: string;
  /** The suspicious-activity score now (decayed), two decimals. */
  readonly score: number;
  readonly threshold: number;
  /** Evidence in each pattern's current window (patterns with none left out). */
  readonly evidence: Readonly<Partial<Record<PatternName, number>>>;
  /** Epoch ms when its throttle ends, when throttled. */
  readonly throttledUntil?: number;
}

export interface AbuseStats {
  readonly trackedKeys: number;
  readonly scoredKeys: number;
  readonly bans: number;
  readonly throttles: number;
  /** Connections the guard closed whose end is not reported yet (kept so that it does not count as a short session). */
  readonly closedByGuard: number;
  readonly monitor: boolean;
}

export interface AbuseDetector {
  readonly options: AbuseOptions;
  /** Settles once bans already in the store are loaded (at once with the memory store). Never rejects. */
  readonly ready: Promise<void>;
  /** Feed one security event. Cheap, never throws; unknown types and reasons are ignored. */
  observe(event: ObservedEvent): void;
  /**
   * Is this client banned? From the local cache; a shared store is asked on a miss (then the answer is a promise).
   * Call it with `{ ip, ipGroup }` once the address is resolved and with `{ userId }` once authenticated.
   */
  checkBanned(subject: BanCheckSubject): Awaitable<BanCheck | null>;
  /** The same from the cache alone, always synchronous: for a pre-handshake screen. */
  cachedBan(subject: BanCheckSubject): BanCheck | null;
  /** Bans in the local cache (expired ones not yet swept included): 0 lets a screen skip resolving the address. */
  readonly cachedBanCount: number;
  /** A factor (< 1) to multiply this client's rate limits by while it is throttled, or null. */
  throttleFor(subject: { readonly ipGroup?: string; readonly userId?: string }): number | null;
  /** Ban by hand (admins act even in monitor mode). Rejects only on a store fault. */
  ban(target: BanTarget, options: BanOptions): Promise<BanOutcome>;
  /** Lift a ban; true when there was one. The key's windows and ladder position are forgotten too. */
  unban(target: BanTarget, options?: UnbanOptions): Promise<boolean>;
  /** Active bans this process knows (all of them with the memory store), soonest to end first. */
  listBans(): readonly Ban[];
  /** The highest suspicious-activity scores now, highest first (default 20). */
  scores(limit?: number): readonly ScoreEntry[];
  stats(): AbuseStats;
  /** Report expired bans and drop idle state now (the timer does this every `sweepIntervalMs`). */
  sweep(): void;
  /** Wait for responses in flight (bans are written to the store). */
  flush(): Promise<void>;
  /** Stop the timer and the subscription, wait for responses in flight, drop all state. The store stays open. */
  close(): Promise<void>;
}

/** Keys whose score reaches this share of the threshold are listed by `scores()`. */
const HOT_SHARE = 0.05;
const MAX_HOT_KEYS = 1_000;
/** Node turns longer intervals into 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}


export function createAbuseDetector(deps: AbuseDetectorDeps, options: AbuseOptions): AbuseDetector {
  const { store, now } = deps;
  const ipGroupOf = deps.ipGroupOf ?? ((ip: string) => ip);
  const { monitor, patterns, suspicious, allowList } = options;
  const SUSPICIOUS_INDEX = patterns.length;
  const rapidReconnection = patterns[PATTERN_INDEX.rapidReconnection];

  const emit = (event: AbuseEventInput): void => {
    try {
      deps.emit(event);
    } catch {
      // The bus never throws; a test double might. Detection must go on.
    }
  };
  const fault = (stage: string, error: unknown): void => {
    emit({ type: 'internal_error', detail: { stage: `abuse_${stage}`, error: errorMessage(error) } });
  };

  // Everything a key can hold: a window (plus its last slot), the score, the ladder position.
  const longestWindowMs = Math.max(0, ...patterns.map((p) => p.windowMs + p.slotMs));
  const tracker = new KeyTracker({
    maxKeys: options.maxTrackedKeys,
    patterns: patterns.length,
    retentionMs: Math.max(longestWindowMs, options.offenceMemoryMs, suspicious.enabled ? 4 * suspicious.halfLifeMs : 0),
    hotScore: suspicious.threshold * HOT_SHARE,
    maxHotKeys: MAX_HOT_KEYS,
  });
  const sessions = new ShortSessions(options.maxTrackedKeys, options.shortSessionMs);
  const throttles = new Throttles(options.maxTrackedKeys);
  const bans = new BanBook({
    store,
    now,
    emit,
    closeConnections: deps.closeConnections,
    options: options.bans,
    maxKeys: options.maxTrackedKeys,
    fault,
  });
  const pending = new Set<Promise<unknown>>();
  let closed = false;
  // Several nodes on one store: patterns trip on the evidence every node counted (shared-windows.ts).
  const shared = store.shared ? new SharedWindows({ store, patterns, offenceMemoryMs: options.offenceMemoryMs, track, fault }) : null;

  const timer =
    options.sweepIntervalMs > 0 ? setInterval(sweep, Math.min(options.sweepIntervalMs, MAX_TIMER_MS)) : undefined;
  timer?.unref();

  function track(promise: Promise<unknown>): void {
    const settled: Promise<unknown> = promise.then(
      () => pending.delete(settled),
      () => pending.delete(settled),
    );
    pending.add(settled);
  }

  /** Who an event's evidence counts against, or null (no address, or allow-listed). */
  function subjectOf(event: ObservedEvent, level: 'connection' | 'message'): Subject | null {
    if (level === 'message' && event.userId !== undefined && event.userId !== '') {
      return allowList.allowsUser(event.userId) ? null : userSubject(event.userId);
    }
    const ip = event.ip;
    if (ip === undefined || ip === '') return null;
    if (allowList.allowsIp(ip)) return null;
    const group = ipGroupOf(ip);
    return allowList.allowsIp(group) ? null : ipSubject(group);
  }

  function observe(event: ObservedEvent): void {
    if (closed) return;
    try {
      observeEvent(event);
    } catch (error) {
      fault('observe', error);
    }
  }

  function observeEvent(event: ObservedEvent): void {
    const t = now();
    const id = event.connectionId;
    if (rapidReconnection?.enabled && id !== undefined) {
      if (event.type === 'connection_closed_by_guard') {
        sessions.closedByGuard(id);
        return;
      } else if (event.type === 'connection_closed') {
        if (sessions.closed(id, event)) record(event, PATTERN_INDEX.rapidReconnection, 'connection', 1, t);
        return;
      }
    }
    const evidence = classify(event);
    if (evidence !== null) record(event, evidence.pattern, evidence.level, evidence.count, t);
  }

  function record(event: ObservedEvent, index: number, level: 'connection' | 'message', count: number, t: number): void {
    const pattern = patterns[index];
    if (pattern === undefined || !pattern.enabled) return;
    const subject = subjectOf(event, level);
    // A banned key's connections are refused before any check: nothing it does now can make things worse.
    if (subject === null || bans.cached(subject.key) !== null) return;
    const state = tracker.touch(subject.key, t);
    const total = tracker.count(state, index, count, t, pattern.slotMs);
    if (shared !== null) {
      shared.count(subject, pattern, count, (evidence, offence) => trippedShared(subject, index, evidence, offence));
    } else if (total >= pattern.threshold) {
      tracker.resetWindow(state, index);
      offend(subject, state, index, pattern.name, pattern.ladder, { count: total, threshold: pattern.threshold, windowMs: pattern.windowMs }, t);
    }
    if (suspicious.enabled && pattern.weight > 0) {
      const score = tracker.addScore(subject.key, state, pattern.weight * count, t, suspicious.halfLifeMs);
      if (score >= suspicious.threshold) {
        tracker.resetScore(subject.key, state, t);
        offend(subject, state, SUSPICIOUS_INDEX, SUSPICIOUS_ACTIVITY, suspicious.ladder, {
          score: Math.round(score * 100) / 100,
          threshold: suspicious.threshold,
          halfLifeMs: suspicious.halfLifeMs,
          evidence: evidenceOf(state, t),
        }, t);
      }
    }
  }

  /** A pattern's cluster-wide count reached its threshold on this node's addition: the offence is this node's to take. */
  function trippedShared(subject: Subject, index: number, evidence: number, offence: number): void {
    const pattern = patterns[index];
    // Banned meanwhile (on this node or, by pub/sub, another): nothing more to do.
    if (closed || pattern === undefined || bans.cached(subject.key) !== null) return;
    const t = now();
    const state = tracker.touch(subject.key, t);
    tracker.resetWindow(state, index);
    const facts = { count: evidence, threshold: pattern.threshold, windowMs: pattern.windowMs, shared: true };
    offend(subject, state, index, pattern.name, pattern.ladder, facts, t, offence);
  }

  function evidenceOf(state: KeyState, t: number): Partial<Record<PatternName, number>> {
    const evidence: Partial<Record<PatternName, number>> = {};
    const windows = state.windows;
    if (windows === undefined) return evidence;
    for (let i = 0; i < PATTERN_NAMES.length; i++) {
      const window = windows[i];
      const pattern = patterns[i];
      const name = PATTERN_NAMES[i];
      if (window === undefined || pattern === undefined || name === undefined) continue;
      const total = windowTotal(window, Math.floor(t / pattern.slotMs));
      if (total > 0) evidence[name] = total;
    }
    return evidence;
  }

  /** One offence: take the ladder's next step (or, in monitor mode, say what it would have been). */
  function offend(
    subject: Subject,
    state: KeyState,
    index: number,
    name: DetectionName,
    ladder: Ladder,
    facts: Readonly<Record<string, unknown>>,
    t: number,
    /** The offence number counted across nodes (shared windows); absent: this node's count. */
    sharedOffence?: number,
  ): void {
    const offence = sharedOffence ?? tracker.offence(state, index, t, options.offenceMemoryMs);
    const actions = stepFor(ladder, offence);
    const detail: Record<string, unknown> = { pattern: name, key: subject.key, ...facts, offence, actions, monitor };
    // Throttles and disconnects first, so the event can say what they did; the alert after the event it is about.
    // A ban is written to the store and reported by its own `ban_added` event.
    if (!monitor) for (const action of actions) if (action !== 'alert') run(action, subject, name, offence, detail, t);
    // Severity says what happened: in monitor mode nothing did.
    const harsh = !monitor && actions.some((a) => a === 'disconnect' || a === 'temp_ban' || a === 'permanent_ban');
    emit({ type: 'abuse_detected', severity: harsh ? 'high' : 'warning', ...subjectFields(subject), detail });
    if (!monitor && actions.includes('alert')) run('alert', subject, name, offence, detail, t);
  }

  function run(action: AbuseAction, subject: Subject, name: DetectionName, offence: number, detail: Record<string, unknown>, t: number): void {
    switch (action) {
      case 'log':
        return;
      case 'throttle': {
        const until = t + options.throttle.durationMs;
        // The detector's subjects are IP groups and users; blocks are banned by admins only.
        if (subject.kind !== 'cidr') throttles.add(subject.kind, subject.id, until);
        detail['throttledUntil'] = until;
        return;
      }
      case 'disconnect': {
        try {
          detail['disconnected'] = deps.closeConnections(selectorOf(subject), 'abuse_disconnected');
        } catch (error) {
          fault('close', error);
        }
        return;
      }
      case 'temp_ban':
      case 'permanent_ban': {
        if (bans.pending(subject.key)) return;
        track(
          bans
            .add(subject, {
              reason: name,
              by: 'detector',
              automatic: true,
              escalate: true,
              pattern: name,
              permanent: action === 'permanent_ban' || undefined,
            })
            .catch((error: unknown) => fault('ban', error)),
        );
        return;
      }
      case 'alert':
        emit({
          type: 'admin_alert',
          ...subjectFields(subject),
          detail: { pattern: name, key: subject.key, offence, message: `${name} by ${subject.key} (offence ${offence})` },
        });
        return;
    }
  }

  function targetSubject(target: BanTarget): Subject {
    if ('userId' in target) return userSubject(target.userId);
    if ('ipGroup' in target) return ipSubject(target.ipGroup);
    if ('cidr' in target) {
      const subject = cidrSubject(target.cidr);
      if (subject === null) throw new RangeError(`not an IP address or CIDR: ${JSON.stringify(target.cidr)}`);
      return subject;
    }
    return ipSubject(ipGroupOf(target.ip));
  }

  function targetAllowListed(target: BanTarget, subject: Subject): boolean {
    if (subject.kind === 'user') return allowList.allowsUser(subject.id);
    // A block is banned even when it holds allow-listed addresses: those stay let in at the handshake check.
    if (subject.kind === 'cidr') return false;
    return allowList.allowsIp(subject.id) || ('ip' in target && allowList.allowsIp(target.ip));
  }

  function toCheck(ban: Ban, t: number): BanCheck {
    if (ban.expiresAt === null) return { code: 'banned', permanent: true, key: ban.key };
    return { code: 'banned', permanent: false, retryAfterMs: Math.max(1, ban.expiresAt - t), key: ban.key };
  }

  /** The keys to look up for a handshake, allow-listed ones left out. */
  function checkKeys(subject: BanCheckSubject): string[] {
    const keys: string[] = [];
    if (subject.ipGroup !== undefined && !(subject.ip !== undefined && allowList.allowsIp(subject.ip)) && !allowList.allowsIp(subject.ipGroup)) {
      keys.push(`ip:${subject.ipGroup}`);
    }
    if (subject.userId !== undefined && !allowList.allowsUser(subject.userId)) keys.push(`user:${subject.userId}`);
    return keys;
  }

  function cachedBan(subject: BanCheckSubject): BanCheck | null {
    if (closed || bans.size === 0) return null;
    for (const key of checkKeys(subject)) {
      const ban = bans.cached(key);
      if (ban !== null) return toCheck(ban, now());
    }
    return blockBan(subject);
  }

  /** A banned address block holding the subject's address (bans of blocks live in the cache, loaded and mirrored). */
  function blockBan(subject: BanCheckSubject): BanCheck | null {
    if (bans.blockCount === 0 || subject.ip === undefined || allowList.allowsIp(subject.ip)) return null;
    const ban = bans.matchBlock(subject.ip);
    return ban === null ? null : toCheck(ban, now());
  }

  function checkBanned(subject: BanCheckSubject): Awaitable<BanCheck | null> {
    // The common case, without building a key: no bans, and the cache is known to hold every one there is.
    if (closed || (bans.size === 0 && bans.complete)) return null;
    const found: Promise<Ban | null>[] = [];
    for (const key of checkKeys(subject)) {
      const ban = bans.lookup(key);
      if (ban instanceof Promise) found.push(ban);
      else if (ban !== null) return toCheck(ban, now());
    }
    if (found.length === 0) return blockBan(subject);
    return Promise.all(found).then((results) => {
      const ban = results.find((b) => b !== null);
      return ban ? toCheck(ban, now()) : blockBan(subject);
    });
  }

  function throttleFor(subject: { readonly ipGroup?: string; readonly userId?: string }): number | null {
    if (throttles.size === 0) return null;
    return throttles.throttled(subject.ipGroup, subject.userId, now()) ? options.throttle.factor : null;
  }

  async function ban(target: BanTarget, banOptions: BanOptions): Promise<BanOutcome> {
    if (closed) throw new Error('abuse detector closed');
    const subject = targetSubject(target);
    if (targetAllowListed(target, subject)) return { banned: false, why: 'allow_listed' };
    const { durationMs, permanent, reason, by } = banOptions;
    if (durationMs !== undefined && !(Number.isFinite(durationMs) && durationMs > 0)) {
      throw new RangeError(`ban durationMs must be a positive number of ms, got ${durationMs}`);
    }
    const added = await bans.add(subject, {
      reason,
      by,
      durationMs,
      permanent: permanent === true || undefined,
      automatic: false,
      escalate: durationMs === undefined && permanent !== true,
    });
    return { banned: true, ban: added };
  }

  async function unban(target: BanTarget, unbanOptions: UnbanOptions = {}): Promise<boolean> {
    if (closed) throw new Error('abuse detector closed');
    const subject = targetSubject(target);
    const lifted = await bans.lift(subject, unbanOptions.by ?? 'admin');
    tracker.forget(subject.key);
    if (shared !== null && subject.kind !== 'cidr') await shared.reset(subject);
    if (subject.kind !== 'cidr') throttles.remove(subject.kind, subject.id);
    if (unbanOptions.resetHistory) {
      const key = historyKey(subject);
      // The contract has no delete for counters: bring it back to zero (it then expires on its own TTL).
      const value = await store.getCounter(key);
      if (value !== 0) await store.increment(key, options.bans.historyMs, -value);
    }
    return lifted;
  }

  function scores(limit = 20): readonly ScoreEntry[] {
    if (!suspicious.enabled || closed || !(limit > 0)) return [];
    const t = now();
    // Evidence only for the keys shown: the short list may hold a thousand.
    return tracker.top(Math.floor(limit), t, suspicious.halfLifeMs).map(([key, state, score]): ScoreEntry => {
      const subject = subjectOfKey(key);
      const throttledUntil = subject === null || subject.kind === 'cidr' ? undefined : throttles.until(subject.kind, subject.id, t);
      return {
        key,
        ...(subject?.kind === 'ip' ? { ipGroup: subject.id } : {}),
        ...(subject?.kind === 'user' ? { userId: subject.id } : {}),
        score: Math.round(score * 100) / 100,
        threshold: suspicious.threshold,
        evidence: evidenceOf(state, t),
        ...(throttledUntil !== undefined ? { throttledUntil } : {}),
      };
    });
  }

  function sweep(): void {
    if (closed) return;
    try {
      const t = now();
      bans.sweep(t);
      tracker.prune(t);
      throttles.prune(t);
    } catch (error) {
      fault('sweep', error);
    }
  }

  async function flush(): Promise<void> {
    while (pending.size > 0) await Promise.all([...pending]);
  }

  return {
    options,
    ready: bans.ready,
    get cachedBanCount() {
      return closed ? 0 : bans.size;
    },
    observe,
    checkBanned,
    cachedBan,
    throttleFor,
    ban,
    unban,
    listBans: () => (closed ? [] : bans.list()),
    scores,
    stats: () => ({
      trackedKeys: tracker.size,
      scoredKeys: tracker.hotSize,
      bans: bans.size,
      throttles: throttles.size,
      closedByGuard: sessions.size,
      monitor,
    }),
    sweep,
    flush,
    async close() {
      if (closed) return;
      // Closed first: nothing new starts while the responses in flight finish.
      closed = true;
      clearInterval(timer);
      await flush();
      await bans.close();
      tracker.clear();
      sessions.clear();
      throttles.clear();
    },
  };
}
