import { describe, expect, it } from 'vitest';
import { detectSqli } from '../../../src/policies/inspection/scan/sqli.js';
import { seededFraction as random } from '../../support/random.js';

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

/**
 * Strings of escapes and doubled quotes longer than a few dozen characters: a long value reads them one character at
 * a time after each escape (a search for each came to 2 ms on 64 KB), a short one hops from search to search. Runs
 * of plain characters of every length around the distance after which the long reading searches again.
 */
const STRING_PIECES = ["'", '"', "''", '""', '\\', "\\'", '\\"', '\\\\', ' or 1=1', ' -- ', ';', '1'];
describe('detectSqli reads long strings of escapes as short values do', () => {
  it('a value and the value with spaces after it to past 1 KB', () => {
    const next = random(20240611);
    let found = 0;
    for (let n = 0; n < 3000; n++) {
      let v = '';
      for (let parts = 1 + Math.floor(next() * 60); parts > 0; parts--) {
        v += next() < 0.3 ? 'x'.repeat(Math.floor(next() * 70)) : (STRING_PIECES[Math.floor(next() * STRING_PIECES.length)] as string);
      }
      const short = detect(v);
      if (short !== null) found++;
      expect(detect(v + ' '.repeat(1100)), JSON.stringify(v)).toBe(short);
    }
    expect(found).toBeGreaterThan(300);
  });
});

describe('bracket groups of any length', () => {
  // char(…)+char(…) needs the end of the first group: its length crosses the point where groups are looked up in a
  // table rather than scanned, with brackets before it that never close or close nothing.
  it('finds the end of a group however many tokens it holds', () => {
    for (let m = 1; m < 80; m++) {
      const args = '1,'.repeat(m) + '(2),';
      for (const before of ['', '((( ', ')) ', 'x(y) ']) {
        const v = `${before}char(${args}3)+char(4)`;
        expect(detect(v), v).toBe('sqli.error-function');
        expect(detect(v.replace('3)+', '3+')), v).not.toBe('sqli.error-function'); // the group never closes
      }
    }
  });
});

/** 64 KB of one unit, as the scanner gives the detector a value (lower case). */
const fill = (unit: string): string => unit.repeat(Math.ceil(65536 / unit.length)).slice(0, 65536);

describe('detectSqli stays linear', () => {
  // Each of these once cost a detector 0.2-4 s: a group scanned to the end of the value at every `(` (char(1, ;if(,
  // `or` then brackets), a set of names hashed at every call; or ms: a search for every quote and escape.
  it.each([fill('char(1'), fill(';if('), 'or ' + fill('('), fill('char('), fill("'\\"), fill('""'), fill('a='), fill('#\n')])(
    'a 64 KB value in well under 50 ms (%#)',
    (v) => {
      // warm, as a long-running server is, then the best of three
      for (let round = 0; round < 5; round++) detect(v);
      let best = Infinity;
      for (let round = 0; round < 3; round++) {
        const start = performance.now();
        detect(v);
        best = Math.min(best, performance.now() - start);
      }
      expect(best).toBeLessThan(50);
    },
  );
});
