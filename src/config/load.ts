/**
 * Assemble a config from its four sources, highest precedence first: the object passed in code, `WSGUARD_*`
 * environment variables, a JSON file, a preset. This module parses and merges; it does not validate the result (the
 * caller, `createGuard`, does), but it does refuse what it cannot parse: malformed values, unknown variables, a bad
 * file, and functions or objects asked of a source that cannot carry them.
 *
 * Environment variables: `WSGUARD_` + the key in SCREAMING_SNAKE_CASE (`WSGUARD_MAX_MESSAGE_BYTES=1024`).
 * - booleans: `true`, `false`, `1`, `0` (any case);
 * - numbers: decimal (`1024`, `1e6`);
 * - lists: comma-separated, each entry trimmed (`https://a.example, https://b.example`);
 * - `WSGUARD_TRUST_PROXY`: `true`/`false`, a hop count (`1` is one hop, not "true"), or addresses/CIDRs;
 * - a value starting with `{` or `[` is JSON, whatever the key (`WSGUARD_EVENTS={"chat:send":{"rateLimit":30}}`);
 * - `WSGUARD_MODE__ORIGIN=monitor`: a double underscore goes one level down (only `mode` has levels);
 * - an empty value counts as unset (container tooling often defines variables it has no value for);
 * - `WSGUARD_PRESET` picks a preset, `WSGUARD_CONFIG_FILE` a JSON file, when the options do not.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import {
  CONFIG_FIELDS,
  CONFIG_KEYS,
  ENV_PREFIX,
  EVENT_RULE_FIELDS,
  MODE_KEYS,
  envVarFor,
  isConfigKey,
  screamingSnake,
  type ConfigKey,
  type FieldKind,
  type FieldSpec,
} from './fields.js';
import { presets, type PresetName } from './presets.js';
import type { GuardConfig } from './types.js';
import { ConfigError, describeValue, entryPath, fieldPath, isPlainObject, suggest, type ConfigIssue } from './validate.js';

export interface LoadConfigOptions {
  /** The config written in code; wins over every other source. May hold functions and objects. */
  config?: GuardConfig;
  /** Base preset; `WSGUARD_PRESET` when absent. */
  preset?: PresetName;
  /** Path of a JSON config file (relative to the working directory); `WSGUARD_CONFIG_FILE` when absent. */
  file?: string;
  /** The environment to read; `process.env` when absent. */
  env?: Record<string, string | undefined>;
}

export const PRESET_ENV_VAR = `${ENV_PREFIX}PRESET`;
export const CONFIG_FILE_ENV_VAR = `${ENV_PREFIX}CONFIG_FILE`;

const PRESET_NAMES = Object.keys(presets) as PresetName[];

/** `MAX_MESSAGE_BYTES` → `maxMessageBytes`, for every key including code-only ones (to name them in the error). */
const KEY_BY_ENV_SUFFIX: ReadonlyMap<string, ConfigKey> = new Map(CONFIG_KEYS.map((key) => [screamingSnake(key), key]));

/** `ORIGIN` → `origin`, `DEFAULT` → `default`: the second level of `WSGUARD_MODE__*`. */
const MODE_KEY_BY_ENV_SUFFIX: ReadonlyMap<string, string> = new Map(MODE_KEYS.map((key) => [screamingSnake(key), key]));

/** Every variable this module reads, for "did you mean" on an unknown one (code-only keys are not offered). */
const KNOWN_ENV_VARS: readonly string[] = [
  PRESET_ENV_VAR,
  CONFIG_FILE_ENV_VAR,
  ...CONFIG_KEYS.map(envVarFor).filter((name): name is string => name !== null),
  ...MODE_KEYS.map((key) => `${ENV_PREFIX}MODE__${screamingSnake(key)}`),
];

/**
 * "Did you mean" for a variable name. The shared `WSGUARD_` prefix is left out of the comparison: counted in, it would
 * let `WSGUARD_NOPE` pass for `WSGUARD_MODE` (two edits out of twelve characters).
 */
function envSuggestion(name: string): string {
  const suffixes = KNOWN_ENV_VARS.map((known) => known.slice(ENV_PREFIX.length));
  const suggestion = suggest(name.slice(ENV_PREFIX.length), suffixes);
  return suggestion === undefined ? '' : `; did you mean \`${ENV_PREFIX}${suggestion}\`?`;
}

type Layer = Record<string, unknown>;

/** Marks a value that could not be parsed (its issue is already recorded). */
const INVALID = Symbol('invalid');

// ---------------------------------------------------------------------------------------------------------------------
// Environment

function parseJson(text: string, name: string, secret: boolean, issues: ConfigIssue[]): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8's parse errors quote the input: never for a secret.
    const detail = secret || !(error instanceof Error) ? '' : ` (${error.message})`;
    issues.push({ path: name, message: `starts with '${text[0] ?? ''}' but is not valid JSON${detail}` });
    return INVALID;
  }
}

