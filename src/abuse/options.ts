/**
 * The detector's options: what a config may say (`AbuseSettings`, the nested `abuse` object), the defaults of the two
 * presets, the checks (`abuseSettingsIssues`, one message per bad field, for the config validator to reuse), and the
 * resolved, frozen form the detector runs on (`AbuseOptions`). Nothing here runs per event.
 *
 * How the default thresholds were chosen: each sits well above what the guard's own limits let a well-behaved client
 * do, so a pattern trips only for a client that keeps going after being refused. Production's limits are 30
 * connections/min per IP, 120 messages/min per user with a burst of 20, 20 open connections per IP; development's are
 * about four times those, and so are its thresholds. Reasoning per pattern is beside each default below.
 */

import { allowListIpIssues, compileAllowList, type AllowList } from './allow-list.js';
import { ladderIssues, resolveLadder, type Ladder, type LadderStepInput } from './ladder.js';
import { PATTERN_NAMES, type PatternName } from './patterns.js';
import { slotMsFor } from './windows.js';

/** One pattern, for example `messageFlood: { threshold: 200, windowMs: 60_000, ladder: ['throttle', 'temp_ban'] }`. */
export interface PatternSettings {
  /** Evidence within `windowMs` that makes an offence (it trips at exactly this count). Default: per pattern. */
  readonly threshold?: number;
  /** Length of the sliding window, in ms. Default: per pattern (1–10 minutes). */
  readonly windowMs?: number;
  /** Points each occurrence adds to the suspicious-activity score; 0 leaves the pattern out of it. Default: per pattern. */
  readonly weight?: number;
  /** What to do on the 1st, 2nd, … offence; past the end the last step repeats. Example: `['log', ['temp_ban', 'alert']]`. */
  readonly ladder?: readonly LadderStepInput[];
}

export interface SuspiciousActivitySettings {
  /** The score halves every `halfLifeMs` (the "decaying window"). Default 600_000 (10 minutes). */
  readonly halfLifeMs?: number;
  /** Default `['alert', ['disconnect', 'alert'], ['temp_ban', 'alert']]`. */
  readonly ladder?: readonly LadderStepInput[];
}

/** Escalating bans, for example `{ baseMs: 300_000, multiplier: 3, maxMs: 86_400_000, permanentAfter: 0 }`. */
export interface BanSettings {
  /** Length of a first automatic ban, in ms. Default 600_000 (10 minutes). */
  readonly baseMs?: number;
  /** Each later automatic ban of the same key is this many times longer… Default 2. */
  readonly multiplier?: number;
  /** …up to this, in ms. Default 86_400_000 (a day). */
  readonly maxMs?: number;
  /** After this many automatic bans the next one is permanent; 0: never. Default 5 (development: 0). */
  readonly permanentAfter?: number;
  /** How long the store remembers a key's bans for escalation, counted from its first ban. Default 7 days. */
  readonly historyMs?: number;
}

export interface ThrottleSettings {
  /** The key's rate limits are multiplied by this (0.25: a quarter of the usual rate and burst). Default 0.25. */
  readonly factor?: number;
  /** How long a throttle lasts, in ms. Default 900_000 (15 minutes). */
  readonly durationMs?: number;
}

