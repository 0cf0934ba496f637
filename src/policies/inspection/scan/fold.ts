/**
 * The canonical text the detectors read, built in one pass over a byte buffer:
 *
 * - compatibility forms become the ASCII they stand for, as NFKC makes them (`％３Ｃ` is `%3C`, `ﬁ` is `fi`, `𝐬` is
 *   `s`), and so do a few best-fit mappings of Windows code pages (`∕` is `/`, curly quotes are quotes);
 * - characters that render as nothing (zero-width, bidirectional controls, C0/C1 controls other than whitespace) are
 *   dropped, so they cannot split a keyword;
 * - ASCII letters are lower-cased (`lower`);
 * - every other character beyond Latin-1 becomes one placeholder, `à` (U+00E0: a small letter, which the native
 *   `toLowerCase` leaves as it is, so lower-casing text in another script stays the runtime's one-byte pass).
 *
 * The result is always a one-byte string. The detectors only ever compare ASCII, and treat every character beyond
 * Latin-1 alike (a letter of a word, never a space, quote or operator), so the placeholder changes no finding; in
 * exchange, a 64 KB value in any script costs a copy in the young generation instead of a large-object allocation,
 * and no ICU call (`normalize` and `toLowerCase` on such text run at several ns per character). NFKC is computed
 * once per character at load, by the runtime's own `normalize`, over the blocks that hold every character whose
 * compatibility form contains ASCII (a test checks the blocks against the whole of Unicode).
 */

import { BEST_FIT } from './triggers.js';
import { LITTLE_ENDIAN, unitLoader } from './units.js';

/** Every other character beyond Latin-1. */
export const PLACEHOLDER = 0xe0;

const KEEP = 0;
const DROP = 1;
const REPLACE = 2;

/** For every UTF-16 code unit: KEEP (itself, or the placeholder beyond Latin-1), DROP or REPLACE. */
const KIND = new Uint8Array(65536);
/** REPLACE: where its bytes start in POOL, and how many. */
const OFFSET = new Uint32Array(65536);
const LENGTH = new Uint8Array(65536);

/** Astral code points (surrogate pairs) whose NFKC holds ASCII (mathematical letters, enclosed and segmented digits). */
const ASTRAL = new Map<number, Uint8Array>();

/** Blocks (inclusive) that hold every code point whose compatibility form contains ASCII. */
export const FOLD_BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [0x80, 0x2ff], [0x370, 0x3ff], [0x1d00, 0x1fff], [0x2000, 0x24ff], [0x2a00, 0x2aff], [0x2c00, 0x2c7f],
  [0x3000, 0x30ff], [0x3200, 0x33ff], [0xa700, 0xa7ff], [0xab00, 0xab6f], [0xfb00, 0xfdff], [0xfe00, 0xfe7f],
  [0xff00, 0xffef], [0x10780, 0x107bf], [0x1cc00, 0x1ccff], [0x1d400, 0x1d7ff], [0x1f100, 0x1f1ff], [0x1fbf0, 0x1fbff],
];

/** Characters that render as nothing or are ignored by parsers. */
export function isInvisible(c: number): boolean {
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

/** `s` as the bytes the fold writes: NFKC, then best-fit, then anything beyond Latin-1 as the placeholder. */
function foldedBytes(cp: number): number[] | null {
  const s = String.fromCodePoint(cp);
  const n = s.normalize('NFKC');
  let ascii = false;
  const bytes: number[] = [];
  for (let i = 0; i < n.length; i++) {
    let c = n.charCodeAt(i);
    if (c >= 128 && BEST_FIT[c] !== 0) c = BEST_FIT[c] as number;
    if (c < 128) ascii = true;
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) continue; // the second half of a pair: one placeholder for both
    if (isInvisible(c)) continue;
    bytes.push(c < 256 ? c : PLACEHOLDER);
  }
  return ascii && n !== s ? bytes : null;
}

