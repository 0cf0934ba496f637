import { describe, expect, it } from 'vitest';
import { detectSqli } from '../../../src/policies/inspection/scan/sqli.js';

/**
 * The SQL tokenizer's keyword lookup (a word's hash picks the one slot its keyword could be in, then the characters
 * are compared): keywords are found whatever their length or class, and a word that only shares a keyword's hash and
 * length, or holds a keyword inside it, is a plain word. Verdicts recorded from the detector as it stands.
 */
const quotes = (v: string): number => (v.includes("'") ? 1 : 0) | (v.includes('"') ? 2 : 0);
const detect = (v: string): string | null => detectSqli(v, quotes(v));

/** The hash the tokenizer computes for a word. */
const hashOf = (w: string): number => {
  let h = 0;
  for (let i = 0; i < w.length; i++) h = (Math.imul(h, 31) + w.charCodeAt(i)) | 0;
  return h;
};
const isWordChar = (c: number): boolean => /[a-z0-9_$A-Z]/.test(String.fromCharCode(c));
/** Another word of the same length and hash: one character up, the next 31 down (an upper-case letter, for a word). */
function collision(word: string): string {
  for (let p = word.length - 2; p >= 0; p--) {
    const a = word.charCodeAt(p) + 1;
    const b = word.charCodeAt(p + 1) - 31;
    if (isWordChar(a) && isWordChar(b)) return word.slice(0, p) + String.fromCharCode(a, b) + word.slice(p + 2);
  }
  throw new Error(`no collision for ${word}`);
}

describe('detectSqli keyword lookup', () => {
  it('finds keywords of every length and class', () => {
    expect(detect('1 union select 1')).toBe('sqli.union-select');
    expect(detect("1' or 1=1 -- ")).toBe('sqli.tautology');
    expect(detect('x information_schema.tables')).toBe('sqli.system-object');
    expect(detect('x sp_executesql')).toBe('sqli.system-object');
    expect(detect('x v$version')).toBe('sqli.system-object');
    expect(detect('x multilinestring(1)')).toBe('sqli.error-function');
    expect(detect('1 and sleep(5)')).toBe('sqli.time-delay');
    expect(detect("1' and md5(1) = 1 -- ")).toBe('sqli.tautology');
    expect(detect('1; drop table users')).toBe('sqli.stacked-query');
  });

  it('reads a word with a keyword hash and length, but other characters, as a plain word', () => {
    for (const [keyword, value] of [
      ['union', (w: string) => `1 ${w} select 1`],
      ['select', (w: string) => `1 union ${w} 1`],
      ['sleep', (w: string) => `1 and ${w}(5)`],
      ['information_schema', (w: string) => `x ${w}.tables`],
      ['sp_executesql', (w: string) => `x ${w}`],
    ] as const) {
      const other = collision(keyword);
      expect(other).not.toBe(keyword);
      expect(other.length).toBe(keyword.length);
      expect(hashOf(other)).toBe(hashOf(keyword));
      expect(detect(value(keyword)), keyword).not.toBeNull();
      expect(detect(value(other)), other).toBeNull();
    }
  });

  it('reads a word that holds a keyword as a plain word', () => {
    expect(detect('1 unions select 1')).toBeNull();
    expect(detect('1 xunion select 1')).toBeNull();
    expect(detect('1 union selects 1')).toBeNull();
    expect(detect('x information_schemas.tables')).toBeNull();
    expect(detect('1 and sleeper(5)')).toBeNull();
  });
});
