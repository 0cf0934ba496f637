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

import { ByteWriter, fold, foldInto, WIDE } from './fold.js';

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

const hexValue = (c: number): number => {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
};
const isOctal = (c: number): boolean => c >= 48 && c <= 55;
const isAsciiLetter = (c: number): boolean => (c | 0x20) >= 97 && (c | 0x20) <= 122;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/** Where an escape may start: the rest of a value is copied as it is. */
const ESCAPE = /[%&\\+]/g;
const IS_ESCAPE = new Uint8Array(65536);
for (const ch of '%&\\+') IS_ESCAPE[ch.charCodeAt(0)] = 1;
/**
 * For % & \ + (rows of 256): the characters after them that can continue an escape, with what the character after
 * those must then be (`ANY`, or the classes of `THIRD` one of which it must be in). Near misses (%u%u, &#&#, \x\x)
 * stop here rather than in the escape's reader.
 */
const CONTINUES = new Uint8Array(4 * 256);
const ANY = 0xff;
const HEX = 1;
const DIGIT_OR_X = 2;
const HEX_OR_BRACE = 4;
const THIRD = new Uint8Array(256);
for (let d = 0; d < 256; d++) {
  const l = d | 0x20;
  const hex = hexValue(d) >= 0;
  THIRD[d] = (hex ? HEX | HEX_OR_BRACE : 0) | ((d >= 48 && d <= 57) || l === 120 ? DIGIT_OR_X : 0) | (d === 123 ? HEX_OR_BRACE : 0);
  if (hex || l === 117) CONTINUES[d] = HEX; // %41 %u0041: a hex digit next either way
  if (d === 35) CONTINUES[256 + d] = DIGIT_OR_X; // &#60; &#x3c;
  if (isAsciiLetter(d)) CONTINUES[256 + d] = ANY; // &lt;
  if (l === 120) CONTINUES[512 + d] = HEX; // \x3c
  if (l === 117) CONTINUES[512 + d] = HEX_OR_BRACE; // \u003c \u{3c}
  if (hex || d === 110 || d === 114 || d === 116) CONTINUES[512 + d] = ANY; // \3c \74 \0 \n
  if (d === 65) CONTINUES[768 + d] = ANY; // +ADw-
}

/** The output of the round being decoded (one round at a time). */
const w = new ByteWriter();
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

/** Write the code point `cp` decoded: a byte when it is one, its fold otherwise (invalid ones as U+FFFD). */
function emit(cp: number): void {
  flush();
  if (cp >= 0 && cp < 256) {
    w.reserve(1);
    w.buf[w.len++] = cp;
    return;
  }
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
    if (b >= 0xc0 && b < 0xe0 && cont(i + 1)) {
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

/** The end of a UTF-7 run `+…-` starting at `i` (the `+`) that decodes to ASCII only (written), or -1. */
function utf7At(s: string, i: number): number {
  // A first pass checks the run (ASCII only, at least one unit, three characters); the second writes it. Most `+A`
  // are no such run: they cost the check alone.
  let j = i + 1;
  let bits = 0;
  let acc = 0;
  let units = 0;
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j);
    const v = c < 128 ? (B64_VALUE[c] as number) : -1;
    if (v < 0) break;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 16) {
      bits -= 16;
      if (((acc >> bits) & 0xffff) >= 128) return -1;
      units++;
    }
    acc &= (1 << bits) - 1;
  }
  if (units === 0 || j - i < 3) return -1;
  flush();
  w.reserve(units);
  bits = 0;
  acc = 0;
  for (let k = i + 1; k < j; k++) {
    acc = (acc << 6) | (B64_VALUE[s.charCodeAt(k)] as number);
    bits += 6;
    if (bits >= 16) {
      bits -= 16;
      w.buf[w.len++] = (acc >> bits) & 0xffff;
    }
    acc &= (1 << bits) - 1;
  }
  return s.charCodeAt(j) === 45 ? j + 1 : j;
}

/** At `i` (a `%`): the end of a percent escape run, decoded and written, or -1 when there is none. */
function percentAt(s: string, i: number): number {
  if ((s.charCodeAt(i + 1) | 0x20) === 117 /* u */) {
    const h1 = hexValue(s.charCodeAt(i + 2));
    const h2 = hexValue(s.charCodeAt(i + 3));
    const h3 = hexValue(s.charCodeAt(i + 4));
    const h4 = hexValue(s.charCodeAt(i + 5));
    if (h1 >= 0 && h2 >= 0 && h3 >= 0 && h4 >= 0) {
      emit((h1 << 12) | (h2 << 8) | (h3 << 4) | h4);
      return i + 6;
    }
  }
  let j = i;
  let n = 0;
  while (s.charCodeAt(j) === 37) {
    const a = hexValue(s.charCodeAt(j + 1));
    const b = hexValue(s.charCodeAt(j + 2));
    if (a < 0 || b < 0) break;
    if (n === run.length) {
      const bigger = new Uint8Array(run.length * 2);
      bigger.set(run);
      run = bigger;
    }
    run[n++] = (a << 4) | b;
    j += 3;
  }
  if (n === 0) return -1;
  emitBytes(n);
  return j;
}

