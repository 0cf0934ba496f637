/**
 * The configuration schema, as data: one entry per key of `GuardConfig` (and of its nested rules), saying what the key
 * accepts, its default, whether it may come from the environment or a JSON file, and one line of documentation.
 *
 * The validator (`validate.ts`), the loader (`load.ts`) and the README's config table all read this table, so a key is
 * described once. The mapped types below make the compiler refuse a table that misses a key of `GuardConfig` or names
 * one it does not have.
 */

import { DEFAULT_CONFIG } from './defaults.js';
import type { CheckName, EventRule, GuardConfig, NamespaceRule } from './types.js';

/** The checks whose mode can be set one by one, at run time (types.ts only has the type). */
export const CHECK_NAMES = Object.freeze([
  'origin',
  'authentication',
  'connectionRate',
  'connectionCaps',
  'namespace',
  'eventRoles',
  'messageRate',
  'messageSize',
  'eventAllowList',
  'csrf',
  'abuse',
  'payloadStructure',
  'payloadSchema',
  'threats',
] as const satisfies readonly CheckName[]);

// Fails to compile when a check is added to `CheckName` but not to the list above: a mode key the validator did not
// know would be refused as unknown.
type MissingCheckNames = Exclude<CheckName, (typeof CHECK_NAMES)[number]>;
const _allCheckNamesListed: [MissingCheckNames] extends [never] ? true : MissingCheckNames = true;

/** Keys a `mode` object accepts. */
export const MODE_KEYS: readonly string[] = Object.freeze(['default', ...CHECK_NAMES]);

export const MODES = Object.freeze(['enforce', 'monitor'] as const);

/** 100 MiB: far above any sane WebSocket message, low enough that a typo (an extra zero or three) is caught. */
export const MAX_MESSAGE_BYTES_LIMIT = 100 * 1024 * 1024;

/**
 * Upper bound for counts and rates. A million per minute (per IP, per user) is no limit in practice; someone who wants
 * none sets `rateLimitingEnabled: false`, which is warned about, rather than a huge number, which would not be.
 */
export const MAX_COUNT = 1_000_000;

/** What a key accepts. `integer` covers the brief's positive (min 1), non-negative (min 0) and ranged numbers. */
export type FieldKind =
  | { readonly type: 'boolean' }
  | { readonly type: 'integer'; readonly min: number; readonly max: number; readonly note?: string }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | {
      readonly type: 'stringList';
      /** What each entry is, for messages and the origin syntax check. */
      readonly item: 'origin' | 'event' | 'role' | 'field path';
      /** An empty list is refused (it would refuse everyone rather than mean "no restriction"). */
      readonly nonEmpty?: boolean;
    }
  | { readonly type: 'mode' }
  | { readonly type: 'trustProxy' }
  | { readonly type: 'namespaceRules' }
  | { readonly type: 'eventRules' }
  | { readonly type: 'function' }
  | { readonly type: 'store' }
  | { readonly type: 'sinks' }
  | { readonly type: 'csrfSecret' }
  /** A payload property name (`csrfToken`): an identifier, never a prototype key. */
  | { readonly type: 'fieldName' }
  /** A secret key: a string of at least 32 characters, never shown in errors. */
  | { readonly type: 'secret' }
  /** The nested `abuse` settings, checked by the abuse module's own validator. */
  | { readonly type: 'abuseSettings' }
  /** `{ xss?, sqli?, cmdi?, path?, proto? }`, each `block` | `sanitize` (xss only) | `flag` | `off`. */
  | { readonly type: 'threatActions' }
  /** A Standard Schema validator (`EventRule.schema`); the feature is not available yet, so any value is refused. */
  | { readonly type: 'schema' };

export type FieldType = FieldKind['type'];

export interface FieldSpec {
  readonly kind: FieldKind;
  /**
   * `data`: plain JSON, may come from a file or a `WSGUARD_*` variable. `code`: functions and live objects, only from
   * the config object passed in code (a file or an environment variable cannot carry them).
   */
  readonly source: 'data' | 'code';
  /** The library default (from `DEFAULT_CONFIG`); absent when the key has none. */
  readonly default?: unknown;
  /** What happens when the key is absent and there is no value default (`sinks`: a pino sink to stdout). */
  readonly defaultDoc?: string;
  /** One line, for the README's config table. */
  readonly doc: string;
}

