/**
 * The fast path: one pass over a string, returning a bit mask of the trigger characters present. A string whose mask
 * is 0 contains nothing any detector reacts to and leaves here; the mask also tells each detector whether it needs to
 * look at all. The pass skips to the first character that could matter with the regular expression engine, reads
 * Latin text in pairs through one table, other scripts a character at a time, and caps the characters it reads with
 * their context (`budget`), so a value made of trigger characters costs a table lookup per character too.
 *
 * Triggers are chosen so that ordinary prose in any script passes: an apostrophe between two letters (don't,
 * O'Reilly), a bracket after a space, a dollar before a digit, an ellipsis, `%` before a non-hex character, `http(s)://`
 * and letters of any script are not triggers. Non-ASCII characters that compatibility normalization (NFKC) or a
 * Windows best-fit conversion turns into a trigger (fullwidth `＜`, small `﹤`, `∖`, curly quotes) count as that
 * trigger, and also set `NON_ASCII` so the slow path normalizes.
 */

import { LITTLE_ENDIAN, unitLoader } from './units.js';

export const T_LT = 1 << 0; // < before a letter, / ! ? %: a tag
export const T_COMPARE = 1 << 1; // < or > as a comparison (2>1, <>, < 3)
export const T_SQUOTE = 1 << 2; // ' not between two letters
export const T_DQUOTE = 1 << 3; // the first " where a breakout would be (not an opening quote before a word)
export const T_SEMI = 1 << 4; // ;
export const T_PIPE = 1 << 5; // a single |
export const T_AMP = 1 << 6; // & glued to something (&lt; a&b &&)
export const T_BACKTICK = 1 << 7; // ` opening a substitution glued to a word, = ( or a quote (not a code span)
export const T_PERCENT = 1 << 8; // % followed by a hex digit or u
export const T_BACKSLASH = 1 << 9; // \
export const T_EQUALS = 1 << 10; // =
export const T_CALL = 1 << 11; // ( right after an identifier character, ) or ]
export const T_DOLLAR = 1 << 12; // $ followed by ( { [ a letter or _
export const T_DOTDOT = 1 << 13; // .. followed by / \ % ; 0x…, /.name, 0x2f
export const T_CONTROL = 1 << 14; // C0 control other than tab (newline, NUL, …)
export const T_KEYWORD = 1 << 15; // the word union or select
export const T_NON_ASCII = 1 << 16; // a non-ASCII character that maps to a trigger
export const T_PROTO = 1 << 17; // __ or .prototype
export const T_BRACKET = 1 << 18; // [ before a quote, a digit, / ` _ p c, or after {
export const T_ROOT = 1 << 19; // the string starts with / \ or a drive letter
export const T_SCHEME = 1 << 20; // name:// other than http(s), ws(s), ftp
export const T_COMMENT = 1 << 21; // /*, or -- and # cutting a query short
export const T_AT_AT = 1 << 22; // @@
export const T_AMP_SPACED = 1 << 23; // & with a space on each side (a command separator at most)
export const T_DOUBLE = 1 << 24; // || or && (SQL operators, command separators)
export const T_UTF7 = 1 << 25; // +A… : a UTF-7 run (+ADw- is <)

export const T_SEMI_SQL = 1 << 26; // ; that can end an injected query: before a statement word, a comment or the end

/**
 * Not a trigger (it comes with `T_CONTROL`): an ASCII control the fold drops, any but tab, newline, form feed and
 * carriage return. Without it, an ASCII value has no character whose lower-cased fold differs from the runtime's lower
 * case (fold.ts `LOWER_DIFFERS`, held to this by a test), so the scanner lower-cases its decoded form with
 * `toLowerCase` instead of `canonical`, which searches the whole of it for such a character first.
 */
export const T_DROPPED = 1 << 27;

/** The bits a detector reacts to: a value whose mask has none of them is clean. */
export const TRIGGERS = (1 << 27) - 1;

/**
 * Non-ASCII code units that NFKC or a best-fit conversion maps to one ASCII character a detector cares about, and
 * that mapping. The NFKC part is checked against `String.prototype.normalize` by a test.
 */
export const NON_ASCII_MAP: Readonly<Record<number, string>> = Object.freeze({
  // NFKC
  0x037e: ';', 0x1fef: '`', 0x2024: '.', 0x207c: '=', 0x207d: '(', 0x208c: '=', 0x208d: '(',
  0xfe14: ';', 0xfe35: '(', 0xfe52: '.', 0xfe54: ';', 0xfe59: '(', 0xfe60: '&', 0xfe64: '<', 0xfe65: '>',
  0xfe66: '=', 0xfe68: '\\', 0xfe69: '$', 0xfe6a: '%', 0xff02: '"', 0xff04: '$', 0xff05: '%', 0xff06: '&',
  0xff07: "'", 0xff08: '(', 0xff0e: '.', 0xff0f: '/', 0xff1b: ';', 0xff1c: '<', 0xff1d: '=', 0xff1e: '>',
  0xff3c: '\\', 0xff40: '`', 0xff5c: '|',
  // Best-fit (Windows code-page conversion, IIS): not NFKC, but turned into ASCII by some back ends.
  0x2215: '/', 0x2216: '\\', 0x2044: '/', 0x29f5: '\\', 0x2039: '<', 0x203a: '>', 0x02c2: '<', 0x02c3: '>',
  0x2018: "'", 0x2019: "'", 0x201b: "'", 0x2032: "'", 0x02bc: "'", 0x02b9: "'",
  0x201c: '"', 0x201d: '"', 0x2033: '"',
});

/** Best-fit mappings applied after NFKC when normalizing (NFKC leaves these alone): code unit → ASCII code, or 0. */
export const BEST_FIT = new Uint8Array(65536);
for (const [code, ch] of Object.entries({
  0x2215: '/', 0x2216: '\\', 0x2044: '/', 0x29f5: '\\', 0x2039: '<', 0x203a: '>', 0x02c2: '<', 0x02c3: '>',
  0x2018: "'", 0x2019: "'", 0x201b: "'", 0x2032: "'", 0x02bc: "'", 0x02b9: "'",
  0x201c: '"', 0x201d: '"', 0x2033: '"',
})) {
  BEST_FIT[Number(code)] = ch.charCodeAt(0);
}

