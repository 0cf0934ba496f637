/**
 * Undo what attackers encode, so the detectors see what a browser, a shell, a database or a file API would see:
 * percent-encoding (UTF-8, overlong UTF-8 and IIS %uXXXX, nested up to four times), HTML character references (named,
 * decimal, hex, with or without `;`), JavaScript and CSS escapes (\x3c, \u003c, \u{3c}, \74, \3c ), UTF-7 runs
 * (+ADw-); what they decode to is folded at once (compatibility forms to ASCII, see fold.ts), so a round's output is a
 * one-byte string the next round reads as it is.
 *
 * Every round is one linear pass that writes into a reused byte buffer (no string per escape, whatever their number);
 * the number of rounds is capped, so a 64 KB string costs at most a few passes.
 */

import { ByteWriter, fold, foldInto, LOWER_DIFFERS, WIDE } from './fold.js';

const MAX_ROUNDS = 4;
/** Beyond this length a value is decoded at most twice. */
export const LONG = 4096;

const NAMED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"], ['amp', '&'], ['colon', ':'], ['tab', '\t'],
  ['newline', '\n'], ['lpar', '('], ['rpar', ')'], ['sol', '/'], ['bsol', '\\'], ['period', '.'], ['comma', ','],
  ['semi', ';'], ['excl', '!'], ['equals', '='], ['num', '#'], ['grave', '`'], ['lsqb', '['], ['rsqb', ']'],
  ['lbrack', '['], ['rbrack', ']'], ['lcub', '{'], ['rcub', '}'], ['lbrace', '{'], ['rbrace', '}'], ['nbsp', ' '],
  ['plus', '+'], ['dollar', '$'], ['percnt', '%'], ['ast', '*'], ['midast', '*'], ['vert', '|'], ['verbar', '|'],
  ['quest', '?'], ['commat', '@'], ['hyphen', '-'], ['dash', '-'], ['lowbar', '_'], ['lowast', '*'],
]);
const LONGEST_ENTITY = 7;
/** A lower-case name as a number: its letters in base 27 (a = 1), exact for up to 11 letters. */
const nameCode = (name: string): number => {
  let code = 0;
  for (let i = 0; i < name.length; i++) code = code * 27 + (name.charCodeAt(i) - 96);
  return code;
};
/** Entity names read as numbers, to the character code they stand for. */
const ENTITY_BY_CODE: ReadonlyMap<number, number> = new Map([...NAMED_ENTITIES].map(([name, value]) => [nameCode(name), value.charCodeAt(0)]));
/** The same for names of up to three letters (&lt &amp), by index: most references are read here, without hashing. */
const SHORT_NAMES = 27 * 27 * 27;
const SHORT_ENTITY = new Int16Array(SHORT_NAMES).fill(-1);
for (const [code, value] of ENTITY_BY_CODE) if (code < SHORT_NAMES) SHORT_ENTITY[code] = value;

