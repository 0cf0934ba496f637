/**
 * The walk: `createScanner(options)` resolves the options once and returns a function that scans one value per call.
 * The walk is iterative (an explicit stack, never recursion), so a payload nested 100,000 deep costs memory in
 * proportion to its size and never the call stack. Strings go through the one-pass trigger table first; only strings
 * with a trigger are decoded and read by the detectors the trigger concerns.
 */

import { decodeBase64Run, decodeBase64Value } from './base64.js';
import { canonical, decodeAll, decodeWroteLowerDiffering, LONG } from './decode.js';
import { equalsLowerRaw, fold, foldKeptLowerRaw, foldWroteNoCapital, hasNonAscii, lowerRaw, WIDE } from './fold.js';
import { find } from './literal.js';
import { detectCmdi } from './cmdi.js';
import { detectPath } from './path.js';
import { detectProto, pollutionKey } from './proto.js';
import { SCAN_RULES, type ScanRuleId } from './rules.js';
import { detectSqli } from './sqli.js';
import {
  T_AMP, T_AMP_SPACED, T_AT_AT, T_BACKSLASH, T_BACKTICK, T_BRACKET, T_CALL, T_COMMENT, T_COMPARE, T_CONTROL,
  T_DOLLAR, T_DOTDOT, T_DOUBLE, T_DQUOTE, T_DROPPED, T_EQUALS, T_KEYWORD, T_LT, T_NON_ASCII, T_PERCENT, T_PIPE, T_PROTO,
  T_ROOT, T_SCHEME, T_SEMI, T_SEMI_SQL, T_SQUOTE, T_UTF7, TRIGGERS, triggerMask,
} from './triggers.js';
import type { ScanFinding, ScanKind, ScanOptions, Scanner } from './types.js';
import { detectXss } from './xss.js';

export const SCAN_KINDS: readonly ScanKind[] = Object.freeze(['xss', 'sqli', 'cmdi', 'path', 'proto']);

const K_XSS = 1;
const K_SQLI = 2;
const K_CMDI = 4;
const K_PATH = 8;
const K_PROTO = 16;
const KIND_BIT: Readonly<Record<ScanKind, number>> = { xss: K_XSS, sqli: K_SQLI, cmdi: K_CMDI, path: K_PATH, proto: K_PROTO };

// Which triggers each detector needs to see before it looks.
const XSS_TRIGGERS = T_LT | T_EQUALS | T_CALL | T_BACKTICK | T_BRACKET;
const SQLI_TRIGGERS = T_SQUOTE | T_DQUOTE | T_SEMI_SQL | T_EQUALS | T_COMPARE | T_CALL | T_COMMENT | T_AT_AT | T_KEYWORD | T_DOUBLE;
const CMDI_TRIGGERS = T_SEMI | T_PIPE | T_DOUBLE | T_AMP | T_AMP_SPACED | T_BACKTICK | T_DOLLAR | T_CONTROL | T_LT | T_CALL | T_BRACKET;
const PATH_TRIGGERS = T_DOTDOT | T_CONTROL | T_ROOT | T_SCHEME | T_PERCENT | T_BACKSLASH;
const PROTO_TRIGGERS = T_PROTO | T_BRACKET;
/** Triggers that mean the string may be encoded (percent, entities, escapes, fullwidth forms). */
const DECODE_TRIGGERS = T_PERCENT | T_AMP | T_BACKSLASH | T_NON_ASCII | T_UTF7;

const DEFAULTS = Object.freeze({
  maxNodes: 100_000,
  maxStringLength: 65_536,
  maxTotalLength: 1_048_576,
  maxFindings: 100,
});
const OPTION_NAMES = new Set(['kinds', 'firstOnly', 'pollutionKeys', 'maxNodes', 'maxStringLength', 'maxTotalLength', 'maxFindings']);