// Character classes. 0 (no class): never a trigger (letters, digits, spaces, most punctuation, every script's letters).
const C_ALWAYS = 1; // the bit in ALWAYS_BIT
const C_SQUOTE = 2;
const C_PAREN = 3;
const C_DOLLAR = 4;
const C_DOT = 5;
const C_PERCENT = 6;
const C_UNDERSCORE = 8;
const C_COLON = 9;
const C_SLASH = 10;
const C_AT = 11;
const C_DASH = 12;
const C_HASH = 13;
const C_X = 14;
const C_AMP = 15;
const C_LT = 16;
const C_GT = 17;
const C_PIPE = 18;
const C_BRACKET = 19;
const C_DQUOTE = 20; // state in the loop: only the first one
const C_BACKTICK = 21; // state in the loop: openers only
const C_KEYWORD = 22; // u before n, s before e: union, select
const C_PLUS = 23; // + before A: UTF-7

/** For every UTF-16 code unit: the ASCII code it stands for (itself below 128, a mapping above), or 0. */
const AS_ASCII = new Uint8Array(65536);
for (let c = 0; c < 128; c++) AS_ASCII[c] = c;
for (const [code, ch] of Object.entries(NON_ASCII_MAP)) AS_ASCII[Number(code)] = ch.charCodeAt(0);

/** For every UTF-16 code unit: its class (0 for nearly all of them, so the hot loop only loads and compares). */
const CLASS = new Uint8Array(65536);
const ALWAYS_BIT = new Uint32Array(128);

function always(ch: string, bit: number): void {
  const c = ch.charCodeAt(0);
  CLASS[c] = C_ALWAYS;
  ALWAYS_BIT[c] = bit;
}

always(';', T_SEMI);
always('\\', T_BACKSLASH);
always('=', T_EQUALS);
for (let c = 0; c < 32; c++) {
  if (c !== 9) {
    CLASS[c] = C_ALWAYS;
    ALWAYS_BIT[c] = c === 10 || c === 12 || c === 13 ? T_CONTROL : T_CONTROL | T_DROPPED;
  }
}
CLASS[127] = C_ALWAYS;
ALWAYS_BIT[127] = T_CONTROL | T_DROPPED;
CLASS[39] = C_SQUOTE; // '
CLASS[40] = C_PAREN; // (
CLASS[36] = C_DOLLAR; // $
CLASS[46] = C_DOT; // .
CLASS[37] = C_PERCENT; // %
CLASS[95] = C_UNDERSCORE; // _
CLASS[58] = C_COLON; // :
CLASS[47] = C_SLASH; // /
CLASS[64] = C_AT; // @
CLASS[45] = C_DASH; // -
CLASS[35] = C_HASH; // #
CLASS[120] = C_X; // x (0x2f)
CLASS[88] = C_X;
CLASS[38] = C_AMP; // &
CLASS[60] = C_LT; // <
CLASS[62] = C_GT; // >
CLASS[124] = C_PIPE; // |
CLASS[91] = C_BRACKET; // [
CLASS[34] = C_DQUOTE; // "
CLASS[96] = C_BACKTICK; // `
CLASS[117] = C_KEYWORD; // u (union)
CLASS[85] = C_KEYWORD;
CLASS[115] = C_KEYWORD; // s (select)
CLASS[83] = C_KEYWORD;
CLASS[43] = C_PLUS; // +
// Non-ASCII characters that stand for an ASCII trigger take that character's class.
for (const code of Object.keys(NON_ASCII_MAP)) CLASS[Number(code)] = CLASS[AS_ASCII[Number(code)] ?? 0] ?? 0;

const isLetter = (c: number): boolean => ((c | 0x20) >= 97 && (c | 0x20) <= 122) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7);
const isIdent = (c: number): boolean =>
  ((c | 0x20) >= 97 && (c | 0x20) <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 36;
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);

const SAFE_SCHEMES = new Set(['http', 'https', 'ws', 'wss', 'ftp']);

/** Code unit `i` of `s` as the ASCII code it stands for (0 past the end or for other characters). */
function at(s: string, i: number): number {
  return i < s.length ? (AS_ASCII[s.charCodeAt(i)] ?? 0) : 0;
}

/** The last non-space character before `i`, as ASCII (0 at the start). */
function before(s: string, i: number): number {
  let j = i - 1;
  while (j >= 0 && s.charCodeAt(j) === 32) j--;
  return j >= 0 ? at(s, j) : 0;
}

/** A word of lower-case letters as a number (base 27, a = 1): exact for the 8 letters a statement word has at most. */
const wordCode = (word: string): number => {
  let code = 0;
  for (let i = 0; i < word.length; i++) code = code * 27 + (word.charCodeAt(i) - 96);
  return code;
};
/** Words that start a statement an injection can stack after a `;` (see `statement` in sqli.ts), as `wordCode`s. */
const STATEMENT_WORDS: ReadonlySet<number> = new Set(
  [
    'select', 'drop', 'create', 'alter', 'truncate', 'delete', 'insert', 'update', 'exec', 'execute', 'declare',
    'shutdown', 'waitfor', 'set', 'load', 'copy', 'backup', 'grant', 'revoke', 'call', 'begin', 'if', 'use',
  ].map(wordCode),
);

/** Semicolons in one value whose context is read; beyond them every semicolon counts for SQL. */
const MAX_SEMICOLONS = 8;

/**
 * `T_SEMI_SQL` unless the `;` at `i` is followed by an ordinary word: a semicolon in prose ("fine; see you") leaves
 * the SQL detector alone (the command detector still reads every `;`), one before a statement word ("; DROP TABLE",
 * ";(SELECT"), a comment, a symbol or the end of the value does not.
 */
function semicolonForSql(s: string, i: number): number {
  const n = s.length;
  let j = i + 1;
  for (; j < n; j++) {
    const c = at(s, j);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 40) break;
  }
  if (j >= n) return T_SEMI_SQL;
  const d = at(s, j);
  if (!((d | 0x20) >= 97 && (d | 0x20) <= 122)) {
    // a word of another script (中文；他還, Russian; далее) is prose; fullwidth and mathematical Latin letters are not
    // another script (NFKC makes them ASCII)
    const c = s.charCodeAt(j);
    return isLetter(c) && !(c >= 0xff21 && c <= 0xff5a) && !(c >= 0xd800 && c <= 0xdfff) ? 0 : T_SEMI_SQL;
  }
  // the word, read as a number without cutting it out (no allocation per semicolon)
  let code = 0;
  for (let k = j; k < n; k++) {
    const l = at(s, k) | 0x20;
    if (l < 97 || l > 122) break;
    if (k - j === 8) return 0; // longer than any statement word
    code = code * 27 + (l - 96);
  }
  return STATEMENT_WORDS.has(code) ? T_SEMI_SQL : 0;
}