const pool: number[] = [];
for (let c = 0; c < 128; c++) if (isInvisible(c)) KIND[c] = DROP;
for (const [first, last] of FOLD_BLOCKS) {
  for (let cp = first; cp <= last; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (cp < 0x10000 && isInvisible(cp)) {
      KIND[cp] = DROP;
      continue;
    }
    // best-fit characters are left alone by NFKC: their mapping is theirs
    const bytes = cp < 0x10000 && BEST_FIT[cp] !== 0 ? [BEST_FIT[cp] as number] : foldedBytes(cp);
    if (bytes === null) continue;
    if (cp >= 0x10000) {
      ASTRAL.set(cp, Uint8Array.from(bytes));
      continue;
    }
    KIND[cp] = REPLACE;
    OFFSET[cp] = pool.length;
    LENGTH[cp] = bytes.length;
    pool.push(...bytes);
  }
}
for (let c = 0x200b; c <= 0xfeff; c++) if (isInvisible(c)) KIND[c] = DROP;
for (let c = 0; c < 65536; c++) if (KIND[c] === REPLACE && LENGTH[c] === 0) KIND[c] = DROP;
const POOL = Uint8Array.from(pool);

/**
 * A growable byte buffer that ends up as a one-byte string. Reused across calls (the scanner never re-enters itself),
 * so it keeps the size of the longest output seen.
 */
export class ByteWriter {
  buf = new Uint8Array(1024);
  len = 0;
  /** A Buffer over the same memory, for the conversions from and to a string. */
  private view = Buffer.from(this.buf.buffer);

  /** Room for `n` more bytes. */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.len + n, this.buf.length * 2));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
    this.view = Buffer.from(bigger.buffer);
  }

  text(): string {
    return this.view.toString('latin1', 0, this.len);
  }

  /** Hold the low byte of each of `s`'s code units (all of `s`, for a one-byte string), nothing else. */
  load(s: string): void {
    this.len = 0;
    this.reserve(s.length);
    this.view.write(s, 0, 'latin1');
    this.len = s.length;
  }
}

const isLatin1Capital = (x: number): boolean => x >= 0xc0 && x <= 0xde && x !== 0xd7;

/** Room the replacement path keeps ahead of the rest of the input: more than the longest replacement. */
const AHEAD = 64;

/**
 * What the fold writes for a code unit that becomes one byte, as it is (`ONE`) and lower-cased (`ONE_LOWER`); `SLOW`
 * for the others (dropped, several bytes, the first half of a surrogate pair), which `foldSlow` writes. One load per
 * character in the common case, instead of the kind, the range and the case tests.
 */
const SLOW = 256;
const ONE = new Uint16Array(65536);
const ONE_LOWER = new Uint16Array(65536);
/**
 * `ONE` with the units whose byte is a Latin-1 capital marked SLOW too: the character loop of a long `fold(s, false)`
 * meets each of them in `foldSlow`, so it knows whether it wrote one (`foldWroteNoCapital`), as the sparse path does.
 */
const ONE_CAPITAL_SLOW = new Uint16Array(65536);
for (let c = 0; c < 65536; c++) {
  const kind = KIND[c] as number;
  let x = SLOW;
  if (kind === KEEP) x = c >= 0xd800 && c <= 0xdbff ? SLOW : c < 256 ? c : PLACEHOLDER;
  else if (kind === REPLACE && LENGTH[c] === 1) x = POOL[OFFSET[c] as number] as number;
  ONE[c] = x;
  ONE_CAPITAL_SLOW[c] = isLatin1Capital(x) ? SLOW : x;
  // only ASCII is lower-cased: a KEEP unit beyond ASCII never writes a capital
  ONE_LOWER[c] = x >= 65 && x <= 90 ? x + 32 : x;
}

/**
 * Write the fold of `c`, a unit `ONE` (or `ONE_CAPITAL_SLOW`) marks SLOW (`d`: the unit after it, -1 at the end), at
 * the end of `w`, which has room for it, then make room for what is left (`left` units from `c` on: a replacement may
 * be longer than what it replaces); returns how many units it took. The loops that call it differ only in where they read the units (the
 * string, a copy of its units, the runs between hops): one loop for all would read them through a call per unit.
 */
