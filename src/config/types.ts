import type { AbuseSettings } from '../abuse/options.js';
import type { Awaitable, AuthRequest, Identity } from '../codes/types.js';
import type { EventSink } from '../events/sink.js';
import type { Store } from '../stores/types.js';

export type ThreatKind = 'xss' | 'sqli' | 'cmdi' | 'path' | 'proto';
export type ThreatAction = 'block' | 'sanitize' | 'flag' | 'off';

/** `enforce` refuses; `monitor` logs what would have been refused and lets it pass. */
export type Mode = 'enforce' | 'monitor';

/** The checks whose mode can be set one by one. */
export type CheckName =
  | 'origin'
  | 'authentication'
  | 'connectionRate'
  | 'connectionCaps'
  | 'namespace'
  | 'eventRoles'
  | 'messageRate'
  | 'messageSize'
  | 'eventAllowList'
  | 'csrf'
  | 'abuse'
  | 'payloadStructure'
  | 'payloadSchema'
  | 'threats';

/** One mode for every check, or a mode per check (`default` for the rest). */
export type ModeConfig = Mode | ({ readonly default?: Mode } & { readonly [K in CheckName]?: Mode });

/** `false`: never trust forwarding headers; `true`: trust every hop; a number: trust that many hops; a list: trust these addresses/CIDRs. */
export type TrustProxy = boolean | number | string | readonly string[];

export interface NamespaceRule {
  /** Roles of which the user needs at least one to join. Anonymous clients are refused with `unauthenticated`. */
  readonly roles?: readonly string[];
  /** Event allow-list for this namespace; replaces the global `allowedEvents` here. */
  readonly allowedEvents?: readonly string[];
  /** Refuse anonymous clients in this namespace even when `requireAuthentication` is off. */
  readonly requireAuthentication?: boolean;
}

export interface EventRule {
  /** Messages per minute per user for this event; replaces `messageRateLimit` for it. */
  readonly rateLimit?: number;
  /** Burst (bucket size) for this event; defaults to `burstLimit`, or `rateLimit` when that is smaller. */
  readonly burst?: number;
  /** Size limit in bytes for this event; replaces `maxMessageBytes` for it. */
  readonly maxBytes?: number;
  /** Roles of which the sender needs at least one. */
  readonly roles?: readonly string[];
  /** Standard Schema validator (zod, valibot, arktype…) for the first argument; the handler receives its output. */
  readonly schema?: unknown;
  /** Fields of the first argument holding HTML, sanitized with an allow-list sanitizer (`['body', 'items[].text']`). */
  readonly html?: readonly string[];
  /** Fields of the first argument holding plain text, HTML-escaped (`['title']`). */
  readonly text?: readonly string[];
  /** Require a valid CSRF token for the sender's session in the payload's `csrfTokenField`; removed before the handler. */
  readonly requireCsrf?: boolean;
}

export type AuthenticateHook = (request: AuthRequest) => Awaitable<Identity | null | undefined>;

/**
 * Everything wsguard can be told. All keys are optional: defaults are listed in `DEFAULT_CONFIG` and the README.
 * Data keys may also come from a JSON file or `WSGUARD_*` environment variables (see `loadConfig`); functions and
 * objects (`authenticate`, `store`, `sinks`, `now`, schemas) only from code.
 */
export interface GuardConfig {
  /** `production` turns some warnings into startup errors (an empty `allowedOrigins`). Presets set it. */
  readonly environment?: 'development' | 'production';
  readonly mode?: ModeConfig;

  // Origin and client address
  /** Exact origins (`https://app.example.com`) and wildcards (`https://*.example.com`). `*` allows any (warned). */
  readonly allowedOrigins?: readonly string[];
  /** Let clients without an Origin header connect (non-browser clients). Warned. */
  readonly allowMissingOrigin?: boolean;
  readonly trustProxy?: TrustProxy;
  /** Which forwarding header to read when `trustProxy` allows: `x-forwarded-for` or `forwarded` (RFC 7239). */
  readonly proxyHeader?: 'x-forwarded-for' | 'forwarded';
  /** IPv6 clients are counted per prefix of this length (a /64 is usually one subscriber). */
  readonly ipv6Prefix?: number;

  // Authentication and authorization
  readonly authenticate?: AuthenticateHook;
  /** Refuse anonymous clients (the hook returned nothing) with `unauthenticated`. */
  readonly requireAuthentication?: boolean;
  /** How long the `authenticate` hook may take before the connection is refused. */
  readonly authTimeoutMs?: number;
  readonly namespaces?: Readonly<Record<string, NamespaceRule>>;

  // Rate limits and caps
  readonly rateLimitingEnabled?: boolean;
  /** New connections per minute per IP (group). */
  readonly connectionRateLimit?: number;
  /** Messages per minute per user (anonymous: per connection, and per IP group times `maxConnectionsPerIp`). */
  readonly messageRateLimit?: number;
  /** Messages a client may send at once above the steady rate (the token bucket's size). */
  readonly burstLimit?: number;
  readonly maxConnectionsPerIp?: number;
  readonly maxConnectionsPerUser?: number;