/** At `i` (a `&`): the end of a character reference, decoded and written, or -1. */
function entityAt(s: string, i: number): number {
  const n = s.length;
  if (s.charCodeAt(i + 1) === 35 /* # */) {
    const hex = (s.charCodeAt(i + 2) | 0x20) === 120;
    let j = i + (hex ? 3 : 2);
    let value = 0;
    const start = j;
    while (j < n && j - start < 12) {
      const d = hex ? hexValue(s.charCodeAt(j)) : s.charCodeAt(j) - 48;
      if (d < 0 || d > (hex ? 15 : 9)) break;
      value = value * (hex ? 16 : 10) + d;
      j++;
    }
    if (j === start) return -1;
    if (s.charCodeAt(j) === 59) j++;
    emit(value > 0x10ffff ? -1 : value);
    return j;
  }
  // The longest name that is an entity wins (&lpar; before &lp…); names are read as numbers, no substring.
  let j = i + 1;
  let code = 0;
  let value = -1;
  let k = -1;
  while (j < n && j - i <= LONGEST_ENTITY && isAsciiLetter(s.charCodeAt(j))) {
    code = code * 27 + ((s.charCodeAt(j) | 0x20) - 96);
    j++;
    const v = ENTITY_BY_CODE.get(code);
    if (v !== undefined) {
      value = v;
      k = j;
    }
  }
  if (value < 0) return -1;
  emit(value);
  return s.charCodeAt(k) === 59 ? k + 1 : k;
}

/** At `i` (a `\`): the end of a JavaScript or CSS escape, decoded and written, or -1. */
function backslashAt(s: string, i: number): number {
  const n = s.length;
  const d = s.charCodeAt(i + 1);
  const l = d | 0x20;
  let value = -1;
  let end = i;
  if (l === 120 /* x */) {
    const a = hexValue(s.charCodeAt(i + 2));
    const b = hexValue(s.charCodeAt(i + 3));
    if (a >= 0 && b >= 0) {
      value = (a << 4) | b;
      end = i + 4;
    }
  } else if (l === 117 /* u */) {
    if (s.charCodeAt(i + 2) === 123 /* { */) {
      let j = i + 3;
      let v = 0;
      while (j < n && j < i + 10 && hexValue(s.charCodeAt(j)) >= 0) v = v * 16 + hexValue(s.charCodeAt(j++));
      if (j > i + 3 && s.charCodeAt(j) === 125) {
        value = v;
        end = j + 1;
      }
    } else {
      const a = hexValue(s.charCodeAt(i + 2));
      const b = hexValue(s.charCodeAt(i + 3));
      const e = hexValue(s.charCodeAt(i + 4));
      const f = hexValue(s.charCodeAt(i + 5));
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
    while (j < n && j < i + 7 && hexValue(s.charCodeAt(j)) >= 0) j++;
    const digits = j - i - 1;
    if (digits === 3 && isOctal(d) && isOctal(s.charCodeAt(i + 2)) && isOctal(s.charCodeAt(i + 3))) {
      value = ((d - 48) << 6) | ((s.charCodeAt(i + 2) - 48) << 3) | (s.charCodeAt(i + 3) - 48);
      end = i + 4;
    } else if (digits >= 4 || digits === 2) {
      value = 0;
      for (let k = i + 1; k < j; k++) value = value * 16 + hexValue(s.charCodeAt(k));
      end = j;
      if (s.charCodeAt(end) === 32) end++;
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
  const n = s.length;
  ESCAPE.lastIndex = 0;
  if (!ESCAPE.test(s)) return s;
  w.len = 0;
  pending = s;
  pendingFrom = 0;
  let decoded = false;
  for (let i = ESCAPE.lastIndex - 1; i >= 0; ) {
    const c = s.charCodeAt(i);
    // what precedes the candidate is copied by the first write, if the candidate is an escape
    pendingTo = i;
    let end = -1;
    // the two characters after it must be able to continue an escape: %2 %u &# &l \x \3 \n +A (most near misses
    // stop here)
    const d = s.charCodeAt(i + 1);
    const next = d < 256 ? (CONTINUES[(c === 37 ? 0 : c === 38 ? 256 : c === 92 ? 512 : 768) + d] as number) : 0;
    // (`s` is a one-byte string: past its end, NaN & 0xff is 0, which continues nothing)
    if (next === ANY || (next !== 0 && ((THIRD[s.charCodeAt(i + 2) & 0xff] as number) & next) !== 0)) {
      if (c === 37 /* % */) end = percentAt(s, i);
      else if (c === 38 /* & */) end = entityAt(s, i);
      else if (c === 92 /* \ */) end = backslashAt(s, i);
      else end = utf7At(s, i);
    }
    if (end >= 0) {
      decoded = true;
      pendingFrom = end;
    }
    // The next candidate: a short look here (a value dense with % & \ + would pay a call per character), then the
    // regular expression engine skips what is left of a clean stretch.
    let j = end >= 0 ? end : i + 1;
    const near = Math.min(n, j + 16);
    while (j < near && IS_ESCAPE[s.charCodeAt(j)] !== 1) j++;
    if (j < near) {
      i = j;
    } else if (near >= n) {
      i = -1;
    } else {
      ESCAPE.lastIndex = near;
      i = ESCAPE.test(s) ? ESCAPE.lastIndex - 1 : -1;
    }
  }
  pending = '';
  if (!decoded) return s;
  copy(s, pendingFrom, n);
  return w.text();
}

/**
 * Decode until nothing changes, at most four rounds (an attacker rarely nests deeper than %25252e), two for a string
 * longer than `LONG` characters (`length`: the length of the value it came from), so a long value costs few passes.
 */
export function decodeAll(s: string, length: number = s.length): string {
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