function foldSlow(c: number, d: number, lower: boolean, w: ByteWriter, left: number): number {
  const b = w.buf;
  let j = w.len;
  let used = 1;
  const kind = KIND[c] as number;
  if (kind === REPLACE) {
    const start = OFFSET[c] as number;
    const end = start + (LENGTH[c] as number);
    for (let k = start; k < end; k++) {
      const x = POOL[k] as number;
      b[j++] = lower && x >= 65 && x <= 90 ? x + 32 : x;
    }
  } else if (kind === KEEP && c < 256) {
    // a Latin-1 capital (`ONE_CAPITAL_SLOW`)
    b[j++] = c;
  } else if (kind === KEEP) {
    // the first half of a surrogate pair
    const bytes = d >= 0xdc00 && d <= 0xdfff ? ASTRAL.get(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000) : undefined;
    if (d >= 0xdc00 && d <= 0xdfff) used = 2;
    if (bytes === undefined) b[j++] = PLACEHOLDER;
    else for (const x of bytes) b[j++] = lower && x >= 65 && x <= 90 ? x + 32 : x;
  }
  w.len = j;
  w.reserve(left - used + AHEAD);
  return used;
}

/** Fold `s[from, to)` (see `fold`) onto the end of `w`. */
export function foldInto(s: string, from: number, to: number, lower: boolean, w: ByteWriter): void {
  w.reserve(to - from + AHEAD);
  const table = lower ? ONE_LOWER : ONE;
  let b = w.buf;
  let j = w.len;
  for (let i = from; i < to; ) {
    const c = s.charCodeAt(i);
    const x = table[c] as number;
    if (x !== SLOW) {
      b[j++] = x;
      i++;
      continue;
    }
    w.len = j;
    i += foldSlow(c, i + 1 < to ? s.charCodeAt(i + 1) : -1, lower, w, to - i);
    j = w.len;
    b = w.buf;
  }
  w.len = j;
}

/** From this length on, the fold reads a copy of the value's code units (units.ts). */
const LONG_UNITS = 256;
const loadUnits = unitLoader();

/** Whether the last `foldUnits` without lower-casing wrote a Latin-1 capital. */
let unitsWroteCapital = false;

/** `foldInto(s, from, s.length, lower, w)` for a long `s`, read from `units`. */
function foldUnits(s: string, from: number, lower: boolean, w: ByteWriter): void {
  const n = s.length;
  const u = loadUnits(s);
  w.reserve(n - from + AHEAD);
  unitsWroteCapital = false;
  w.len = foldUnitsLoop(u, from, n, lower ? ONE_LOWER : ONE_CAPITAL_SLOW, lower, w);
}

/**
 * The loop of `foldUnits`; returns the length written. Alone in a function that returns right after it: compiled in
 * the middle of a long value (on-stack replacement), a store after the loop that had never run left the compiled
 * code at every call (measured: a deoptimization per long value).
 */
function foldUnitsLoop(u: Uint16Array, from: number, n: number, table: Uint16Array, lower: boolean, w: ByteWriter): number {
  let b = w.buf;
  let j = w.len;
  for (let i = from; i < n; ) {
    const end = oneByteRun(u, i, table, b, j - i);
    j += end - i;
    i = end;
    if (i >= n) break;
    // a character the fold drops (a control, a zero-width space) is passed here, not through the slow path: 64 KB of
    // `0\`, decoded, is a run of 32 K NULs, and the call per NUL was a fourth of its scan
    if (KIND[u[i] as number] === DROP) {
      i++;
      continue;
    }
    w.len = j;
    i += foldSlow(u[i] as number, i + 1 < n ? (u[i + 1] as number) : -1, lower, w, n - i);
    b = w.buf;
    for (; j < w.len; j++) if (!lower && isLatin1Capital(b[j] as number)) unitsWroteCapital = true;
  }
  return j;
}

/**
 * The units from `i` that fold to one byte each, written to `b` at their index plus `offset`; returns where the run
 * ends: at a unit `foldSlow` writes, or at the 0 after the value (a control character, dropped: slow too). A function
 * of its own with the buffer a parameter: inside `foldUnitsLoop`, where the buffer can change after the slow path,
 * the compiler reloaded it at every unit and the loop ran at half the speed (64 KB of ＜&: 161 µs against 84).
 */
function oneByteRun(u: Uint16Array, i: number, table: Uint16Array, b: Uint8Array, offset: number): number {
  for (;;) {
    const x = table[u[i] as number] as number;
    if (x === SLOW) return i;
    b[i + offset] = x;
    i++;
  }
}

/**
 * The rest of `s` from `from` folded onto `w` a character at a time: the loop for text dense with characters to fold.
 * Returns whether it is known to have written no Latin-1 capital (without lower-casing; only the loop over units
 * knows).
 */
