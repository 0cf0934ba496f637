/**
 * Turn a validated config into the guard's resolved options, once, when the guard is created: defaults applied,
 * origins compiled to a predicate, role and event lists turned into sets, bucket specs computed. Nothing here runs
 * per message.
 */

import { DEFAULT_CONFIG } from '../config/defaults.js';
import { CHECK_NAMES } from '../config/fields.js';
import type { AuthenticateHook, CheckName, GuardConfig, Mode, ModeConfig } from '../config/types.js';
import { randomBytes } from 'node:crypto';
import { resolveAbuseOptions, type AbuseOptions } from '../abuse/options.js';
import { createCsrfTokens, type CsrfTokens } from '../policies/csrf/tokens.js';
import {
  compileInspection,
  compileSanitizer,
  compileSchemaCheck,
  type EventInspection,
  type Inspect,
} from '../policies/inspection/index.js';
import type { StandardSchemaV1 } from '../policies/inspection/schema/index.js';
import { compileOriginPolicy, type OriginCheck } from '../policies/origin/index.js';
import type { TokenBucketSpec } from '../stores/types.js';
import { compileTrustProxy, createClientIpResolver, type ClientIpResolver } from './client-ip.js';

export interface ResolvedNamespace {
  readonly roles: ReadonlySet<string> | null;
  readonly allowedEvents: ReadonlySet<string> | null;
  readonly requireAuthentication: boolean;
}

export interface ResolvedEventRule {
  readonly bucket: TokenBucketSpec | null;
  readonly maxBytes: number | null;
  readonly roles: ReadonlySet<string> | null;
  readonly requireCsrf: boolean;
  /** This event's schema and sanitizer; null when it has neither (or inspection is off). */
  readonly inspection: EventInspection | null;
}

export interface ResolvedCsrf {
  readonly tokens: CsrfTokens;
  /** Payload property that carries the token in events that need one. */
  readonly field: string;
  /** True when no secret was configured and one was generated for this process. */
  readonly generatedSecret: boolean;
}

export interface ResolvedOptions {
  readonly environment: 'development' | 'production';
  readonly modes: Readonly<Record<CheckName, Mode>>;
  readonly checkOrigin: (origin: string | undefined) => OriginCheck;
  readonly resolveClientIp: ClientIpResolver;
  readonly ipv6Prefix: number;
  readonly authenticate: AuthenticateHook | null;
  readonly requireAuthentication: boolean;
  readonly authTimeoutMs: number;
  readonly namespaces: ReadonlyMap<string, ResolvedNamespace>;
  readonly defaultNamespace: ResolvedNamespace;
  readonly rateLimiting: boolean;
  readonly connectionBucket: TokenBucketSpec;
  readonly messageBucket: TokenBucketSpec;
  /** Anonymous clients share this bucket per IP group on top of their per-connection one. */
  readonly anonymousIpBucket: TokenBucketSpec;
  readonly maxConnectionsPerIp: number;
  readonly maxConnectionsPerUser: number;
  readonly handshakeTimeoutMs: number;
  readonly maxPendingHandshakesPerIp: number;
  readonly maxHeaderBytes: number;
  /** 0: slow consumers are not checked. */
  readonly maxBufferedBytes: number;
  /** 0: no idle limit. */
  readonly idleTimeoutMs: number;
  /** 0: no lifetime limit. */
  readonly maxConnectionLifetimeMs: number;
  readonly revocationTtlMs: number;
  /** True for a TCP peer whose forwarding headers `trustProxy` believes (a proxy in front of the server). */
  readonly trustsPeer: (address: string) => boolean;
  readonly maxMessageBytes: number;
  /** The largest size any event may have (for transport buffer limits). */
  readonly largestMessageBytes: number;
  readonly events: ReadonlyMap<string, ResolvedEventRule>;
  /** null when CSRF protection is off. */
  readonly csrf: ResolvedCsrf | null;
  /** null when abuse detection is off. */
  readonly abuse: AbuseOptions | null;
  /** null when payload inspection is off. */
  readonly inspect: Inspect | null;
  readonly eventAggregationMs: number;
  readonly eventQueueSize: number;
  readonly maxTrackedKeys: number;
  readonly now: () => number;
}

