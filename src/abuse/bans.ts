/**
 * Bans: kept in the store (so a persistent store keeps them across restarts and a shared one makes them cluster-wide),
 * mirrored in a local cache so that the handshake check costs a map lookup and no promise with the memory store.
 *
 * Escalation history lives in the store as a counter per key (`abuse:offences:<key>`, TTL `historyMs` from the first
 * ban), not in the ban's `meta`: a ban's meta disappears with the ban (an expired ban is never returned), and the
 * history must outlive it to make the next ban longer. The offence number is copied into `meta` for display.
 *
 * Expiry is noticed by one sweep (the detector's timer), which reports `ban_expired`; checks compare `expiresAt` with
 * the clock themselves, so a ban ends on time even between sweeps. With a shared store, bans and lifts made by another
 * process arrive by the store's pub/sub, and a miss in the cache asks the store.
 */

import { randomUUID } from 'node:crypto';
import type { Awaitable } from '../codes/types.js';
import { parseJsonObject, publishJson } from '../stores/messages.js';
import type { Ban, Store, Unsubscribe } from '../stores/types.js';
import { parseCidr, type Cidr } from '../core/ip.js';
import { LruMap } from '../util/lru-map.js';
import type { AbuseEventInput } from './events.js';
import type { ResolvedBans } from './options.js';

/**
 * Who a ban is about. `key` is how the store spells it: `ip:<ipGroup>`, `user:<userId>`, or `cidr:<block>` for an
 * address block banned by an admin (`cidr:203.0.113.0/24`, canonical network address).
 */
export type Subject =
  | { readonly kind: 'ip'; readonly id: string; readonly key: string }
  | { readonly kind: 'user'; readonly id: string; readonly key: string }
  | { readonly kind: 'cidr'; readonly id: string; readonly key: string; readonly block: Cidr };

export function ipSubject(ipGroup: string): Subject {
  return { kind: 'ip', id: ipGroup, key: `ip:${ipGroup}` };
}

export function userSubject(userId: string): Subject {
  return { kind: 'user', id: userId, key: `user:${userId}` };
}

/** The subject of an address block, or null when `text` is not an address or a CIDR. */
export function cidrSubject(text: string): Subject | null {
  const block = parseCidr(text);
  return block === null ? null : { kind: 'cidr', id: block.text, key: `cidr:${block.text}`, block };
}

/** The subject a ban key names, or null for a key wsguard did not write. */
export function subjectOfKey(key: string): Subject | null {
  if (key.startsWith('ip:') && key.length > 3) return ipSubject(key.slice(3));
  if (key.startsWith('user:') && key.length > 5) return userSubject(key.slice(5));
  if (key.startsWith('cidr:')) return cidrSubject(key.slice(5));
  return null;
}

/** What the registry's close operation takes to reach a subject's live connections. */
export type ConnectionSelector = { readonly ipGroup: string } | { readonly userId: string } | { readonly cidr: string };

export function selectorOf(subject: Subject): ConnectionSelector {
  if (subject.kind === 'ip') return { ipGroup: subject.id };
  if (subject.kind === 'user') return { userId: subject.id };
  return { cidr: subject.id };
}

/** The fields a subject fills in a security event (a block is named in `detail.key` only: it is no address). */
export function subjectFields(subject: Subject): { ip?: string; userId?: string } {
  if (subject.kind === 'ip') return { ip: subject.id };
  if (subject.kind === 'user') return { userId: subject.id };
  return {};
}

/** The reason codes the detector closes connections with (`banned`; `abuse_disconnected` for a plain disconnect). */
export type AbuseCloseCode = 'banned' | 'abuse_disconnected';

export type CloseConnections = (selector: ConnectionSelector, code: AbuseCloseCode) => number;

/** The pub/sub channel bans travel on between processes sharing a store. */
export const BAN_CHANNEL = 'wsguard:abuse:bans';

export function historyKey(subject: Subject): string {
  return `abuse:offences:${subject.key}`;
}

export interface BanRequest {
  readonly reason: string;
  /** Who decided: `detector` for automatic bans, an admin's name otherwise. */
  readonly by: string;
  /** A fixed length; with neither this nor `permanent`, the length comes from the escalation schedule. */
  readonly durationMs?: number;
  readonly permanent?: boolean;
  /** Count this ban in the key's history (automatic bans do; so does an admin ban without a length). */
  readonly escalate: boolean;
  /** Placed by the detector (then a second trip while it is being written does not ban again). */
  readonly automatic: boolean;
  /** The pattern that led to it, for automatic bans. */
  readonly pattern?: string;
}

export interface BanBookDeps {
  readonly store: Store;
  readonly now: () => number;
  readonly emit: (event: AbuseEventInput) => void;
  readonly closeConnections: CloseConnections;
  readonly options: ResolvedBans;
  readonly maxKeys: number;
  /** Reports a store or close fault that no caller is waiting for. */
  readonly fault: (stage: string, error: unknown) => void;
}

type BanMessage = { readonly from: string; readonly op: 'add'; readonly ban: Ban } | { readonly from: string; readonly op: 'remove'; readonly key: string };

