/**
 * Base64 as attackers use it: a whole value (`Li4vLi4vZXRjL3Bhc3N3ZA==` is ../../etc/passwd) or the body of a
 * `data:…;base64,` URL. Decoding is linear and only kept when the result is mostly printable text, so random tokens
 * (ids, hashes) decode to nothing the detectors read.
 */

import { ByteWriter } from './fold.js';

const VALUE = new Int8Array(128).fill(-1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < 64; i++) VALUE[ALPHABET.charCodeAt(i)] = i;
VALUE[45] = 62; // - (URL-safe)
VALUE[95] = 63; // _

const MIN_LENGTH = 12;

/**
 * The decoded bytes, in a writer reused from call to call (grown to the longest run decoded, at most three quarters
 * of `maxStringLength`), made a string in one step: appending a character per byte built a chain of string pieces
 * that every detector then had to flatten (half the time of a 64 KB value that is base64).
 */
const out = new ByteWriter();

/** Decode the base64 run starting at `from` (whitespace inside skipped), or null when it is not printable text. */
export function decodeBase64Run(s: string, from: number): string | null {
  out.len = 0;
  out.reserve(((s.length - from) >> 2) * 3 + 3);
  const length = readRun(s, from, out.buf);
  if (runDigits < MIN_LENGTH || length === 0 || runPrintable < length * 0.9) return null;
  out.len = length;
  return out.text();
}

/*
 * The loops below are alone in functions that return right after them: a 64 KB value has the compiler compile a loop
 * in its middle (on-stack replacement), and code after the loop that had never run then left that compiled code at
 * every call (measured: a deoptimization per value). What they find besides their result goes in these variables.
 */
/** Base64 digits and printable bytes `readRun` read. */
let runDigits = 0;
let runPrintable = 0;

/** The run from `from` decoded into `bytes`; returns how many bytes. */
function readRun(s: string, from: number, bytes: Uint8Array): number {
  let acc = 0;
  let bits = 0;
  let length = 0;
  let printable = 0;
  let count = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 61 /* = */) break;
    if (c === 32 || c === 10 || c === 13 || c === 9) continue;
    const v = c < 128 ? (VALUE[c] ?? -1) : -1;
    if (v < 0) break;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    count++;
    if (bits >= 8) {
      bits -= 8;
      const byte = (acc >> bits) & 0xff;
      bytes[length++] = byte;
      if ((byte >= 32 && byte < 127) || byte === 9 || byte === 10 || byte === 13) printable++;
    }
  }
  runDigits = count;
  runPrintable = printable;
  return length;
}

/** The value decoded when the whole value is base64 (at least 12 characters, nothing else), or null. */
export function decodeBase64Value(s: string): string | null {
  const t = s.trim();
  if (t.length < MIN_LENGTH || t.length % 4 === 1) return null;
  const end = paddingStart(t);
  if (t.length - end > 2 || !allDigits(t, end)) return null;
  return decodeBase64Run(t, 0);
}

/** Where the = padding at the end of `t` starts. */
function paddingStart(t: string): number {
  let end = t.length;
  while (end > 0 && t.charCodeAt(end - 1) === 61) end--;
  return end;
}

/** Whether `t[0, end)` is all base64 digits. */
function allDigits(t: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 128 || (VALUE[c] ?? -1) < 0) return false;
  }
  return true;
}