/** The bits for the character at `i` of class `t` (which is not 0): kept out of the hot loop. */
function classify(s: string, i: number, t: number): number {
  const code = s.charCodeAt(i);
  const high = code >= 128 ? T_NON_ASCII : 0;
  switch (t) {
    case C_ALWAYS: {
      const a = at(s, i);
      return (ALWAYS_BIT[a] ?? 0) | high | (a === 59 ? semicolonForSql(s, i) : 0);
    }
    case C_SQUOTE:
      // An apostrophe inside a word (don't, O'Reilly) is no breakout.
      return i > 0 && isLetter(s.charCodeAt(i - 1)) && isLetter(s.charCodeAt(i + 1)) ? 0 : T_SQUOTE | high;
    case C_PAREN: {
      const p = i > 0 ? at(s, i - 1) : 0;
      if (p === 41 || p === 93 || p === 96) return T_CALL | high;
      if (!isIdent(p)) return 0;
      // a name ($ and _ count as letters), not a number: 1(a), 2010(, § 236ב1(ב) call nothing
      for (let j = i - 1; j >= 0 && i - j <= 32; j--) {
        const c = at(s, j);
        if (!isIdent(c)) break;
        if (c > 57 || c === 36) return T_CALL | high;
      }
      return 0;
    }
    case C_DOLLAR: {
      const d = at(s, i + 1);
      return d === 40 || d === 123 || d === 91 || d === 95 || isLetter(d) ? T_DOLLAR | high : 0;
    }
    case C_DOT: {
      const d = at(s, i + 1);
      if (d === 46) {
        const e = at(s, i + 2);
        return e === 47 || e === 92 || e === 37 || e === 59 || e === 48 || e === 50 || e === 53 ? T_DOTDOT | high : 0;
      }
      return d === 112 && s.startsWith('prototype', i + 1) ? T_PROTO : 0;
    }
    case C_PERCENT: {
      // a fullwidth ％ always: ％３Ｃ is %3C once normalized
      if (high !== 0) return T_NON_ASCII;
      const d = at(s, i + 1);
      return isHex(d) || (d | 0x20) === 117 || d === 37 ? T_PERCENT : 0;
    }
    case C_PLUS: {
      // +ADw- +AD4- +ACI-: UTF-7 for < > "
      const d = s.charCodeAt(i + 1);
      const e = s.charCodeAt(i + 2);
      return d === 65 && e >= 65 && e <= 72 ? T_UTF7 : 0;
    }
    case C_KEYWORD: {
      // UNION or SELECT as a word, in any case
      if (i > 0 && isLetter(s.charCodeAt(i - 1))) return 0;
      const word = (code | 0x20) === 117 ? 'nion' : 'elect';
      let k = 0;
      while (k < word.length && (at(s, i + 1 + k) | 0x20) === word.charCodeAt(k)) k++;
      return k === word.length && !isLetter(s.charCodeAt(i + 1 + k)) ? T_KEYWORD : 0;
    }
    case C_UNDERSCORE:
      return at(s, i + 1) === 95 ? T_PROTO : 0;
    case C_COLON: {
      if (at(s, i + 1) !== 47 || at(s, i + 2) !== 47) return 0;
      let j = i;
      while (j > 0 && j > i - 12 && isLetter(s.charCodeAt(j - 1))) j--;
      return j === i || !SAFE_SCHEMES.has(s.slice(j, i).toLowerCase()) ? T_SCHEME : 0;
    }
    case C_SLASH: {
      const d = at(s, i + 1);
      if (d === 42) return T_COMMENT;
      return d === 46 && isLetter(s.charCodeAt(i + 2)) ? T_DOTDOT | high : 0; // /.htpasswd
    }
    case C_AT:
      return at(s, i + 1) === 64 ? T_AT_AT : 0;
    case C_DASH: {
      // A SQL comment cutting a query short: -- at the end, or after a quote, a digit or a bracket (admin'-- , 1 --).
      if (at(s, i + 1) !== 45 || (i + 2 < s.length && s.charCodeAt(i + 2) > 32)) return 0;
      const b = before(s, i);
      return i + 2 >= s.length || b === 39 || b === 34 || b === 41 || (b >= 48 && b <= 57) ? T_COMMENT : 0;
    }
    case C_HASH: {
      if (i + 1 < s.length && s.charCodeAt(i + 1) > 32) return 0;
      const b = before(s, i);
      return i + 1 >= s.length || b === 39 || b === 34 || b === 41 || (b >= 48 && b <= 57) ? T_COMMENT : 0;
    }
    case C_X: {
      // 0x2e 0x2f 0x5c: hex-literal dots and slashes in a path
      if (i === 0 || s.charCodeAt(i - 1) !== 48) return 0;
      const h = ((s.charCodeAt(i + 1) | 0x20) << 8) | (s.charCodeAt(i + 2) | 0x20);
      return h === 0x3265 || h === 0x3266 || h === 0x3563 ? T_DOTDOT : 0;
    }
    case C_AMP: {
      // "plumbing & A/C": an ampersand between spaces only matters as a command separator
      if (at(s, i + 1) === 38) return T_DOUBLE | high;
      return (i > 0 && s.charCodeAt(i - 1) === 32 && s.charCodeAt(i + 1) === 32 ? T_AMP_SPACED : T_AMP) | high;
    }
    case C_LT: {
      const d = at(s, i + 1);
      // a tag (<a, </, <!, <?, <%) or a comparison (<>, <=, < 3, <<)
      if (isLetter(d) || d === 47 || d === 33 || d === 63 || d === 37 || d === 0) return T_LT | high;
      return T_COMPARE | high;
    }
    case C_GT: {
      const p = i > 0 ? at(s, i - 1) : 0;
      const d = at(s, i + 1);
      const e = d === 32 ? at(s, i + 2) : d;
      // 2>1, >=, a' > 'b, > (select: a comparison; the > closing a tag or an e-mail address is not
      return d === 61 || p === 60 || (e >= 48 && e <= 57) || e === 39 || e === 34 || e === 40 ? T_COMPARE | high : 0;
    }
    case C_PIPE:
      return (at(s, i + 1) === 124 || (i > 0 && at(s, i - 1) === 124) ? T_DOUBLE : T_PIPE) | high;
    case C_BRACKET: {
      const d = at(s, i + 1);
      const p = i > 0 ? at(s, i - 1) : 0;
      // top['al'+'ert'], [1], [__proto__], [constructor], @{[ … ]}
      return d === 39 || d === 34 || d === 96 || d === 47 || d === 95 || (d >= 48 && d <= 57) || (d | 0x20) === 112 || (d | 0x20) === 99 || p === 123
        ? T_BRACKET | high
        : 0;
    }
    default:
      return 0;
  }
}

