import { REASON_CODES, type ReasonCode, type ReasonCodeInfo } from './reason-codes.js';

/** A value or a promise of it. Stores and checks answer synchronously when they can, so the hot path avoids a promise. */
export type Awaitable<T> = T | Promise<T>;

/** Who a connection belongs to, as returned by the user's `authenticate` hook. */
export interface Identity {
  readonly userId: string;
  readonly roles: readonly string[];
  readonly sessionId?: string;
  /** Epoch milliseconds after which the credentials are no longer valid. */
  readonly expiresAt?: number;
}

/**
 * What the `authenticate` hook receives: a transport-neutral view of the handshake, the same for Socket.IO and `ws`.
 * `auth` is the Socket.IO handshake's `auth` object (`{}` for `ws`).
 */
export interface AuthRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly url: string;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  /** The address of the TCP peer (a proxy, when there is one). */
  readonly remoteAddress: string;
  /** The client address, resolved through `trustProxy`. */
  readonly ip: string;
  readonly auth: Readonly<Record<string, unknown>>;
}

/** What an adapter knows about a connection attempt. */
export interface ConnectionContext {
  /** Unique per connection for the life of the process (the adapter's socket id). */
  readonly id: string;
  /** The TCP peer address as the socket reports it. */
  readonly remoteAddress: string;
  /** Request headers, lower-case names (as Node gives them). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly url: string;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  /** Namespace the client joins (`/` for plain WebSocket servers). */
  readonly namespace: string;
  /** Socket.IO handshake `auth` object; `{}` where the transport has none. */
  readonly auth: Readonly<Record<string, unknown>>;
  /** The transport name, for events only (`websocket`, `polling`, `ws`). */
  readonly transport?: string;
  /** CSRF token presented with the handshake (Socket.IO `auth.csrfToken`; for `ws` a subprotocol entry or query). */
  readonly csrfToken?: string;
}

/** What an adapter knows about one incoming message. */
export interface MessageContext {
  readonly connectionId: string;
  readonly event: string;
  /** Size of the message on the wire, in bytes (binary attachments included). */
  readonly bytes: number;
  /** The parsed arguments of the message (without the acknowledgement callback). */
  readonly payload: readonly unknown[];
}

export interface Allowed {
  readonly allowed: true;
  /** Set by checks that rewrite the payload (normalisation, token stripping); absent when unchanged. */
  readonly payload?: readonly unknown[];
}

export interface ConnectionAllowed extends Allowed {
  readonly identity: Identity | null;
  /** The client address after trusted-proxy resolution. */
  readonly ip: string;
  /** The key the address is counted under (the /64 for IPv6 by default). */
  readonly ipGroup: string;
}

/** A refusal: a value, not an exception. */
export interface Denied {
  readonly allowed: false;
  readonly code: ReasonCode;
  readonly message: string;
  /** HTTP status from the catalogue. */
  readonly status: number;
  /** WebSocket close code from the catalogue. */
  readonly closeCode: number;
  readonly retryAfterMs?: number;
  /** Small, safe facts about the refusal (never client payload). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export type Verdict = Allowed | Denied;
export type ConnectionVerdict = ConnectionAllowed | Denied;

/** The shape a refusal takes on the wire (Socket.IO `connect_error.data`, acks, `wsguard:error`, HTTP bodies). */
export interface ClientError {
  readonly code: ReasonCode;
  readonly message: string;
  readonly retryAfterMs?: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

export const ALLOW: Allowed = Object.freeze({ allowed: true });

/** Build a refusal for `code`, taking status and close code from the catalogue. */
export function deny(
  code: ReasonCode,
  extra?: { message?: string; retryAfterMs?: number; details?: Record<string, unknown>; permanent?: boolean },
): Denied {
  const info: ReasonCodeInfo = REASON_CODES[code];
  const permanent = extra?.permanent === true;
  const verdict: { -readonly [K in keyof Denied]: Denied[K] } = {
    allowed: false,
    code,
    message: extra?.message ?? info.message,
    status: permanent ? (info.permanentStatus ?? info.status) : info.status,
    closeCode: info.closeCode,
  };
  if (info.retryable && !permanent && extra?.retryAfterMs !== undefined) verdict.retryAfterMs = Math.max(0, Math.ceil(extra.retryAfterMs));
  if (extra?.details) verdict.details = extra.details;
  return verdict;
}

/** The client-facing part of a refusal. */
export function toClientError(verdict: Denied): ClientError {
  const error: { -readonly [K in keyof ClientError]: ClientError[K] } = { code: verdict.code, message: verdict.message };
  if (verdict.retryAfterMs !== undefined) error.retryAfterMs = verdict.retryAfterMs;
  if (verdict.details !== undefined) error.details = verdict.details;
  return error;
}
