/**
 * wsguard: a security layer for WebSocket servers. This entry point is transport-agnostic; the adapters live at
 * `wsguard/socket.io` (and later `wsguard/ws`).
 */

export { createGuard } from './core/guard.js';
export type { Guard, GuardConnections, GuardEvents, OpenedConnection, ScreenRequest } from './core/guard.js';
export type { SecureOptions } from './core/secure.js';
export { hardenServer } from './core/handshake-limits.js';
export { REFRESH_EVENT } from './core/credential-refresh.js';
export type { RefreshVerdict } from './core/credential-refresh.js';
export type { RevocationResult, RevokeOptions } from './core/revocation.js';
export type { ConnectionRecord, ConnectionSelector, CloseConnection, NotifyClient } from './core/registry.js';
export type { ResolvedOptions } from './core/options.js';
export { normalizeIp, ipGroupKey } from './core/ip.js';

export { REASON_CODES, reasonCodes, isReasonCode, reasonInfo } from './codes/reason-codes.js';
export type { ReasonCode, ReasonCodeInfo, EventCategory, Severity } from './codes/reason-codes.js';
export { deny, toClientError } from './codes/types.js';
export type {
  Allowed,
  AuthRequest,
  Awaitable,
  ClientError,
  ConnectionAllowed,
  ConnectionContext,
  ConnectionVerdict,
  Denied,
  Identity,
  MessageContext,
  Verdict,
} from './codes/types.js';

export { presets } from './config/presets.js';
export type { PresetName } from './config/presets.js';
export { DEFAULT_CONFIG } from './config/defaults.js';
export { validateConfig, ConfigError } from './config/validate.js';
export type { ConfigIssue } from './config/validate.js';
export { loadConfig } from './config/load.js';
export { CONFIG_WARNINGS } from './config/warnings.js';
export type {
  AuthenticateHook,
  CheckName,
  EventRule,
  GuardConfig,
  Mode,
  ModeConfig,
  NamespaceRule,
  TrustProxy,
} from './config/types.js';

export { createScanner, scanPayload, SCAN_RULES } from './policies/inspection/index.js';
export type { ScanFinding, ScanKind, ScanOptions, Scanner } from './policies/inspection/index.js';
export type { AbuseSettings } from './abuse/options.js';
export type { GuardAbuse } from './core/guard.js';

export { EVENT_TYPES, securityEventTypes } from './events/catalogue.js';
export type { SecurityEvent, SecurityEventInput, SecurityEventType, EventTypeInfo } from './events/catalogue.js';
export type { EventSink } from './events/sink.js';
export { pinoSink } from './events/pino-sink.js';
export { auditSink } from './events/audit/sink.js';
export type { AuditSink, AuditSinkOptions, AuditSinkStats } from './events/audit/sink.js';
export { verifyAuditFiles, auditFilesInOrder } from './events/audit/verify.js';
export { webhookSink, syslogSink, formatCef, formatSyslog } from './events/alerts/index.js';
export type {
  WebhookSink,
  WebhookSinkOptions,
  WebhookSinkStats,
  SyslogSink,
  SyslogSinkOptions,
  SyslogSinkStats,
} from './events/alerts/index.js';
export type { AuditVerifyResult } from './events/audit/verify.js';
export type { PinoSinkOptions } from './events/pino-sink.js';

export { createAdminApi, AdminError } from './admin/index.js';
export type {
  AdminApi,
  AdminApiOptions,
  AdminStats,
  AdminControls,
  AdminHandler,
  BanInput,
  DisconnectTarget,
  UnbanInput,
  EventFilter,
  DeliverBatch,
} from './admin/index.js';

export { memoryStore } from './stores/memory.js';
export { StoreUnavailableError, isStoreUnavailable } from './stores/errors.js';
export type { MemoryStore, MemoryStoreOptions, MemoryStoreStats } from './stores/memory.js';
export type {
  Ban,
  CounterResult,
  LeaseResult,
  Store,
  StoreHealth,
  TokenBucketResult,
  TokenBucketSpec,
  Unsubscribe,
} from './stores/types.js';