/** Every key of `T`, required, so an entry cannot be forgotten. */
type FieldTable<T> = { readonly [K in keyof Required<T>]: FieldSpec };

const positive = (max: number, note?: string): FieldKind =>
  note === undefined ? { type: 'integer', min: 1, max } : { type: 'integer', min: 1, max, note };

export const CONFIG_FIELDS: FieldTable<GuardConfig> = Object.freeze({
  environment: {
    kind: { type: 'enum', values: ['development', 'production'] },
    source: 'data',
    default: DEFAULT_CONFIG.environment,
    doc: '`production` makes an empty `allowedOrigins` a startup error and turns on production warnings.',
  },
  mode: {
    kind: { type: 'mode' },
    source: 'data',
    default: DEFAULT_CONFIG.mode,
    doc: '`enforce` refuses, `monitor` only logs what would be refused; or an object with `default` and one key per check.',
  },
  allowedOrigins: {
    kind: { type: 'stringList', item: 'origin' },
    source: 'data',
    default: DEFAULT_CONFIG.allowedOrigins,
    doc: 'Origins allowed to connect: exact (`https://app.example.com`), wildcard (`https://*.example.com`, `http://localhost:*`) or `*` (warned).',
  },
  allowMissingOrigin: {
    kind: { type: 'boolean' },
    source: 'data',
    default: DEFAULT_CONFIG.allowMissingOrigin,
    doc: 'Let clients without an Origin header (scripts, native apps) connect. Warned.',
  },
  trustProxy: {
    kind: { type: 'trustProxy' },
    source: 'data',
    default: DEFAULT_CONFIG.trustProxy,
    doc: 'Forwarding headers to believe: `false` none, `true` all (warned), a hop count, or proxy addresses/CIDRs.',
  },
  proxyHeader: {
    kind: { type: 'enum', values: ['x-forwarded-for', 'forwarded'] },
    source: 'data',
    default: DEFAULT_CONFIG.proxyHeader,
    doc: 'Which forwarding header `trustProxy` reads: `x-forwarded-for` or `forwarded` (RFC 7239).',
  },
  ipv6Prefix: {
    kind: { type: 'integer', min: 1, max: 128 },
    source: 'data',
    default: DEFAULT_CONFIG.ipv6Prefix,
    doc: 'IPv6 clients are counted per prefix of this length (a /64 is usually one subscriber).',
  },
  authenticate: {
    kind: { type: 'function' },
    source: 'code',
    defaultDoc: 'every client is anonymous',
    doc: 'Hook `(request) => identity | null` that identifies the user of a connection.',
  },
  requireAuthentication: {
    kind: { type: 'boolean' },
    source: 'data',
    default: DEFAULT_CONFIG.requireAuthentication,
    doc: 'Refuse anonymous clients with `unauthenticated`. Needs `authenticate`.',
  },
  authTimeoutMs: {
    // Two minutes: past that the client's own handshake timeout has long fired.
    kind: { type: 'integer', min: 1, max: 120_000 },
    source: 'data',
    default: DEFAULT_CONFIG.authTimeoutMs,
    doc: 'How long the `authenticate` hook may take before the connection is refused, in ms.',
  },
  namespaces: {
    kind: { type: 'namespaceRules' },
    source: 'data',
    default: DEFAULT_CONFIG.namespaces,
    doc: 'Per-namespace rules (`roles`, `allowedEvents`, `requireAuthentication`), keyed by namespace (`/admin`).',
  },
  rateLimitingEnabled: {
    kind: { type: 'boolean' },
    source: 'data',
    default: DEFAULT_CONFIG.rateLimitingEnabled,
    doc: 'Switch connection and message rate limits on or off (off is warned).',
  },
  connectionRateLimit: {
    kind: positive(MAX_COUNT),
    source: 'data',
    default: DEFAULT_CONFIG.connectionRateLimit,
    doc: 'New connections per minute per IP (group).',
  },
  messageRateLimit: {
    kind: positive(MAX_COUNT),
    source: 'data',
    default: DEFAULT_CONFIG.messageRateLimit,
    doc: 'Messages per minute per user (anonymous: per connection and per IP group).',
  },
  burstLimit: {
    kind: positive(MAX_COUNT),
    source: 'data',
    default: DEFAULT_CONFIG.burstLimit,
    doc: 'Messages a client may send at once above the steady rate (the token bucket size).',
  },
  maxConnectionsPerIp: {
    kind: positive(MAX_COUNT),
    source: 'data',
    default: DEFAULT_CONFIG.maxConnectionsPerIp,
    doc: 'Open connections allowed per IP (group).',
  },
  maxConnectionsPerUser: {
    kind: positive(MAX_COUNT),
    source: 'data',
    default: DEFAULT_CONFIG.maxConnectionsPerUser,
    doc: 'Open connections allowed per authenticated user.',
  },
  handshakeTimeoutMs: {
    // Under 100 ms a slow mobile network cannot send its headers; past two minutes a slowloris has all it wants.
    kind: { type: 'integer', min: 100, max: 120_000 },
    source: 'data',
    default: DEFAULT_CONFIG.handshakeTimeoutMs,
    doc: 'An HTTP request on the protected server must complete its headers within this many ms (`handshake_timeout`, 408).',
  },
  maxPendingHandshakesPerIp: {
    kind: positive(100_000),
    source: 'data',
    default: DEFAULT_CONFIG.maxPendingHandshakesPerIp,
    doc: 'Open sockets per IP (group) whose request headers are not complete yet; past it new ones are dropped (`too_many_pending_handshakes`).',
  },
  maxHeaderBytes: {
    kind: { type: 'integer', min: 1_024, max: 1_048_576, note: '1 MiB' },
    source: 'data',
    default: DEFAULT_CONFIG.maxHeaderBytes,
    doc: 'Largest request head (request line and headers) the protected HTTP server accepts (`headers_too_large`, 431).',
  },
  maxBufferedBytes: {
    kind: { type: 'integer', min: 0, max: 1_073_741_824, note: '1 GiB; 0: no limit' },
    source: 'data',
    default: DEFAULT_CONFIG.maxBufferedBytes,
    doc: 'Bytes queued for one client that does not read before it is disconnected (`slow_consumer`).',
  },
  idleTimeoutMs: {
    kind: { type: 'integer', min: 0, max: 86_400_000, note: '0: never' },
    source: 'data',
    default: DEFAULT_CONFIG.idleTimeoutMs,
    doc: 'A connection without inbound messages or heartbeats for this long is closed (`idle_timeout`).',
  },
  maxConnectionLifetimeMs: {
    kind: { type: 'integer', min: 0, max: 2_592_000_000, note: '30 days; 0: never' },
    source: 'data',
    default: DEFAULT_CONFIG.maxConnectionLifetimeMs,
    doc: 'A connection older than this is closed (`lifetime_exceeded`), so the client authenticates again.',
  },
  revocationTtlMs: {
    kind: { type: 'integer', min: 1_000, max: 2_592_000_000, note: '30 days' },
    source: 'data',
    default: DEFAULT_CONFIG.revocationTtlMs,
    doc: 'How long `guard.revokeSession` / `guard.revokeUser` refuse a session or user when no `ttlMs` is given.',
  },
  maxMessageBytes: {
    kind: positive(MAX_MESSAGE_BYTES_LIMIT, '100 MiB'),
    source: 'data',
    default: DEFAULT_CONFIG.maxMessageBytes,
    doc: 'Largest message accepted, in wire bytes (binary attachments included).',
  },
  allowedEvents: {
    kind: { type: 'stringList', item: 'event' },
    source: 'data',
    defaultDoc: 'any event',
    doc: 'Events a client may send; absent means any. A namespace’s own list replaces it there.',
  },
  events: {
    kind: { type: 'eventRules' },
    source: 'data',
    default: DEFAULT_CONFIG.events,
    doc: 'Per-event rules (`rateLimit`, `burst`, `maxBytes`, `roles`), keyed by event name.',
  },
  csrfEnabled: {
    kind: { type: 'boolean' },
    source: 'data',
    default: DEFAULT_CONFIG.csrfEnabled,
    doc: 'Clients with a session must present a CSRF token for it at the handshake (and in events marked `requireCsrf`).',
  },
  csrfSecret: {
    kind: { type: 'csrfSecret' },
    source: 'data',
    doc: 'CSRF signing secret (at least 32 characters), or a list of them, newest first, for rotation.',
  },
  csrfTokenTtlMs: {
    // One second to one day: shorter tokens expire before the client can use them, longer ones defeat rotation.
    kind: { type: 'integer', min: 1_000, max: 86_400_000 },
    source: 'data',
    default: DEFAULT_CONFIG.csrfTokenTtlMs,
    doc: 'How long a CSRF token stays valid, in ms.',
  },
  csrfTokenField: {
    kind: { type: 'fieldName' },
    source: 'data',
    default: DEFAULT_CONFIG.csrfTokenField,
    doc: 'Payload field that carries the CSRF token in events that need one; removed before the handler runs.',
  },
  payloadInspectionEnabled: {
    kind: { type: 'boolean' },
    source: 'data',
    default: DEFAULT_CONFIG.payloadInspectionEnabled,
    doc: 'Inspect every payload: structure limits, prototype-pollution keys, Unicode normalization, threat detection.',
  },
  maxPayloadDepth: {
    kind: { type: 'integer', min: 1, max: 1_000 },
    source: 'data',
    default: DEFAULT_CONFIG.maxPayloadDepth,
    doc: 'Deepest nesting of a payload (`payload_too_deep` past it).',
  },
  maxPayloadKeys: {
    kind: { type: 'integer', min: 1, max: 100_000 },
    source: 'data',
    default: DEFAULT_CONFIG.maxPayloadKeys,
    doc: 'Most own keys in one object (`payload_too_complex` past it).',
  },
  maxPayloadArrayLength: {
    kind: { type: 'integer', min: 1, max: 1_000_000 },
    source: 'data',
    default: DEFAULT_CONFIG.maxPayloadArrayLength,
    doc: 'Most elements in one array (`payload_too_complex` past it).',
  },
  maxPayloadStringLength: {
    kind: { type: 'integer', min: 1, max: MAX_MESSAGE_BYTES_LIMIT },
    source: 'data',
    default: DEFAULT_CONFIG.maxPayloadStringLength,
    doc: 'Longest string value or key, in UTF-16 code units (`payload_too_complex` past it).',
  },
  maxPayloadNodes: {
    kind: { type: 'integer', min: 1, max: 10_000_000 },
    source: 'data',
    default: DEFAULT_CONFIG.maxPayloadNodes,
    doc: 'Most values in one payload (`payload_too_complex` past it).',
  },
  prototypePollution: {
    kind: { type: 'enum', values: ['refuse', 'drop'] },
    source: 'data',
    default: DEFAULT_CONFIG.prototypePollution,
    doc: '`__proto__`, `constructor` and `prototype` keys at any depth: refuse the message (`prototype_pollution`) or drop the keys.',
  },
  payloadUnsafeKeys: {
    kind: { type: 'enum', values: ['refuse', 'allow'] },
    source: 'data',
    default: DEFAULT_CONFIG.payloadUnsafeKeys,
    doc: 'Keys with control or bidi-override characters: refuse (`payload_invalid_key`) or allow.',
  },
  unicodeNormalization: {
    kind: { type: 'enum', values: ['NFC', 'NFKC', 'none'] },
    source: 'data',
    default: DEFAULT_CONFIG.unicodeNormalization,
    doc: 'Unicode normalization of string values (NFKC also folds fullwidth and compatibility forms).',
  },
  stripControlCharacters: {
    kind: { type: 'boolean' },
    source: 'data',
    default: DEFAULT_CONFIG.stripControlCharacters,
    doc: 'Remove C0/C1 control characters (not tab, newline, carriage return) from string values.',
  },
  stripBidiControls: {
    kind: { type: 'boolean' },
    source: 'data',
    default: DEFAULT_CONFIG.stripBidiControls,
    doc: 'Remove bidirectional overrides and isolates (U+202A–E, U+2066–9) from string values.',
  },
  threatActions: {
    kind: { type: 'threatActions' },
    source: 'data',
    default: DEFAULT_CONFIG.threatActions,
    doc: 'Per threat kind: `block` (`malicious_payload`), `sanitize` (xss: HTML-escape the message), `flag` (report only) or `off`.',
  },
  abuseDetectionEnabled: {
    kind: { type: 'boolean' },
    source: 'data',
    default: DEFAULT_CONFIG.abuseDetectionEnabled,
    doc: 'Watch security events for abuse patterns and answer them with each pattern’s ladder (throttle, disconnect, ban, alert).',
  },
  autoDisconnectOnAbuse: {
    kind: { type: 'boolean' },
    source: 'data',
    default: DEFAULT_CONFIG.autoDisconnectOnAbuse,
    doc: 'Carry out abuse responses (disconnects, bans, throttles); `false` only reports what would have been done.',
  },
  suspiciousActivityThreshold: {
    kind: positive(MAX_COUNT),
    source: 'data',
    default: DEFAULT_CONFIG.suspiciousActivityThreshold,
    doc: 'Suspicious-activity score (a decaying weighted sum of all abuse evidence) that triggers its ladder.',
  },
  abuse: {
    kind: { type: 'abuseSettings' },
    source: 'data',
    defaultDoc: 'per `environment` (see Abuse detection)',
    doc: 'Abuse patterns (`threshold`, `windowMs`, `weight`, `ladder`), `bans` escalation, `throttle`, `allowList` of IPs/CIDRs and users.',
  },
  sinks: {
    kind: { type: 'sinks' },
    source: 'code',
    defaultDoc: 'one pino sink writing JSON lines to stdout',
    doc: 'Where security events go: objects with a `write(events)` method.',
  },
  anonymizeIps: {
    kind: { type: 'enum', values: ['off', 'truncate', 'hash'] },
    source: 'data',
    default: DEFAULT_CONFIG.anonymizeIps,
    doc: 'Client addresses in what the sinks write: `off` as they are, `truncate` (IPv4 /24, IPv6 /48) or `hash` (keyed, needs `anonymizeIpSecret`).',
  },
  anonymizeIpSecret: {
    kind: { type: 'secret' },
    source: 'data',
    doc: 'Key of the `hash` anonymisation, at least 32 characters.',
  },
  eventAggregationMs: {
    // 0 turns aggregation off; past a minute, a burst of refusals would be reported too late to act on.
    kind: { type: 'integer', min: 0, max: 60_000 },
    source: 'data',
    default: DEFAULT_CONFIG.eventAggregationMs,
    doc: 'Identical refusals within this many ms are logged once, then as one count (0: log each).',
  },
  eventQueueSize: {
    kind: positive(MAX_COUNT),
    source: 'data',
    default: DEFAULT_CONFIG.eventQueueSize,
    doc: 'Events waiting for the sinks; past this, events are dropped and counted.',
  },
  maxTrackedKeys: {
    // Ten million keys is already gigabytes of heap; a larger cap is no cap.
    kind: positive(10_000_000),
    source: 'data',
    default: DEFAULT_CONFIG.maxTrackedKeys,
    doc: 'Cap on IPs, users and connections tracked in memory; least recently seen go first.',
  },
  store: {
    kind: { type: 'store' },
    source: 'code',
    defaultDoc: 'an in-memory store (one process)',
    doc: 'Where counters, leases and bans live; a shared store (Redis) for several processes.',
  },
  now: {
    kind: { type: 'function' },
    source: 'code',
    defaultDoc: '`Date.now`',
    doc: 'Clock in epoch ms; injectable for tests.',
  },
} satisfies FieldTable<GuardConfig>);