function resolveModes(mode: ModeConfig): Record<CheckName, Mode> {
  const modes = {} as Record<CheckName, Mode>;
  const fallback: Mode = typeof mode === 'string' ? mode : (mode.default ?? 'enforce');
  for (const check of CHECK_NAMES) modes[check] = typeof mode === 'string' ? mode : (mode[check] ?? fallback);
  return modes;
}

function toSet(list: readonly string[] | undefined): ReadonlySet<string> | null {
  return list === undefined ? null : new Set(list);
}

/** The schema check and sanitizer of one event (or `guard.secure` handler); null when it has neither. */
export function compileEventInspection(rule: {
  readonly schema?: unknown;
  readonly html?: readonly string[];
  readonly text?: readonly string[];
}): EventInspection | null {
  const sanitize = rule.html || rule.text ? compileSanitizer({ html: rule.html ?? [], text: rule.text ?? [] }) : null;
  const schema = rule.schema === undefined ? null : compileSchemaCheck(rule.schema as StandardSchemaV1);
  return sanitize || schema ? Object.freeze({ sanitize, schema }) : null;
}

/** A steady rate of `perMinute` with room for `burst` at once. */
export function bucketSpec(perMinute: number, burst: number): TokenBucketSpec {
  return Object.freeze({ capacity: burst, refillPerSecond: perMinute / 60 });
}

/** Keys that have no default: absent means "none" (no hook, any event, no secret) or "create one" (store). */
type WithoutDefault = 'authenticate' | 'store' | 'sinks' | 'now' | 'allowedEvents' | 'csrfSecret' | 'abuse' | 'anonymizeIpSecret';
type WithDefaults = Required<Omit<GuardConfig, WithoutDefault>> & Pick<GuardConfig, WithoutDefault>;

/** The peer test of `trustProxy` (hop 0): a proxy's address stands for many clients. */
function trustsPeer(trust: GuardConfig['trustProxy']): (address: string) => boolean {
  const trusted = compileTrustProxy(trust ?? false);
  return trusted === null ? () => false : (address) => trusted(address, 0);
}