function coerce(kind: FieldKind, text: string, name: string, issues: ConfigIssue[]): unknown {
  if (text.startsWith('{') || text.startsWith('[')) return parseJson(text, name, kind.type === 'csrfSecret', issues);
  switch (kind.type) {
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      issues.push({ path: name, message: 'must be true, false, 1 or 0', received: JSON.stringify(text) });
      return INVALID;
    }
    case 'integer': {
      // Number() alone would read '' as 0 and '0x10' as 16; only plain decimal notation is taken.
      if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
      issues.push({ path: name, message: 'must be a decimal number', received: JSON.stringify(text) });
      return INVALID;
    }
    case 'stringList':
      return text
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
    case 'trustProxy': {
      const lower = text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      // Digits are a hop count: `1` means "one proxy", as in code, not "true".
      if (/^\d+$/.test(text)) return Number(text);
      return text;
    }
    case 'namespaceRules':
    case 'eventRules':
    case 'abuseSettings':
    case 'threatActions':
      issues.push({
        path: name,
        message:
          kind.type === 'eventRules'
            ? `must be a JSON object, e.g. ${name}={"chat:send":{"rateLimit":30}}`
            : kind.type === 'abuseSettings'
              ? `must be a JSON object, e.g. ${name}={"bans":{"baseMs":600000}}`
              : kind.type === 'threatActions'
                ? `must be a JSON object, e.g. ${name}={"xss":"block","sqli":"flag"}`
              : `must be a JSON object, e.g. ${name}={"/admin":{"roles":["admin"]}}`,
      });
      return INVALID;
    case 'enum':
    case 'mode':
    case 'csrfSecret':
    case 'fieldName':
    case 'secret':
      return text;
    case 'function':
    case 'store':
    case 'sinks':
    case 'schema':
      // Code-only keys are refused before coercion; this keeps the switch exhaustive.
      return INVALID;
  }
}

function codeOnlyMessage(key: ConfigKey, where: string): string {
  const what = CONFIG_FIELDS[key].kind.type === 'function' ? 'a function' : 'a live object';
  return `\`${key}\` is ${what} and can only be set in code; remove it from ${where} and pass it in the config object`;
}

const eventFields: Readonly<Record<string, FieldSpec>> = EVENT_RULE_FIELDS;

/** `events[*].schema` is code-only too (a validator object); JSON from a file or variable cannot hold one. */
function nestedCodeOnlyIssues(key: string, value: unknown, where: string, path: string, issues: ConfigIssue[]): void {
  if (key !== 'events' || !isPlainObject(value)) return;
  for (const [event, rule] of Object.entries(value)) {
    if (!isPlainObject(rule)) continue;
    for (const field of Object.keys(rule)) {
      const spec: FieldSpec | undefined = Object.hasOwn(EVENT_RULE_FIELDS, field) ? eventFields[field] : undefined;
      if (spec?.source === 'code') {
        const nested = fieldPath(entryPath('events', event), field);
        issues.push({ path, message: `\`${nested}\` can only be set in code; remove it from ${where}` });
      }
    }
  }
}

function mergeModeLayer(base: unknown, entries: Readonly<Record<string, string>>): unknown {
  if (Object.keys(entries).length === 0) return base;
  const start = typeof base === 'string' ? { default: base } : isPlainObject(base) ? base : {};
  return { ...start, ...entries };
}

/**
 * The config the `WSGUARD_*` variables describe (unvalidated), without `WSGUARD_PRESET` and `WSGUARD_CONFIG_FILE`.
 * Problems are appended to `issues`.
 */
export function readEnvConfig(env: Readonly<Record<string, string | undefined>>, issues: ConfigIssue[]): Layer {
  const entries: Array<[string, unknown]> = [];
  const modeEntries: Record<string, string> = {};
  let modeBase: unknown;

  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === PRESET_ENV_VAR || name === CONFIG_FILE_ENV_VAR) continue;
    const text = raw?.trim() ?? '';
    if (text === '') continue;

    const [head = '', ...rest] = name.slice(ENV_PREFIX.length).split('__');
    const key = KEY_BY_ENV_SUFFIX.get(head);
    if (key === undefined) {
      issues.push({ path: name, message: `is not a wsguard variable${envSuggestion(name)}` });
      continue;
    }
    if (CONFIG_FIELDS[key].source === 'code') {
      issues.push({ path: name, message: codeOnlyMessage(key, 'the environment') });
      continue;
    }
    if (rest.length > 0) {
      const modeKey = rest.length === 1 ? MODE_KEY_BY_ENV_SUFFIX.get(rest[0] ?? '') : undefined;
      if (key !== 'mode' || modeKey === undefined) {
        issues.push({
          path: name,
          message: `only \`${ENV_PREFIX}MODE__<CHECK>\` takes a nested key (a double underscore)${envSuggestion(name)}`,
        });
        continue;
      }
      modeEntries[modeKey] = text;
      continue;
    }

    const value = coerce(CONFIG_FIELDS[key].kind, text, name, issues);
    if (value === INVALID) continue;
    nestedCodeOnlyIssues(key, value, name, name, issues);
    if (key === 'mode') modeBase = value;
    else entries.push([key, value]);
  }

  const mode = mergeModeLayer(modeBase, modeEntries);
  if (mode !== undefined) entries.push(['mode', mode]);
  // fromEntries defines own properties, so a key such as `__proto__` can never reach a prototype.
  return Object.fromEntries(entries);
}

