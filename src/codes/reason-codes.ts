/**
 * The reason-code catalogue: every way wsguard can refuse a connection or a message.
 *
 * A code is a stable string that clients, logs and dashboards can rely on. Each entry says which HTTP status a
 * refused upgrade answers with, which WebSocket close code ends a connection closed for that reason, whether the
 * refusal carries `retryAfterMs`, and which security-event category and severity a refusal of this kind belongs to.
 * Later features add their codes here, never elsewhere: the README table and a test are checked against this object.
 */

/** Security-event categories (the dashboard and metrics group by these). */
export type EventCategory =
  | 'connection'
  | 'rate_limit'
  | 'csrf'
  | 'validation'
  | 'abuse'
  | 'authorization'
  | 'admin'
  | 'system';

export type Severity = 'info' | 'warning' | 'high' | 'critical';

export interface ReasonCodeInfo {
  /** HTTP status for a refused upgrade or an HTTP API error. */
  readonly status: number;
  /** Status when the refusal is permanent (a permanent ban: 403 rather than 429). */
  readonly permanentStatus?: number;
  /** WebSocket close code used when a connection is closed for this reason. */
  readonly closeCode: number;
  /** True when the refusal is temporary and carries `retryAfterMs`. */
  readonly retryable: boolean;
  readonly category: EventCategory;
  readonly severity: Severity;
  /** Default human-readable message sent to the client. Never contains client data. */
  readonly message: string;
}

// RFC 6455 close codes used below: 1003 unsupported data, 1007 invalid payload data, 1008 policy violation, 1009 message too big, 1011 internal error,
// 1013 try again later (temporary conditions such as rate limits).
const UNSUPPORTED = 1003;
const INVALID_DATA = 1007;
const POLICY = 1008;
const TOO_BIG = 1009;
const INTERNAL = 1011;
const TRY_LATER = 1013;
// 1001 going away: the server ends a connection that did nothing wrong (idle, too old); clients reconnect.
const GOING_AWAY = 1001;