function foldRest(s: string, from: number, lower: boolean, w: ByteWriter): boolean {
  if (!LITTLE_ENDIAN) {
    foldInto(s, from, s.length, lower, w);
    return false;
  }
  foldUnits(s, from, lower, w);
  return !unitsWroteCapital;
}

/** Characters `fold` changes (with capitals: when lower-casing), from the table: one scan tells whether to fold. */
function changedClass(lower: boolean, flags: string, extra = ''): RegExp {
  let set = '';
  for (let c = 0; c < 256; c++) if (KIND[c] !== KEEP) set += `\\x${c.toString(16).padStart(2, '0')}`;
  return new RegExp(`[${set}\\u0100-\\uffff${lower ? 'A-Z' : ''}${extra}]`, flags);
}
const FOLDS = changedClass(false, '');
const FOLDS_LOWER = changedClass(true, '');
/**
 * The same, global: the next character to fold, from `lastIndex`. Without lower-casing, the Latin-1 capitals too
 * (the fold keeps them): the sparse path visits them, so that it can tell there were none (`foldWroteNoCapital`).
 */
const NEXT_FOLD = changedClass(false, 'g', '\\xc0-\\xd6\\xd8-\\xde');
const NEXT_FOLD_LOWER = changedClass(true, 'g');

/**
 * Whether the last `fold(s, false)` is known to have written no Latin-1 capital (À–Þ). The sparse path knows (it
 * visits every character it does not copy), so does the loop over units it may hand over to (`ONE_CAPITAL_SLOW`), and
 * so does the loop for a short value (`foldShort`). Then the fold lower-cased is the native `toLowerCase` of it, with
 * no check for such capitals: `canonical` makes that check, a pass over the whole text.
 */
let noCapital = false;
export const foldWroteNoCapital = (): boolean => noCapital;

/**
 * Whether the last `fold(s, false)` is known to have written, for every character of `s`, the byte `lowerRaw` writes
 * for it, up to the case of letters: it kept every character it did not turn into the placeholder, and dropped and
 * replaced none. The sparse path and the short loop know (not the loop over units). With no capital written either,
 * the fold lower-cased is `lowerRaw(s)`: the scanner then needs no comparison of the two (a pass over 64 KB of source
 * code with a few arrows in its comments, about a tenth of its scan), and a short value's raw reading is made from it.
 */
let keptLowerRaw = false;
export const foldKeptLowerRaw = (): boolean => keptLowerRaw;

/** The low byte of every code unit of the string being folded: the runs `foldSparse` leaves as they are. */
const lowBytes = new ByteWriter();

/**
 * `fold` of a long `s` with few characters to fold (ordinary text, a handful of curly quotes): the runtime finds them
 * (`next`, from `lastIndex`) and copies the runs between them; each is folded as in `foldInto`. A text where
 * they are dense (any other script) is handed to the character loop as soon as that shows (more than one stretch to
 * fold per 128 characters after the first few, or a stretch of 64), so the hops cost such a text a few calls at most.
 */
function foldSparse(s: string, next: RegExp, lower: boolean, w: ByteWriter): void {
  const n = s.length;
  lowBytes.load(s);
  const low = lowBytes.buf;
  w.reserve(n + AHEAD);
  const table = lower ? ONE_LOWER : ONE;
  let b = w.buf;
  let j = w.len;
  let hops = 0;
  let capital = false;
  let kept = true;
  for (let i = 0; ; ) {
    next.lastIndex = i;
    const p = next.test(s) ? next.lastIndex - 1 : n;
    // [i, p): characters the fold leaves as they are
    if (p - i > 32) b.set(low.subarray(i, p), j);
    else for (let k = i; k < p; k++) b[j + k - i] = low[k] as number;
    j += p - i;
    if (p === n) break;
    // the character at p, and those right after it that fold too
    i = p;
    const from = j;
    do {
      const c = s.charCodeAt(i);
      const x = table[c] as number;
      if (x !== SLOW) {
        if (x !== LOWER_RAW[c]) kept = false;
        b[j++] = x;
        i++;
        continue;
      }
      kept = false;
      w.len = j;
      i += foldSlow(c, i + 1 < n ? s.charCodeAt(i + 1) : -1, lower, w, n - i);
      j = w.len;
      b = w.buf;
    } while (i < n && i - p < 64 && table[s.charCodeAt(i)] !== s.charCodeAt(i));
    for (let k = from; k < j && !capital; k++) capital = isLatin1Capital(b[k] as number);
    if (i === n) break;
    if (++hops > 8 + (i >> 7) || i - p >= 64) {
      w.len = j;
      // (what it wrote then: 64 KB of ｓ&, ’% or x＜ lower-cased by the runtime, not checked by `canonical` first, 30 µs)
      noCapital = foldRest(s, i, lower, w) && !lower && !capital;
      return;
    }
  }
  w.len = j;
  noCapital = !lower && !capital;
  keptLowerRaw = !lower && kept;
}