// ---------------------------------------------------------------------------------------------------------------------
// File

/** The config in a JSON file (unvalidated). Problems are appended to `issues`; an unusable file yields `{}`. */
export function readConfigFile(file: string, issues: ConfigIssue[], origin = ''): Layer {
  const path = resolve(file);
  const label = `config file ${path}${origin}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    issues.push({ path: label, message: `cannot be read (${reason})` });
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    issues.push({ path: label, message: `is not valid JSON (${reason})` });
    return {};
  }
  if (!isPlainObject(parsed)) {
    issues.push({
      path: label,
      message: 'must hold a JSON object of config keys, e.g. {"allowedOrigins": ["https://app.example.com"]}',
      received: parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed,
    });
    return {};
  }
  const entries: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (isConfigKey(key) && CONFIG_FIELDS[key].source === 'code') {
      issues.push({ path: fieldPath(label, key), message: codeOnlyMessage(key, 'the file') });
      continue;
    }
    nestedCodeOnlyIssues(key, value, 'the file', label, issues);
    // Unknown keys pass through: validateConfig reports them with a suggestion.
    entries.push([key, value]);
  }
  return Object.fromEntries(entries);
}

// ---------------------------------------------------------------------------------------------------------------------
// Merge

function mergeMode(lower: unknown, higher: unknown): unknown {
  // A single mode means "every check": it replaces per-check entries below it rather than filling in around them.
  if (!isPlainObject(higher)) return higher;
  const base = typeof lower === 'string' ? { default: lower } : isPlainObject(lower) ? lower : {};
  return { ...base, ...higher };
}

/**
 * Merge layers, lowest precedence first. Top-level keys replace; `mode` objects, `namespaces` and `events` merge per
 * entry (a higher layer's `events["chat:send"]` replaces that rule whole, other rules stay). `undefined` is "not set"
 * and never hides a lower layer's value.
 */
export function mergeConfigLayers(layers: ReadonlyArray<object | undefined>): Layer {
  const merged = new Map<string, unknown>();
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const lower = merged.get(key);
      if (key === 'mode') merged.set(key, mergeMode(lower, value));
      else if ((key === 'namespaces' || key === 'events' || key === 'abuse') && isPlainObject(lower) && isPlainObject(value)) {
        merged.set(key, { ...lower, ...value });
      } else merged.set(key, value);
    }
  }
  return Object.fromEntries(merged);
}

// ---------------------------------------------------------------------------------------------------------------------
// Entry point

/**
 * The config from code, environment, file and preset, merged (code > environment > file > preset). Throws a
 * `ConfigError` listing every variable or file problem at once. The result is not validated: pass it to
 * `validateConfig` (createGuard does).
 */
export function loadConfig(options: LoadConfigOptions = {}): GuardConfig {
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];

  let presetLayer: GuardConfig | undefined;
  const presetName: unknown = options.preset ?? (env[PRESET_ENV_VAR]?.trim() || undefined);
  if (presetName !== undefined) {
    const known = PRESET_NAMES.find((name) => name === presetName);
    if (known === undefined) {
      const suggestion = typeof presetName === 'string' ? suggest(presetName, PRESET_NAMES) : undefined;
      issues.push({
        path: options.preset === undefined ? PRESET_ENV_VAR : 'preset',
        message:
          `must be one of ${PRESET_NAMES.map((name) => `'${name}'`).join(', ')}` +
          (suggestion === undefined ? '' : `; did you mean \`${suggestion}\`?`),
        received: describeValue(presetName),
      });
    } else {
      presetLayer = presets[known];
    }
  }

  const fromEnvFile = env[CONFIG_FILE_ENV_VAR]?.trim() || undefined;
  const file = options.file ?? fromEnvFile;
  const fileLayer =
    file === undefined
      ? undefined
      : readConfigFile(file, issues, options.file === undefined ? ` (from ${CONFIG_FILE_ENV_VAR})` : '');

  const envLayer = readEnvConfig(env, issues);

  if (issues.length > 0) throw new ConfigError(issues);

  // Unvalidated: data from the environment and a file only has GuardConfig's shape once validateConfig says so.
  return mergeConfigLayers([presetLayer, fileLayer, envLayer, options.config]);
}
