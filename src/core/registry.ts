/**
 * The connection registry: every live connection the guard admitted, indexed by IP group, user and session, with the
 * close function its adapter registered. Abuse responses, admin actions and revocation close connections through it,
 * so they work the same for every transport.
 *
 * It holds only live connections (an adapter unregisters on every way a connection ends), so its size is bounded by
 * what the server holds open; no client-chosen key outlives its connection here.
 */

import type { ReasonCode } from '../codes/reason-codes.js';
import { parseCidr } from './ip.js';

/** How a live connection is closed: tell the client `code`, then end the transport. Must be idempotent. */
export type CloseConnection = (code: ReasonCode, message?: string) => void;

/** Tell a connected client that one of its messages was refused, when it gave no acknowledgement callback. */
export type NotifyClient = (event: string, data: unknown) => void;

export interface ConnectionRecord {
  readonly id: string;
  readonly ip: string;
  readonly ipGroup: string;
  readonly namespace: string;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly roles: readonly string[];
  readonly transport: string;
  readonly connectedAt: number;
  readonly close: CloseConnection;
  readonly notify: NotifyClient;
  /** The adapter's native socket, so wrapped handlers can find their connection from `this`. */
  readonly native: object;
}

export type ConnectionSelector =
  | { readonly id: string }
  | { readonly ip: string }
  | { readonly ipGroup: string }
  | { readonly userId: string }
  | { readonly sessionId: string }
  /** Every connection whose address is in the block (`203.0.113.0/24`); an invalid block matches none. */
  | { readonly cidr: string };

export class ConnectionRegistry {
  readonly #byId = new Map<string, ConnectionRecord>();
  readonly #byNative = new WeakMap<object, ConnectionRecord>();
  // Most users and sessions hold one connection: an index entry is that id itself until a second one arrives, which
  // saves a Set (some 150 bytes) per connection.
  readonly #byIpGroup = new Map<string, IdSet>();
  readonly #byUser = new Map<string, IdSet>();
  readonly #bySession = new Map<string, IdSet>();

  get size(): number {
    return this.#byId.size;
  }

  add(record: ConnectionRecord): void {
    if (this.#byId.has(record.id)) this.remove(record.id);
    this.#byId.set(record.id, record);
    this.#byNative.set(record.native, record);
    index(this.#byIpGroup, record.ipGroup, record.id);
    if (record.userId !== null) index(this.#byUser, record.userId, record.id);
    if (record.sessionId !== null) index(this.#bySession, record.sessionId, record.id);
  }

  /** Remove and return the record; undefined when it was not (or no longer) registered. */
  remove(id: string): ConnectionRecord | undefined {
    const record = this.#byId.get(id);
    if (!record) return undefined;
    this.#byId.delete(id);
    this.#byNative.delete(record.native);
    unindex(this.#byIpGroup, record.ipGroup, id);
    if (record.userId !== null) unindex(this.#byUser, record.userId, id);
    if (record.sessionId !== null) unindex(this.#bySession, record.sessionId, id);
    return record;
  }

  get(id: string): ConnectionRecord | undefined {
    return this.#byId.get(id);
  }

  byNative(native: object): ConnectionRecord | undefined {
    return this.#byNative.get(native);
  }

  /** Connections matching a selector (an IP is matched by its exact address). */
  select(selector: ConnectionSelector): ConnectionRecord[] {
    if ('id' in selector) {
      const one = this.#byId.get(selector.id);
      return one ? [one] : [];
    }
    if ('ip' in selector) return [...this.#byId.values()].filter((r) => r.ip === selector.ip);
    if ('cidr' in selector) {
      const block = parseCidr(selector.cidr);
      return block === null ? [] : [...this.#byId.values()].filter((r) => block.contains(r.ip));
    }
    const [map, key] =
      'ipGroup' in selector
        ? [this.#byIpGroup, selector.ipGroup]
        : 'userId' in selector
          ? [this.#byUser, selector.userId]
          : [this.#bySession, selector.sessionId];
    const ids = map.get(key);
    if (ids === undefined) return [];
    const records: ConnectionRecord[] = [];
    for (const id of typeof ids === 'string' ? [ids] : ids) {
      const record = this.#byId.get(id);
      if (record) records.push(record);
    }
    return records;
  }

  list(): ConnectionRecord[] {
    return [...this.#byId.values()];
  }

  /** Live connection counts per IP group and per user (for monitoring and tests). */
  counts(): { byIpGroup: Record<string, number>; byUser: Record<string, number> } {
    const byIpGroup: Record<string, number> = {};
    const byUser: Record<string, number> = {};
    for (const [key, ids] of this.#byIpGroup) byIpGroup[key] = typeof ids === 'string' ? 1 : ids.size;
    for (const [key, ids] of this.#byUser) byUser[key] = typeof ids === 'string' ? 1 : ids.size;
    return { byIpGroup, byUser };
  }
}

/** One connection id, or several. */
type IdSet = string | Set<string>;

function index(map: Map<string, IdSet>, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) map.set(key, id);
  else if (typeof ids === 'string') {
    if (ids !== id) map.set(key, new Set([ids, id]));
  } else ids.add(id);
}

function unindex(map: Map<string, IdSet>, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) return;
  if (typeof ids === 'string') {
    if (ids === id) map.delete(key);
    return;
  }
  ids.delete(id);
  if (ids.size === 0) map.delete(key);
}