const hexValue = (c: number): number => {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
};
const isOctal = (c: number): boolean => c >= 48 && c <= 55;
const isAsciiLetter = (c: number): boolean => (c | 0x20) >= 97 && (c | 0x20) <= 122;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** For every byte (the value's bytes are what UTF-7 runs are read from): its base64 value, -1 for none. */
const B64_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/** Where an escape may start (% & \ +): the rest of a value is copied as it is. */
const ESCAPE_CHARS = '%&\\+';
/**
 * Where the next of each of `ESCAPE_CHARS` is in the value being decoded, from where it was last asked: -1 for none
 * left, -2 before the first search. Each is found by `indexOf` (memchr: 0.6 µs over 64 KB, where the regular
 * expression [%&\\+] took 33 µs, once per round: most of the decoding of 64 KB of prose with a few escapes).
 */
const nextEscapeChar = new Int32Array(ESCAPE_CHARS.length);

/** The first of % & \ + in `s` from `i`, or -1; `i` never goes back within a value (the positions are kept). */
function escapeCharFrom(s: string, i: number): number {
  let first = -1;
  for (let k = 0; k < ESCAPE_CHARS.length; k++) {
    let p = nextEscapeChar[k] as number;
    if (p !== -1 && p < i) nextEscapeChar[k] = p = s.indexOf(ESCAPE_CHARS.charAt(k), i);
    if (p >= 0 && (first < 0 || p < first)) first = p;
  }
  return first;
}
/**
 * For each pair of bytes (the first in the high byte): 0 when the first is no % & \ +; otherwise `ESCAPE_CHAR`, with
 * `ANY` when the second can continue an escape whatever follows, or the classes of `THIRD` one of which the byte after
 * it must be in (`THIRD` has `ANY` for every byte: a candidate is a pair whose bits meet the third byte's). Near misses
 * (%u%u, &#&#, \x\x) stop here rather than in the escape's reader, two lookups a byte.
 */
const PAIR = new Uint8Array(65536);
const ESCAPE_CHAR = 0x80;
const ANY = 0x40;
const HEX = 1;
const DIGIT_OR_X = 2;
const HEX_OR_BRACE = 4;
/** A–H: a UTF-7 run's first unit is ASCII only if its second base64 digit (after A) is below 8. */
const B64_LOW = 8;
/** An ASCII letter: every entity name has two at least (&lt), so &s& (64 K of them in `s&s&…`) is none. */
const LETTER = 16;
const THIRD = new Uint8Array(256);
for (let d = 0; d < 256; d++) {
  const l = d | 0x20;
  const hex = hexValue(d) >= 0;
  THIRD[d] =
    (hex ? HEX | HEX_OR_BRACE : 0) |
    ((d >= 48 && d <= 57) || l === 120 ? DIGIT_OR_X : 0) |
    (d === 123 ? HEX_OR_BRACE : 0) |
    (d >= 65 && d <= 72 ? B64_LOW : 0) |
    (isAsciiLetter(d) ? LETTER : 0) |
    ANY;
  PAIR[(37 << 8) | d] = ESCAPE_CHAR | (hex || l === 117 ? HEX : 0); // %41 %u0041: a hex digit next either way
  PAIR[(38 << 8) | d] = ESCAPE_CHAR | (d === 35 ? DIGIT_OR_X : 0) | (isAsciiLetter(d) ? LETTER : 0); // &#60; &#x3c; &lt;
  PAIR[(92 << 8) | d] =
    ESCAPE_CHAR |
    (l === 120 ? HEX : 0) | // \x3c
    (l === 117 ? HEX_OR_BRACE : 0) | // \u003c \u{3c}
    (d === 48 || d === 110 || d === 114 || d === 116 ? ANY : 0) | // \0 \n \r \t
    (hex && d !== 48 ? HEX : 0); // \3c \74: a hex escape has two digits at least (\a\a… is none)
  PAIR[(43 << 8) | d] = ESCAPE_CHAR | (d === 65 ? B64_LOW : 0); // +ADw-
}

/** The output of the round being decoded (one round at a time). */
const w = new ByteWriter();
/** The bytes of the value being decoded and two zeros, which continue no escape: what `nextCandidate` reads. */
const input = new ByteWriter();
/** Percent-escaped bytes of the run being decoded. */
let run = new Uint8Array(256);

/**
 * The text before the escape being tried, not copied yet: copied by the first write, so a value whose escape
 * candidates all turn out to be none (AT&T, 50%, C:\\x) copies nothing.
 */
let pending = '';
let pendingFrom = 0;
let pendingTo = 0;

function flush(): void {
  if (pendingTo > pendingFrom) copy(pending, pendingFrom, pendingTo);
  pendingFrom = pendingTo;
}

/**
 * Whether the last `decodeAll` wrote a character whose lower case the fold and the native `toLowerCase` disagree on
 * (LOWER_DIFFERS: controls, Latin-1 capitals and compatibility forms), as far as it knows: the rare paths (characters
 * beyond a byte, UTF-7) count as writing one. What it copied is not counted: see `decodeWroteLowerDiffering`.
 */
let wroteDiffering = false;

/**
 * Whether the last `decodeAll` may have written such a character by decoding (what it copied as it was is the
 * caller's to know): when not, and its input had none, the scanner lower-cases the result with `toLowerCase`.
 */
export const decodeWroteLowerDiffering = (): boolean => wroteDiffering;

/** Write the code point `cp` decoded: a byte when it is one, its fold otherwise (invalid ones as U+FFFD). */
function emit(cp: number): void {
  if (pendingTo > pendingFrom) flush();
  if (cp >= 0 && cp < 256) {
    w.reserve(1);
    w.buf[w.len++] = cp;
    if (LOWER_DIFFERS[cp] !== 0) wroteDiffering = true;
  } else {
    emitWide(cp);
  }
}

/** `emit` beyond a byte (rare): kept apart so that `emit`, called for every escape, stays a few instructions. */
function emitWide(cp: number): void {
  wroteDiffering = true;
  const valid = cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  const text = String.fromCodePoint(valid ? cp : 0xfffd);
  foldInto(text, 0, text.length, false, w);
}

/** Copy `s[from, to)` as it is: `s` is a one-byte string (`decodeAll` is only given those). */
function copy(s: string, from: number, to: number): void {
  const n = to - from;
  w.reserve(n);
  if (n > 64) {
    // long runs at memory speed (the call costs more than a short loop)
    w.len += Buffer.from(w.buf.buffer, w.buf.byteOffset + w.len, n).write(s.slice(from, to), 'latin1');
    return;
  }
  const b = w.buf;
  let j = w.len;
  for (let i = from; i < to; i++) b[j++] = s.charCodeAt(i);
  w.len = j;
}

/** Decode the percent-escaped bytes in `run[0, n)` leniently: UTF-8 including overlong forms, anything else as Latin-1. */
function emitBytes(n: number): void {
  const cont = (k: number): boolean => k < n && ((run[k] as number) & 0xc0) === 0x80;
  for (let i = 0; i < n; ) {
    const b = run[i] as number;
    if (b < 0xc0) {
      // ASCII and stray continuation bytes are written as they are: the whole stretch of them at once (%2e%2e%2e…)
      let k = i + 1;
      while (k < n && (run[k] as number) < 0xc0) k++;
      if (pendingTo > pendingFrom) flush();
      w.reserve(k - i);
      const buf = w.buf;
      let len = w.len;
      while (i < k) {
        const byte = run[i++] as number;
        if (LOWER_DIFFERS[byte] !== 0) wroteDiffering = true;
        buf[len++] = byte;
      }
      w.len = len;
    } else if (b >= 0xc0 && b < 0xe0 && cont(i + 1)) {
      emit(((b & 0x1f) << 6) | ((run[i + 1] as number) & 0x3f));
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0 && cont(i + 1) && cont(i + 2)) {
      emit(((b & 0x0f) << 12) | (((run[i + 1] as number) & 0x3f) << 6) | ((run[i + 2] as number) & 0x3f));
      i += 3;
    } else if (b >= 0xf0 && b < 0xf8 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      emit(((b & 0x07) << 18) | (((run[i + 1] as number) & 0x3f) << 12) | (((run[i + 2] as number) & 0x3f) << 6) | ((run[i + 3] as number) & 0x3f));
      i += 4;
    } else {
      emit(b);
      i += 1;
    }
  }
}

/**
 * The character at `k`, -1 past the end (which no escape continues with). The readers look ahead; a read past the end
 * would make the compiler give up plain loads for every read of theirs.
 */
const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : -1);