/** What an opening backtick may be glued to for a substitution (letters, digits, = $ ' " ; | & newline). */
const GLUE = new Uint8Array(65536);
for (let c = 0; c < 128; c++) if (isIdent(c) || '=$\'";|&\n('.includes(String.fromCharCode(c))) GLUE[c] = 1;
const isWordStart = (c: number): boolean => isLetter(c) || (c >= 48 && c <= 57);


/** Every bit a class can produce: once they are all in the mask, more characters of that class change nothing. */
const CLASS_BITS = new Uint32Array(32);
CLASS_BITS[C_ALWAYS] = T_SEMI | T_SEMI_SQL | T_BACKSLASH | T_EQUALS | T_CONTROL | T_NON_ASCII;
CLASS_BITS[C_SQUOTE] = T_SQUOTE | T_NON_ASCII;
CLASS_BITS[C_PAREN] = T_CALL | T_NON_ASCII;
CLASS_BITS[C_DOLLAR] = T_DOLLAR | T_NON_ASCII;
CLASS_BITS[C_DOT] = T_DOTDOT | T_PROTO | T_NON_ASCII;
CLASS_BITS[C_PERCENT] = T_PERCENT | T_NON_ASCII;
CLASS_BITS[C_UNDERSCORE] = T_PROTO;
CLASS_BITS[C_COLON] = T_SCHEME;
CLASS_BITS[C_SLASH] = T_COMMENT | T_DOTDOT | T_NON_ASCII;
CLASS_BITS[C_AT] = T_AT_AT;
CLASS_BITS[C_DASH] = T_COMMENT;
CLASS_BITS[C_HASH] = T_COMMENT;
CLASS_BITS[C_X] = T_DOTDOT;
CLASS_BITS[C_AMP] = T_AMP | T_AMP_SPACED | T_DOUBLE | T_NON_ASCII;
CLASS_BITS[C_LT] = T_LT | T_COMPARE | T_NON_ASCII;
CLASS_BITS[C_GT] = T_COMPARE | T_NON_ASCII;
CLASS_BITS[C_PIPE] = T_PIPE | T_DOUBLE | T_NON_ASCII;
CLASS_BITS[C_BRACKET] = T_BRACKET | T_NON_ASCII;
CLASS_BITS[C_DQUOTE] = T_DQUOTE | T_NON_ASCII;
CLASS_BITS[C_BACKTICK] = T_BACKTICK | T_NON_ASCII;
CLASS_BITS[C_KEYWORD] = T_KEYWORD;
CLASS_BITS[C_PLUS] = T_UTF7;

const isAsciiLetter = (c: number): boolean => (c | 0x20) >= 97 && (c | 0x20) <= 122;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Every UTF-16 code unit as a column of the pair table: ASCII characters are themselves, a non-ASCII character that
 * stands for an ASCII trigger (＜ ＇ ％, see NON_ASCII_MAP) is `K_MAPPED`, any other is `K_OTHER` (Latin-1) or
 * `K_WIDE` (beyond: the pair loop hands those strings over to the per-character loop).
 */
const K_OTHER = 128;
const K_MAPPED = 129;
const K_WIDE = 130;
const COLUMN = new Uint8Array(65536).fill(K_WIDE);
for (let c = 0; c < 256; c++) COLUMN[c] = c < 128 ? c : K_OTHER;
for (const code of Object.keys(NON_ASCII_MAP)) COLUMN[Number(code)] = K_MAPPED;

/**
 * The pair table: for every pair (previous, current) of columns, whether either character needs a closer look.
 * `P_PREV`: the previous character may be a trigger given this one (`.` before `.`, `u` before `n`, `'` before a
 * non-letter, …); `P_SELF`: this character may be one given the previous one (`(` after a name, `x` after `0`, `'`
 * after a non-letter, and the characters that always are: `; = < & |` …); `P_MAPPED`: a non-ASCII stand-in, always
 * read. Ordinary text in any script, including the `s` and `u` of every other word and the apostrophe inside one,
 * finds 0 here: one load from each table and one comparison per character, whatever the script.
 */
const PAIR = new Uint8Array(256 * 256);
const P_PREV = 1;
const P_SELF = 2;
const P_MAPPED = 4;
const P_WIDE = 8;

function pairBits(p: number, c: number): number {
  if (c === K_MAPPED) return P_MAPPED;
  if (c === K_WIDE) return P_WIDE | pairBits(p, K_OTHER);
  let b = 0;
  switch (CLASS[c]) {
    case C_ALWAYS:
    case C_AMP:
    case C_LT:
    case C_PIPE:
    case C_DQUOTE:
    case C_BACKTICK:
      b |= P_SELF;
      break;
    case C_SQUOTE:
      if (!isAsciiLetter(p)) b |= P_SELF;
      break;
    case C_PAREN:
      if (isIdent(p) || p === 41 || p === 93 || p === 96) b |= P_SELF;
      break;
    case C_X:
      if (p === 48) b |= P_SELF;
      break;
    case C_GT:
      if (p === 60) b |= P_SELF;
      break;
    case C_BRACKET:
      if (p === 123) b |= P_SELF;
      break;
  }
  const l = c | 0x20;
  switch (CLASS[p]) {
    case C_SQUOTE:
      if (!isAsciiLetter(c)) b |= P_PREV;
      break;
    case C_DOLLAR:
      if (c === 40 || c === 123 || c === 91 || c === 95 || isAsciiLetter(c)) b |= P_PREV;
      break;
    case C_DOT:
      if (c === 46 || c === 112) b |= P_PREV;
      break;
    case C_PERCENT:
      if (isHex(c) || l === 117 || c === 37) b |= P_PREV;
      break;
    case C_UNDERSCORE:
      if (c === 95) b |= P_PREV;
      break;
    case C_COLON:
      if (c === 47) b |= P_PREV;
      break;
    case C_SLASH:
      if (c === 42 || c === 46) b |= P_PREV;
      break;
    case C_AT:
      if (c === 64) b |= P_PREV;
      break;
    case C_DASH:
      if (c === 45) b |= P_PREV;
      break;
    case C_HASH:
      if (c <= 32) b |= P_PREV;
      break;
    case C_GT:
      if (c === 61 || c === 32 || isDigit(c) || c === 39 || c === 34 || c === 40) b |= P_PREV;
      break;
    case C_BRACKET:
      if (c === 39 || c === 34 || c === 96 || c === 47 || c === 95 || isDigit(c) || l === 112 || l === 99) b |= P_PREV;
      break;
    case C_KEYWORD:
      if (((p | 0x20) === 117 && l === 110) || ((p | 0x20) === 115 && l === 101)) b |= P_PREV;
      break;
    case C_PLUS:
      if (c === 65) b |= P_PREV;
      break;
  }
  return b;
}
// rows: ASCII characters and K_OTHER (the previous character is never K_MAPPED: it is read as what it stands for)
for (let p = 0; p <= K_OTHER; p++) for (let c = 0; c <= K_WIDE; c++) PAIR[(p << 8) | c] = pairBits(p, c);

