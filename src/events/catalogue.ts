/**
 * The security-event registry: every event type wsguard emits, with its category and severity.
 *
 * Refusal events (`connection_refused`, `message_refused`) take category and severity from their reason code, so a
 * rate-limit refusal is a `rate_limit` event and an origin refusal a `connection` one. Later features add their
 * types here; the README's event table is checked against this object by a test.
 */

import type { EventCategory, ReasonCode, Severity } from '../codes/reason-codes.js';

export interface EventTypeInfo {
  /** `'reason'`: taken from the event's reason code. */
  readonly category: EventCategory | 'reason';
  readonly severity: Severity | 'reason';
  readonly description: string;
}

export const EVENT_TYPES = {
  connection_accepted: {
    category: 'connection',
    severity: 'info',
    description: 'A connection passed every check and was registered.',
  },
  connection_closed: {
    category: 'connection',
    severity: 'info',
    description: 'A registered connection ended (client close, server close, transport error); its counts were released.',
  },
  connection_refused: {
    category: 'reason',
    severity: 'reason',
    description: 'A connection attempt was refused; `reason` is the code sent to the client.',
  },
  message_refused: {
    category: 'reason',
    severity: 'reason',
    description: 'A message was refused before its handler; `reason` is the code sent to the client.',
  },
  connection_would_be_refused: {
    category: 'reason',
    severity: 'reason',
    description: 'Monitor mode: a check would have refused this connection, and let it pass.',
  },
  message_would_be_refused: {
    category: 'reason',
    severity: 'reason',
    description: 'Monitor mode: a check would have refused this message, and let it pass.',
  },
  connection_closed_by_guard: {
    category: 'reason',
    severity: 'reason',
    description: 'The guard closed a live connection (through the connection registry); `reason` says why.',
  },
  threat_detected: {
    category: 'validation',
    severity: 'warning',
    description: 'Threat detection found something in a payload it let through (`flag`, or `sanitize` for XSS); `detail` lists kind, rule and path of up to five findings, never the text.',
  },
  csrf_failure: {
    category: 'csrf',
    severity: 'warning',
    description: 'A connection or event came without a valid CSRF token for its session; `reason` names the cause. The token itself is never logged.',
  },
  auth_hook_failed: {
    category: 'authorization',
    severity: 'high',
    description: 'The `authenticate` hook threw or timed out; the connection was refused as `unauthenticated`.',
  },
  handler_error: {
    category: 'system',
    severity: 'high',
    description: 'A handler wrapped with `guard.secure` threw or rejected; the client got `internal_error`.',
  },
  internal_error: {
    category: 'system',
    severity: 'critical',
    description: 'A check failed with an error (a store fault or a bug); the request was refused with `internal_error`.',
  },

  abuse_detected: {
    category: 'abuse',
    severity: 'warning',
    description:
      'A client crossed an abuse threshold; `detail` names the pattern, the key, the evidence and the actions taken (or, with `detail.monitor`, the actions that would have been taken).',
  },
  ban_added: {
    category: 'abuse',
    severity: 'high',
    description: 'An IP group or a user was banned (by the detector or an admin); its live connections were closed.',
  },
  ban_expired: {
    category: 'abuse',
    severity: 'info',
    description: 'A temporary ban ended on time.',
  },
  ban_lifted: {
    category: 'admin',
    severity: 'warning',
    description: 'A ban was lifted before it ended, through the guard\u2019s API; `detail.by` says who lifted it.',
  },
  session_revoked: {
    category: 'admin',
    severity: 'warning',
    description:
      'A session or a user was revoked through the guard\u2019s API (`detail.kind`, `detail.until`, `detail.by`); its live connections were closed and new ones are refused with `session_revoked`.',
  },
  revocation_lifted: {
    category: 'admin',
    severity: 'warning',
    description: 'A revocation was lifted before it ended, through the guard\u2019s API; `detail.by` says who lifted it.',
  },
  credentials_refreshed: {
    category: 'authorization',
    severity: 'info',
    description: 'A client sent new credentials (`wsguard:refresh`) for the same user; `detail.expiresAt` is when they end.',
  },
  admin_action: {
    category: 'admin',
    severity: 'warning',
    description:
      'An administrator acted through the admin API or namespace: `detail.action` (`disconnect`, `ban`, `unban`), `detail.by` (who) and `detail.target`; refused admin calls are `admin_refused`.',
  },
  admin_refused: {
    category: 'admin',
    severity: 'high',
    description: 'A call to the admin API or namespace was refused (`reason`: `unauthenticated`, `forbidden` or a CSRF code); `detail.path` says which.',
  },
  admin_alert: {
    category: 'abuse',
    severity: 'high',
    description: 'An abuse response asked for a human: an `alert` step of a ladder, or a ban that became permanent.',
  },
  config_warning: {
    category: 'system',
    severity: 'warning',
    description: 'The configuration weakens a default (logged once per process).',
  },
  store_degraded: {
    category: 'system',
    severity: 'warning',
    description:
      'The shared store (Redis) stopped answering within its timeout: limits fall back to this node\u2019s memory until it is back; once per outage, `detail.error` says what failed.',
  },
  store_recovered: {
    category: 'system',
    severity: 'info',
    description: 'The shared store (Redis) answers again: limits and bans are shared across nodes again.',
  },
  events_dropped: {
    category: 'system',
    severity: 'warning',
    description: 'The event queue was full and events were dropped; `detail.count` says how many.',
  },
} as const satisfies Record<string, EventTypeInfo>;

export type SecurityEventType = keyof typeof EVENT_TYPES;

/**
 * One security event. Never carries a secret (token, cookie, authorization header) or a whole payload.
 * `count` > 1 when the event stands for several identical refusals aggregated over one interval.
 */
export interface SecurityEvent {
  readonly type: SecurityEventType;
  readonly category: EventCategory;
  readonly severity: Severity;
  /** Epoch milliseconds. */
  readonly time: number;
  readonly reason?: ReasonCode;
  readonly ip?: string;
  readonly userId?: string;
  readonly sessionId?: string;
  readonly namespace?: string;
  readonly event?: string;
  readonly connectionId?: string;
  readonly count?: number;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** What a caller passes to the bus; category, severity and time are filled in from the catalogue. */
export type SecurityEventInput = Omit<SecurityEvent, 'category' | 'severity' | 'time'> & {
  readonly severity?: Severity;
  readonly time?: number;
};

export const securityEventTypes: readonly SecurityEventType[] = Object.freeze(
  Object.keys(EVENT_TYPES) as SecurityEventType[],
);
