/**
 * The demo's attack scenarios: what each does and what the guard must answer. The page renders its rows from this
 * table (through `/demo/config.json`) and runs each one from the browser through real sockets
 * (`public/js/scenarios.js` holds one runner per id); the tests check every row against the server's reason codes.
 */

import type { ReasonCode } from '../index.js';
import { DEMO_LIMITS } from './config.js';

export interface DemoScenario {
  readonly id: string;
  readonly title: string;
  /** What the scenario does, in a sentence. */
  readonly does: string;
  /** The outcome it expects, as the page shows it. */
  readonly expected: string;
  /** Reason codes the guard must answer with (empty: nothing refused). */
  readonly codes: readonly ReasonCode[];
  /** The prefix of the fresh users it connects as (each run gets its own, `flood-k3x9`). */
  readonly user: string;
}

const L = DEMO_LIMITS;

export const DEMO_SCENARIOS: readonly DemoScenario[] = Object.freeze([
  {
    id: 'normal',
    title: 'Normal messages',
    does: 'Connects with a CSRF token and sends three chat messages.',
    expected: 'All 3 delivered and broadcast, nothing refused',
    codes: [],
    user: 'alice',
  },
  {
    id: 'burst',
    title: 'Message burst',
    does: `Fires 25 messages at once, past the burst of ${L.burstLimit}.`,
    expected: `About ${L.burstLimit} delivered, the rest refused: message_rate_limited`,
    codes: ['message_rate_limited'],
    user: 'flood',
  },
  {
    id: 'connections',
    title: 'Connection limit',
    does: `Opens sockets as one user past its cap of ${L.maxConnectionsPerUser}, then as new users past the cap of ${L.maxConnectionsPerIp} per IP.`,
    expected: 'Refused: too_many_connections_user, then too_many_connections_ip',
    codes: ['too_many_connections_user', 'too_many_connections_ip'],
    user: 'hog',
  },
  {
    id: 'allowlist',
    title: 'Event not on the allow-list',
    does: 'Sends files:delete and debug:eval, then a chat message.',
    expected: 'Both refused: event_not_allowed; the chat message is delivered',
    codes: ['event_not_allowed'],
    user: 'fuzz',
  },
  {
    id: 'payloads',
    title: 'Malicious payloads',
    does: 'Sends XSS, SQL injection, shell injection and path traversal strings, a __proto__ key and one harmless line.',
    expected: 'Each attack refused: malicious_payload or prototype_pollution; the harmless line is delivered',
    codes: ['malicious_payload', 'prototype_pollution'],
    user: 'mallory',
  },
  {
    id: 'csrf',
    title: 'Missing and forged CSRF token',
    does: "Connects without a token, with a forged one, with another session's token, then with its own.",
    expected: 'csrf_missing, csrf_invalid, csrf_session_mismatch; its own token connects',
    codes: ['csrf_missing', 'csrf_invalid', 'csrf_session_mismatch'],
    user: 'csrf',
  },
  {
    id: 'admin',
    title: 'Admin namespace',
    does: 'Joins /admin anonymously, as a normal user, then as an admin.',
    expected: 'unauthenticated, namespace_forbidden; the admin joins',
    codes: ['unauthenticated', 'namespace_forbidden'],
    user: 'bob',
  },
  {
    id: 'oversized',
    title: 'Oversized message',
    does: `Sends a 4 KB message (limit ${L.maxMessageBytes.toLocaleString('en-US')} bytes), then a normal one.`,
    expected: 'Refused: message_too_large; the next message is delivered',
    codes: ['message_too_large'],
    user: 'bulk',
  },
  {
    id: 'reconnect',
    title: 'Rapid reconnects',
    does: `Connects and drops at once, again and again: ${L.reconnectThreshold} sessions under ${L.shortSessionMs / 1_000} s make a churn loop.`,
    expected: `This browser's IP banned for ${L.banMs / 1_000} s: banned (lift it with the button)`,
    codes: ['banned'],
    user: 'churn',
  },
]);
