/**
 * Config validation: every problem in a config is collected, then reported in one `ConfigError` that lists each on
 * its own line with the path, what was given and what is allowed. One round trip fixes everything, instead of one
 * restart per mistake.
 *
 * Values are summarised, never dumped: a config carries secrets (`csrfSecret`), so those are shown only as their
 * length, and the values of unknown keys (which may be a misspelt secret) are not shown at all.
 */

import { isIP } from 'node:net';

import {
  CHECK_NAMES,
  CONFIG_FIELDS,
  CONFIG_KEYS,
  EVENT_RULE_FIELDS,
  MODE_KEYS,
  MODES,
  NAMESPACE_RULE_FIELDS,
  isConfigKey,
  type FieldKind,
  type FieldSpec,
} from './fields.js';
import { abuseSettingsIssues } from '../abuse/options.js';
import { isStandardSchema } from '../policies/inspection/schema/index.js';
import type { GuardConfig } from './types.js';

export interface ConfigIssue {
  /** Where: `maxMessageBytes`, `events["chat:send"].rateLimit`, `WSGUARD_TRUST_PROXY`. */
  readonly path: string;
  /** What is allowed, or the fix. */
  readonly message: string;
  /** A short summary of the value given (type and value; secrets redacted). */
  readonly received?: string;
}

export class ConfigError extends Error {
  readonly code = 'WSGUARD_INVALID_CONFIG';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(formatIssues(issues));
    this.name = 'ConfigError';
    this.issues = Object.freeze([...issues]);
  }
}

/** The error message: a heading, then one line per issue. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  // What was given comes first, then what is allowed and the fix, so a suggestion ends the line.
  const lines = issues.map(
    (issue) => `  - ${issue.path}: ${issue.received === undefined ? '' : `got ${issue.received}; `}${issue.message}`,
  );
  return [`wsguard: invalid configuration (${count}):`, ...lines].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------------
// Suggestions ("did you mean")

/**
 * Damerau–Levenshtein distance, optimal-string-alignment variant: insertions, deletions, substitutions and swaps of
 * two adjacent characters each cost 1 (a swap is the commonest typo, `maxMesasgeBytes`).
 */
