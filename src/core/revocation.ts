/**
 * Revoked sessions and users: `guard.revokeSession(id)` and `guard.revokeUser(id)` close their live connections at
 * once through the connection registry and refuse their new ones with `session_revoked`, until the revocation expires
 * (`ttlMs`, default `revocationTtlMs`) or is lifted.
 *
 * Where they live: in the store, one set per revoked subject (`revoked:session:<id>`, `revoked:user:<id>`) holding
 * one member, with the revocation's TTL. So a revocation ends on time by itself, lasts across restarts with a
 * persistent store, holds on every node sharing the store, and is bounded like every store key (the memory store's
 * LRU cap). The admission check reads those keys: answered synchronously by the memory store, one round trip each on
 * a network store, and only for connections that carry an identity.
 *
 * How other nodes hear of one: revocations and lifts are published on a store channel, always (a memory store shared
 * by two guards in one process delivers too). A guard closes its own matching connections on receipt, and keeps the
 * revocation in a small local map (capped, entries end with the revocation) that `connectionOpened` consults: a
 * connection that passed its admission check just before the revocation arrived is closed as it opens.
 */

import { randomUUID } from 'node:crypto';
import { deny, type Awaitable, type Denied, type Identity } from '../codes/types.js';
import type { SecurityEventInput } from '../events/catalogue.js';
import { parseJsonObject, publishJson } from '../stores/messages.js';
import type { Store, Unsubscribe } from '../stores/types.js';
import { LruMap } from '../util/lru-map.js';

export type RevocationKind = 'session' | 'user';

/** The pub/sub channel revocations travel on between guards sharing a store. */
export const REVOCATION_CHANNEL = 'wsguard:revocations';

/** The one member of a revocation's set: the set's presence (and TTL) is the revocation. */
const MEMBER = 'revoked';

export function revocationKey(kind: RevocationKind, id: string): string {
  return `revoked:${kind}:${id}`;
}

export interface RevokeOptions {
  /** How long the revocation lasts, in ms. Default: `revocationTtlMs` (24 hours). */
  readonly ttlMs?: number;
  /** Who revoked, for the event (`detail.by`). Default `api`. */
  readonly by?: string;
}

export interface RevocationResult {
  /** Live connections this process closed (other nodes close theirs on receipt). */
  readonly disconnected: number;
  /** Epoch ms when the revocation ends. */
  readonly until: number;
}

export type RevocationSelector = { readonly sessionId: string } | { readonly userId: string };

export interface RevocationDeps {
  readonly store: Store;
  readonly now: () => number;
  readonly defaultTtlMs: number;
  readonly maxKeys: number;
  readonly emit: (event: SecurityEventInput) => void;
  /** Close live connections through the registry; returns how many. */
  readonly closeConnections: (selector: RevocationSelector, code: 'session_revoked') => number;
  /** Reports a store fault that no caller is waiting for. */
  readonly fault: (stage: string, error: unknown) => void;
}

type RevocationMessage =
  | { readonly from: string; readonly op: 'revoke'; readonly kind: RevocationKind; readonly id: string; readonly until: number }
  | { readonly from: string; readonly op: 'lift'; readonly kind: RevocationKind; readonly id: string };

/** Longest TTL accepted from a caller: 30 days (a typo of a few zeros would otherwise revoke for years). */
export const MAX_REVOCATION_TTL_MS = 30 * 24 * 3_600_000;

function selectorOf(kind: RevocationKind, id: string): RevocationSelector {
  return kind === 'session' ? { sessionId: id } : { userId: id };
}

function subjectFields(kind: RevocationKind, id: string): Pick<SecurityEventInput, 'sessionId' | 'userId'> {
  return kind === 'session' ? { sessionId: id } : { userId: id };
}

export class Revocations {
  readonly #deps: RevocationDeps;
  /** Revocations this process made or heard of, until when: the `connectionOpened` re-check reads only this. */
  readonly #recent: LruMap<string, number>;
  readonly #node = randomUUID();
  #unsubscribe: Unsubscribe | null = null;
  #closed = false;
  readonly ready: Promise<void>;

  constructor(deps: RevocationDeps) {
    this.#deps = deps;
    this.#recent = new LruMap(deps.maxKeys);
    this.ready = this.#subscribe();
  }

  async #subscribe(): Promise<void> {
    try {
      const unsubscribe = await this.#deps.store.subscribe(REVOCATION_CHANNEL, (message) => this.#receive(message));
      if (this.#closed) await unsubscribe();
      else this.#unsubscribe = unsubscribe;
    } catch (error) {
      this.#deps.fault('subscribe_revocations', error);
    }
  }