function isExpired(ban: Ban, now: number): boolean {
  return ban.expiresAt !== null && ban.expiresAt <= now;
}

/** Length of the `offence`-th escalating ban: base × multiplier^(offence − 1), capped. */
export function escalatedMs(options: ResolvedBans, offence: number): number {
  return Math.min(options.baseMs * options.multiplier ** Math.max(0, offence - 1), options.maxMs);
}


export class BanBook {
  readonly #deps: BanBookDeps;
  readonly #cache: LruMap<string, Ban>;
  /**
   * The address blocks among the cached bans, to match an address against (admins ban few blocks; a handshake walks
   * them only when there is one). An entry whose ban left the cache is dropped when next walked.
   */
  readonly #blocks = new Map<string, Cidr>();
  /** Earliest `expiresAt` in the cache (it may be stale-early, never late): the sweep has nothing to do before it. */
  #nextExpiry = Infinity;
  /** False until the bans already in the store are in the cache; until then a miss asks the store. */
  #loaded = false;
  readonly #node = randomUUID();
  #unsubscribe: Unsubscribe | null = null;
  #closed = false;
  /** Keys an automatic ban is being written for, so that a second trip meanwhile does not ban (and escalate) twice. */
  readonly #pending = new Set<string>();
  readonly ready: Promise<void>;

  constructor(deps: BanBookDeps) {
    this.#deps = deps;
    this.#cache = new LruMap(deps.maxKeys);
    this.ready = this.#start();
  }

  get size(): number {
    return this.#cache.size;
  }

  /** True when the cache holds every active ban there is (loaded, and no other process can add any). */
  get complete(): boolean {
    return this.#loaded && !this.#deps.store.shared;
  }