  // Hardening: slow handshakes, slow readers, idle and old connections, revoked sessions.
  /** An HTTP request (WebSocket upgrade or long-polling) must complete its headers within this many ms. */
  readonly handshakeTimeoutMs?: number;
  /** Unfinished handshakes (open sockets whose headers are not complete) allowed per IP (group). */
  readonly maxPendingHandshakesPerIp?: number;
  /** Largest request head (request line and headers) the HTTP server accepts, in bytes. */
  readonly maxHeaderBytes?: number;
  /** Bytes queued for one client that is not reading before it is disconnected (`slow_consumer`); 0: no limit. */
  readonly maxBufferedBytes?: number;
  /** A connection without inbound traffic (heartbeats included) for this long is closed (`idle_timeout`); 0: never. */
  readonly idleTimeoutMs?: number;
  /** A connection older than this is closed (`lifetime_exceeded`), so the client authenticates again; 0: never. */
  readonly maxConnectionLifetimeMs?: number;
  /** How long `revokeSession` / `revokeUser` last when no `ttlMs` is given. */
  readonly revocationTtlMs?: number;

  // Messages
  /** Largest message accepted, in wire bytes (binary attachments included). */
  readonly maxMessageBytes?: number;
  /** Events a client may send; absent means any. Per-namespace lists replace it. */
  readonly allowedEvents?: readonly string[];
  readonly events?: Readonly<Record<string, EventRule>>;

  // CSRF tokens bound to the session (the second wall after Origin).
  /** Connections of a client with a session must present a valid token (`auth.csrfToken` with Socket.IO). */
  readonly csrfEnabled?: boolean;
  /** HMAC secret(s), at least 32 characters; the first signs, every one verifies (rotation). */
  readonly csrfSecret?: string | readonly string[];
  readonly csrfTokenTtlMs?: number;
  /** Payload field that carries the token in events that need one. */
  readonly csrfTokenField?: string;

  // Abuse detection: patterns over security events, response ladders, escalating bans.
  readonly abuseDetectionEnabled?: boolean;
  /** `false`: every abuse response runs in monitor mode (reported as what would have been done, nothing done). */
  readonly autoDisconnectOnAbuse?: boolean;
  /** Suspicious-activity score (a decaying weighted sum of every pattern's evidence) that triggers its ladder. */
  readonly suspiciousActivityThreshold?: number;
  /** Patterns, ladders, ban escalation, throttling and the allow-list; defaults per `environment`. */
  readonly abuse?: AbuseSettings;

  // Payload inspection: structure limits, normalization, threat detection (schemas and sanitizing are per event).
  readonly payloadInspectionEnabled?: boolean;
  /** Deepest nesting of a payload (an argument that is an object or array is depth 1). */
  readonly maxPayloadDepth?: number;
  /** Most own keys in one object. */
  readonly maxPayloadKeys?: number;
  /** Most elements in one array. */
  readonly maxPayloadArrayLength?: number;
  /** Longest string value or key, in UTF-16 code units. */
  readonly maxPayloadStringLength?: number;
  /** Most values in one payload. */
  readonly maxPayloadNodes?: number;
  /** `__proto__`, `constructor` and `prototype` keys: refuse the message (`prototype_pollution`) or drop the keys. */
  readonly prototypePollution?: 'refuse' | 'drop';
  /** Keys with control or bidi-override characters: refuse the message (`payload_invalid_key`) or let them pass. */
  readonly payloadUnsafeKeys?: 'refuse' | 'allow';
  /** Unicode normalization of every string value. */
  readonly unicodeNormalization?: 'NFC' | 'NFKC' | 'none';
  readonly stripControlCharacters?: boolean;
  /** Strip bidirectional overrides and isolates (U+202A–E, U+2066–9), which can disguise text. */
  readonly stripBidiControls?: boolean;
  /** What a threat finding does, per kind: refuse the message, HTML-escape it (`xss` only), only report it, or nothing. */
  readonly threatActions?: Readonly<Partial<Record<ThreatKind, ThreatAction>>>;

  // Events and state
  /** Where security events go, off the hot path. Default: one pino sink writing JSON lines to stdout. */
  readonly sinks?: readonly EventSink[];
  /** Identical refusals (same type, reason, IP, user) within this interval are logged once, then as one count. */
  readonly eventAggregationMs?: number;
  /** Client addresses in what the sinks write: as they are, truncated (IPv4 /24, IPv6 /48) or a keyed hash. */
  readonly anonymizeIps?: 'off' | 'truncate' | 'hash';
  /** Key of the `hash` anonymisation (at least 32 characters), so the same address gets the same hash across restarts. */
  readonly anonymizeIpSecret?: string;
  /** Events waiting for the sinks; past this, events are dropped and counted. */
  readonly eventQueueSize?: number;
  /** Cap on keys (IPs, users, connections) the guard itself tracks in memory; least recently seen go first. */
  readonly maxTrackedKeys?: number;
  readonly store?: Store;
  /** Clock in epoch ms; injectable for tests. */
  readonly now?: () => number;
}