  /** Revoke, close the subject's live connections here, tell the other nodes. Rejects only on a store fault. */
  async revoke(kind: RevocationKind, id: string, options: RevokeOptions = {}): Promise<RevocationResult> {
    checkId(kind, id);
    const ttlMs = options.ttlMs ?? this.#deps.defaultTtlMs;
    if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_REVOCATION_TTL_MS) {
      throw new RangeError(`wsguard: revocation ttlMs must be an integer from 1 to ${MAX_REVOCATION_TTL_MS}, got ${String(ttlMs)}`);
    }
    await this.#deps.store.setAdd(revocationKey(kind, id), MEMBER, ttlMs);
    const until = this.#deps.now() + ttlMs;
    this.#remember(kind, id, until);
    const disconnected = this.#close(kind, id);
    this.#publish({ from: this.#node, op: 'revoke', kind, id, until });
    this.#deps.emit({
      type: 'session_revoked',
      ...subjectFields(kind, id),
      detail: { kind, until, ttlMs, by: options.by ?? 'api', disconnected },
    });
    return { disconnected, until };
  }

  /** Lift a revocation before it ends; true when there was one. Rejects only on a store fault. */
  async lift(kind: RevocationKind, id: string, by = 'api'): Promise<boolean> {
    checkId(kind, id);
    const key = revocationKey(kind, id);
    const members = await this.#deps.store.setMembers(key);
    await this.#deps.store.setRemove(key, MEMBER);
    const known = this.#recent.peek(key);
    this.#recent.delete(key);
    this.#publish({ from: this.#node, op: 'lift', kind, id });
    const active = members.includes(MEMBER) || (known !== undefined && known > this.#deps.now());
    if (active) this.#deps.emit({ type: 'revocation_lifted', ...subjectFields(kind, id), detail: { kind, by } });
    return active;
  }

  /**
   * The refusal for an identity whose user or session is revoked, else null. Synchronous with the memory store;
   * rejects (or throws) only on a store fault, which the caller turns into `internal_error`.
   */
  check(identity: Identity): Awaitable<Denied | null> {
    const userKey = revocationKey('user', identity.userId);
    const sessionKey = identity.sessionId === undefined ? null : revocationKey('session', identity.sessionId);
    const user = this.#deps.store.setMembers(userKey);
    if (user instanceof Promise) {
      return user.then(async (members) => {
        if (members.length > 0) return REVOKED_USER;
        if (sessionKey === null) return null;
        return (await this.#deps.store.setMembers(sessionKey)).length > 0 ? REVOKED_SESSION : null;
      });
    }
    if (user.length > 0) return REVOKED_USER;
    if (sessionKey === null) return null;
    const session = this.#deps.store.setMembers(sessionKey);
    if (session instanceof Promise) return session.then((members) => (members.length > 0 ? REVOKED_SESSION : null));
    return session.length > 0 ? REVOKED_SESSION : null;
  }

  /** From the local map alone (no store call): is this user or session revoked? For connections as they open. */
  revokedLocally(userId: string | null, sessionId: string | null): boolean {
    if (this.#recent.size === 0) return false;
    const now = this.#deps.now();
    return (
      (userId !== null && this.#activeLocally(revocationKey('user', userId), now)) ||
      (sessionId !== null && this.#activeLocally(revocationKey('session', sessionId), now))
    );
  }

  #activeLocally(key: string, now: number): boolean {
    const until = this.#recent.peek(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#recent.delete(key);
    return false;
  }

  #remember(kind: RevocationKind, id: string, until: number): void {
    if (!this.#closed) this.#recent.set(revocationKey(kind, id), until);
  }

  #close(kind: RevocationKind, id: string): number {
    try {
      return this.#deps.closeConnections(selectorOf(kind, id), 'session_revoked');
    } catch (error) {
      this.#deps.fault('close', error);
      return 0;
    }
  }

  #publish(message: RevocationMessage): void {
    publishJson(this.#deps.store, REVOCATION_CHANNEL, message, (error) => this.#deps.fault('publish_revocation', error));
  }

  /** A revocation or a lift from another guard: mirror it, and close this process's matching connections. */
  #receive(text: string): void {
    if (this.#closed) return;
    const message = parseJsonObject(text);
    if (message === null) return;
    const { from, op, kind, id, until } = message;
    if (from === this.#node || typeof id !== 'string' || id === '' || (kind !== 'session' && kind !== 'user')) return;
    if (op === 'revoke') {
      if (typeof until !== 'number' || until <= this.#deps.now()) return;
      this.#remember(kind, id, until);
      this.#close(kind, id);
    } else if (op === 'lift') {
      this.#recent.delete(revocationKey(kind, id));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#recent.clear();
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = null;
    if (unsubscribe) await unsubscribe();
  }
}

const REVOKED_USER = deny('session_revoked', { details: { kind: 'user' } });
const REVOKED_SESSION = deny('session_revoked', { details: { kind: 'session' } });

function checkId(kind: RevocationKind, id: string): void {
  if (typeof id !== 'string' || id === '') throw new TypeError(`wsguard: revoke${kind === 'session' ? 'Session' : 'User'} needs a non-empty id`);
}