export function editDistance(a: string, b: string): number {
  const cols = b.length + 1;
  const d = new Array<number>((a.length + 1) * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i <= a.length; i++) d[i * cols] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

const squash = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The candidate `input` most likely meant, or undefined. Matches, in order: the same name in another case; the same
 * letters with other separators (`max_message_bytes`, `WSGUARD_MODE_ORIGIN`); then the closest name within edit
 * distance 2 (1 for names of four characters or fewer, where two edits turn almost anything into anything).
 * Used for config keys, nested rule keys, mode keys, enum values and `WSGUARD_*` variables alike.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const exact = candidates.find((candidate) => candidate.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const squashed = squash(input);
  if (squashed !== '') {
    const sameLetters = candidates.find((candidate) => squash(candidate) === squashed);
    if (sameLetters !== undefined) return sameLetters;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const limit = candidate.length <= 4 ? 1 : 2;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

export function didYouMean(input: string, candidates: readonly string[]): string {
  const suggestion = suggest(input, candidates);
  return suggestion === undefined ? '' : `; did you mean \`${suggestion}\`?`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Paths and value summaries

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `parent.key` for fixed fields. */
export function fieldPath(parent: string, key: string): string {
  if (parent === '') return key;
  return IDENTIFIER.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** `parent["key"]` for entries of a record (`events["chat:send"]`), whatever the key looks like. */
export function entryPath(parent: string, key: string): string {
  return `${parent}[${JSON.stringify(key)}]`;
}

const MAX_SHOWN = 40;

/** Short, one-line summary of a value: its type and, for scalars, the value itself (long strings cut). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'string': {
      const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN - 1)}…` : value;
      return `${JSON.stringify(shown)} (string)`;
    }
    case 'number':
      return `${value} (number)`;
    case 'boolean':
      return `${value} (boolean)`;
    case 'bigint':
      return `${value.toString()}n (bigint)`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    case 'object': {
      if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
      const keys = Object.keys(value);
      if (keys.length === 0) return 'an empty object';
      const shown = keys.slice(0, 4).join(', ');
      return `an object {${shown}${keys.length > 4 ? ', …' : ''}}`;
    }
  }
  return typeof value;
}

/** A secret is shown as its length only: enough to spot a truncated or empty value, useless to an attacker. */
export function describeSecret(value: unknown): string {
  if (typeof value === 'string') return `<redacted, ${value.length} chars>`;
  if (Array.isArray(value)) return describeValue(value);
  if (value === null || value === undefined) return String(value);
  return `<redacted ${typeof value}>`;
}

/** A non-null, non-array object, read by key: object literals, JSON objects and class instances (stores, sinks). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------------------
// Field validation

class Issues {
  readonly list: ConfigIssue[] = [];

  add(path: string, message: string, received?: string): void {
    this.list.push(received === undefined ? { path, message } : { path, message, received });
  }
}

const MAX_PROXY_HOPS = 100;

/** Store methods the guard calls on every connection or message: missing one would fail at the first client. */
const REQUIRED_STORE_METHODS = [
  'consumeTokens',
  'resetTokens',
  'increment',
  'acquireLease',
  'releaseLease',
  'renewLeases',
  'close',
] as const;

/**
 * `scheme://host[:port]`, where the host may start with `*.` (any subdomain) and the port may be `*` (any port).
 * No path, query or trailing slash: the Origin header never has one, so such an entry could never match.
 */
const ORIGIN_PATTERN =
  /^[a-z][a-z0-9+.-]*:\/\/(?:\*\.)?(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(?:\d{1,5}|\*))?$/i;

function originProblem(origin: string): string | null {
  // `null` may be listed (an Electron or file:// client), but it is what sandboxed frames on any site send: warned.
  if (origin === '*' || origin === 'null') return null;
  if (ORIGIN_PATTERN.test(origin)) return null;
  const withoutPath = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]+)[/?#]/i.exec(origin)?.[1];
  if (withoutPath !== undefined && ORIGIN_PATTERN.test(withoutPath)) {
    return `must be an origin without path or trailing slash (the Origin header never has one): write \`${withoutPath}\``;
  }
  if (!origin.includes('://')) {
    return 'must be an origin with its scheme, `https://app.example.com` (or `https://*.example.com`, `http://localhost:*`, `*`)';
  }
  return 'must be an origin `scheme://host[:port]`, like `https://app.example.com`, `https://*.example.com`, `http://localhost:*` or `*`';
}

/** Problem with one trusted-proxy entry (`10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`), or null. */
export function proxyEntryProblem(entry: string): string | null {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return 'is not an IP address or CIDR (`10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`)';
  if (slash === -1) return null;
  const prefixText = entry.slice(slash + 1);
  const maxPrefix = version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    return `has an invalid prefix length: an IPv${version} prefix is 0 to ${maxPrefix}`;
  }
  return null;
}

const NUMERIC_STRING = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

function expectInteger(kind: Extract<FieldKind, { type: 'integer' }>, value: unknown, path: string, issues: Issues): void {
  if (typeof value === 'number' && Number.isInteger(value) && value >= kind.min && value <= kind.max) return;
  const note = kind.note === undefined ? '' : ` (${kind.note})`;
  let message = `must be an integer from ${kind.min} to ${kind.max}${note}`;
  if (typeof value === 'string' && NUMERIC_STRING.test(value)) message += ', a number rather than a string';
  issues.add(path, message, describeValue(value));
}

function expectEnum(values: readonly string[], value: unknown, path: string, issues: Issues): void {
  if (typeof value === 'string' && values.includes(value)) return;
  const hint = typeof value === 'string' ? didYouMean(value, values) : '';
  issues.add(path, `must be one of ${values.map((v) => `'${v}'`).join(', ')}${hint}`, describeValue(value));
}

const LIST_EXAMPLES = {
  origin: "['https://app.example.com']",
  event: "['chat:send', 'chat:typing']",
  role: "['admin']",
  'field path': "['body', 'items[].text']",
} as const;

function expectStringList(kind: Extract<FieldKind, { type: 'stringList' }>, value: unknown, path: string, issues: Issues): void {
  if (!Array.isArray(value)) {
    const wrap = typeof value === 'string' ? ' (wrap a single entry in [ ])' : '';
    issues.add(path, `must be a list of ${kind.item}s, e.g. ${LIST_EXAMPLES[kind.item]}${wrap}`, describeValue(value));
    return;
  }
  if (kind.nonEmpty === true && value.length === 0) {
    // "At least one of no roles" refuses everyone; someone who wrote this most likely meant "no restriction".
    issues.add(path, `must list at least one ${kind.item}; an empty list would refuse everyone (remove the key to allow any)`);
    return;
  }
  value.forEach((item: unknown, index) => {
    const itemPath = `${path}[${index}]`;
    if (typeof item !== 'string' || item.trim() === '') {
      issues.add(itemPath, `must be a non-empty string (${kind.item})`, describeValue(item));
      return;
    }
    if (kind.item === 'origin') {
      const problem = originProblem(item);
      if (problem !== null) issues.add(itemPath, problem, describeValue(item));
    }
  });
}

function expectMode(value: unknown, path: string, issues: Issues): void {
  if (typeof value === 'string') {
    expectEnum(MODES, value, path, issues);
    return;
  }
  if (!isPlainObject(value)) {
    issues.add(
      path,
      "must be 'enforce', 'monitor', or an object like { default: 'enforce', origin: 'monitor' }",
      describeValue(value),
    );
    return;
  }
  for (const [key, mode] of Object.entries(value)) {
    const keyPath = fieldPath(path, key);
    if (!MODE_KEYS.includes(key)) {
      issues.add(keyPath, `is not a check name (${MODE_KEYS.join(', ')})${didYouMean(key, MODE_KEYS)}`);
      continue;
    }
    if (mode !== undefined) expectEnum(MODES, mode, keyPath, issues);
  }
}

function expectTrustProxy(value: unknown, path: string, issues: Issues): void {
  if (typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_PROXY_HOPS) {
      issues.add(path, `as a hop count must be an integer from 0 to ${MAX_PROXY_HOPS}`, describeValue(value));
    }
    return;
  }
  if (typeof value === 'string') {
    // Empty entries (a trailing comma) are skipped, as in comma-separated environment lists.
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (entries.length === 0) {
      issues.add(path, 'must list at least one proxy address or CIDR (or be false, true or a hop count)', describeValue(value));
      return;
    }
    for (const entry of entries) {
      const problem = proxyEntryProblem(entry);
      if (problem !== null) issues.add(path, `entry ${JSON.stringify(entry)} ${problem}`);
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((entry: unknown, index) => {
      const entryPathText = `${path}[${index}]`;
      if (typeof entry !== 'string') {
        issues.add(entryPathText, 'must be an IP address or CIDR string', describeValue(entry));
        return;
      }
      const problem = proxyEntryProblem(entry.trim());
      if (problem !== null) issues.add(entryPathText, problem, describeValue(entry));
    });
    return;
  }
  issues.add(
    path,
    'must be false, true, a hop count (1), or proxy addresses/CIDRs (`10.0.0.0/8,127.0.0.1` or an array)',
    describeValue(value),
  );
}

function expectRecordOfRules(
  fields: Readonly<Record<string, FieldSpec>>,
  what: 'namespace' | 'event',
  value: unknown,
  path: string,
  issues: Issues,
): void {
  const example = what === 'namespace' ? "{ '/admin': { roles: ['admin'] } }" : "{ 'chat:send': { rateLimit: 30 } }";
  if (!isPlainObject(value)) {
    issues.add(path, `must be an object keyed by ${what} name, e.g. ${example}`, describeValue(value));
    return;
  }
  const ruleKeys = Object.keys(fields);
  for (const [name, rule] of Object.entries(value)) {
    const rulePath = entryPath(path, name);
    if (what === 'namespace' && !name.startsWith('/')) {
      issues.add(rulePath, `is not a namespace name: namespaces start with '/' (write \`/${name}\`)`);
    } else if (name.trim() === '') {
      issues.add(rulePath, `needs a non-empty ${what} name`);
    }
    if (!isPlainObject(rule)) {
      issues.add(rulePath, `must be an object with any of ${ruleKeys.join(', ')}`, describeValue(rule));
      continue;
    }
    for (const [key, fieldValue] of Object.entries(rule)) {
      const spec = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (spec === undefined) {
        const article = what === 'event' ? 'an' : 'a';
        issues.add(
          fieldPath(rulePath, key),
          `is not ${article} ${what} rule key (${ruleKeys.join(', ')})${didYouMean(key, ruleKeys)}`,
        );
        continue;
      }
      if (fieldValue !== undefined) checkKind(spec.kind, fieldValue, fieldPath(rulePath, key), issues);
    }
  }
}

function expectStore(value: unknown, path: string, issues: Issues): void {
  if (!isPlainObject(value)) {
    issues.add(path, 'must be a Store object (createMemoryStore(), a Redis store, …)', describeValue(value));
    return;
  }
  const missing = REQUIRED_STORE_METHODS.filter((method) => typeof value[method] !== 'function');
  if (missing.length > 0) {
    issues.add(path, `is not a Store: missing method${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
    return;
  }
  if (typeof value.shared !== 'boolean') {
    issues.add(fieldPath(path, 'shared'), 'must be a boolean (true when several processes share the state)', describeValue(value.shared));
  }
}

function expectSinks(value: unknown, path: string, issues: Issues): void {
  if (!Array.isArray(value)) {
    issues.add(path, 'must be an array of event sinks (objects with a `write(events)` method)', describeValue(value));
    return;
  }
  value.forEach((sink: unknown, index) => {
    const sinkPath = `${path}[${index}]`;
    if (!isPlainObject(sink)) {
      issues.add(sinkPath, 'must be an event sink (an object with a `write(events)` method)', describeValue(sink));
      return;
    }
    if (typeof sink.write !== 'function') {
      issues.add(fieldPath(sinkPath, 'write'), 'must be a function `write(events)`', describeValue(sink.write));
    }
    for (const optional of ['flush', 'close'] as const) {
      if (sink[optional] !== undefined && typeof sink[optional] !== 'function') {
        issues.add(fieldPath(sinkPath, optional), 'must be a function when present', describeValue(sink[optional]));
      }
    }
  });
}

/** 32 characters: a random secret that long (hex, base64) carries well over 128 bits. */
const MIN_SECRET_LENGTH = 32;

function expectCsrfSecret(value: unknown, path: string, issues: Issues): void {
  const rule = `must be a random string of at least ${MIN_SECRET_LENGTH} characters, or a non-empty list of them (newest first)`;
  if (typeof value === 'string') {
    if (value.length < MIN_SECRET_LENGTH) issues.add(path, rule, describeSecret(value));
    return;
  }
  if (!Array.isArray(value) || value.length === 0) {
    issues.add(path, rule, describeSecret(value));
    return;
  }
  value.forEach((secret: unknown, index) => {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      issues.add(`${path}[${index}]`, `must be a random string of at least ${MIN_SECRET_LENGTH} characters`, describeSecret(secret));
    }
  });
}

const THREAT_KINDS: readonly string[] = ['xss', 'sqli', 'cmdi', 'path', 'proto'];
const THREAT_ACTIONS: readonly string[] = ['block', 'sanitize', 'flag', 'off'];

const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function checkKind(kind: FieldKind, value: unknown, path: string, issues: Issues): void {
  switch (kind.type) {
    case 'boolean':
      if (typeof value !== 'boolean') issues.add(path, 'must be true or false', describeValue(value));
      return;
    case 'integer':
      return expectInteger(kind, value, path, issues);
    case 'enum':
      return expectEnum(kind.values, value, path, issues);
    case 'stringList':
      return expectStringList(kind, value, path, issues);
    case 'mode':
      return expectMode(value, path, issues);
    case 'trustProxy':
      return expectTrustProxy(value, path, issues);
    case 'namespaceRules':
      return expectRecordOfRules(NAMESPACE_RULE_FIELDS, 'namespace', value, path, issues);
    case 'eventRules':
      return expectRecordOfRules(EVENT_RULE_FIELDS, 'event', value, path, issues);
    case 'function':
      if (typeof value !== 'function') issues.add(path, 'must be a function', describeValue(value));
      return;
    case 'store':
      return expectStore(value, path, issues);
    case 'sinks':
      return expectSinks(value, path, issues);
    case 'csrfSecret':
      return expectCsrfSecret(value, path, issues);
    case 'secret':
      if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) {
        issues.add(path, `must be a random string of at least ${MIN_SECRET_LENGTH} characters`, describeSecret(value));
      }
      return;
    case 'abuseSettings':
      for (const issue of abuseSettingsIssues(value)) {
        issues.add(issue.path === '' ? path : `${path}.${issue.path}`, issue.message);
      }
      return;
    case 'fieldName':
      if (typeof value !== 'string' || !/^[A-Za-z_$][\w$]{0,63}$/.test(value) || PROTOTYPE_KEYS.has(value)) {
        issues.add(path, 'must be a property name such as `csrfToken` (letters, digits, `_`, `$`; not a prototype key)', describeValue(value));
      }
      return;
    case 'schema':
      if (!isStandardSchema(value)) {
        issues.add(path, 'must be a Standard Schema validator (a zod, valibot or arktype schema: an object with `~standard`)', describeValue(value));
      }
      return;
    case 'threatActions': {
      if (!isPlainObject(value)) {
        issues.add(path, "must be an object such as `{ xss: 'block', sqli: 'flag' }`", describeValue(value));
        return;
      }
      for (const [kind, action] of Object.entries(value)) {
        const entry = `${path}.${kind}`;
        if (!THREAT_KINDS.includes(kind)) {
          issues.add(entry, `is not a threat kind; use ${THREAT_KINDS.map((k) => `\`${k}\``).join(', ')}`);
        } else if (!THREAT_ACTIONS.includes(action as string)) {
          issues.add(entry, "must be 'block', 'sanitize' (xss only), 'flag' or 'off'", describeValue(action));
        } else if (action === 'sanitize' && kind !== 'xss') {
          issues.add(entry, "cannot be 'sanitize': only HTML can be made harmless by escaping; use 'block' or 'flag'", describeValue(action));
        }
      }
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Unknown keys

/** Where a top-level key that is really a nested one belongs (`rateLimit` → `events["<event>"].rateLimit`). */
const NESTED_KEY_HOMES: ReadonlyMap<string, string> = new Map([
  ...Object.keys(EVENT_RULE_FIELDS).map((key) => [key, `events["<event>"].${key}`] as const),
  ...Object.keys(NAMESPACE_RULE_FIELDS)
    .filter((key) => !isConfigKey(key))
    .map((key) => [key, `namespaces["/<namespace>"].${key}`] as const),
  ...CHECK_NAMES.map((check) => [check, `mode.${check}`] as const),
]);

/** Keys people reach for that are not config keys, with what to do instead. */
const KNOWN_MISTAKES: Readonly<Record<string, string>> = {
  preset: 'presets are spread into the config (`{ ...presets.production, allowedOrigins }`) or passed to `loadConfig({ preset })`',
};

function unknownKeyMessage(key: string): string {
  const mistake = Object.hasOwn(KNOWN_MISTAKES, key) ? KNOWN_MISTAKES[key] : undefined;
  if (mistake !== undefined) return `is not a config key: ${mistake}`;
  const topLevel = suggest(key, CONFIG_KEYS);
  if (topLevel !== undefined) return `is not a config key; did you mean \`${topLevel}\`?`;
  const nestedKeys = [...NESTED_KEY_HOMES.keys()];
  const nested = suggest(key, nestedKeys);
  const home = nested === undefined ? undefined : NESTED_KEY_HOMES.get(nested);
  if (home !== undefined) return `is not a top-level config key; did you mean \`${home}\`?`;
  return 'is not a config key (see the configuration table in the README)';
}

// ---------------------------------------------------------------------------------------------------------------------
// Cross-field rules

function checkCrossField(config: Record<string, unknown>, issues: Issues): void {
  const environment = config.environment ?? CONFIG_FIELDS.environment.default;
  const origins = config.allowedOrigins ?? CONFIG_FIELDS.allowedOrigins.default;
  if (environment === 'production' && Array.isArray(origins) && origins.length === 0) {
    issues.add(
      'allowedOrigins',
      "is empty, and with `environment: 'production'` no browser could connect; list your site's origins: " +
        "`allowedOrigins: ['https://app.example.com']`",
    );
  }

  if (config.anonymizeIps === 'hash' && config.anonymizeIpSecret === undefined) {
    issues.add('anonymizeIpSecret', "is required with `anonymizeIps: 'hash'`: add a random string of at least 32 characters");
  }

  if (config.requireAuthentication === true && config.authenticate === undefined) {
    issues.add(
      'requireAuthentication',
      'is true but there is no `authenticate` hook, so every client would be refused; add ' +
        '`authenticate: async (request) => ({ userId, roles })`, or set `requireAuthentication: false` for a public app',
    );
  }

  // Without a secret no token can be issued. A config that says it is for development (the development preset does)
  // may use one generated per process, which is warned; anything else must not, since every restart or second process
  // would invalidate every token in flight.
  if (config.csrfEnabled === true && config.csrfSecret === undefined && config.environment !== 'development') {
    issues.add(
      'csrfSecret',
      "is required when `csrfEnabled` is true (only `environment: 'development'` may use a secret generated per process): add `csrfSecret: process.env.WSGUARD_CSRF_SECRET` (a random string of at least 32 characters, e.g. `openssl rand -base64 48`)",
    );
  }


  if (isPlainObject(config.events)) {
    for (const [name, rule] of Object.entries(config.events)) {
      if (!isPlainObject(rule)) continue;
      const rulePath = entryPath('events', name);
      if ((rule.schema !== undefined || rule.html !== undefined || rule.text !== undefined) && config.payloadInspectionEnabled === false) {
        issues.add(rulePath, 'uses `schema`, `html` or `text`, which need payload inspection: remove `payloadInspectionEnabled: false`');
      }
      if (rule.requireCsrf === true && config.csrfEnabled !== true) {
        issues.add(
          fieldPath(rulePath, 'requireCsrf'),
          'needs CSRF protection switched on: add `csrfEnabled: true` (and a `csrfSecret`)',
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Entry points

/** Every problem with `input`, in key order, cross-field rules last. Empty when the config is valid. */
export function collectConfigIssues(input: unknown): ConfigIssue[] {
  const issues = new Issues();
  if (!isPlainObject(input)) {
    issues.add('(config)', 'must be an object, e.g. `{ allowedOrigins: [...] }`', describeValue(input));
    return issues.list;
  }
  for (const [key, value] of Object.entries(input)) {
    if (!isConfigKey(key)) {
      issues.add(key, unknownKeyMessage(key));
      continue;
    }
    // An explicit `undefined` means "not set", as with any optional TypeScript property.
    if (value !== undefined) checkKind(CONFIG_FIELDS[key].kind, value, key, issues);
  }
  checkCrossField(input, issues);
  return issues.list;
}

/** Throws one `ConfigError` listing every problem, or narrows `input` to `GuardConfig`. */
export function validateConfig(input: unknown): asserts input is GuardConfig {
  const issues = collectConfigIssues(input);
  if (issues.length > 0) throw new ConfigError(issues);
}