/** The nested `abuse` object of the guard config. Every key is optional; a preset fills in the rest. */
export interface AbuseSettings {
  /** Per pattern; `false` switches one off (no counting, no score). */
  readonly patterns?: { readonly [P in PatternName]?: PatternSettings | false };
  /** The score's threshold is the guard's `suspiciousActivityThreshold`; `false` switches the score off. */
  readonly suspiciousActivity?: SuspiciousActivitySettings | false;
  readonly bans?: BanSettings;
  readonly throttle?: ThrottleSettings;
  /**
   * Never counted, throttled, disconnected or banned. Default: none. Example:
   * `{ ips: ['10.0.0.0/8', '2001:db8:ff::/48'], users: ['loadtest-bot'] }`. List IPv6 as a /64 or wider: bans are per
   * /64 group, and a single listed address in a banned group is let in but disconnected with the group.
   */
  readonly allowList?: { readonly ips?: readonly string[]; readonly users?: readonly string[] };
  /** A key's ladder position is forgotten after this long without an offence. Default 3_600_000 (an hour). */
  readonly offenceMemoryMs?: number;
  /** A connection that ends sooner than this after it was accepted is one rapid-reconnection cycle. Default 10_000. */
  readonly shortSessionMs?: number;
  /** Cap on keys (IP groups, users) tracked; least recently seen go first. Default: the guard's `maxTrackedKeys`. */
  readonly maxTrackedKeys?: number;
  /** How often expired bans are reported and idle keys dropped; 0: never (call `sweep()`). Default 5_000. */
  readonly sweepIntervalMs?: number;
}

/** What `resolveAbuseOptions` takes: the nested settings plus the guard's flat keys that belong to the detector. */
export interface AbuseOptionsInput {
  readonly preset?: 'development' | 'production';
  /** The guard's `autoDisconnectOnAbuse: false` is `monitor: true`: report what would be done, do nothing. */
  readonly monitor?: boolean;
  /** The guard's `suspiciousActivityThreshold`. */
  readonly suspiciousActivityThreshold?: number;
  readonly settings?: AbuseSettings;
}

export interface ResolvedPattern {
  readonly name: PatternName;
  readonly enabled: boolean;
  readonly threshold: number;
  readonly windowMs: number;
  /** Width of one window slot. */
  readonly slotMs: number;
  readonly weight: number;
  readonly ladder: Ladder;
}

export interface ResolvedBans {
  readonly baseMs: number;
  readonly multiplier: number;
  readonly maxMs: number;
  readonly permanentAfter: number;
  readonly historyMs: number;
}

export interface AbuseOptions {
  readonly monitor: boolean;
  /** In `PATTERN_NAMES` order. */
  readonly patterns: readonly ResolvedPattern[];
  readonly suspicious: {
    readonly enabled: boolean;
    readonly threshold: number;
    readonly halfLifeMs: number;
    readonly ladder: Ladder;
  };
  readonly bans: ResolvedBans;
  readonly throttle: { readonly factor: number; readonly durationMs: number };
  readonly allowList: AllowList;
  readonly offenceMemoryMs: number;
  readonly shortSessionMs: number;
  readonly maxTrackedKeys: number;
  readonly sweepIntervalMs: number;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Filled<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined | false> };

interface PresetDefaults {
  readonly patterns: { readonly [P in PatternName]: Filled<PatternSettings> };
  readonly suspiciousActivity: Filled<SuspiciousActivitySettings>;
  readonly suspiciousActivityThreshold: number;
  readonly bans: Filled<BanSettings>;
  readonly throttle: Filled<ThrottleSettings>;
  readonly offenceMemoryMs: number;
  readonly shortSessionMs: number;
  readonly maxTrackedKeys: number;
  readonly sweepIntervalMs: number;
  readonly monitor: boolean;
}

/**
 * Production. At its threshold each pattern adds 25–60 points to the score, so the score (100) trips for a client
 * close to several thresholds at once, or far past one.
 */