/**
 * For each alignment of a UTF-7 run (where its `+` is, modulo 8: 8 base64 digits are 3 units), the bit where a unit
 * beyond ASCII starts that a check of a run so aligned met in the value being decoded (its characters' bits numbered
 * from 0, 6 a character), -1 for none. A later `+` of the same alignment before that unit, inside the same stretch of
 * base64 digits (its own run, then, is the end of the checked one: the same units from the same bit), fails there too.
 * Without it, each `+A` of `+AAAAAAA+AAAAAAA…////////` read the run to its end: 64 KB of it took 0.8 s.
 */
const utf7Beyond = new Int32Array(8);

/**
 * The end of a UTF-7 run `+…-` starting at `i` (the `+`) that decodes to ASCII only (written), or -1. Read from the
 * value's bytes `b` (the zeros after them end a run): 64 KB of `+AB`, a near miss every 3 characters, 1.2 ms to decode
 * from the string, 0.88 ms from its bytes.
 */
function utf7At(b: Uint8Array, i: number): number {
  const alignment = i & 7;
  if (6 * (i + 1) <= (utf7Beyond[alignment] as number)) return -1;
  // A first pass checks the run (ASCII only, at least one unit, three characters); the second writes it. Most `+A`
  // are no such run: they cost the check alone.
  let j = i + 1;
  let bits = 0;
  let acc = 0;
  let units = 0;
  for (; ; j++) {
    const v = B64_VALUE[b[j] as number] as number;
    if (v < 0) break;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 16) {
      bits -= 16;
      if (((acc >> bits) & 0xffff) >= 128) {
        utf7Beyond[alignment] = 6 * (j + 1) - bits - 16;
        return -1;
      }
      units++;
    }
    acc &= (1 << bits) - 1;
  }
  if (units === 0 || j - i < 3) return -1;
  wroteDiffering = true;
  flush();
  w.reserve(units);
  bits = 0;
  acc = 0;
  for (let k = i + 1; k < j; k++) {
    acc = (acc << 6) | (B64_VALUE[b[k] as number] as number);
    bits += 6;
    if (bits >= 16) {
      bits -= 16;
      w.buf[w.len++] = (acc >> bits) & 0xffff;
    }
    acc &= (1 << bits) - 1;
  }
  return b[j] === 45 ? j + 1 : j;
}