/**
 * Characters that only matter before one or two given characters (lower-cased with | 0x20): '.' before '.' or 'p',
 * '-' before '-', 'u' before 'n', 's' before 'e', … The per-character loop checks this before calling `classify`.
 */
const NEED1 = new Uint8Array(128);
const NEED2 = new Uint8Array(128);
const need = (ch: string, a: string, b = ''): void => {
  const c = ch.charCodeAt(0);
  NEED1[c] = a.charCodeAt(0) | 0x20;
  NEED2[c] = b === '' ? 0 : b.charCodeAt(0) | 0x20;
};
need('.', '.', 'p');
need('-', '-');
need('_', '_');
need(':', '/');
need('/', '*', '.');
need('@', '@');
need('u', 'n');
need('U', 'n');
need('s', 'e');
need('S', 'e');
need('+', 'a');

// The state of the mask being computed (triggerMask never re-enters itself): the quotes, backticks and semicolons
// seen so far decide what the next one means.
let quotes = 0;
let ticks = 0;
let semis = 0;

/**
 * Characters the loops may still stop at in this string (a pair the table marks, a character with a class): 64 plus
 * one per 8 characters, spent whether or not the character adds a bit to the mask.
 * Prose needs a small share of that (a pair to look at every few dozen characters). A value that uses it up is made
 * of trigger characters (64 K of `<`, `....`, `&#`); for the rest of it, each character adds every bit its class can
 * produce (`coarseFrom`). The mask is then a superset of the exact one: every detector it names still reads the value
 * in full, so nothing is missed; the pass stays a table lookup per character.
 */
let budget = 0;
/**
 * In a long value read with the live tables, the budget is earned as the loops go, one stop per 8 characters read
 * (`i >> earning` added to it; 31 elsewhere: nothing earned, all of it given at the start). A value made of trigger
 * characters whose context never completes a bit (`&#&#…`, `/*(/*(…`, `<s<s…`: characters the live tables cannot
 * settle) then goes coarse after a few hundred characters instead of paying ~8,000 stops of 15–25 ns first, while
 * text whose stops stay sparser than one per 8 characters all along (prose, code, Markdown once the tables have
 * settled their common characters) is read exactly as before.
 */
let earning = 31;


/** Every bit a class can produce from an ASCII character. */
const ASCII_BITS = CLASS_BITS.map((bits) => bits & ~T_NON_ASCII);

/**
 * Every bit an ASCII character can produce, whatever its context: its class's bits (never T_NON_ASCII), and for the
 * characters that always are triggers (; \ = and controls) just their own.
 */
const COARSE_ASCII = new Uint32Array(128);
for (let c = 0; c < 128; c++) {
  const t = CLASS[c] as number;
  COARSE_ASCII[c] = t === C_ALWAYS ? (ALWAYS_BIT[c] as number) | (c === 59 ? T_SEMI_SQL : 0) : (CLASS_BITS[t] as number) & ~T_NON_ASCII;
}

/** Every bit the characters of `s[from…]` can produce. */
function coarseFrom(s: string, from: number): number {
  let mask = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    mask |= c < 128 ? (COARSE_ASCII[c] as number) : (CLASS_BITS[CLASS[c] as number] as number);
  }
  return mask;
}

/**
 * The trigger mask of `s` (0: nothing to look at). Linear, no allocation (but for a buffer reused from value to
 * value). In a long value, the regular expression engine first skips to the first character that could matter (its
 * scan is a few times faster than a loop), and the loops read a copy of its code units (`loadUnits`). Text in Latin
 * scripts is read in pairs through `PAIR`; text with other scripts one character at a time through `CLASS`, since a
 * second table costs more there than the pairs save. Both loops send what they mark to `classify`, which reads the
 * context itself; a test checks the loops against each other.
 */
export function triggerMask(s: string): number {
  if (s.length >= SKIP_FROM_LENGTH) return longMask(s);
  quotes = ticks = semis = 0;
  budget = 64 + (s.length >> 3);
  return pairLoop(s, 0) | rootBits(s);
}

/**
 * `triggerMask` for a long value: first the skip to where the loops have to start, then the loops over the value's
 * units (kept out of the short path).
 */
function longMask(s: string): number {
  const from = s.search(FIRST_CANDIDATE);
  if (from < 0) return rootBits(s);
  quotes = ticks = semis = 0;
  budget = 64 + (s.length >> 3);
  const c = s.charCodeAt(from);
  const script = c >= 0x100 && wideFollows(c, s.charCodeAt(from + 1), s.charCodeAt(from + 2));
  if (!LITTLE_ENDIAN) return (script ? charLoop(s, from, 0) : pairLoop(s, from)) | rootBits(s);
  const u = loadUnits(s);
  live = s.length >= LIVE_FROM;
  earning = 31;
  if (live) {
    openLiveTables();
    // earned as the loops go: see `earning`
    budget = 64;
    earning = 3;
  }
  const pair = live ? LIVE_PAIR : PAIR;
  const classes = live ? LIVE_CLASS : CLASS;
  return (script ? charUnits(s, u, from, 0, classes) : pairUnits(s, u, from, pair, classes)) | rootBits(s);
}

/**
 * From this length on, a value's loops read copies of the tables (`LIVE_PAIR`, `LIVE_CLASS`) from which a character
 * is taken out once it can add nothing to the mask (`settle`): in code, Markdown or shell text the same few
 * characters (. - / ( = ") come back thousands of times, and each stop costs the loops tens of nanoseconds whether or
 * not it adds a bit. The copies cost a few microseconds, which shorter values would not win back.
 */
const LIVE_FROM = 4096;
/** Whether the value being read uses the live tables. */
let live = false;
const LIVE_PAIR = new Uint8Array(PAIR.length);
const LIVE_CLASS = new Uint8Array(CLASS.length);
/** ASCII characters taken out of the live tables (1) for the value being read. */
const SETTLED = new Uint8Array(128);
/** Fresh live tables for a value. */
function openLiveTables(): void {
  LIVE_PAIR.set(PAIR);
  LIVE_CLASS.set(CLASS);
  SETTLED.fill(0);
}