const NONE: readonly ScanFinding[] = Object.freeze([]);
const PATH_SEGMENTS_KEPT = 16;
/** Positions of object keys whose last clean key is remembered. */
const KEY_CACHE = 16;
const KEY_CHARS_KEPT = 64;
/** Slots for short strings found clean (a power of two): room names and message types repeat in every message. */
const VALUE_CACHE = 32;
/** The longest string remembered: JSON.parse interns values up to this length, so a repeated one is the same string. */
const VALUE_CHARS_KEPT = 10;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The slot of a short string (at least one character) in a scanner's cache of clean strings. */
function valueSlot(s: string): number {
  return (s.charCodeAt(0) * 31 + s.charCodeAt(s.length - 1) + s.length) & (VALUE_CACHE - 1);
}

/** A container on the walk's stack; the chain of parents gives the path of a finding. */
interface Frame {
  readonly value: object;
  readonly parent: Frame | null;
  /** null for the root value. */
  readonly key: string | number | null;
}

function segment(key: string | number): string {
  if (typeof key === 'number') return `[${key}]`;
  if (key.length <= KEY_CHARS_KEPT && IDENTIFIER.test(key)) return `.${key}`;
  const shown = key.length > KEY_CHARS_KEPT ? key.slice(0, KEY_CHARS_KEPT) + '…' : key;
  return `[${JSON.stringify(shown)}]`;
}

/** `$.a.b[2]`; a deep path keeps its first and last steps around `…`. */
function pathOf(parent: Frame | null, key: string | number | null): string {
  const steps: (string | number)[] = [];
  if (key !== null) steps.push(key);
  for (let f = parent; f !== null; f = f.parent) if (f.key !== null) steps.push(f.key);
  steps.reverse();
  if (steps.length > 2 * PATH_SEGMENTS_KEPT) {
    const head = steps.slice(0, PATH_SEGMENTS_KEPT).map(segment).join('');
    const tail = steps.slice(-PATH_SEGMENTS_KEPT).map(segment).join('');
    return `$${head}…${tail}`;
  }
  return '$' + steps.map(segment).join('');
}

function isWalkable(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function limitOption(options: ScanOptions, name: keyof typeof DEFAULTS): number {
  const value = options[name];
  if (value === undefined) return DEFAULTS[name];
  if (typeof value !== 'number' || !(value >= 1) || (!Number.isInteger(value) && value !== Infinity)) {
    throw new RangeError(`wsguard scanner: ${name} must be an integer ≥ 1 (or Infinity), got ${String(value)}`);
  }
  return value;
}

/** Resolve and check the options once; throws a TypeError or RangeError naming the bad option. */
function resolve(options: ScanOptions) {
  if (typeof options !== 'object' || options === null) throw new TypeError('wsguard scanner: options must be an object');
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw new TypeError(`wsguard scanner: unknown option ${JSON.stringify(name)} (known: ${[...OPTION_NAMES].join(', ')})`);
  }
  let kinds = 0;
  for (const kind of options.kinds ?? SCAN_KINDS) {
    const bit = (KIND_BIT as Record<string, number | undefined>)[kind];
    if (bit === undefined) throw new RangeError(`wsguard scanner: unknown kind ${JSON.stringify(kind)} (known: ${SCAN_KINDS.join(', ')})`);
    kinds |= bit;
  }
  if (options.firstOnly !== undefined && typeof options.firstOnly !== 'boolean') throw new TypeError('wsguard scanner: firstOnly must be a boolean');
  if (options.pollutionKeys !== undefined && typeof options.pollutionKeys !== 'boolean') throw new TypeError('wsguard scanner: pollutionKeys must be a boolean');
  return {
    kinds,
    firstOnly: options.firstOnly === true,
    pollutionKeys: options.pollutionKeys !== false && (kinds & K_PROTO) !== 0,
    maxNodes: limitOption(options, 'maxNodes'),
    maxStringLength: limitOption(options, 'maxStringLength'),
    maxTotalLength: limitOption(options, 'maxTotalLength'),
    maxFindings: limitOption(options, 'maxFindings'),
  };
}

/** Rules found in one string, by kind: returned by `inspect`, one slot per kind. */
/** Rules found in the string being inspected, by kind; reset by `inspect` (the scanner never re-enters it). */
const verdict: Record<ScanKind, ScanRuleId | null> = { xss: null, sqli: null, cmdi: null, path: null, proto: null };