/** At `i` (a `%`): the end of a percent escape run, decoded and written, or -1 when there is none. */
function percentAt(s: string, i: number): number {
  if ((at(s, i + 1) | 0x20) === 117 /* u */) {
    const h1 = hexValue(at(s, i + 2));
    const h2 = hexValue(at(s, i + 3));
    const h3 = hexValue(at(s, i + 4));
    const h4 = hexValue(at(s, i + 5));
    if (h1 >= 0 && h2 >= 0 && h3 >= 0 && h4 >= 0) {
      emit((h1 << 12) | (h2 << 8) | (h3 << 4) | h4);
      return i + 6;
    }
  }
  const j = percentRun(s, i);
  if (runLength === 0) return -1;
  emitBytes(runLength);
  return j;
}

/** The bytes `percentRun` read. */
let runLength = 0;

/**
 * The run of %XX escapes from `i` read into `run` (`runLength` bytes); returns where it ends. The loop alone in a
 * function that returns right after it: a value of 64 KB of escapes is one run, the compiler compiles the loop in the
 * middle of it (on-stack replacement), and code after the loop that had never run left that compiled code at every
 * call (measured: a deoptimization per value).
 */
function percentRun(s: string, i: number): number {
  let j = i;
  let n = 0;
  while (at(s, j) === 37) {
    const a = hexValue(at(s, j + 1));
    const b = hexValue(at(s, j + 2));
    if (a < 0 || b < 0) break;
    if (n === run.length) {
      const bigger = new Uint8Array(run.length * 2);
      bigger.set(run);
      run = bigger;
    }
    run[n++] = (a << 4) | b;
    j += 3;
  }
  runLength = n;
  return j;
}

/** At `i` (a `&`): the end of a character reference, decoded and written, or -1. */
function entityAt(s: string, i: number): number {
  const n = s.length;
  if (at(s, i + 1) === 35 /* # */) {
    const hex = (at(s, i + 2) | 0x20) === 120;
    let j = i + (hex ? 3 : 2);
    let value = 0;
    const start = j;
    while (j < n && j - start < 12) {
      const d = hex ? hexValue(at(s, j)) : at(s, j) - 48;
      if (d < 0 || d > (hex ? 15 : 9)) break;
      value = value * (hex ? 16 : 10) + d;
      j++;
    }
    if (j === start) return -1;
    if (at(s, j) === 59) j++;
    emit(value > 0x10ffff ? -1 : value);
    return j;
  }
  // The longest name that is an entity wins (&lpar; before &lp…); names are read as numbers, no substring.
  let j = i + 1;
  let code = 0;
  let value = -1;
  let k = -1;
  while (j < n && j - i <= LONGEST_ENTITY) {
    const ch = s.charCodeAt(j);
    if (!isAsciiLetter(ch)) break;
    code = code * 27 + ((ch | 0x20) - 96);
    j++;
    const v = code < SHORT_NAMES ? (SHORT_ENTITY[code] as number) : (ENTITY_BY_CODE.get(code) ?? -1);
    if (v >= 0) {
      value = v;
      k = j;
    }
  }
  if (value < 0) return -1;
  emit(value);
  return at(s, k) === 59 ? k + 1 : k;
}

