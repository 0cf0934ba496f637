/**
 * The abuse patterns and which security events are evidence for which.
 *
 * Each refusal reason belongs to at most one pattern, so one event is never counted twice. What the client does not
 * control is never evidence: origin refusals (a hostile page makes its victims' browsers send them), failures of the
 * `authenticate` hook itself (an auth back-end outage would otherwise ban everyone), internal errors, refusals of
 * already banned clients, and monitor-mode "would be refused" events (monitor means: act on nothing).
 *
 * Who is counted: evidence from a connection attempt is counted against the IP group, never the user it claims to be
 * (or anyone could lock a user out by failing logins in their name); evidence from a message on an admitted
 * connection is counted against its user, or its IP group when anonymous.
 */

import type { ObservedEvent } from './events.js';

export const PATTERN_NAMES = Object.freeze([
  'connectionFlood',
  'messageFlood',
  'rapidReconnection',
  'authenticationAbuse',
  'inputValidationAbuse',
  'largePayloadAbuse',
] as const);

/** A pattern counted over a sliding window of its own. */
export type PatternName = (typeof PATTERN_NAMES)[number];

/** The suspicious-activity score: a weighted, decaying sum of every pattern's evidence. */
export const SUSPICIOUS_ACTIVITY = 'suspiciousActivity';

/** Every name an `abuse_detected` event may carry in `detail.pattern`. */
export type DetectionName = PatternName | typeof SUSPICIOUS_ACTIVITY;

/** Where evidence came from: a connection attempt (counted per IP group) or a message (per user, else IP group). */
export type EvidenceLevel = 'connection' | 'message';

export interface Evidence {
  /** Index into `PATTERN_NAMES`. */
  readonly pattern: number;
  readonly level: EvidenceLevel;
  /** How many occurrences the event stands for (aggregated refusals carry `count`). */
  readonly count: number;
}

export const PATTERN_INDEX: Readonly<Record<PatternName, number>> = Object.freeze(
  Object.fromEntries(PATTERN_NAMES.map((name, index) => [name, index])) as Record<PatternName, number>,
);

const CONNECTION_FLOOD = PATTERN_INDEX.connectionFlood;
const AUTHENTICATION = PATTERN_INDEX.authenticationAbuse;

/** Refusal reasons (today's and those announced for payload inspection) and the pattern each is evidence for. */
const REASON_PATTERN_NAMES: readonly (readonly [string, PatternName])[] = [
  ['connection_rate_limited', 'connectionFlood'],
  ['too_many_connections_ip', 'connectionFlood'],
  ['too_many_connections_user', 'connectionFlood'],
  // Slow and half-open handshakes (reported with `ip` only for addresses that are not trusted proxies).
  ['too_many_pending_handshakes', 'connectionFlood'],
  ['handshake_timeout', 'connectionFlood'],
  ['message_rate_limited', 'messageFlood'],
  ['unauthenticated', 'authenticationAbuse'],
  ['namespace_forbidden', 'authenticationAbuse'],
  ['forbidden', 'authenticationAbuse'],
  ['csrf_missing', 'authenticationAbuse'],
  ['csrf_invalid', 'authenticationAbuse'],
  ['csrf_expired', 'authenticationAbuse'],
  ['csrf_session_mismatch', 'authenticationAbuse'],
  ['event_not_allowed', 'inputValidationAbuse'],
  ['malformed_message', 'inputValidationAbuse'],
  ['binary_not_allowed', 'inputValidationAbuse'],
  ['malformed_request', 'inputValidationAbuse'],
  ['headers_too_large', 'largePayloadAbuse'],
  ['prototype_pollution', 'inputValidationAbuse'],
  ['payload_invalid_key', 'inputValidationAbuse'],
  ['validation_failed', 'inputValidationAbuse'],
  ['malicious_payload', 'inputValidationAbuse'],
  ['threat_detected', 'inputValidationAbuse'],
  ['message_too_large', 'largePayloadAbuse'],
  ['payload_too_deep', 'largePayloadAbuse'],
  ['payload_too_complex', 'largePayloadAbuse'],
];
const REASON_PATTERNS: ReadonlyMap<string, number> = new Map(REASON_PATTERN_NAMES.map(([reason, pattern]) => [reason, PATTERN_INDEX[pattern]]));

/**
 * Payload inspection may report a finding as an event of its own rather than a refusal (a payload it cleaned and let
 * through, say): such an event is message-level evidence for the pattern of the reason of the same name.
 */
const FINDING_TYPES: ReadonlySet<string> = new Set(['validation_failed', 'malicious_payload', 'threat_detected', 'payload_too_deep', 'payload_too_complex']);

/** Every accepted connection is one occurrence of connection-flood evidence: one object for all of them. */
const ACCEPTED: Evidence = Object.freeze({ pattern: CONNECTION_FLOOD, level: 'connection', count: 1 });

/** A positive integer, or 1: a malformed `count` must not turn into NaN or a huge weight. */
export function occurrences(event: ObservedEvent): number {
  const count = event.count;
  return typeof count === 'number' && Number.isSafeInteger(count) && count > 0 ? count : 1;
}

/**
 * The evidence an event carries, or null. `connection_closed` is evidence of rapid reconnection only when the
 * connection was short-lived, which needs state: the detector decides that one itself.
 */
export function classify(event: ObservedEvent): Evidence | null {
  switch (event.type) {
    case 'connection_accepted':
      return ACCEPTED;
    case 'connection_refused': {
      const pattern = event.reason === undefined ? undefined : REASON_PATTERNS.get(event.reason);
      if (pattern === undefined) return null;
      if (pattern === AUTHENTICATION && event.detail?.['reason'] === 'hook_failed') return null;
      return { pattern, level: 'connection', count: occurrences(event) };
    }
    case 'message_refused': {
      const pattern = event.reason === undefined ? undefined : REASON_PATTERNS.get(event.reason);
      return pattern === undefined ? null : { pattern, level: 'message', count: occurrences(event) };
    }
    case 'csrf_failure':
      // At the handshake (no event name) the session may be a victim's; in an event it is the connection's own.
      return { pattern: AUTHENTICATION, level: event.event === undefined ? 'connection' : 'message', count: occurrences(event) };
    default: {
      if (!FINDING_TYPES.has(event.type)) return null;
      const pattern = REASON_PATTERNS.get(event.type);
      return pattern === undefined ? null : { pattern, level: 'message', count: occurrences(event) };
    }
  }
}
