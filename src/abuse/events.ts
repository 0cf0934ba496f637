/**
 * What the abuse detector reads and writes on the event bus.
 *
 * It reads security events (`ObservedEvent` is the part of `SecurityEvent` it looks at, loose enough for event types
 * and reasons that later releases add) and writes five event types of its own. They are listed, with their
 * category and severity, in the event catalogue (src/events/catalogue.ts).
 */

import type { Severity } from '../codes/reason-codes.js';

/** The fields of a security event the detector reads. A `SecurityEvent` is one; unknown types and reasons are ignored. */
export interface ObservedEvent {
  readonly type: string;
  readonly reason?: string;
  /** The client address (already resolved through trusted proxies), not yet grouped. */
  readonly ip?: string;
  readonly userId?: string;
  /** The event name, for message-level events. */
  readonly event?: string;
  readonly connectionId?: string;
  /** How many identical events this one stands for (the bus aggregates refusals); 1 when absent. */
  readonly count?: number;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** The event types the detector writes; the catalogue (src/events/catalogue.ts) gives their category and severity. */
export type AbuseEventType = 'abuse_detected' | 'ban_added' | 'ban_expired' | 'ban_lifted' | 'admin_alert';

/** What the detector emits: its own types, and `internal_error` when a store fails under an automatic response. */
export interface AbuseEventInput {
  readonly type: AbuseEventType | 'internal_error';
  readonly severity?: Severity;
  readonly ip?: string;
  readonly userId?: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}