export function resolveOptions(config: GuardConfig): ResolvedOptions {
  // A key set to `undefined` means "not set": it must not erase its default.
  const given = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  const c = { ...DEFAULT_CONFIG, ...given } as WithDefaults;
  const globalEvents = toSet(c.allowedEvents);

  const namespaces = new Map<string, ResolvedNamespace>();
  for (const [name, rule] of Object.entries(c.namespaces)) {
    namespaces.set(
      name,
      Object.freeze({
        roles: toSet(rule.roles),
        allowedEvents: rule.allowedEvents ? new Set(rule.allowedEvents) : globalEvents,
        requireAuthentication: rule.requireAuthentication ?? c.requireAuthentication,
      }),
    );
  }

  const events = new Map<string, ResolvedEventRule>();
  let largest = c.maxMessageBytes;
  for (const [name, rule] of Object.entries(c.events)) {
    const bucket =
      rule.rateLimit !== undefined
        ? bucketSpec(rule.rateLimit, rule.burst ?? Math.min(c.burstLimit, rule.rateLimit))
        : rule.burst !== undefined
          ? bucketSpec(c.messageRateLimit, rule.burst)
          : null;
    if (rule.maxBytes !== undefined) largest = Math.max(largest, rule.maxBytes);
    events.set(
      name,
      Object.freeze({
        bucket,
        maxBytes: rule.maxBytes ?? null,
        roles: toSet(rule.roles),
        requireCsrf: rule.requireCsrf === true,
        inspection: c.payloadInspectionEnabled ? compileEventInspection(rule) : null,
      }),
    );
  }

  const now = c.now ?? Date.now;
  let csrf: ResolvedCsrf | null = null;
  if (c.csrfEnabled) {
    const configured = c.csrfSecret === undefined ? [] : typeof c.csrfSecret === 'string' ? [c.csrfSecret] : [...c.csrfSecret];
    // Validation refuses a missing secret in production; elsewhere one per process will do (and is warned).
    const secrets = configured.length > 0 ? configured : [randomBytes(32).toString('base64url')];
    csrf = Object.freeze({
      tokens: createCsrfTokens({ secrets, ttlMs: c.csrfTokenTtlMs, now }),
      field: c.csrfTokenField,
      generatedSecret: configured.length === 0,
    });
  }

  const modes = resolveModes(c.mode);
  const abuse = c.abuseDetectionEnabled
    ? resolveAbuseOptions({
        preset: c.environment,
        // Responses are carried out only when asked to, and not while the abuse check itself is monitored.
        monitor: !c.autoDisconnectOnAbuse || modes.abuse === 'monitor',
        suspiciousActivityThreshold: c.suspiciousActivityThreshold,
        settings: { maxTrackedKeys: c.maxTrackedKeys, ...c.abuse },
      })
    : null;

  const inspect = c.payloadInspectionEnabled
    ? compileInspection({
        structure: {
          maxDepth: c.maxPayloadDepth,
          maxKeys: c.maxPayloadKeys,
          maxArrayLength: c.maxPayloadArrayLength,
          maxStringLength: c.maxPayloadStringLength,
          maxNodes: c.maxPayloadNodes,
          pollution: c.prototypePollution,
          unsafeKeys: c.payloadUnsafeKeys,
        },
        normalize: { form: c.unicodeNormalization, stripControl: c.stripControlCharacters, stripBidi: c.stripBidiControls },
        threatActions: { ...DEFAULT_CONFIG.threatActions, ...c.threatActions },
      })
    : null;

  return Object.freeze({
    environment: c.environment,
    modes: Object.freeze(modes),
    checkOrigin: compileOriginPolicy({ allowedOrigins: c.allowedOrigins, allowMissingOrigin: c.allowMissingOrigin }),
    resolveClientIp: createClientIpResolver(c.trustProxy, c.proxyHeader),
    ipv6Prefix: c.ipv6Prefix,
    authenticate: c.authenticate ?? null,
    requireAuthentication: c.requireAuthentication,
    authTimeoutMs: c.authTimeoutMs,
    namespaces,
    defaultNamespace: Object.freeze({
      roles: null,
      allowedEvents: globalEvents,
      requireAuthentication: c.requireAuthentication,
    }),
    rateLimiting: c.rateLimitingEnabled,
    connectionBucket: bucketSpec(c.connectionRateLimit, c.connectionRateLimit),
    messageBucket: bucketSpec(c.messageRateLimit, c.burstLimit),
    anonymousIpBucket: bucketSpec(
      c.messageRateLimit * c.maxConnectionsPerIp,
      c.burstLimit * c.maxConnectionsPerIp,
    ),
    maxConnectionsPerIp: c.maxConnectionsPerIp,
    maxConnectionsPerUser: c.maxConnectionsPerUser,
    handshakeTimeoutMs: c.handshakeTimeoutMs,
    maxPendingHandshakesPerIp: c.maxPendingHandshakesPerIp,
    maxHeaderBytes: c.maxHeaderBytes,
    maxBufferedBytes: c.maxBufferedBytes,
    idleTimeoutMs: c.idleTimeoutMs,
    maxConnectionLifetimeMs: c.maxConnectionLifetimeMs,
    revocationTtlMs: c.revocationTtlMs,
    trustsPeer: trustsPeer(c.trustProxy),
    maxMessageBytes: c.maxMessageBytes,
    largestMessageBytes: largest,
    events,
    csrf,
    abuse,
    inspect,
    eventAggregationMs: c.eventAggregationMs,
    eventQueueSize: c.eventQueueSize,
    maxTrackedKeys: c.maxTrackedKeys,
    now,
  });
}
