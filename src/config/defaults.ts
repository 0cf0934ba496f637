import type { GuardConfig } from './types.js';

/**
 * Library defaults: what a key means when neither the code, the environment, a file nor a preset set it.
 * Secure by default: no origin is allowed until listed, forwarding headers are not trusted, limits are on.
 */
export const DEFAULT_CONFIG = Object.freeze({
  environment: 'development',
  mode: 'enforce',
  allowedOrigins: Object.freeze([]),
  allowMissingOrigin: false,
  trustProxy: false,
  proxyHeader: 'x-forwarded-for',
  ipv6Prefix: 64,
  requireAuthentication: false,
  authTimeoutMs: 5_000,
  namespaces: Object.freeze({}),
  rateLimitingEnabled: true,
  connectionRateLimit: 30,
  messageRateLimit: 120,
  burstLimit: 20,
  maxConnectionsPerIp: 20,
  maxConnectionsPerUser: 5,
  maxMessageBytes: 65_536,
  events: Object.freeze({}),
  csrfEnabled: false,
  csrfTokenTtlMs: 3_600_000,
  csrfTokenField: 'csrfToken',
  payloadInspectionEnabled: false,
  abuseDetectionEnabled: true,
  autoDisconnectOnAbuse: true,
  suspiciousActivityThreshold: 100,
  eventAggregationMs: 1_000,
  eventQueueSize: 10_000,
  maxTrackedKeys: 100_000,
} as const satisfies GuardConfig);
