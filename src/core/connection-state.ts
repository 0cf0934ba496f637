/**
 * What the guard keeps for one admitted connection, from admission until it ends: one object that is at once the
 * registry's record (what `guard.connections` lists and closes), the message path's state, the monitor's counters and
 * the lifetime sweep's bookkeeping.
 *
 * One object rather than one per concern, and nothing per connection that can be shared: with tens of thousands of
 * idle connections every object header, map entry, closure and boxed number counts (the benchmark holds the guard to
 * at most 1 KiB of heap per idle connection above the unprotected server). So:
 * - the adapter's `close`, `notify` and `bufferedBytes` are called as methods of this record (`this.native` is the
 *   adapter's socket), so an adapter passes one function for all its connections instead of a closure each, and the
 *   three are kept once, in one object every connection with the same ones shares;
 * - `userId`, `sessionId` and `roles` are read from the identity (getters on the prototype cost no field);
 * - the bucket keys are built at the first message, not at admission: an idle connection never needs them;
 * - slots held, the sweep's closing mark and whether it is metered are bits of one number; the slots' store keys are
 *   rebuilt from the IP group and the user when released or renewed;
 * - fields most connections never set (an expiry, a verified event CSRF token, an anonymous client's IP bucket key,
 *   the handshake kept for a credential refresh) live in one object made on first use;
 * - times are kept as small integers where they can be (`activeAfterMs` counts from `connectedAt`): a timestamp in
 *   epoch milliseconds does not fit V8's small integers and costs a 16-byte box per field.
 *
 * Measured with heap snapshots (bench, 5,000 idle Socket.IO connections): the guard's share per connection went from
 * some 3.6 KB (a state object, a registry record, a lifetime entry, an event-fields object, a lease array, three
 * closures and the adapters' listener closures) to under 1 KB.
 */

import type { AuthRequest, Identity } from '../codes/types.js';
import type { ResolvedNamespace } from './options.js';
import type { CloseConnection, ConnectionRecord, NotifyClient } from './registry.js';
import type { TrackedConnection } from './lifetime.js';
import type { BufferedBytes, MeteredConnection } from './slow-consumers.js';

/** Bits of `ConnectionState.flags`: the connection slots it holds. */
export const LEASE_IP = 1;
export const LEASE_USER = 2;
/** Closed by the lifetime sweep and waiting for its transport to end. */
const CLOSING = 4;
/** Its adapter's `bufferedBytes` is read (slow consumers); cleared once it was closed for being slow. */
const METERED = 8;

const NO_ROLES: readonly string[] = Object.freeze([]);

/** An adapter's functions for its connections: one object for every connection that has the same ones. */
interface AdapterFunctions {
  readonly close: CloseConnection;
  readonly notify: NotifyClient;
  readonly bufferedBytes: BufferedBytes | null;
}

/** Until the adapter reports the connection open there is nothing to close or notify (it is not in the registry). */
const NOT_OPEN: object = Object.freeze({});
const NOT_OPEN_FUNCTIONS: AdapterFunctions = Object.freeze({ close: () => undefined, notify: () => undefined, bufferedBytes: null });
/** The last functions seen: an adapter passes the same ones for every connection, so they are kept once. */
let lastFunctions: AdapterFunctions = NOT_OPEN_FUNCTIONS;

function adapterFunctions(close: CloseConnection, notify: NotifyClient, bufferedBytes: BufferedBytes | null): AdapterFunctions {
  const last = lastFunctions;
  if (last.close === close && last.notify === notify && last.bufferedBytes === bufferedBytes) return last;
  return (lastFunctions = { close, notify, bufferedBytes });
}

/** The fields of a connection that are seldom set. */
interface Rare {
  authRequest: AuthRequest | null;
  expiresAt: number | null;
  ipMessageKey: string | null;
  csrfVerified: string | null;
  csrfVerifiedUntil: number;
}

export class ConnectionState implements ConnectionRecord, TrackedConnection, MeteredConnection {
  // The registry record. Set at admission, or when the adapter reports the connection open (`opened`).
  transport = '';
  connectedAt = 0;
  native: object = NOT_OPEN;
  #functions: AdapterFunctions = NOT_OPEN_FUNCTIONS;

  /** `LEASE_IP` | `LEASE_USER` (the slots it holds, released when it ends), and the sweep's and meter's marks. */
  flags = 0;
  /** Bucket key for its messages (the user, or the connection for anonymous clients); built at the first message. */
  messageKey: string | null = null;

