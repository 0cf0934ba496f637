/**
 * The demo's guard config: every protection on and enforcing, limits low enough to trip in a click and bans of
 * seconds, so a visitor can watch one start and end. The page shows this same object (`describeDemoConfig`), so what
 * it says is what runs.
 *
 * Everything comes from one browser, hence one IP: what is keyed per IP is set so that the scenarios can run one
 * after another. Scenarios name their own users, so user-keyed limits, abuse windows and bans never carry over; the
 * IP-keyed abuse patterns keep production's thresholds (a few clicks never reach them), except rapid reconnection,
 * which is the scenario that bans this browser on purpose. The page holds each scenario's sockets open longer than
 * `shortSessionMs`, so only that scenario's churn counts as reconnection evidence.
 */

import { presets, type AuthenticateHook, type EventSink, type GuardConfig } from '../index.js';
import { DASHBOARD_USER } from './identity.js';

/** The limits the scenarios trip, in one place: the page and the scenario texts read them from here. */
export const DEMO_LIMITS = Object.freeze({
  connectionRateLimit: 120,
  messageRateLimit: 60,
  burstLimit: 10,
  maxConnectionsPerIp: 10,
  maxConnectionsPerUser: 3,
  maxMessageBytes: 2_048,
  /** A connection that ends sooner than this is one reconnection cycle. */
  shortSessionMs: 500,
  /** Short sessions within `reconnectWindowMs` that make a temporary ban. */
  reconnectThreshold: 8,
  reconnectWindowMs: 10_000,
  /** First automatic ban; doubling per ban up to `maxBanMs`. */
  banMs: 15_000,
  maxBanMs: 60_000,
});

export const ALLOWED_EVENTS = Object.freeze(['chat:send']);
export const ADMIN_EVENTS = Object.freeze(['admin:ping']);

export interface DemoConfigInput {
  /** Exact origins the page is served from. */
  readonly origins: readonly string[];
  readonly authenticate: AuthenticateHook;
  /** A fresh random secret per process: tokens die with the demo. */
  readonly csrfSecret: string;
  readonly sinks: readonly EventSink[];
}

export function demoConfig(input: DemoConfigInput): GuardConfig {
  const L = DEMO_LIMITS;
  return {
    ...presets.production,
    mode: 'enforce',
    allowedOrigins: input.origins,
    authenticate: input.authenticate,
    requireAuthentication: true,
    csrfEnabled: true,
    csrfSecret: input.csrfSecret,
    connectionRateLimit: L.connectionRateLimit,
    messageRateLimit: L.messageRateLimit,
    burstLimit: L.burstLimit,
    maxConnectionsPerIp: L.maxConnectionsPerIp,
    maxConnectionsPerUser: L.maxConnectionsPerUser,
    maxMessageBytes: L.maxMessageBytes,
    allowedEvents: ALLOWED_EVENTS,
    namespaces: { '/admin': { roles: ['admin'], allowedEvents: ADMIN_EVENTS } },
    payloadInspectionEnabled: true,
    maxPayloadDepth: 8,
    maxPayloadStringLength: 1_000,
    // Every threat kind refused, so each malicious string in the scenario comes back with its code.
    threatActions: { xss: 'block', sqli: 'block', cmdi: 'block', path: 'block', proto: 'block' },
    abuseDetectionEnabled: true,
    autoDisconnectOnAbuse: true,
    suspiciousActivityThreshold: 100,
    abuse: {
      patterns: {
        rapidReconnection: { threshold: L.reconnectThreshold, windowMs: L.reconnectWindowMs, ladder: ['temp_ban'] },
        // Per user: the burst scenario's refusals get its (fresh) user throttled, visible on the dashboard.
        messageFlood: { threshold: 10, windowMs: 10_000, ladder: ['throttle', 'disconnect', 'temp_ban'] },
        largePayloadAbuse: { threshold: 3, windowMs: 60_000, ladder: ['disconnect', 'temp_ban'] },
      },
      bans: { baseMs: L.banMs, multiplier: 2, maxMs: L.maxBanMs, permanentAfter: 0, historyMs: 60_000 },
      throttle: { factor: 0.25, durationMs: 20_000 },
      offenceMemoryMs: 60_000,
      shortSessionMs: L.shortSessionMs,
      // Ban expiries show on the dashboard within a second.
      sweepIntervalMs: 1_000,
      allowList: { users: [DASHBOARD_USER] },
    },
    sinks: input.sinks,
  };
}

export interface ConfigFact {
  readonly label: string;
  readonly value: string;
}

const n = (value: number): string => value.toLocaleString('en-US');
const seconds = (ms: number): string => `${ms / 1_000} s`;

/** What the page shows about the config: short facts, and the config itself with its secrets and functions left out. */
export function describeDemoConfig(config: GuardConfig): { facts: ConfigFact[]; config: Record<string, unknown> } {
  const L = DEMO_LIMITS;
  const facts: ConfigFact[] = [
    { label: 'Mode', value: 'enforce, every check' },
    { label: 'Origins', value: (config.allowedOrigins ?? []).join(', ') },
    { label: 'Messages', value: `${n(L.messageRateLimit)}/min per user, burst ${n(L.burstLimit)}` },
    { label: 'Connections', value: `${n(L.maxConnectionsPerUser)} per user, ${n(L.maxConnectionsPerIp)} per IP, ${n(L.connectionRateLimit)}/min per IP` },
    { label: 'Message size', value: `${n(L.maxMessageBytes)} bytes` },
    { label: 'Events allowed', value: `${ALLOWED_EVENTS.join(', ')} (/admin: ${ADMIN_EVENTS.join(', ')})` },
    { label: 'Authentication', value: 'required; /admin needs the admin role' },
    { label: 'CSRF', value: 'token bound to the session, at the handshake' },
    { label: 'Threats', value: 'XSS, SQL, shell, path, prototype keys: blocked' },
    {
      label: 'Bans',
      value: `${L.reconnectThreshold} sessions under ${seconds(L.shortSessionMs)} within ${seconds(L.reconnectWindowMs)} → ${seconds(L.banMs)}, doubling to ${seconds(L.maxBanMs)}`,
    },
  ];
  const shown = Object.fromEntries(
    Object.entries(config).filter(([key, value]) => key !== 'csrfSecret' && key !== 'sinks' && typeof value !== 'function'),
  );
  return { facts, config: { ...shown, csrfSecret: '(random per process)' } };
}
