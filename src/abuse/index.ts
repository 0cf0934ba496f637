/**
 * Abuse detection: sliding windows over security events, patterns, response ladders and escalating bans. The guard
 * owns one detector; everything here is also usable on its own (tests, other frameworks).
 */

export { compileAllowList, type AllowList, type AllowListInput } from './allow-list.js';
export {
  BAN_CHANNEL,
  escalatedMs,
  type AbuseCloseCode,
  type CloseConnections,
  type ConnectionSelector,
} from './bans.js';
export {
  createAbuseDetector,
  type AbuseDetector,
  type AbuseDetectorDeps,
  type AbuseStats,
  type BanCheck,
  type BanCheckSubject,
  type BanOptions,
  type BanOutcome,
  type BanTarget,
  type ScoreEntry,
  type UnbanOptions,
} from './detector.js';
export { type AbuseEventInput, type AbuseEventType, type ObservedEvent } from './events.js';
export { ABUSE_ACTIONS, type AbuseAction, type Ladder, type LadderStep, type LadderStepInput } from './ladder.js';
export {
  ABUSE_LIMITS,
  ABUSE_PRESETS,
  abuseSettingsIssues,
  resolveAbuseOptions,
  type AbuseOptions,
  type AbuseOptionsInput,
  type AbuseSettings,
  type AbuseSettingsIssue,
  type BanSettings,
  type PatternSettings,
  type ResolvedPattern,
  type SuspiciousActivitySettings,
  type ThrottleSettings,
} from './options.js';
export { PATTERN_NAMES, SUSPICIOUS_ACTIVITY, type DetectionName, type PatternName } from './patterns.js';