/**
 * Take the ASCII character `x` out of the live tables: its own marks (as the current character of a pair, and in the
 * per-character table) and the marks it gets as the previous character, once it can add no bit to the mask.
 */
function settle(x: number): void {
  SETTLED[x] = 1;
  LIVE_CLASS[x] = 0;
  for (let c = 0; c < 256; c++) LIVE_PAIR[(x << 8) | c] = (LIVE_PAIR[(x << 8) | c] as number) & ~P_PREV;
  for (let p = 0; p <= K_OTHER; p++) LIVE_PAIR[(p << 8) | x] = (LIVE_PAIR[(p << 8) | x] as number) & ~P_SELF;
}

/**
 * Settle `x`, a character a stop just read (the pair's or the one before it), when its bits are all in `mask` now: a
 * stop at it adds nothing (for `"` and `` ` ``, whose stops also keep state, that state only decides their own bit;
 * for `;`, the count of semicolons only decides `T_SEMI_SQL`). Only characters the value has are settled, each at
 * its first stop that adds nothing: settling every character whose bits were in the mask whenever it grew cost 40–50
 * settles of ~400 table writes a 64 KB value (a newline's control bit alone settled the 31 controls), a sixth of the
 * pass on prose, for characters most values never have. NUL stays: its mark ends the loops at the 0 after the value.
 */
function settleIfDone(x: number, mask: number): void {
  if (x === 0 || x >= 128 || SETTLED[x] !== 0 || CLASS[x] === 0) return;
  const bits = COARSE_ASCII[x] as number;
  if ((mask & bits) === bits) settle(x);
}

/**
 * Pairs from `from` (the character before it has no class); hands over to `charLoop` at the first wide character.
 * The scan itself is `nextPair`; this loop reads what it stops at, a pair in a few dozen characters of prose.
 */
function pairLoop(s: string, from: number): number {
  const n = s.length;
  let mask = 0;
  let k = 0;
  let lastWide = -WIDE_GAP;
  for (let i = nextPair(s, from, n, previousColumn(s, from)); i < n; i = nextPair(s, i + 1, n, k)) {
    const c = s.charCodeAt(i);
    const prev = previousColumn(s, i);
    k = COLUMN[c] as number;
    const b = PAIR[(prev << 8) | k] as number;
    if ((b & (P_MAPPED | P_WIDE)) !== 0) {
      // a character beyond Latin-1: finish the pair, then one character at a time if another script follows, or
      // read this one as `charLoop` would and go on in pairs (don’t, a — b, a lone emoji in Latin text)
      const a = AS_ASCII[c] as number;
      if (((PAIR[(prev << 8) | (b === P_MAPPED ? a : K_OTHER)] as number) & P_PREV) !== 0) {
        mask |= prevBits(s, i - 1, CLASS[prev] as number, mask);
      }
      if (i - lastWide < WIDE_GAP || wideFollows(c, s.charCodeAt(i + 1), s.charCodeAt(i + 2))) return charLoop(s, i, mask);
      lastWide = i;
      // (a character of no class costs no budget, as in charLoop: its stop reads a fixed few characters)
      if (b === P_MAPPED) {
        if (--budget < 0) return mask | coarseFrom(s, i - 1);
        mask = charBits(s, i, c, CLASS[c] as number, mask);
        k = a;
      } else {
        k = K_OTHER;
        if (isSurrogatePair(c, s.charCodeAt(i + 1))) i++; // one character: its second half is no stop of its own
      }
      continue;
    }
    // every character that needs a look counts against the budget, whether or not it adds a bit: a value made of
    // trigger characters goes coarse after the budget instead of taking the slow path for each of them
    if (--budget < 0) return mask | coarseFrom(s, i - 1);
    // (the previous character's row is ASCII or K_OTHER: a stand-in is read as what it stands for)
    if ((b & P_PREV) !== 0) {
      const t = CLASS[prev] as number;
      if ((mask & (ASCII_BITS[t] as number)) !== ASCII_BITS[t]) mask |= prevBits(s, i - 1, t, mask);
    }
    if ((b & P_SELF) !== 0) mask = charBits(s, i, c, CLASS[c] as number, mask);
  }
  // the last character, when what follows it (nothing) may make it one: a closing ' or a # comment
  const p = previousColumn(s, n);
  if (p === 39 || p === 35) mask |= prevBits(s, n - 1, CLASS[p] as number, mask);
  return mask;
}

/**
 * The pair loops read a character beyond Latin-1 and go on in pairs only when the last one was at least this far
 * back: where they come dense (a zero-width space between letters, “a”), the per-character loop, which passes them
 * without a stop, is cheaper.
 */
const WIDE_GAP = 8;

/**
 * Whether the character after `c` (a character beyond Latin-1; `d`, then `e`) is beyond Latin-1 too, looking past the
 * second half of a surrogate pair: text in another script, which the pair loops hand over to the per-character loops
 * (a second table costs more there than the pairs save). A lone one in Latin text (an apostrophe ’, a dash —, an
 * emoji) does not: the pair loops read it and go on, instead of reading the rest of the value a character at a time,
 * stopping at every s and u. Past the end of the value `d` and `e` are NaN or 0: nothing follows.
 */
function wideFollows(c: number, d: number, e: number): boolean {
  return (isSurrogatePair(c, d) ? e : d) >= 0x100;
}

/** Whether `c` and `d` are the two halves of one character (an emoji, a letter beyond the first plane). */
function isSurrogatePair(c: number, d: number): boolean {
  return c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff;
}

/**
 * Every UTF-16 code unit as a row of the pair table, the previous character of a pair: what `COLUMN` says, but a
 * stand-in as the ASCII character it stands for and any other character beyond Latin-1 as `K_OTHER`.
 */
const ROW = COLUMN.map((k, c) => (k === K_MAPPED ? (AS_ASCII[c] as number) : k === K_WIDE ? K_OTHER : k));

/** The row of the character before `i` (a space before the start). */
function previousColumn(s: string, i: number): number {
  return i === 0 ? 32 : (ROW[s.charCodeAt(i - 1)] as number);
}

/**
 * The first position from `from` on (below `n`) where the pair ending there is marked in the table, or `n` (`column`:
 * that of the character before `from`). The loop over ordinary text, in a function of its own with nothing else in
 * it: whatever the compiler does with the loop that calls it (inline it or not, recompile it once attack traffic
 * takes a branch prose never takes), this loop stays the same few instructions a character. With the rare branches
 * beside it, its code depended on the compiler's inlining and ran about twice as slow in some processes.
 */