const PRODUCTION: PresetDefaults = {
  patterns: {
    // Attempts (accepted + refused for rate or caps) per IP group. The rate limit admits at most 150 in 5 min, so
    // 300 means at least as many refusals again; a Socket.IO client reconnecting with its default back-off (1 s
    // doubling to 5 s) makes about 60 in 5 min, so it takes five of them behind one address, all refused, to trip.
    connectionFlood: { threshold: 300, windowMs: 5 * MINUTE, weight: 0.1, ladder: ['throttle', 'temp_ban'] },
    // Messages refused for rate, per user (anonymous: per IP group). A burst of 20 and 2/s steady absorb typing,
    // pasting and reactions; 100 refusals in a minute is a client ignoring 100 "too many messages" answers.
    messageFlood: { threshold: 100, windowMs: MINUTE, weight: 0.25, ladder: ['throttle', 'disconnect', 'temp_ban'] },
    // Sessions shorter than 10 s per IP group. A reload is one; a flaky network reconnects to sessions that lasted.
    // 30 in 10 min is a churn loop (or a client that connects only to probe), not a person.
    rapidReconnection: { threshold: 30, windowMs: 10 * MINUTE, weight: 1, ladder: ['log', 'throttle', 'temp_ban'] },
    // Refused authentication, CSRF and role checks. An expired session or stale token costs a tab one or two
    // (Socket.IO does not retry a refused handshake); 30 in 10 min from one address is guessing or probing.
    authenticationAbuse: { threshold: 30, windowMs: 10 * MINUTE, weight: 2, ladder: ['throttle', 'temp_ban'] },
    // Events not allowed, payloads refused by validation, threat findings. A stale client after a deploy sends a
    // removed event once per click; 30 in 10 min is fuzzing. A log first: this is where app bugs show up.
    inputValidationAbuse: { threshold: 30, windowMs: 10 * MINUTE, weight: 2, ladder: ['log', 'disconnect', 'temp_ban'] },
    // Oversized or over-deep messages. A person retries a too-large upload two or three times; each try costs up to
    // the engine's buffer in bandwidth and parsing, so this one acts early.
    largePayloadAbuse: { threshold: 10, windowMs: 10 * MINUTE, weight: 4, ladder: ['disconnect', 'temp_ban'] },
  },
  suspiciousActivity: { halfLifeMs: 10 * MINUTE, ladder: ['alert', ['disconnect', 'alert'], ['temp_ban', 'alert']] },
  suspiciousActivityThreshold: 100,
  // fail2ban-like: 10 min, doubling to a day; a sixth automatic ban within a week is permanent (with an alert).
  bans: { baseMs: 10 * MINUTE, multiplier: 2, maxMs: DAY, permanentAfter: 5, historyMs: 7 * DAY },
  throttle: { factor: 0.25, durationMs: 15 * MINUTE },
  offenceMemoryMs: HOUR,
  shortSessionMs: 10 * SECOND,
  maxTrackedKeys: 100_000,
  sweepIntervalMs: 5 * SECOND,
  monitor: false,
};

/** Development: four times the thresholds (as its limits are), monitor mode, never permanent. */
const DEVELOPMENT: PresetDefaults = {
  ...PRODUCTION,
  patterns: Object.fromEntries(
    PATTERN_NAMES.map((name) => [name, { ...PRODUCTION.patterns[name], threshold: PRODUCTION.patterns[name].threshold * 4 }]),
  ) as PresetDefaults['patterns'],
  suspiciousActivityThreshold: 400,
  bans: { ...PRODUCTION.bans, permanentAfter: 0 },
  monitor: true,
};

export const ABUSE_PRESETS: Readonly<Record<'development' | 'production', PresetDefaults>> = Object.freeze({
  development: DEVELOPMENT,
  production: PRODUCTION,
});

/** Ranges, also what the config table documents. */
export const ABUSE_LIMITS = Object.freeze({
  threshold: { min: 1, max: 1_000_000 },
  windowMs: { min: SECOND, max: DAY },
  weight: { min: 0, max: 1_000 },
  halfLifeMs: { min: SECOND, max: DAY },
  suspiciousActivityThreshold: { min: 1, max: 1_000_000 },
  baseMs: { min: SECOND, max: 30 * DAY },
  multiplier: { min: 1, max: 10 },
  maxMs: { min: SECOND, max: 365 * DAY },
  permanentAfter: { min: 0, max: 1_000 },
  historyMs: { min: MINUTE, max: 365 * DAY },
  factor: { min: 0.01, max: 0.99 },
  durationMs: { min: SECOND, max: 7 * DAY },
  offenceMemoryMs: { min: SECOND, max: 30 * DAY },
  shortSessionMs: { min: 100, max: 10 * MINUTE },
  maxTrackedKeys: { min: 1, max: 10_000_000 },
  sweepIntervalMs: { min: 0, max: MINUTE },
});

