/**
 * Undo what attackers encode, so the detectors see what a browser, a shell, a database or a file API would see:
 * percent-encoding (UTF-8, overlong UTF-8 and IIS %uXXXX, nested up to four times), HTML character references (named,
 * decimal, hex, with or without `;`), JavaScript and CSS escapes (\x3c, \u003c, \u{3c}, \74, \3c ), UTF-7 runs
 * (+ADw-), then compatibility normalization (NFKC: fullwidth and small forms) and a few best-fit mappings.
 *
 * Every layer is one linear pass; the number of rounds is capped, so a 64 KB string costs at most a few passes.
 */

import { BEST_FIT } from './triggers.js';

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
const ENTITY_BY_CODE: ReadonlyMap<number, string> = new Map([...NAMED_ENTITIES].map(([name, value]) => [nameCode(name), value]));

const hexValue = (c: number): number => {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
};
const isOctal = (c: number): boolean => c >= 48 && c <= 55;
const isAsciiLetter = (c: number): boolean => (c | 0x20) >= 97 && (c | 0x20) <= 122;

function fromCode(cp: number): string {
  return cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
}

/** Decode a run of percent-escaped bytes leniently: UTF-8 including overlong forms, anything else as Latin-1. */
function decodeBytes(bytes: number[]): string {
  let out = '';
  const n = bytes.length;
  const cont = (k: number): boolean => k < n && ((bytes[k] ?? 0) & 0xc0) === 0x80;
  for (let i = 0; i < n; ) {
    const b = bytes[i] ?? 0;
    if (b >= 0xc0 && b < 0xe0 && cont(i + 1)) {
      out += fromCode(((b & 0x1f) << 6) | ((bytes[i + 1] ?? 0) & 0x3f));
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0 && cont(i + 1) && cont(i + 2)) {
      out += fromCode(((b & 0x0f) << 12) | (((bytes[i + 1] ?? 0) & 0x3f) << 6) | ((bytes[i + 2] ?? 0) & 0x3f));
      i += 3;
    } else if (b >= 0xf0 && b < 0xf8 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      out += fromCode(
        ((b & 0x07) << 18) | (((bytes[i + 1] ?? 0) & 0x3f) << 12) | (((bytes[i + 2] ?? 0) & 0x3f) << 6) | ((bytes[i + 3] ?? 0) & 0x3f),
      );
      i += 4;
    } else {
      out += String.fromCharCode(b);
      i += 1;
    }
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/** A UTF-7 run `+…-` starting at `i` (the `+`) that decodes to ASCII only, or null. */
function utf7At(s: string, i: number): { text: string; end: number } | null {
  let j = i + 1;
  let bits = 0;
  let acc = 0;
  let text = '';
  while (j < s.length) {
    const c = s.charCodeAt(j);
    const v = c < 128 ? (B64_VALUE[c] ?? -1) : -1;
    if (v < 0) break;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 16) {
      bits -= 16;
      const unit = (acc >> bits) & 0xffff;
      if (unit >= 128) return null;
      text += String.fromCharCode(unit);
    }
    acc &= (1 << bits) - 1;
    j++;
  }
  if (text.length === 0 || j - i < 3) return null;
  return { text, end: s.charCodeAt(j) === 45 ? j + 1 : j };
}

/** One pass of every textual decoding. Returns `s` itself when nothing was decoded. */
export function decodeOnce(s: string): string {
  const n = s.length;
  let out = '';
  let from = 0;
  let bytes: number[] | null = null;
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i);
    if (c === 37 /* % */) {
      const u = s.charCodeAt(i + 1) | 0x20;
      if (u === 117 /* u */) {
        const h1 = hexValue(s.charCodeAt(i + 2));
        const h2 = hexValue(s.charCodeAt(i + 3));
        const h3 = hexValue(s.charCodeAt(i + 4));
        const h4 = hexValue(s.charCodeAt(i + 5));
        if (h1 >= 0 && h2 >= 0 && h3 >= 0 && h4 >= 0) {
          out += s.slice(from, i) + fromCode((h1 << 12) | (h2 << 8) | (h3 << 4) | h4);
          i += 6;
          from = i;
          continue;
        }
      }
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes ??= [];
        bytes.length = 0;
        let j = i;
        while (s.charCodeAt(j) === 37) {
          const a = hexValue(s.charCodeAt(j + 1));
          const b = hexValue(s.charCodeAt(j + 2));
          if (a < 0 || b < 0) break;
          bytes.push((a << 4) | b);
          j += 3;
        }
        out += s.slice(from, i) + decodeBytes(bytes);
        i = j;
        from = i;
        continue;
      }
    } else if (c === 38 /* & */) {
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
        if (j > start) {
          if (s.charCodeAt(j) === 59) j++;
          out += s.slice(from, i) + fromCode(value > 0x10ffff ? -1 : value);
          i = j;
          from = i;
          continue;
        }
      } else {
        // The longest name that is an entity wins (&lpar; before &lp…); names are read as numbers, no substring.
        let j = i + 1;
        let code = 0;
        let value: string | undefined;
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
        if (value !== undefined) {
          out += s.slice(from, i) + value;
          i = s.charCodeAt(k) === 59 ? k + 1 : k;
          from = i;
          continue;
        }
      }
    } else if (c === 92 /* \ */) {
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
        if (digits >= 3 && isOctal(d) && isOctal(s.charCodeAt(i + 2)) && isOctal(s.charCodeAt(i + 3)) && digits === 3) {
          value = parseInt(s.slice(i + 1, i + 4), 8);
          end = i + 4;
        } else if (digits >= 4 || digits === 2) {
          value = parseInt(s.slice(i + 1, j), 16);
          end = j;
          if (s.charCodeAt(end) === 32) end++;
        } else if (digits === 1 && d === 48 /* \0 */) {
          value = 0;
          end = i + 2;
        }
      }
      if (value >= 0) {
        out += s.slice(from, i) + fromCode(value);
        i = end;
        from = i;
        continue;
      }
    } else if (c === 43 /* + */ && s.charCodeAt(i + 1) === 65 /* A */) {
      const run = utf7At(s, i);
      if (run !== null) {
        out += s.slice(from, i) + run.text;
        i = run.end;
        from = i;
        continue;
      }
    }
    i++;
  }
  return from === 0 ? s : out + s.slice(from);
}