function nextPair(s: string, from: number, n: number, column: number): number {
  // the tables in locals: a module-level table is loaded again at every step
  const pair = PAIR;
  const columns = COLUMN;
  let p = column;
  for (let i = from; i < n; i++) {
    const c = s.charCodeAt(i);
    // an ASCII character is its own column: no load for it (most of chat text), one less on the loop's path
    const k = c < 128 ? c : (columns[c] as number);
    if (pair[(p << 8) | k] !== 0) return i;
    p = k;
  }
  return n;
}

/** One character at a time from `from`, each with a class read with its context (the scan itself is `nextChar`). */
function charLoop(s: string, from: number, start: number): number {
  const n = s.length;
  let mask = start;
  for (let i = nextChar(s, from, n); i < n; i = nextChar(s, i + 1, n)) {
    const c = s.charCodeAt(i);
    const t = CLASS[c] as number;
    if (c < 128 && t !== C_ALWAYS && t !== C_DQUOTE && t !== C_BACKTICK) {
      const a = NEED1[c] as number;
      if (a !== 0) {
        // the next character as what it stands for (／．is /.)
        const d = at(s, i + 1) | 0x20;
        if (d !== a && d !== NEED2[c]) continue;
      }
    }
    if (--budget < 0) return mask | coarseFrom(s, i - 1);
    mask = charBits(s, i, c, t, mask);
  }
  return mask;
}

/**
 * The first position from `from` on (below `n`) of a character with a class, or `n`: one load from the full table a
 * character (0 for letters, digits, spaces and the letters of every script), in a function of its own as `nextPair`.
 */
function nextChar(s: string, from: number, n: number): number {
  // (the table in a local, as in nextPair: text in other scripts measured 0.8x for the pass, 0.97x for chat lines)
  const classes = CLASS;
  for (let i = from; i < n; i++) if (classes[s.charCodeAt(i)] !== 0) return i;
  return n;
}

/**
 * The units of the long value being read (units.ts). The 0 after them, a control character both tables mark, ends
 * the inner loops over unmarked characters (no bounds check of their own) and reads as the end of the value where a
 * character asks for the next one. Together about twice as fast on ordinary text; short values keep the string loops
 * (with the copy's call, chat lines measured about 10% slower).
 */
const loadUnits = unitLoader();

/**
 * `pairLoop` over `u`, the units of `s` (`loadUnits`), step for step. `pair` and `classes`: the tables, or their live
 * copies for a long value (`LIVE_FROM`). The scan itself is `nextMarkedPair`.
 */
function pairUnits(s: string, u: Uint16Array, from: number, pair: Uint8Array, classes: Uint8Array): number {
  const n = s.length;
  let mask = 0;
  let lastWide = -WIDE_GAP;
  // Read before the loop: the compiler may compile this function in the middle of its loop (on-stack replacement)
  // before the code after the loop ever ran, and then leave that compiled code at every call where the loop ends
  // (measured: a deoptimization per call on long values) when that code has an operation it has no feedback for.
  const lastRow = ROW[u[n - 1] as number] as number;
  const closesValue = lastRow === 39 || lastRow === 35;
  for (let i = nextMarkedPair(u, from, from === 0 ? 32 : (ROW[u[from - 1] as number] as number), pair); i < n; i = nextMarkedPair(u, i + 1, ROW[u[i] as number] as number, pair)) {
    const c = u[i] as number;
    const prev = i === 0 ? 32 : (ROW[u[i - 1] as number] as number);
    const b = pair[(prev << 8) | (COLUMN[c] as number)] as number;
    if ((b & (P_MAPPED | P_WIDE)) !== 0) {
      const a = AS_ASCII[c] as number;
      if (((pair[(prev << 8) | (b === P_MAPPED ? a : K_OTHER)] as number) & P_PREV) !== 0) {
        mask |= prevBits(s, i - 1, CLASS[prev] as number, mask);
      }
      if (i - lastWide < WIDE_GAP || wideFollows(c, u[i + 1] as number, u[i + 2] as number)) return charUnits(s, u, i, mask, classes);
      lastWide = i;
      if (b === P_MAPPED) {
        if (--budget + (i >> earning) < 0) return mask | coarseUnits(u, n, i - 1);
        mask = charBits(s, i, c, CLASS[c] as number, mask);
      } else if (isSurrogatePair(c, u[i + 1] as number)) {
        i++; // one character: its second half is no stop of its own
      }
      continue;
    }
    if (--budget + (i >> earning) < 0) return mask | coarseUnits(u, n, i - 1);
    if ((b & P_PREV) !== 0) {
      const t = CLASS[prev] as number;
      if ((mask & (ASCII_BITS[t] as number)) !== ASCII_BITS[t]) mask |= prevBits(s, i - 1, t, mask);
    }
    if ((b & P_SELF) !== 0) mask = charBits(s, i, c, CLASS[c] as number, mask);
    if (live) {
      settleIfDone(c, mask);
      if (i > 0) settleIfDone(u[i - 1] as number, mask);
    }
  }
  // the last character, when what follows it (nothing) may make it one: a closing ' or a # comment
  return closesValue ? mask | prevBits(s, n - 1, CLASS[lastRow] as number, mask) : mask;
}

/**
 * The first position from `i` on where the pair ending there is marked in `pair` (`p`: the row of the character
 * before `i`); the 0 after the value is one. The loop over nearly all of ordinary text, in a function of its own:
 * inside `pairUnits` the compiler kept its values on the stack and it ran at half the speed.
 */
function nextMarkedPair(u: Uint16Array, i: number, p: number, pair: Uint8Array): number {
  const column = COLUMN; // in a local: read from the module scope at every step otherwise
  let q = p;
  let c = u[i] as number;
  let k = c < 128 ? c : (column[c] as number);
  while (pair[(q << 8) | k] === 0) {
    q = k;
    c = u[++i] as number;
    // (an ASCII character is its own column, as in nextPair)
    k = c < 128 ? c : (column[c] as number);
  }
  return i;
}