  /** For the monitor and the idle sweep: plain counters, one increment per message or heartbeat. */
  messagesIn = 0;
  messagesOut = 0;
  refusals = 0;
  heartbeats = 0;

  // The lifetime sweep's bookkeeping (lifetime.ts), `expiresAt` below.
  lastActivity = 0;
  activeAfterMs = 0;
  windowHeartbeats = 0;

  /** What most connections never set, in one object made when one of them is (one slot until then). */
  #rare: Rare | null = null;

  constructor(
    readonly id: string,
    readonly ip: string,
    readonly ipGroup: string,
    readonly namespace: string,
    readonly identity: Identity | null,
    readonly rules: ResolvedNamespace,
    authRequest: AuthRequest | null,
  ) {
    const expiresAt = identity?.expiresAt ?? null;
    if (authRequest !== null || expiresAt !== null) this.#rareFields().authRequest = authRequest;
    if (expiresAt !== null) this.expiresAt = expiresAt;
  }

  #rareFields(): Rare {
    return (this.#rare ??= { authRequest: null, expiresAt: null, ipMessageKey: null, csrfVerified: null, csrfVerifiedUntil: 0 });
  }

  /** The handshake as the `authenticate` hook saw it, kept for `wsguard:refresh` when the credentials expire. */
  get authRequest(): AuthRequest | null {
    return this.#rare?.authRequest ?? null;
  }

  /** When its credentials end (epoch ms); null when they do not. Moved by a credential refresh. */
  get expiresAt(): number | null {
    return this.#rare?.expiresAt ?? null;
  }

  set expiresAt(expiresAt: number | null) {
    if (expiresAt !== null || this.#rare !== null) this.#rareFields().expiresAt = expiresAt;
  }

  /** Anonymous clients are also limited per IP group: that bucket's key, built at the first message. */
  get ipMessageKey(): string | null {
    return this.#rare?.ipMessageKey ?? null;
  }

  set ipMessageKey(key: string | null) {
    this.#rareFields().ipMessageKey = key;
  }

  /**
   * The last CSRF token this connection presented in an event and verified, with its expiry: a client sends the same
   * token with every protected event, and an HMAC per message costs more than Socket.IO's own work on it.
   */
  get csrfVerified(): string | null {
    return this.#rare?.csrfVerified ?? null;
  }

  get csrfVerifiedUntil(): number {
    return this.#rare?.csrfVerifiedUntil ?? 0;
  }

  /** Remember a verified event token until it expires. */
  verifiedCsrf(token: string, until: number): void {
    const rare = this.#rareFields();
    rare.csrfVerified = token;
    rare.csrfVerifiedUntil = until;
  }

  /** The adapter reported it open: what its record needs, and whether its queued bytes are checked (`meter`). */
  opened(transport: string, native: object, connectedAt: number, close: CloseConnection, notify: NotifyClient, meter: BufferedBytes | null): void {
    this.transport = transport;
    this.native = native;
    this.connectedAt = connectedAt;
    this.#functions = adapterFunctions(close, notify, meter);
    if (meter !== null) this.flags |= METERED;
  }

  /** Called as a method (`record.close(code)`): `this.native` is the adapter's socket. */
  get close(): CloseConnection {
    return this.#functions.close;
  }

  get notify(): NotifyClient {
    return this.#functions.notify;
  }

  /** The adapter's meter of bytes queued for the client; null when not checked (or already closed as slow). */
  get bufferedBytes(): BufferedBytes | null {
    return (this.flags & METERED) !== 0 ? this.#functions.bufferedBytes : null;
  }

  set bufferedBytes(meter: BufferedBytes | null) {
    if (meter === null) this.flags &= ~METERED;
    else {
      this.#functions = adapterFunctions(this.#functions.close, this.#functions.notify, meter);
      this.flags |= METERED;
    }
  }

  /** In the registry (the adapter reported it open): its events then include `connection_closed`. */
  get registered(): boolean {
    return this.native !== NOT_OPEN;
  }

  get closing(): boolean {
    return (this.flags & CLOSING) !== 0;
  }

  set closing(closing: boolean) {
    this.flags = closing ? this.flags | CLOSING : this.flags & ~CLOSING;
  }

  get userId(): string | null {
    return this.identity?.userId ?? null;
  }

  get sessionId(): string | null {
    return this.identity?.sessionId ?? null;
  }

  get roles(): readonly string[] {
    return this.identity?.roles ?? NO_ROLES;
  }
}