/** At `i` (a `\`): the end of a JavaScript or CSS escape, decoded and written, or -1. */
function backslashAt(s: string, i: number): number {
  const n = s.length;
  const d = at(s, i + 1);
  const l = d | 0x20;
  let value = -1;
  let end = i;
  if (l === 120 /* x */) {
    const a = hexValue(at(s, i + 2));
    const b = hexValue(at(s, i + 3));
    if (a >= 0 && b >= 0) {
      value = (a << 4) | b;
      end = i + 4;
    }
  } else if (l === 117 /* u */) {
    if (at(s, i + 2) === 123 /* { */) {
      let j = i + 3;
      let v = 0;
      while (j < n && j < i + 10 && hexValue(at(s, j)) >= 0) v = v * 16 + hexValue(at(s, j++));
      if (j > i + 3 && at(s, j) === 125) {
        value = v;
        end = j + 1;
      }
    } else {
      const a = hexValue(at(s, i + 2));
      const b = hexValue(at(s, i + 3));
      const e = hexValue(at(s, i + 4));
      const f = hexValue(at(s, i + 5));
      if (a >= 0 && b >= 0 && e >= 0 && f >= 0) {
        value = (a << 12) | (b << 8) | (e << 4) | f;
        end = i + 6;
      }
    }
  } else if (d === 110 /* n */ || d === 114 /* r */ || d === 116 /* t */) {
    value = d === 110 ? 10 : d === 114 ? 13 : 9;
    end = i + 2;
  } else if (hexValue(d) >= 0) {
    // CSS \HHHHHH (4–6 digits, or 1–2) and JavaScript octal \NNN (3 octal digits).
    let j = i + 1;
    while (j < n && j < i + 7 && hexValue(at(s, j)) >= 0) j++;
    const digits = j - i - 1;
    if (digits === 3 && isOctal(d) && isOctal(at(s, i + 2)) && isOctal(at(s, i + 3))) {
      value = ((d - 48) << 6) | ((at(s, i + 2) - 48) << 3) | (at(s, i + 3) - 48);
      end = i + 4;
    } else if (digits >= 4 || digits === 2) {
      value = 0;
      for (let k = i + 1; k < j; k++) value = value * 16 + hexValue(at(s, k));
      end = j;
      if (at(s, end) === 32) end++;
    } else if (digits === 1 && d === 48 /* \0 */) {
      value = 0;
      end = i + 2;
    }
  }
  if (value < 0) return -1;
  emit(value);
  return end;
}

/**
 * One pass of every textual decoding over a one-byte string. Returns `s` itself when nothing was decoded, otherwise
 * a one-byte string (what decoding produced beyond Latin-1 folded, see fold.ts). `decodeAll` only hands it one-byte
 * strings.
 */
function decodeOnce(s: string): string {
  // (loops, not `fill`: the builtin's call costs more than four and eight stores, 35 ns a round on a chat line)
  for (let k = 0; k < nextEscapeChar.length; k++) nextEscapeChar[k] = -2;
  const first = escapeCharFrom(s, 0);
  if (first < 0) return s;
  const n = s.length;
  input.load(s);
  input.reserve(2);
  const b = input.buf;
  b[n] = b[n + 1] = 0;
  let i = nextCandidate(s, b, first, n);
  if (i < 0) return s;
  w.len = 0;
  for (let k = 0; k < utf7Beyond.length; k++) utf7Beyond[k] = -1;
  pending = s;
  pendingFrom = 0;
  let decoded = false;
  while (i >= 0) {
    // what precedes the candidate is copied by the first write, if the candidate is an escape
    pendingTo = i;
    let end = escapeAt(s, b, i);
    // where to look for the next candidate: past this one when it is none
    let resume = i + 1;
    if (end >= 0) {
      decoded = true;
      resume = end;
      // escapes that follow each other (&lt;&lt;…, \u003c\u003c…) are read here, one after the other
      // (the readers themselves turn down a near miss there, at about the cost of the test `nextCandidate` makes)
      while (end < s.length && PAIR[s.charCodeAt(end) << 8] !== 0) {
        pendingTo = pendingFrom = end;
        const next = escapeAt(s, b, end);
        if (next < 0) {
          resume = end + 1;
          break;
        }
        end = resume = next;
      }
      pendingFrom = end;
    }
    i = nextCandidate(s, b, resume, n);
  }
  pending = '';
  if (!decoded) return s;
  copy(s, pendingFrom, s.length);
  return w.text();
}