  async #start(): Promise<void> {
    const { store } = this.#deps;
    try {
      // Answered synchronously by the memory store: then the cache is complete before the constructor returns.
      const listed = store.listBans();
      this.#load(listed instanceof Promise ? await listed : listed);
    } catch (error) {
      this.#deps.fault('load_bans', error);
    }
    if (store.shared && !this.#closed) {
      try {
        const unsubscribe = await store.subscribe(BAN_CHANNEL, (message) => this.#receive(message));
        if (this.#closed) await unsubscribe();
        else this.#unsubscribe = unsubscribe;
      } catch (error) {
        this.#deps.fault('subscribe_bans', error);
      }
    }
  }

  #load(bans: readonly Ban[]): void {
    if (this.#closed) return;
    // Bans added meanwhile (this process, or pub/sub) are newer than the listing: keep them.
    for (const ban of bans) if (!this.#cache.has(ban.key)) this.#remember(ban);
    this.#loaded = true;
  }

  #remember(ban: Ban): void {
    this.#cache.set(ban.key, ban);
    if (ban.key.startsWith('cidr:')) {
      const block = parseCidr(ban.key.slice(5));
      if (block !== null) this.#blocks.set(ban.key, block);
    }
    if (ban.expiresAt !== null && ban.expiresAt < this.#nextExpiry) this.#nextExpiry = ban.expiresAt;
  }

  /** Address blocks currently banned (0 lets a handshake skip the walk). */
  get blockCount(): number {
    return this.#blocks.size;
  }

  /** The active ban on a block containing `ip`, from the cache. */
  matchBlock(ip: string): Ban | null {
    for (const [key, block] of this.#blocks) {
      if (!this.#cache.has(key)) {
        this.#blocks.delete(key);
        continue;
      }
      if (block.contains(ip)) {
        const ban = this.cached(key);
        if (ban !== null) return ban;
      }
    }
    return null;
  }

  #forget(key: string): void {
    this.#cache.delete(key);
    this.#blocks.delete(key);
  }

  /** The active ban on `key` from the cache alone (no store call). */
  cached(key: string): Ban | null {
    const ban = this.#cache.peek(key);
    // An expired one is left for the sweep, which reports it.
    return ban === undefined || isExpired(ban, this.#deps.now()) ? null : ban;
  }

  /** The active ban on `key`: from the cache, else from the store when it may know more (shared, or not loaded yet). */
  lookup(key: string): Awaitable<Ban | null> {
    const hit = this.cached(key);
    if (hit !== null || this.#cache.has(key)) return hit;
    if (this.complete) return null;
    const found = this.#deps.store.getBan(key);
    const keep = (ban: Ban | null): Ban | null => {
      if (ban !== null && !this.#closed) this.#remember(ban);
      return ban;
    };
    return found instanceof Promise ? found.then(keep) : keep(found);
  }

  /** True while an automatic ban of `key` is being written. */
  pending(key: string): boolean {
    return this.#pending.has(key);
  }

  /** Ban `subject`, close its live connections, report it. Rejects only on a store fault. */
  async add(subject: Subject, request: BanRequest): Promise<Ban> {
    const { store, options } = this.#deps;
    const automatic = request.automatic;
    if (automatic) this.#pending.add(subject.key);
    try {
      let offence: number | undefined;
      if (request.escalate) {
        const counted = await store.increment(historyKey(subject), options.historyMs);
        offence = counted.value;
      }
      const now = this.#deps.now();
      const escalatedToPermanent =
        request.permanent !== true &&
        request.durationMs === undefined &&
        offence !== undefined &&
        options.permanentAfter > 0 &&
        offence > options.permanentAfter;
      const permanent = request.permanent === true || escalatedToPermanent;
      const durationMs = permanent ? null : (request.durationMs ?? escalatedMs(options, offence ?? 1));
      const meta: Record<string, unknown> = { by: request.by };
      if (offence !== undefined) meta['offence'] = offence;
      if (request.pattern !== undefined) meta['pattern'] = request.pattern;
      const ban: Ban = Object.freeze({
        key: subject.key,
        reason: request.reason,
        createdAt: now,
        expiresAt: durationMs === null ? null : now + durationMs,
        meta: Object.freeze(meta),
      });
      await store.addBan(ban);
      if (this.#closed) return ban;
      this.#remember(ban);
      this.#publish({ from: this.#node, op: 'add', ban });
      const detail: Record<string, unknown> = { key: ban.key, reason: ban.reason, by: request.by, permanent, expiresAt: ban.expiresAt, durationMs };
      if (offence !== undefined) detail['offence'] = offence;
      if (request.pattern !== undefined) detail['pattern'] = request.pattern;
      detail['disconnected'] = this.#close(subject);
      this.#deps.emit({ type: 'ban_added', ...subjectFields(subject), detail });
      if (escalatedToPermanent) {
        this.#deps.emit({
          type: 'admin_alert',
          ...subjectFields(subject),
          detail: { key: ban.key, pattern: request.pattern ?? null, offence, message: `${ban.key} banned permanently after ${offence} bans` },
        });
      }
      return ban;
    } finally {
      if (automatic) this.#pending.delete(subject.key);
    }
  }

  /** Lift the ban on `subject`; true when there was one. Rejects only on a store fault. */
  async lift(subject: Subject, by: string): Promise<boolean> {
    const cached = this.cached(subject.key);
    const removed = await this.#deps.store.removeBan(subject.key);
    this.#forget(subject.key);
    if (!removed && cached === null) return false;
    this.#publish({ from: this.#node, op: 'remove', key: subject.key });
    this.#deps.emit({ type: 'ban_lifted', ...subjectFields(subject), detail: { key: subject.key, by, reason: cached?.reason ?? null } });
    return true;
  }

  /** Every active ban this process knows, soonest to end first, permanent ones last. */
  list(): Ban[] {
    const now = this.#deps.now();
    const active: Ban[] = [];
    for (const ban of this.#cache.values()) if (!isExpired(ban, now)) active.push(ban);
    return active.sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.createdAt - b.createdAt);
  }

  /** Report and drop bans that have ended. Does nothing (no walk) before the earliest expiry. */
  sweep(now: number): void {
    if (now < this.#nextExpiry) return;
    let next = Infinity;
    for (const [key, ban] of this.#cache.entries()) {
      if (ban.expiresAt === null) continue;
      if (ban.expiresAt <= now) {
        this.#forget(key);
        const subject = subjectOfKey(key);
        this.#deps.emit({
          type: 'ban_expired',
          ...(subject ? subjectFields(subject) : {}),
          detail: { key, reason: ban.reason, createdAt: ban.createdAt, expiresAt: ban.expiresAt },
        });
      } else if (ban.expiresAt < next) {
        next = ban.expiresAt;
      }
    }
    this.#nextExpiry = next;
  }

  #close(subject: Subject): number {
    try {
      return this.#deps.closeConnections(selectorOf(subject), 'banned');
    } catch (error) {
      this.#deps.fault('close', error);
      return 0;
    }
  }

  #publish(message: BanMessage): void {
    const { store } = this.#deps;
    if (!store.shared) return;
    publishJson(store, BAN_CHANNEL, message, (error) => this.#deps.fault('publish_ban', error));
  }

  /** A ban or a lift from another process: mirror it, and close this process's connections of a new ban. */
  #receive(text: string): void {
    if (this.#closed) return;
    const message = parseJsonObject(text);
    if (message === null) return;
    const { from, op } = message;
    if (from === this.#node) return;
    if (op === 'add') {
      const ban = (message as { ban?: unknown }).ban as Partial<Ban> | undefined;
      if (
        typeof ban?.key !== 'string' ||
        typeof ban.reason !== 'string' ||
        typeof ban.createdAt !== 'number' ||
        !(ban.expiresAt === null || typeof ban.expiresAt === 'number')
      ) {
        return;
      }
      const subject = subjectOfKey(ban.key);
      if (subject === null) return;
      const copy: Ban = Object.freeze({ ...(ban as Ban) });
      if (isExpired(copy, this.#deps.now())) return;
      this.#remember(copy);
      this.#close(subject);
    } else if (op === 'remove') {
      const key = (message as { key?: unknown }).key;
      if (typeof key === 'string') this.#forget(key);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = null;
    this.#cache.clear();
    this.#blocks.clear();
    if (unsubscribe) await unsubscribe();
  }
}