export const REASON_CODES = {
  origin_not_allowed: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'connection',
    severity: 'warning',
    message: 'Origin not allowed',
  },
  connection_rate_limited: {
    status: 429,
    closeCode: TRY_LATER,
    retryable: true,
    category: 'rate_limit',
    severity: 'warning',
    message: 'Too many connection attempts from this address',
  },
  too_many_connections_ip: {
    status: 429,
    closeCode: TRY_LATER,
    retryable: true,
    category: 'rate_limit',
    severity: 'warning',
    message: 'Too many open connections from this address',
  },
  too_many_connections_user: {
    status: 429,
    closeCode: TRY_LATER,
    retryable: true,
    category: 'rate_limit',
    severity: 'warning',
    message: 'Too many open connections for this user',
  },
  unauthenticated: {
    status: 401,
    closeCode: POLICY,
    retryable: false,
    category: 'authorization',
    severity: 'warning',
    message: 'Authentication required',
  },
  namespace_forbidden: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'authorization',
    severity: 'warning',
    message: 'Not allowed to join this namespace',
  },
  forbidden: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'authorization',
    severity: 'warning',
    message: 'Not allowed to send this event',
  },
  message_rate_limited: {
    status: 429,
    closeCode: TRY_LATER,
    retryable: true,
    category: 'rate_limit',
    severity: 'info',
    message: 'Too many messages',
  },
  message_too_large: {
    status: 413,
    closeCode: TOO_BIG,
    retryable: false,
    category: 'validation',
    severity: 'warning',
    message: 'Message too large',
  },
  malformed_message: {
    status: 400,
    closeCode: INVALID_DATA,
    retryable: false,
    category: 'validation',
    severity: 'warning',
    message: 'Message could not be read',
  },
  binary_not_allowed: {
    status: 415,
    closeCode: UNSUPPORTED,
    retryable: false,
    category: 'validation',
    severity: 'warning',
    message: 'Binary messages are not accepted',
  },
  event_not_allowed: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'validation',
    severity: 'warning',
    message: 'Event not allowed',
  },
  csrf_missing: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'csrf',
    severity: 'warning',
    message: 'CSRF token missing',
  },
  csrf_invalid: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'csrf',
    severity: 'warning',
    message: 'CSRF token invalid',
  },
  csrf_expired: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'csrf',
    severity: 'warning',
    message: 'CSRF token expired',
  },
  csrf_session_mismatch: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'csrf',
    severity: 'warning',
    message: 'CSRF token belongs to another session',
  },
  payload_too_deep: {
    status: 413,
    closeCode: TOO_BIG,
    retryable: false,
    category: 'validation',
    severity: 'warning',
    message: 'Payload nested too deep',
  },
  payload_too_complex: {
    status: 413,
    closeCode: TOO_BIG,
    retryable: false,
    category: 'validation',
    severity: 'warning',
    message: 'Payload too complex',
  },
  prototype_pollution: {
    status: 400,
    closeCode: POLICY,
    retryable: false,
    category: 'validation',
    severity: 'high',
    message: 'Payload contains a forbidden key',
  },
  payload_invalid_key: {
    status: 400,
    closeCode: POLICY,
    retryable: false,
    category: 'validation',
    severity: 'warning',
    message: 'Payload contains a key with control characters',
  },
  validation_failed: {
    status: 422,
    closeCode: POLICY,
    retryable: false,
    category: 'validation',
    severity: 'info',
    message: 'Payload does not match the expected shape',
  },
  malicious_payload: {
    status: 400,
    closeCode: POLICY,
    retryable: false,
    category: 'validation',
    severity: 'high',
    message: 'Payload refused by threat detection',
  },
  schema_error: {
    status: 500,
    closeCode: INTERNAL,
    retryable: false,
    category: 'system',
    severity: 'high',
    message: 'Payload could not be validated',
  },
  handshake_timeout: {
    status: 408,
    closeCode: POLICY,
    retryable: false,
    category: 'connection',
    severity: 'warning',
    message: 'Handshake not completed in time',
  },
  too_many_pending_handshakes: {
    status: 429,
    closeCode: TRY_LATER,
    retryable: false,
    category: 'rate_limit',
    severity: 'warning',
    message: 'Too many unfinished handshakes from this address',
  },
  headers_too_large: {
    status: 431,
    closeCode: POLICY,
    retryable: false,
    category: 'validation',
    severity: 'warning',
    message: 'Request headers too large',
  },
  malformed_request: {
    status: 400,
    closeCode: POLICY,
    retryable: false,
    category: 'validation',
    severity: 'warning',
    message: 'Request could not be read',
  },
  slow_consumer: {
    status: 503,
    closeCode: TRY_LATER,
    retryable: false,
    category: 'connection',
    severity: 'warning',
    message: 'Disconnected: too much data waiting for the client to read',
  },
  idle_timeout: {
    status: 408,
    closeCode: GOING_AWAY,
    retryable: false,
    category: 'connection',
    severity: 'info',
    message: 'Connection idle for too long',
  },
  lifetime_exceeded: {
    status: 401,
    closeCode: GOING_AWAY,
    retryable: false,
    category: 'connection',
    severity: 'info',
    message: 'Connection reached its maximum lifetime; reconnect',
  },
  credentials_expired: {
    status: 401,
    closeCode: POLICY,
    retryable: false,
    category: 'authorization',
    severity: 'info',
    message: 'Credentials expired',
  },
  session_revoked: {
    status: 401,
    closeCode: POLICY,
    retryable: false,
    category: 'authorization',
    severity: 'warning',
    message: 'Session revoked',
  },
  banned: {
    status: 429,
    permanentStatus: 403,
    // 1008 either way: 1013 ("try again later") invites clients into an automatic reconnect loop.
    closeCode: POLICY,
    retryable: true,
    category: 'abuse',
    severity: 'warning',
    message: 'Banned',
  },
  abuse_disconnected: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'abuse',
    severity: 'warning',
    message: 'Disconnected for abuse',
  },
  disconnected_by_admin: {
    status: 403,
    closeCode: POLICY,
    retryable: false,
    category: 'admin',
    severity: 'warning',
    message: 'Disconnected by an administrator',
  },
  internal_error: {
    status: 500,
    closeCode: INTERNAL,
    retryable: true,
    category: 'system',
    severity: 'high',
    message: 'Internal error',
  },
  store_unavailable: {
    status: 503,
    closeCode: TRY_LATER,
    retryable: true,
    category: 'system',
    severity: 'warning',
    message: 'Service temporarily unavailable',
  },
} as const satisfies Record<string, ReasonCodeInfo>;

export type ReasonCode = keyof typeof REASON_CODES;

export const reasonCodes: readonly ReasonCode[] = Object.freeze(Object.keys(REASON_CODES) as ReasonCode[]);

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REASON_CODES, value);
}

export function reasonInfo(code: ReasonCode): ReasonCodeInfo {
  return REASON_CODES[code];
}