type LimitName = keyof typeof ABUSE_LIMITS;

/** Keys that take fractions; every other number is an integer. */
const FRACTIONAL: ReadonlySet<LimitName> = new Set(['weight', 'multiplier', 'factor']);

export interface AbuseSettingsIssue {
  /** Dotted path below the `abuse` object (`patterns.messageFlood.threshold`). */
  readonly path: string;
  readonly message: string;
}

/** The object without its `undefined` values: a key set to `undefined` means "not set" and keeps its default. */
function defined<T extends object>(value: T | undefined | false): Partial<T> {
  if (value === undefined || value === false) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], path: string, issues: AbuseSettingsIssue[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) issues.push({ path: path === '' ? key : `${path}.${key}`, message: `unknown key; allowed: ${allowed.join(', ')}` });
  }
}

function checkNumber(value: unknown, limit: LimitName, path: string, issues: AbuseSettingsIssue[]): void {
  if (value === undefined) return;
  const { min, max } = ABUSE_LIMITS[limit];
  const integer = !FRACTIONAL.has(limit);
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    issues.push({ path, message: `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}` });
  }
}

function checkSection(
  value: unknown,
  path: string,
  fields: Readonly<Record<string, LimitName | 'ladder'>>,
  issues: AbuseSettingsIssue[],
  allowFalse = false,
): void {
  if (value === undefined || (allowFalse && value === false)) return;
  if (!isObject(value)) {
    issues.push({ path, message: `must be an object${allowFalse ? ' or false' : ''}` });
    return;
  }
  checkKeys(value, Object.keys(fields), path, issues);
  for (const [key, kind] of Object.entries(fields)) {
    const field = value[key];
    if (kind === 'ladder') {
      if (field !== undefined) for (const message of ladderIssues(field)) issues.push({ path: `${path}.${key}`, message });
    } else {
      checkNumber(field, kind, `${path}.${key}`, issues);
    }
  }
}

const PATTERN_FIELDS = { threshold: 'threshold', windowMs: 'windowMs', weight: 'weight', ladder: 'ladder' } as const;

/** Every problem with an `abuse` settings object; empty when it is valid. */
export function abuseSettingsIssues(settings: unknown): AbuseSettingsIssue[] {
  const issues: AbuseSettingsIssue[] = [];
  if (settings === undefined) return issues;
  if (!isObject(settings)) return [{ path: '', message: 'must be an object' }];
  checkKeys(
    settings,
    ['patterns', 'suspiciousActivity', 'bans', 'throttle', 'allowList', 'offenceMemoryMs', 'shortSessionMs', 'maxTrackedKeys', 'sweepIntervalMs'],
    '',
    issues,
  );
  const patterns = settings['patterns'];
  if (patterns !== undefined) {
    if (!isObject(patterns)) issues.push({ path: 'patterns', message: 'must be an object keyed by pattern' });
    else {
      checkKeys(patterns, PATTERN_NAMES, 'patterns', issues);
      for (const name of PATTERN_NAMES) checkSection(patterns[name], `patterns.${name}`, PATTERN_FIELDS, issues, true);
    }
  }
  checkSection(settings['suspiciousActivity'], 'suspiciousActivity', { halfLifeMs: 'halfLifeMs', ladder: 'ladder' }, issues, true);
  checkSection(
    settings['bans'],
    'bans',
    { baseMs: 'baseMs', multiplier: 'multiplier', maxMs: 'maxMs', permanentAfter: 'permanentAfter', historyMs: 'historyMs' },
    issues,
  );
  const bans = settings['bans'];
  if (isObject(bans) && typeof bans['baseMs'] === 'number' && typeof bans['maxMs'] === 'number' && bans['maxMs'] < bans['baseMs']) {
    issues.push({ path: 'bans.maxMs', message: `must be at least bans.baseMs (${bans['baseMs']}), got ${bans['maxMs']}` });
  }
  checkSection(settings['throttle'], 'throttle', { factor: 'factor', durationMs: 'durationMs' }, issues);
  const allowList = settings['allowList'];
  if (allowList !== undefined) {
    if (!isObject(allowList)) issues.push({ path: 'allowList', message: 'must be an object with ips and users' });
    else {
      checkKeys(allowList, ['ips', 'users'], 'allowList', issues);
      const ips = allowList['ips'];
      if (ips !== undefined) {
        if (!Array.isArray(ips)) issues.push({ path: 'allowList.ips', message: 'must be a list of IP addresses and CIDRs' });
        else for (const message of allowListIpIssues(ips)) issues.push({ path: 'allowList.ips', message });
      }
      const users = allowList['users'];
      if (users !== undefined && (!Array.isArray(users) || users.some((user) => typeof user !== 'string' || user === ''))) {
        issues.push({ path: 'allowList.users', message: 'must be a list of non-empty user ids' });
      }
    }
  }
  for (const key of ['offenceMemoryMs', 'shortSessionMs', 'maxTrackedKeys', 'sweepIntervalMs'] as const) {
    checkNumber(settings[key], key, key, issues);
  }
  return issues;
}