/** The same characters as a table (1 for each): the decoder notes whether it wrote one (decode.ts). */
export const LOWER_DIFFERS = new Uint8Array(256);
for (let c = 0; c < 256; c++) LOWER_DIFFERS[c] = ONE_LOWER[c] !== String.fromCharCode(c).toLowerCase().charCodeAt(0) ? 1 : 0;

/**
 * Latin-1 characters whose lower-cased fold is not what the native `toLowerCase` makes of them (Latin-1 capitals,
 * which the fold keeps; the ones it drops or replaces): a one-byte string without any is folded by `toLowerCase`.
 * Global: searched from `lastIndex`.
 */
const NEXT_NOT_NATIVE_LOWER = ((): RegExp => {
  let set = '';
  for (let c = 0; c < 256; c++) if (LOWER_DIFFERS[c] !== 0) set += `\\x${c.toString(16).padStart(2, '0')}`;
  return new RegExp(`[${set}]`, 'g');
})();

const writer = new ByteWriter();

/**
 * The lower-cased fold of a long one-byte `s` into `writer` as `toLowerCase` makes it, with the few characters that
 * must differ (`NEXT_NOT_NATIVE_LOWER`) written over, and the ones the fold drops taken out (the runs after one move
 * back): true when done; false when one of them is not one or no byte in the fold, or they are dense (after the first
 * few, more than one per 128 characters: a loop is cheaper). A dropped one was a reason to fold the whole value a
 * character at a time: a decoded text with two NULs in it (this project's README, 64 KB of `+AB`) took 0.6–0.7 ms
 * here instead of 60 µs.
 */
function lowerInPlace(s: string, first: number): boolean {
  writer.load(s.toLowerCase());
  const b = writer.buf;
  let hops = 0;
  // `j`: where the run from `from` goes, behind it by the characters dropped so far
  let j = 0;
  let from = 0;
  for (;;) {
    let found = true;
    let i = first;
    if (from > first) {
      NEXT_NOT_NATIVE_LOWER.lastIndex = from;
      found = NEXT_NOT_NATIVE_LOWER.test(s);
      i = found ? NEXT_NOT_NATIVE_LOWER.lastIndex - 1 : s.length;
    }
    if (j !== from) b.copyWithin(j, from, i);
    j += i - from;
    if (!found) {
      writer.len = j;
      return true;
    }
    const c = s.charCodeAt(i);
    if (++hops > 8 + (i >> 7)) return false;
    if (KIND[c] !== DROP) {
      const x = ONE_LOWER[c] as number;
      if (x === SLOW) return false;
      b[j++] = x;
    }
    from = i + 1;
  }
}

/**
 * `s` folded: compatibility forms to ASCII, invisible characters dropped, anything else beyond Latin-1 as the
 * placeholder, ASCII letters lower-cased when `lower`. Always a one-byte string; `s` itself when nothing changes.
 */
export function fold(s: string, lower: boolean): string {
  noCapital = keptLowerRaw = false;
  if (!(lower ? FOLDS_LOWER : FOLDS).test(s)) return s;
  // a one-byte string lower-cased: the native `toLowerCase` does most of it
  if (lower && !WIDE.test(s)) {
    NEXT_NOT_NATIVE_LOWER.lastIndex = 0;
    if (!NEXT_NOT_NATIVE_LOWER.test(s)) return s.toLowerCase();
    // (from the first character that differs: the search for it is not made twice)
    if (s.length >= LONG_UNITS && lowerInPlace(s, NEXT_NOT_NATIVE_LOWER.lastIndex - 1)) return writer.text();
  }
  writer.len = 0;
  if (s.length >= LONG_UNITS) foldSparse(s, lower ? NEXT_FOLD_LOWER : NEXT_FOLD, lower, writer);
  else if (lower) foldInto(s, 0, s.length, true, writer);
  else foldShort(s, writer);
  return writer.text();
}