export const NAMESPACE_RULE_FIELDS: FieldTable<NamespaceRule> = Object.freeze({
  roles: {
    kind: { type: 'stringList', item: 'role', nonEmpty: true },
    source: 'data',
    defaultDoc: 'any user',
    doc: 'Roles of which the user needs at least one to join.',
  },
  allowedEvents: {
    kind: { type: 'stringList', item: 'event' },
    source: 'data',
    defaultDoc: 'the global `allowedEvents`',
    doc: 'Event allow-list for this namespace; replaces the global one here.',
  },
  requireAuthentication: {
    kind: { type: 'boolean' },
    source: 'data',
    defaultDoc: 'the global `requireAuthentication`',
    doc: 'Refuse anonymous clients in this namespace.',
  },
} satisfies FieldTable<NamespaceRule>);

export const EVENT_RULE_FIELDS: FieldTable<EventRule> = Object.freeze({
  rateLimit: {
    kind: positive(MAX_COUNT),
    source: 'data',
    defaultDoc: '`messageRateLimit`',
    doc: 'Messages per minute per user for this event.',
  },
  burst: {
    kind: positive(MAX_COUNT),
    source: 'data',
    defaultDoc: '`burstLimit`, or `rateLimit` when smaller',
    doc: 'Burst (bucket size) for this event.',
  },
  maxBytes: {
    kind: positive(MAX_MESSAGE_BYTES_LIMIT, '100 MiB'),
    source: 'data',
    defaultDoc: '`maxMessageBytes`',
    doc: 'Size limit in bytes for this event.',
  },
  roles: {
    kind: { type: 'stringList', item: 'role', nonEmpty: true },
    source: 'data',
    defaultDoc: 'any sender',
    doc: 'Roles of which the sender needs at least one.',
  },
  schema: {
    kind: { type: 'schema' },
    source: 'code',
    doc: 'Standard Schema validator (zod, valibot, arktype…) for the first argument; the handler gets its output.',
  },
  html: {
    kind: { type: 'stringList', item: 'field path' },
    source: 'data',
    doc: 'Fields of the first argument holding HTML, sanitized with an allow-list sanitizer (`body`, `items[].text`).',
  },
  text: {
    kind: { type: 'stringList', item: 'field path' },
    source: 'data',
    doc: 'Fields of the first argument holding plain text, HTML-escaped.',
  },
  requireCsrf: {
    kind: { type: 'boolean' },
    source: 'data',
    default: false,
    doc: 'Require a valid CSRF token for the sender’s session in the payload (`csrfTokenField`). Needs `csrfEnabled`.',
  },
} satisfies FieldTable<EventRule>);