/** `charLoop` over `u`, the units of `s` (`loadUnits`), step for step (`classes`: as in `pairUnits`). */
function charUnits(s: string, u: Uint16Array, from: number, start: number, classes: Uint8Array): number {
  const n = s.length;
  let mask = start;
  for (let i = nextClassed(u, from, classes); i < n; i = nextClassed(u, i + 1, classes)) {
    const c = u[i] as number;
    const t = classes[c] as number;
    if (c < 128 && t !== C_ALWAYS && t !== C_DQUOTE && t !== C_BACKTICK) {
      const a = NEED1[c] as number;
      if (a !== 0) {
        const d = (AS_ASCII[u[i + 1] as number] as number) | 0x20;
        if (d !== a && d !== NEED2[c]) continue;
      }
    }
    if (--budget + (i >> earning) < 0) return mask | coarseUnits(u, n, i - 1);
    mask = charBits(s, i, c, t, mask);
    if (live) settleIfDone(c, mask);
  }
  return mask;
}

/** The first position from `i` on of a character with a class in `classes` (the 0 after the value has one). */
function nextClassed(u: Uint16Array, i: number, classes: Uint8Array): number {
  while (classes[u[i] as number] === 0) i++;
  return i;
}

/** `coarseFrom` over `u`, the `n` units of a value. */
function coarseUnits(u: Uint16Array, n: number, from: number): number {
  let mask = 0;
  for (let i = from; i < n; i++) {
    const c = u[i] as number;
    mask |= c < 128 ? (COARSE_ASCII[c] as number) : (CLASS_BITS[CLASS[c] as number] as number);
  }
  return mask;
}

/** `selfBits` with the cases that need no call handled here: most of a value of trigger characters. */
function charBits(s: string, i: number, c: number, t: number, mask: number): number {
  switch (t) {
    case C_ALWAYS:
      if (c < 128 && (c !== 59 || (mask & T_SEMI_SQL) !== 0)) return mask | (ALWAYS_BIT[c] as number);
      break;
    case C_DQUOTE:
      if (quotes !== 0) return mask;
      break;
    case C_BACKTICK:
      // An opening backtick glued to a word, = ( $ a quote or a separator starts a substitution (see selfBits).
      if (ticks++ % 2 === 0 && i > 0 && GLUE[s.charCodeAt(i - 1)] === 1) return mask | T_BACKTICK | (c >= 128 ? T_NON_ASCII : 0);
      return mask;
    default: {
      const bits = (CLASS_BITS[t] as number) & (c < 128 ? ~T_NON_ASCII : -1);
      if ((mask & bits) === bits) return mask;
    }
  }
  return selfBits(s, i, c, t, mask);
}

/** The mask with the character `c` at `i` (class `t`, not 0) read. */
function selfBits(s: string, i: number, c: number, t: number, mask: number): number {
  if (t === C_ALWAYS && c < 128) {
    // past a few semicolons, SQL gets a look anyway: the context check stays a small cost per value
    if (c === 59 && (mask & T_SEMI_SQL) === 0) return mask | T_SEMI | (++semis > MAX_SEMICOLONS ? T_SEMI_SQL : semicolonForSql(s, i));
    return mask | (ALWAYS_BIT[c] as number);
  }
  if (t === C_DQUOTE) {
    if (quotes !== 0) return mask;
    // Only the first " can close a query's string; an opening quote before a word ("like this") does not. A quote
    // between two non-ASCII letters (Hebrew gershayim: ד"ר, או"ם) is part of the word: the next one decides.
    // A quote that ends the value after a word or a full stop (…said.") closes nothing that could follow.
    const q = i === 0 ? 32 : s.charCodeAt(i - 1);
    const d = s.charCodeAt(i + 1);
    if (q >= 0xc0 && d >= 0xc0 && isLetter(q) && isLetter(d)) return mask;
    quotes = 1;
    if ((q === 32 || q === 40) && isWordStart(d)) return mask;
    if (i + 1 === s.length && (isLetter(q) || q === 46 || q === 33 || q === 63)) return mask;
    return mask | T_DQUOTE | (c >= 128 ? T_NON_ASCII : 0);
  }
  if (t === C_BACKTICK) {
    // An opening backtick glued to a word, = ( $ a quote or a separator starts a substitution; `a code span` does not.
    if (ticks++ % 2 === 0 && i > 0 && GLUE[s.charCodeAt(i - 1)] === 1) return mask | T_BACKTICK | (c >= 128 ? T_NON_ASCII : 0);
    return mask;
  }
  // an ASCII character never sets NON_ASCII: without this, '<' repeated would be classified one by one
  const bits = (CLASS_BITS[t] as number) & (c < 128 ? ~T_NON_ASCII : -1);
  if ((mask & bits) === bits) return mask;
  return mask | classify(s, i, t);
}

/** `classify` for the character at `i`, once the one after it asked for a look; skipped when its bits are all in. */
function prevBits(s: string, i: number, t: number, mask: number): number {
  const bits = (CLASS_BITS[t] as number) & (s.charCodeAt(i) < 128 ? ~T_NON_ASCII : -1);
  if ((mask & bits) === bits) return 0;
  return classify(s, i, t);
}

/**
 * The mask read one character at a time from the start, with no budget: what `triggerMask` computes, the slow way.
 * For tests, which check the pair table against it.
 */
export function triggerMaskByCharacter(s: string): number {
  quotes = ticks = semis = 0;
  budget = Infinity;
  return charLoop(s, 0, 0) | rootBits(s);
}

/** `T_ROOT` when `s` starts like an absolute path: / \ or a drive letter. */
function rootBits(s: string): number {
  if (s.length < 2) return 0;
  const c0 = at(s, 0);
  return c0 === 47 || c0 === 92 || (at(s, 1) === 58 && isLetter(c0) && (at(s, 2) === 47 || at(s, 2) === 92)) ? T_ROOT : 0;
}

/**
 * Where the pair loop has to start: the first character that has a class (any non-Latin-1 character, since the
 * stand-ins are among them), or the first UNION or SELECT. Every character before it finds 0 in the pair table,
 * whatever precedes it, and changes no state of the loop (quotes, backticks and semicolons are all in the set).
 */
const FIRST_CANDIDATE = ((): RegExp => {
  let set = '';
  for (let c = 0; c < 256; c++) if (CLASS[c] !== 0 && CLASS[c] !== C_KEYWORD) set += `\\x${c.toString(16).padStart(2, '0')}`;
  return new RegExp(`[${set}\\u0100-\\uffff]|[uU][nN][iI][oO][nN]|[sS][eE][lL][eE][cC][tT]`);
})();
/**
 * From this length on, the skip pays: below it, chat messages in a mix of scripts measured faster with the loops
 * alone (the search costs a call, and stops early in most sentences: at an apostrophe, a hyphen, a letter of
 * another script).
 */
const SKIP_FROM_LENGTH = 1024;



