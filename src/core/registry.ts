/**
 * The connection registry: every live connection the guard admitted, by id and by native socket, with the close
 * function its adapter registered. Abuse responses, admin actions and revocation close connections through it,
 * so they work the same for every transport.
 *
 * It holds only live connections (an adapter unregisters on every way a connection ends), so its size is bounded by
 * what the server holds open; no client-chosen key outlives its connection here.
 */

import type { ReasonCode } from '../codes/reason-codes.js';
import { parseCidr } from './ip.js';

/**
 * How a live connection is closed: tell the client `code`, then end the transport. Must be idempotent. Called as a
 * method of the record (`record.close(code)`): `this.native` is the adapter's socket, so an adapter can give every
 * connection the same function rather than a closure each.
 */
export type CloseConnection = (this: ConnectionRecord, code: ReasonCode, message?: string) => void;

/** Tell a connected client that one of its messages was refused, when it gave no acknowledgement callback. Called as a method, like `close`. */
export type NotifyClient = (this: ConnectionRecord, event: string, data: unknown) => void;

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

/**
 * Where a native socket points to its record: a property under a symbol of this module, one slot on an object that
 * lives exactly as long (a WeakMap entry would cost some 50 bytes per connection). Sockets that cannot take a property
 * (frozen) are looked up in a WeakMap instead.
 */
const RECORD = Symbol('wsguard.connection');

type Tagged = Record<typeof RECORD, ConnectionRecord | undefined>;

export class ConnectionRegistry<R extends ConnectionRecord = ConnectionRecord> {
  // Indexed by id only. Selecting by IP group, user or session walks the records: those selections serve bans,
  // revocations and admin actions, a few a minute at most, and a walk costs some 10 ns per connection (a millisecond
  // for 100,000), where an index costs a map or set entry, 30–60 bytes, for every connection all the time.
  readonly #byId = new Map<string, R>();
  readonly #byFrozenNative = new WeakMap<object, R>();

  get size(): number {
    return this.#byId.size;
  }

  add(record: R): void {
    if (this.#byId.has(record.id)) this.remove(record.id);
    this.#byId.set(record.id, record);
    if (Object.isExtensible(record.native)) (record.native as Tagged)[RECORD] = record;
    else this.#byFrozenNative.set(record.native, record);
  }

  /** Remove and return the record; undefined when it was not (or no longer) registered. */
  remove(id: string): R | undefined {
    const record = this.#byId.get(id);
    if (!record) return undefined;
    this.#byId.delete(id);
    // Cleared, not deleted: deleting a property would turn the socket into a slow (dictionary) object.
    if (Object.isExtensible(record.native)) (record.native as Tagged)[RECORD] = undefined;
    else this.#byFrozenNative.delete(record.native);
    return record;
  }

  get(id: string): R | undefined {
    return this.#byId.get(id);
  }

  byNative(native: object): R | undefined {
    const record = (native as Partial<Tagged>)[RECORD] ?? this.#byFrozenNative.get(native);
    // The record of another guard (two guards on one socket), or of a connection this registry no longer holds.
    return record !== undefined && this.#byId.get(record.id) === record ? (record as R) : undefined;
  }

  /** Connections matching a selector (an IP is matched by its exact address). */
  select(selector: ConnectionSelector): R[] {
    if ('id' in selector) {
      const one = this.#byId.get(selector.id);
      return one ? [one] : [];
    }
    let matches: (record: R) => boolean;
    if ('ip' in selector) matches = (r) => r.ip === selector.ip;
    else if ('ipGroup' in selector) matches = (r) => r.ipGroup === selector.ipGroup;
    else if ('userId' in selector) matches = (r) => r.userId === selector.userId;
    else if ('sessionId' in selector) matches = (r) => r.sessionId === selector.sessionId;
    else {
      const block = parseCidr(selector.cidr);
      if (block === null) return [];
      matches = (r) => block.contains(r.ip);
    }
    const records: R[] = [];
    for (const record of this.#byId.values()) if (matches(record)) records.push(record);
    return records;
  }

  list(): R[] {
    return [...this.#byId.values()];
  }

  /** The live records, without copying them into an array (for sweeps: a record removed meanwhile is skipped). */
  values(): IterableIterator<R> {
    return this.#byId.values();
  }

  /** Live connection counts per IP group and per user (for monitoring and tests). */
  counts(): { byIpGroup: Record<string, number>; byUser: Record<string, number> } {
    const byIpGroup = new Map<string, number>();
    const byUser = new Map<string, number>();
    for (const record of this.#byId.values()) {
      byIpGroup.set(record.ipGroup, (byIpGroup.get(record.ipGroup) ?? 0) + 1);
      if (record.userId !== null) byUser.set(record.userId, (byUser.get(record.userId) ?? 0) + 1);
    }
    // Built from entries: a key such as `__proto__` (a user id is the client's to choose) stays an own property.
    return { byIpGroup: Object.fromEntries(byIpGroup), byUser: Object.fromEntries(byUser) };
  }
}