export type ConfigKey = keyof GuardConfig;

export const CONFIG_KEYS: readonly ConfigKey[] = Object.freeze(Object.keys(CONFIG_FIELDS) as ConfigKey[]);

export function isConfigKey(key: string): key is ConfigKey {
  return Object.prototype.hasOwnProperty.call(CONFIG_FIELDS, key);
}

/** `maxMessageBytes` → `MAX_MESSAGE_BYTES`; `ipv6Prefix` → `IPV6_PREFIX`. */
export function screamingSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export const ENV_PREFIX = 'WSGUARD_';

/** The environment variable for a key, or null for code-only keys (a string cannot carry a function). */
export function envVarFor(key: ConfigKey): string | null {
  return CONFIG_FIELDS[key].source === 'data' ? ENV_PREFIX + screamingSnake(key) : null;
}

/** Human-readable type of a field, for docs and error messages (`integer 1–128`, `'enforce' | 'monitor'`). */
export function describeKind(kind: FieldKind): string {
  switch (kind.type) {
    case 'boolean':
      return 'boolean';
    case 'integer':
      return `integer ${kind.min}–${kind.max}${kind.note === undefined ? '' : ` (${kind.note})`}`;
    case 'enum':
      return kind.values.map((value) => `'${value}'`).join(' | ');
    case 'stringList':
      return 'string[]';
    case 'mode':
      return "'enforce' | 'monitor' | { default?, <check>?: mode }";
    case 'trustProxy':
      return 'boolean | integer ≥ 0 | string | string[]';
    case 'namespaceRules':
      return 'Record<namespace, NamespaceRule>';
    case 'eventRules':
      return 'Record<event, EventRule>';
    case 'function':
      return 'function';
    case 'store':
      return 'Store';
    case 'sinks':
      return 'EventSink[]';
    case 'csrfSecret':
      return 'string | string[]';
    case 'fieldName':
      return 'string (identifier)';
    case 'abuseSettings':
      return 'AbuseSettings';
    case 'secret':
      return 'string (≥ 32 characters)';
    case 'threatActions':
      return "{ xss?, sqli?, cmdi?, path?, proto? }: 'block' | 'sanitize' | 'flag' | 'off'";
    case 'schema':
      return 'StandardSchema';
  }
}

/** A default rendered as a reader would write it in a config (`'enforce'`, `[]`, `65536`). */
function renderDefault(spec: FieldSpec): string {
  if (spec.default === undefined) return spec.defaultDoc ?? '—';
  if (typeof spec.default === 'string') return `'${spec.default}'`;
  return JSON.stringify(spec.default);
}

/**
 * One row per top-level key, in declaration order, for the README's config table. `type` may contain `|`: escape it
 * when writing a Markdown table.
 */
export function configFieldDocs(): Array<{
  key: string;
  type: string;
  default: string;
  description: string;
  envVar: string | null;
}> {
  return CONFIG_KEYS.map((key) => {
    const spec = CONFIG_FIELDS[key];
    return {
      key,
      type: describeKind(spec.kind),
      default: renderDefault(spec),
      description: spec.doc,
      envVar: envVarFor(key),
    };
  });
}
