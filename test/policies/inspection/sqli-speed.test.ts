import { describe, expect, it } from 'vitest';
import { detectSqli } from '../../../src/policies/inspection/scan/sqli.js';

/**
 * From 1 KB on, the SQL tokenizer reads a copy of the value's code units in a loop of its own. Spaces make no token,
 * so a value and the same value with spaces after it to past that length read alike: the same verdict, one read by
 * the string loop, the other by the units loop. Seeded random values over SQL's characters (quotes, escapes, comments,
 * operators, numbers, keywords) compare the two.
 */
const quotes = (v: string): number => (v.includes("'") ? 1 : 0) | (v.includes('"') ? 2 : 0);
const detect = (v: string): string | null => detectSqli(v, quotes(v));

const PIECES = [
  "'", '"', '`', '\\', "\\'", '\\"', "''", '\\\\', ' ', '  ', '\n', '(', ')', ',', ';', '.', '@', '@@', '#', '-- ', '--', '/*', '*/', '/*!50000',
  '=', '==', '<', '<=>', '<>', '>=', '>>', '!', '!=', '&&', '||', '&', '|', '+', '-', '*', '/', '%', '^', '~',
  '1', '0x1f', '0b1', '1.5e3', '.5', '42', 'a', 'x', 'admin', 'on', 'or', 'and', 'not', 'union', 'select', 'all',
  'from', 'users', 'where', 'sleep', 'char', 'concat', 'version', 'information_schema', 'drop', 'table', 'into',
  'outfile', 'order', 'by', 'like', 'null', 'waitfor', 'delay', 'exec', 'xp_cmdshell', 'é', '＜',
];

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('detectSqli on long values reads as on short ones', () => {
  it('a value and the value with spaces after it to past 1 KB', () => {
    const next = random(20240607);
    let found = 0;
    for (let n = 0; n < 4000; n++) {
      let v = '';
      for (let parts = 1 + Math.floor(next() * 24); parts > 0; parts--) v += PIECES[Math.floor(next() * PIECES.length)] as string;
      const short = detect(v);
      if (short !== null) found++;
      expect(detect(v + ' '.repeat(1100)), JSON.stringify(v)).toBe(short);
    }
    // the values reach the rules, not only the tokenizer
    expect(found).toBeGreaterThan(400);
  });
});
