/**
 * The canonical text the detectors read, built in one pass over a byte buffer:
 *
 * - compatibility forms become the ASCII they stand for, as NFKC makes them (`％３Ｃ` is `%3C`, `ﬁ` is `fi`, `𝐬` is
 *   `s`), and so do a few best-fit mappings of Windows code pages (`∕` is `/`, curly quotes are quotes);
 * - characters that render as nothing (zero-width, bidirectional controls, C0/C1 controls other than whitespace) are
 *   dropped, so they cannot split a keyword;
 * - ASCII letters are lower-cased (`lower`);
 * - every other character beyond Latin-1 becomes one placeholder, `À` (U+00C0).
 *
 * The result is always a one-byte string. The detectors only ever compare ASCII, and treat every character beyond
 * Latin-1 alike (a letter of a word, never a space, quote or operator), so the placeholder changes no finding; in
 * exchange, a 64 KB value in any script costs a copy in the young generation instead of a large-object allocation,
 * and no ICU call (`normalize` and `toLowerCase` on such text run at several ns per character). NFKC is computed
 * once per character at load, by the runtime's own `normalize`, over the blocks that hold every character whose
 * compatibility form contains ASCII (a test checks the blocks against the whole of Unicode).
 */

import { BEST_FIT } from './triggers.js';

/** Every other character beyond Latin-1. */
export const PLACEHOLDER = 0xc0;

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
  /** A Buffer over the same memory, for the conversion to a string. */
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
}

/** Room the replacement path keeps ahead of the rest of the input: more than the longest replacement. */
const AHEAD = 64;

/** Fold `s[from, to)` (see `fold`) onto the end of `w`. */
export function foldInto(s: string, from: number, to: number, lower: boolean, w: ByteWriter): void {
  w.reserve(to - from + AHEAD);
  let b = w.buf;
  let j = w.len;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      if (KIND[c] === DROP) continue;
      b[j++] = lower && c >= 65 && c <= 90 ? c + 32 : c;
      continue;
    }
    const kind = KIND[c] as number;
    if (kind === KEEP) {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          const bytes = ASTRAL.get(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
          i++;
          if (bytes === undefined) {
            b[j++] = PLACEHOLDER;
            continue;
          }
          for (const x of bytes) b[j++] = lower && x >= 65 && x <= 90 ? x + 32 : x;
        } else {
          b[j++] = PLACEHOLDER;
          continue;
        }
      } else {
        b[j++] = c < 256 ? c : PLACEHOLDER;
        continue;
      }
    } else if (kind === DROP) {
      continue;
    } else {
      const start = OFFSET[c] as number;
      const end = start + (LENGTH[c] as number);
      for (let k = start; k < end; k++) {
        const x = POOL[k] as number;
        b[j++] = lower && x >= 65 && x <= 90 ? x + 32 : x;
      }
    }
    // a replacement may be longer than what it replaces: keep room for the rest
    if (j + (to - i) + AHEAD > b.length) {
      w.len = j;
      w.reserve(to - i + AHEAD);
      b = w.buf;
    }
  }
  w.len = j;
}

/** Characters `fold` changes (with capitals: when lower-casing), from the table: one scan tells whether to fold. */
function changedClass(lower: boolean): RegExp {
  let set = '';
  for (let c = 0; c < 256; c++) if (KIND[c] !== KEEP) set += `\\x${c.toString(16).padStart(2, '0')}`;
  return new RegExp(`[${set}\\u0100-\\uffff${lower ? 'A-Z' : ''}]`);
}
const FOLDS = changedClass(false);
const FOLDS_LOWER = changedClass(true);

const writer = new ByteWriter();

/**
 * `s` folded: compatibility forms to ASCII, invisible characters dropped, anything else beyond Latin-1 as the
 * placeholder, ASCII letters lower-cased when `lower`. Always a one-byte string; `s` itself when nothing changes.
 */
export function fold(s: string, lower: boolean): string {
  if (!(lower ? FOLDS_LOWER : FOLDS).test(s)) return s;
  writer.len = 0;
  foldInto(s, 0, s.length, lower, writer);
  return writer.text();
}

/**
 * `s` lower-cased for the detectors without folding: ASCII letters lower-cased, anything beyond Latin-1 as the
 * placeholder (a one-byte string). The native `toLowerCase` does this for a one-byte string at memory speed; on any
 * other it calls ICU, which costs several ns per character.
 */
export function lowerRaw(s: string): string {
  if (!WIDE.test(s)) return s.toLowerCase();
  const n = s.length;
  writer.len = 0;
  writer.reserve(n);
  const buf = writer.buf;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    buf[i] = c >= 256 ? PLACEHOLDER : c >= 65 && c <= 90 ? c + 32 : c;
  }
  writer.len = n;
  return writer.text();
}

/** A character beyond Latin-1 (V8 answers at once for a one-byte string). */
export const WIDE = /[\u0100-\uffff]/;
/** A character beyond ASCII. */
export const NON_ASCII = /[\u0080-\uffff]/;