/** Defaults of the preset, the settings over them, checked, compiled and frozen. Throws a RangeError listing every problem. */
export function resolveAbuseOptions(input: AbuseOptionsInput = {}): AbuseOptions {
  const settings = input.settings ?? {};
  const issues = abuseSettingsIssues(settings);
  if (input.suspiciousActivityThreshold !== undefined) {
    checkNumber(input.suspiciousActivityThreshold, 'suspiciousActivityThreshold', 'suspiciousActivityThreshold', issues);
  }
  if (issues.length > 0) {
    throw new RangeError(`invalid abuse settings:\n${issues.map((i) => `  - abuse${i.path === '' ? '' : `.${i.path}`}: ${i.message}`).join('\n')}`);
  }
  const base = ABUSE_PRESETS[input.preset ?? 'production'];
  const bans = { ...base.bans, ...defined(settings.bans) };
  if (bans.maxMs < bans.baseMs) throw new RangeError(`invalid abuse settings:\n  - abuse.bans.maxMs: must be at least bans.baseMs (${bans.baseMs}), got ${bans.maxMs}`);

  const patterns = PATTERN_NAMES.map((name): ResolvedPattern => {
    const given = settings.patterns?.[name];
    const merged = { ...base.patterns[name], ...defined(given) };
    return Object.freeze({
      name,
      enabled: given !== false,
      threshold: merged.threshold,
      windowMs: merged.windowMs,
      slotMs: slotMsFor(merged.windowMs),
      weight: merged.weight,
      ladder: resolveLadder(merged.ladder),
    });
  });

  const suspiciousGiven = settings.suspiciousActivity;
  const suspicious = { ...base.suspiciousActivity, ...defined(suspiciousGiven) };

  return Object.freeze({
    monitor: input.monitor ?? base.monitor,
    patterns: Object.freeze(patterns),
    suspicious: Object.freeze({
      enabled: suspiciousGiven !== false,
      threshold: input.suspiciousActivityThreshold ?? base.suspiciousActivityThreshold,
      halfLifeMs: suspicious.halfLifeMs,
      ladder: resolveLadder(suspicious.ladder),
    }),
    bans: Object.freeze(bans),
    throttle: Object.freeze({ ...base.throttle, ...defined(settings.throttle) }),
    allowList: compileAllowList(settings.allowList),
    offenceMemoryMs: settings.offenceMemoryMs ?? base.offenceMemoryMs,
    shortSessionMs: settings.shortSessionMs ?? base.shortSessionMs,
    maxTrackedKeys: settings.maxTrackedKeys ?? base.maxTrackedKeys,
    sweepIntervalMs: settings.sweepIntervalMs ?? base.sweepIntervalMs,
  });
}