/** The white space `\s` matches beyond the space and the tab: controls (one sets T_CONTROL), and beyond ASCII. */
const CONTROL_SPACE = /[\n\v\f\r]/;
const WIDE_SPACE = /[\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/**
 * `/\s/.test(s)` for `s` with trigger mask `mask`: the space and the tab by `indexOf` (a search for one character that
 * the runtime makes at memory speed), the rest only where the mask or the value's UTF-8 length says one may be. The
 * expression read all of a value without white space (64 KB of `+AB`: 50–65 µs; these searches 3). Exported for its
 * test, which holds it to the expression.
 */
export function hasSpace(s: string, mask: number): boolean {
  if (s.indexOf(' ') >= 0 || s.indexOf('\t') >= 0) return true;
  if ((mask & T_CONTROL) !== 0 && CONTROL_SPACE.test(s)) return true;
  return hasNonAscii(s) && WIDE_SPACE.test(s);
}
/** Grouped: see literal.ts. */
const BASE64 = /(?:base64)/;
const BASE64_AT = /(?:base64)/g;

/** What `\s` matches in a one-byte string (every reading is one). */
const isSpaceByte = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 0xa0;

/**
 * Where `;\s*base64\s*,` first starts in `v` (the `;`), or -1. From each `base64` back and forth: the regular
 * expression tried a match at every `;` of the value, 35–40 µs on a 64 KB text that has the word anywhere (this
 * README, shell examples).
 */
function base64Marker(v: string): number {
  for (let p = find(BASE64_AT, v, 0, 6); p >= 0; p = find(BASE64_AT, v, p + 6, 6)) {
    let b = p - 1;
    while (b >= 0 && isSpaceByte(v.charCodeAt(b))) b--;
    if (b < 0 || v.charCodeAt(b) !== 59) continue;
    let a = p + 6;
    while (a < v.length && isSpaceByte(v.charCodeAt(a))) a++;
    if (a < v.length && v.charCodeAt(a) === 44) return b;
  }
  return -1;
}

/**
 * Other readings of a string an application might make: form decoding (`+` is a space: 1%27+OR+1%3D1, +|+dir+c:\\)
 * for a value without spaces, and base64 for a value that is nothing else. Added to `readings`.
 */
function alternateReadings(text: string, mask: number, decoded: string, full: string, long: boolean): void {
  const spaced = hasSpace(text, mask);
  if (!long && text.includes('+') && ((mask & T_PERCENT) !== 0 || !spaced)) {
    const form = canonical(decodeAll(text.replace(/\+/g, ' '), text.length));
    if (form !== decoded) addReading(form, triggerMask(form));
  }
  if (!spaced && (mask & T_EQUALS) !== 0) {
    const b64 = decodeBase64Value(text);
    if (b64 !== null) {
      const r = canonical(decodeAll(b64, b64.length));
      addReading(r, triggerMask(r));
    }
  }
  // data:…;base64,PHNjcmlwdD4…: what the browser decodes (base64 needs the case: read from the decoded text unfolded)
  const at = base64Marker(decoded);
  if (at >= 0) {
    // (the same length as `decoded`, so `at` holds: the text itself when nothing was decoded)
    const cased = full === text ? text : fold(full, false);
    const payload = decodeBase64Run(cased, cased.indexOf(',', at) + 1);
    if (payload !== null) {
      const r = canonical(decodeAll(payload, payload.length));
      addReading(r, triggerMask(r));
    }
  }
}

/**
 * The readings of the string being inspected (raw lower case, decoded, other readings) and their trigger masks:
 * module-level and reused, so inspecting allocates no arrays (the scanner never re-enters `inspect`).
 */
const readings: string[] = ['', '', '', '', ''];
const masks = new Int32Array(5);
let readingCount = 0;

function addReading(s: string, m: number): void {
  readings[readingCount] = s;
  masks[readingCount] = m;
  readingCount++;
}

const sqliReading = (s: string, m: number): ScanRuleId | null => detectSqli(s, (s.includes("'") ? 1 : 0) | ((m & T_DQUOTE) !== 0 ? 2 : 0));

/**
 * Decode a string that has triggers and run the detectors its triggers concern (only the kinds in `kinds`). Fills
 * `verdict`; returns whether anything was found.
 */
function inspect(text: string, mask: number, kinds: number): boolean {
  verdict.xss = verdict.sqli = verdict.cmdi = verdict.path = verdict.proto = null;
  // Every reading is a one-byte string (fold.ts): the detectors compare ASCII only.
  const long = text.length > LONG;
  const high = (mask & T_NON_ASCII) !== 0 || ((mask & DECODE_TRIGGERS) !== 0 && hasNonAscii(text));
  // The raw reading (lower case, nothing decoded) of a long value in two-byte form is made only when it is one of the
  // readings: a long value that decodes to something else is read decoded only, and the path detector reads its
  // raw form from the value itself (path.ts). Making it costs a table pass over a copy of 64 K units. A short value
  // that is folded first may get it from its fold (below).
  let raw: string | null = (high && !long) || (long && WIDE.test(text)) ? null : lowerRaw(text);
  let decoded: string | null = raw;
  let full = text;
  let nul = (mask & T_CONTROL) !== 0 && text.includes('\0');
  // (the decoded reading is known to be the raw one: see below)
  let rawAlike = false;
  if ((mask & DECODE_TRIGGERS) !== 0 || high) {
    // Compatibility forms first (％３Ｃ is %3C), then the textual encodings (what they produce is folded as they go),
    // then the canonical form: invisible characters dropped, lower case.
    const base = high ? fold(text, false) : text;
    // (read now: decodeAll may fold again)
    const noCapital = high && foldWroteNoCapital();
    const keptRaw = high && foldKeptLowerRaw();
    // a fold that wrote what lowerRaw writes, up to case, and no capital: lower-cased, it is the raw reading (a
    // short value's: a long one's is made only when it is a reading, see above)
    if (keptRaw && noCapital && !long) raw = base.toLowerCase();
    full = decodeAll(base, text.length);
    if (full !== base && !nul) nul = full.includes('\0');
    // A fold with no Latin-1 capital, decoded into nothing whose lower case the fold and the runtime disagree on (a
    // decoding that wrote nothing wrote none), is canonical once lower-cased by the runtime (what canonical would
    // check for first, in a pass of its own: 60–70 µs on 64 KB of prose)
    // (and so is an ASCII value without a control the fold drops: it has no such character to begin with)
    const nativeLower = (noCapital || (!high && (mask & T_DROPPED) === 0)) && !decodeWroteLowerDiffering();
    if (full === text) decoded = raw ??= lowerRaw(text);
    else decoded = nativeLower ? full.toLowerCase() : canonical(full);
    // A fold that wrote what lowerRaw writes, no capital among it, and nothing decoded: lower-cased (as it was just
    // now), it is the raw reading
    rawAlike = keptRaw && noCapital && full === base;
  }
  decoded ??= raw ??= lowerRaw(text);
  // (a short value's raw reading is always one of its readings)
  if (raw === null && !long) raw = lowerRaw(text);
  // (equal to the raw reading: then that is the one reading, and the decoded string serves as it)
  const same = raw !== null ? decoded === raw : rawAlike || equalsLowerRaw(decoded, text);
  raw ??= same ? decoded : null;
  const dmask = same ? mask : triggerMask(decoded);
  // The readings each detector looks at: the raw text (lower case), its decoded form, and other readings. A long
  // value that decodes to something else is read decoded only (the path detector still reads its raw form, or the
  // value itself: see above), so the work stays a few passes.
  readingCount = 0;
  if (same || !long) addReading(raw as string, mask);
  if (!same) addReading(decoded, dmask);
  const firstOther = readingCount;
  if ((mask & (T_PERCENT | T_EQUALS)) !== 0 || text.includes('+') || BASE64.test(decoded)) alternateReadings(text, mask, decoded, full, long);
  const count = readingCount;
  let found = false;
  if ((kinds & K_XSS) !== 0) {
    // the decoded form and the other readings: the raw form adds nothing a browser would see
    for (let i = same || long ? 0 : 1; i < count; i++) {
      if (((masks[i] as number) & XSS_TRIGGERS) === 0) continue;
      const r = detectXss(readings[i] as string, masks[i] as number);
      if (r !== null) {
        verdict.xss = r;
        found = true;
        break;
      }
    }
  }
  if ((kinds & K_SQLI) !== 0) {
    for (let i = 0; i < count; i++) {
      if (((masks[i] as number) & SQLI_TRIGGERS) === 0) continue;
      const r = sqliReading(readings[i] as string, masks[i] as number);
      if (r !== null) {
        verdict.sqli = r;
        found = true;
        break;
      }
    }
  }
  if ((kinds & K_CMDI) !== 0) {
    for (let i = 0; i < count; i++) {
      if (((masks[i] as number) & CMDI_TRIGGERS) === 0) continue;
      const r = detectCmdi(readings[i] as string, masks[i] as number);
      if (r !== null) {
        verdict.cmdi = r;
        found = true;
        break;
      }
    }
  }
  if ((kinds & K_PATH) !== 0 && (((mask | dmask) & PATH_TRIGGERS) !== 0 || count > firstOther)) {
    let r = detectPath(raw ?? text, decoded, nul);
    for (let i = firstOther; r === null && i < count; i++) r = detectPath(readings[i] as string, readings[i] as string, false);
    if (r !== null) {
      verdict.path = r;
      found = true;
    }
  }
  if ((kinds & K_PROTO) !== 0 && (((mask | dmask) & PROTO_TRIGGERS) !== 0)) {
    const r = detectProto(decoded);
    if (r !== null) {
      verdict.proto = r;
      found = true;
    }
  }
  for (let i = 0; i < count; i++) readings[i] = '';
  return found;
}

/**
 * Compile a scanner. The options are checked and resolved here, once; the returned function allocates nothing for a
 * value without findings beyond the walk itself (its state lives here and is reset per call).
 */
export function createScanner(options: ScanOptions = {}): Scanner {
  return compile(resolve(options));
}

function compile(resolved: ReturnType<typeof resolve>): Scanner {
  const { kinds, firstOnly, pollutionKeys, maxNodes, maxStringLength, maxTotalLength, maxFindings } = resolved;
  const kindList = SCAN_KINDS.filter((k) => (kinds & KIND_BIT[k]) !== 0);

  // Per-call state, reset on entry. A re-entrant call (only possible through a Proxy's traps) gets its own scanner.
  let busy = false;
  let findings: ScanFinding[] | null = null;
  let foundKinds = 0;
  let nodes = 0;
  let total = 0;
  let stop = false;
  const stack: Frame[] = [];
  /** The trigger mask of the last string `scanText` looked at. */
  let lastMask = 0;
  /** Object keys found clean, by their position in their object: a message schema repeats its keys. */
  const keyCache: string[] = [];
  for (let i = 0; i < KEY_CACHE; i++) keyCache.push('');
  /** Short strings found clean, each in the slot of `valueSlot` (the last one seen there). */
  const valueCache: string[] = [];
  for (let i = 0; i < VALUE_CACHE; i++) valueCache.push('');

  function finding(rule: ScanRuleId, parent: Frame | null, key: string | number | null): ScanFinding {
    const info = SCAN_RULES[rule];
    return Object.freeze({ kind: info.kind, path: pathOf(parent, key), rule, severity: info.severity });
  }

  function add(rule: ScanRuleId, parent: Frame | null, key: string | number | null): void {
    findings ??= [];
    if (findings.length === maxFindings - 1 && maxFindings > 1) {
      findings.push(finding('limit.findings', parent, key));
      stop = true;
      return;
    }
    findings.push(finding(rule, parent, key));
    if (findings.length >= maxFindings) stop = true;
  }

  /**
   * Whether `s` (1 to VALUE_CHARS_KEPT characters) is the short string last found clean in its slot (trigger mask 0):
   * the same text has the same mask. One comparison, by identity for an interned string.
   */
  function knownClean(s: string): boolean {
    return valueCache[valueSlot(s)] === s;
  }

  /** Remember a short string whose trigger mask is 0, in place of the one in its slot. */
  function remember(s: string): void {
    valueCache[valueSlot(s)] = s;
  }

  function scanText(s: string, parent: Frame | null, key: string | number | null): void {
    let text = s;
    lastMask = -1;
    if (text.length > maxStringLength) {
      text = text.slice(0, maxStringLength);
      add('limit.string-length', parent, key);
      if (stop) return;
    }
    total += text.length;
    if (total > maxTotalLength) {
      add('limit.total-length', parent, key);
      stop = true;
      return;
    }
    // a short string seen clean skips its trigger pass (after the limits, which count it as any other)
    const short = text.length !== 0 && text.length <= VALUE_CHARS_KEPT;
    if (short && knownClean(text)) {
      lastMask = 0;
      return;
    }
    const mask = triggerMask(text);
    lastMask = mask;
    if ((mask & TRIGGERS) === 0) {
      if (short && mask === 0) remember(text);
      return;
    }
    const wanted = firstOnly ? kinds & ~foundKinds : kinds;
    if (wanted === 0) return;
    if (!inspect(text, mask, wanted)) return;
    for (const kind of kindList) {
      const rule = verdict[kind];
      if (rule === null) continue;
      add(rule, parent, key);
      foundKinds |= KIND_BIT[kind];
      if (stop) return;
    }
    if (firstOnly && foundKinds === kinds) stop = true;
  }

  /** Visit one value: containers go on the stack, strings are scanned. */
  function visit(child: unknown, parent: Frame | null, key: string | number | null): void {
    if (++nodes > maxNodes) {
      add('limit.nodes', parent, key);
      stop = true;
      return;
    }
    if (typeof child === 'string') scanText(child, parent, key);
    else if (typeof child === 'object' && child !== null && isWalkable(child)) stack.push({ value: child, parent, key });
  }

  /** Visit the children of `container`, whose frame is `frame` (null for the root value). */
  function walkChildren(container: object, frame: Frame | null): void {
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length && !stop; i++) visit(container[i], frame, i);
      return;
    }
    const record = container as Record<string, unknown>;
    let k = 0;
    // for…in with an own-property check: the same keys in the same order as Object.keys, without an array per object
    for (const key in record) {
      if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
      if (stop) return;
      const child = record[key];
      if (pollutionKeys && (key === '__proto__' || key === 'constructor' || key === 'prototype') && pollutionKey(key, child)) {
        if (!firstOnly || (foundKinds & K_PROTO) === 0) {
          add('proto.key', frame, key);
          foundKinds |= K_PROTO;
          if (firstOnly && foundKinds === kinds) stop = true;
          if (stop) return;
        }
      }
      if (k < KEY_CACHE && keyCache[k] === key) {
        // the key at this position in the last object was clean: the same (interned) string still is
        total += key.length;
      } else {
        scanText(key, frame, key);
        if (stop) return;
        if (k < KEY_CACHE && key.length <= maxStringLength && lastMask === 0) keyCache[k] = key;
      }
      k++;
      if (total > maxTotalLength) {
        add('limit.total-length', frame, key);
        stop = true;
        return;
      }
      visit(child, frame, key);
    }
  }

  function run(value: unknown): readonly ScanFinding[] {
    findings = null;
    foundKinds = 0;
    nodes = 0;
    total = 0;
    stop = false;
    if (stack.length > 0) stack.length = 0;
    // The root container is walked in place (its children have paths $.key / $[i]); nested ones go on the stack.
    if (++nodes > maxNodes) {
      add('limit.nodes', null, null);
    } else if (typeof value === 'string') {
      scanText(value, null, null);
    } else if (typeof value === 'object' && value !== null && isWalkable(value)) {
      walkChildren(value, null);
    }
    while (stack.length > 0 && !stop) {
      const frame = stack.pop() as Frame;
      walkChildren(frame.value, frame);
    }
    if (stack.length > 0) stack.length = 0;
    const result = findings ?? NONE;
    findings = null;
    return result;
  }

  return function scan(value: unknown): readonly ScanFinding[] {
    if (busy) return compile(resolved)(value);
    busy = true;
    try {
      return run(value);
    } finally {
      busy = false;
    }
  };
}

/** Scan with the default options (every kind, the default limits). */
export const scanPayload: Scanner = createScanner();