/** At `i` (one of % & \ +): the end of the escape there, decoded and written, or -1. */
function escapeAt(s: string, b: Uint8Array, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 37 /* % */) return percentAt(s, i);
  if (c === 38 /* & */) return entityAt(s, i);
  if (c === 92 /* \ */) return backslashAt(s, i);
  return utf7At(b, i);
}

/**
 * The first stretch `nextCandidate` reads before it skips to an escape character; the next ones double while they
 * hold one.
 */
const FIRST_STRETCH = 32;
/** Beyond this, the stretches stay this long. */
const LONGEST_STRETCH = 1024;

/**
 * The first position from `i` where an escape may start: a % & \ + whose next two characters can continue one (%2
 * %u &# &l \x \3 \n +AD); -1 when there is none. Near misses are turned down in a loop over a stretch of the value's
 * bytes, the same few operations a character (64 KB of `s&` or `'%`: 105 µs, where a loop over the string that
 * returned to the search for the next escape character after 16 without one took 210–270); when a stretch holds no
 * escape character, `escapeCharFrom` skips to the next.
 */
function nextCandidate(s: string, b: Uint8Array, i: number, n: number): number {
  let stretch = FIRST_STRETCH;
  for (;;) {
    const end = Math.min(n, i + stretch);
    const r = candidateIn(b, i, end, PAIR, THIRD);
    if (r >= 0 && r < end) return r;
    if (end >= n) return -1;
    i = end;
    if (r < 0) {
      i = escapeCharFrom(s, i);
      if (i < 0) return -1;
      stretch = FIRST_STRETCH;
    } else if (stretch < LONGEST_STRETCH) {
      stretch *= 2;
    }
  }
}

/**
 * The first candidate in `b[i, end)` (the value's bytes, two zeros after them); when there is none, `end` if the
 * stretch held an escape character, -1 if not. A candidate is one lookup of its pair (`PAIR`) and one of the
 * character after it (`THIRD`, whose `ANY` is set for every byte); the tables are parameters, kept in registers.
 */
function candidateIn(b: Uint8Array, i: number, end: number, pairs: Uint8Array, third: Uint8Array): number {
  let seen = 0;
  let c = b[i] as number;
  let d = b[i + 1] as number;
  for (; i < end; i++) {
    const e = b[i + 2] as number;
    const pair = pairs[(c << 8) | d] as number;
    if ((pair & (third[e] as number)) !== 0) return i;
    seen |= pair;
    c = d;
    d = e;
  }
  return seen === 0 ? -1 : end;
}

/**
 * Decode until nothing changes, at most four rounds (an attacker rarely nests deeper than %25252e), two for a string
 * longer than `LONG` characters (`length`: the length of the value it came from), so a long value costs few passes.
 */
export function decodeAll(s: string, length: number = s.length): string {
  wroteDiffering = false;
  const rounds = length > LONG ? 2 : MAX_ROUNDS;
  // the rounds read one-byte strings: anything wider is folded first
  let current = WIDE.test(s) ? fold(s, false) : s;
  for (let round = 0; round < rounds; round++) {
    const next = decodeOnce(current);
    if (next === current) break;
    current = next;
  }
  return current;
}

/**
 * The canonical form the detectors read: decoded text folded (invisible characters dropped, compatibility forms to
 * ASCII, anything else beyond Latin-1 as one placeholder) and lower-cased. Always a one-byte string.
 */
export function canonical(decoded: string): string {
  return fold(decoded, true);
}
