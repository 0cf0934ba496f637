import type { GuardConfig } from './types.js';

/**
 * Presets are bases to spread into a config: `createGuard({ ...presets.production, allowedOrigins, authenticate })`.
 * Each switches on every feature that exists. A later key in the spread wins.
 */

/** Local work: localhost origins on any port, clients without Origin (scripts) allowed, generous limits. */
const development: GuardConfig = Object.freeze({
  environment: 'development',
  mode: 'enforce',
  allowedOrigins: Object.freeze(['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*']),
  allowMissingOrigin: true,
  requireAuthentication: false,
  rateLimitingEnabled: true,
  connectionRateLimit: 120,
  messageRateLimit: 600,
  burstLimit: 100,
  maxConnectionsPerIp: 50,
  maxConnectionsPerUser: 20,
  // Hardening stays on; only the limits a developer may run into while debugging are looser.
  handshakeTimeoutMs: 10_000,
  maxPendingHandshakesPerIp: 64,
  maxHeaderBytes: 16_384,
  maxBufferedBytes: 16_777_216,
  idleTimeoutMs: 900_000,
  maxConnectionLifetimeMs: 86_400_000,
  revocationTtlMs: 86_400_000,
  maxMessageBytes: 1_048_576,
  // A secret is generated per process when none is given (warned): fine on one laptop, not in production.
  csrfEnabled: true,
  // Abuse is detected and reported, but nobody is disconnected or banned while you develop.
  abuseDetectionEnabled: true,
  autoDisconnectOnAbuse: false,
  // Development limits are about four times production's; so are its abuse thresholds.
  suspiciousActivityThreshold: 400,
});

/**
 * Production: every check enforced. You must add `allowedOrigins` (an empty list is a startup error), an
 * `authenticate` hook (anonymous clients are refused; set `requireAuthentication: false` for a public app) and a
 * `csrfSecret` (at least 32 random characters; a list rotates them).
 */
const production: GuardConfig = Object.freeze({
  environment: 'production',
  mode: 'enforce',
  allowedOrigins: Object.freeze([]),
  allowMissingOrigin: false,
  requireAuthentication: true,
  rateLimitingEnabled: true,
  connectionRateLimit: 30,
  messageRateLimit: 120,
  burstLimit: 20,
  maxConnectionsPerIp: 20,
  maxConnectionsPerUser: 5,
  handshakeTimeoutMs: 10_000,
  maxPendingHandshakesPerIp: 32,
  maxHeaderBytes: 16_384,
  maxBufferedBytes: 4_194_304,
  idleTimeoutMs: 300_000,
  maxConnectionLifetimeMs: 86_400_000,
  revocationTtlMs: 86_400_000,
  maxMessageBytes: 65_536,
  csrfEnabled: true,
  abuseDetectionEnabled: true,
  autoDisconnectOnAbuse: true,
  suspiciousActivityThreshold: 100,
});

export const presets = Object.freeze({ development, production });
export type PresetName = keyof typeof presets;