/**
 * Decode until nothing changes, at most four rounds (an attacker rarely nests deeper than %25252e), two for a string
 * longer than `LONG` characters (`length`: the length of the value it came from), so a long value costs few passes.
 */
export function decodeAll(s: string, length: number = s.length): string {
  const rounds = length > LONG ? 2 : MAX_ROUNDS;
  let current = s;
  for (let round = 0; round < rounds; round++) {
    const next = decodeOnce(current);
    if (next === current) break;
    current = next;
  }
  return current;
}

/** Characters that render as nothing or are ignored by parsers: dropped so they cannot split a keyword. */
function isInvisible(c: number): boolean {
  return (
    (c < 32 && c !== 9 && c !== 10 && c !== 12 && c !== 13) ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0xad ||
    c === 0x180e ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2069) ||
    c === 0xfeff
  );
}

/**
 * The canonical form the detectors read: decoded, invisible characters dropped, NFKC with best-fit mappings when the
 * string has non-ASCII characters, lower case.
 */
export function canonical(decoded: string, hasNonAscii: boolean): string {
  return normalized(decoded, hasNonAscii).toLowerCase();
}

/** `canonical` before lower-casing (base64 needs the case). */
export function normalized(decoded: string, hasNonAscii: boolean, nfkcDone: boolean = false): string {
  let s = decoded;
  let strip = false;
  let high = hasNonAscii;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      high = true;
      if (isInvisible(c)) strip = true;
    } else if ((c < 32 || c === 127) && isInvisible(c)) {
      strip = true;
    }
  }
  if (strip) {
    let out = '';
    let from = 0;
    for (let i = 0; i < s.length; i++) {
      if (isInvisible(s.charCodeAt(i))) {
        out += s.slice(from, i);
        from = i + 1;
      }
    }
    s = out + s.slice(from);
  }
  if (high) {
    // `nfkcDone`: `decoded` is already NFKC (nothing was decoded after normalizing), unless characters were dropped
    if (!nfkcDone || strip) s = s.normalize('NFKC');
    let out = '';
    let from = 0;
    for (let i = 0; i < s.length; i++) {
      const mapped = BEST_FIT[s.charCodeAt(i)] as number;
      if (mapped !== 0) {
        out += s.slice(from, i) + String.fromCharCode(mapped);
        from = i + 1;
      }
    }
    if (from > 0) s = out + s.slice(from);
  }
  return s;
}