/**
 * `foldInto(s, 0, s.length, false, w)` for a short `s`, noting what the sparse path notes for a long one
 * (`foldWroteNoCapital`, `foldKeptLowerRaw`): a chat line in another script with an entity in it is then lower-cased
 * by the runtime once decoded, and its raw reading is its fold lower-cased, instead of two more passes over it.
 */
function foldShort(s: string, w: ByteWriter): void {
  const n = s.length;
  w.reserve(n + AHEAD);
  let b = w.buf;
  let j = w.len;
  let capital = false;
  let kept = true;
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i);
    const x = ONE[c] as number;
    if (x !== SLOW) {
      // (ASCII is kept as it is: lowerRaw writes it the same up to case)
      if (c >= 128) {
        if (x !== LOWER_RAW[c]) kept = false;
        if (isLatin1Capital(x)) capital = true;
      }
      b[j++] = x;
      i++;
      continue;
    }
    kept = false;
    w.len = j;
    i += foldSlow(c, i + 1 < n ? s.charCodeAt(i + 1) : -1, false, w, n - i);
    b = w.buf;
    for (; j < w.len; j++) if (isLatin1Capital(b[j] as number)) capital = true;
  }
  w.len = j;
  noCapital = !capital;
  keptLowerRaw = kept;
}

/** `lowerRaw` of one code unit beyond the one-byte case: ASCII capitals lower-cased, beyond Latin-1 the placeholder. */
const LOWER_RAW = new Uint8Array(65536).fill(PLACEHOLDER);
for (let c = 0; c < 256; c++) LOWER_RAW[c] = c >= 65 && c <= 90 ? c + 32 : c;

/**
 * `s` lower-cased for the detectors without folding: ASCII letters lower-cased, anything beyond Latin-1 as the
 * placeholder (a one-byte string). The native `toLowerCase` does this for a one-byte string at memory speed; on any
 * other it calls ICU, which costs several ns per character: a loop does it instead, one table load per character.
 */
export function lowerRaw(s: string): string {
  if (!WIDE.test(s)) return s.toLowerCase();
  const n = s.length;
  writer.len = 0;
  writer.reserve(n);
  const buf = writer.buf;
  if (n >= LONG_UNITS && LITTLE_ENDIAN) {
    translateUnits(loadUnits(s), n, LOWER_RAW, buf);
  } else {
    for (let i = 0; i < n; i++) buf[i] = LOWER_RAW[s.charCodeAt(i)] as number;
  }
  writer.len = n;
  return writer.text();
}

/**
 * Whether `v` is `lowerRaw(s)` for a two-byte `s` (one with a character beyond Latin-1), without making it: the
 * scanner needs that answer for a long value it decoded, and the raw reading itself only when they are equal (a
 * table pass over 64 KB of units, 80–120 µs, saved for ordinary text, whose decoded form differs at its first curly
 * quote or letter of another script).
 */
export function equalsLowerRaw(v: string, s: string): boolean {
  const n = s.length;
  if (v.length !== n) return false;
  for (let i = 0; i < n; i++) if (v.charCodeAt(i) !== LOWER_RAW[s.charCodeAt(i)]) return false;
  return true;
}

/**
 * `out[i] = table[u[i]]` for the first `n` units: a function of its own with everything in parameters, so the loop
 * keeps them in registers (inline in `lowerRaw`, reading the table from the module scope, it ran about 15% slower).
 */
function translateUnits(u: Uint16Array, n: number, table: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < n; i++) out[i] = table[u[i] as number] as number;
}

/** A character beyond Latin-1 (V8 answers at once for a one-byte string). */
export const WIDE = /[\u0100-\uffff]/;
/**
 * Whether `s` has a character beyond ASCII: then its UTF-8 form is longer than it (a lone surrogate too, written as
 * three bytes). The runtime counts that length without reading the string a character at a time: 64 KB of ASCII in
 * 1.4–9 µs, where the search for such a character (`/[\u0080-\uffff]/`) took 95 µs; a chat line 42 ns against 106.
 */
export const hasNonAscii = (s: string): boolean => Buffer.byteLength(s, 'utf8') !== s.length;
