import { describe, expect, it } from 'vitest';
import { Hopper, type Neighbour } from '../../../src/policies/inspection/scan/literal.js';
import { seededRandom } from '../../support/random.js';

/**
 * A Hopper finds exactly the matches the engine's search finds, in the same order and with the same ends, whether it
 * hops (few of its characters) or hands over to the engine (many of them, or a short value). Checked against the plain
 * global search on random values made of the characters that matter, sparse and dense, for searches shaped like the
 * detectors' (a character of its own at the start, after a fixed lead, after a variable one, one of two characters,
 * with a neighbour looked at before the try).
 */

/** Every match end of the global `re` in `v`, searched from the end of the last one. */
function engineEnds(re: RegExp, v: string): number[] {
  const ends: number[] = [];
  re.lastIndex = 0;
  while (re.test(v)) ends.push(re.lastIndex);
  return ends;
}

/** Every match end a hopper finds in `v`, searched from the end of the last one. */
function hopperEnds(h: Hopper, v: string): number[] {
  const ends: number[] = [];
  for (let end = h.first(v, 0); end >= 0; end = h.next(v, end)) ends.push(end);
  return ends;
}

const CASES: Array<{ name: string; re: RegExp; at: RegExp; chars: string; lead: number; pieces: string[]; neighbour?: Neighbour }> = [
  { name: 'a tag start', re: /<[/%!?]{0,3}[a-z]/g, at: /<[/%!?]{0,3}[a-z]/y, chars: '<', lead: 0, pieces: ['<', '</', '<!', '<a', '<%%%b', ' '] },
  {
    name: 'a [ after a name',
    re: /[pfs]\[(?<=(?:top|self|frames)\[)/g,
    at: /\[(?<=(?:top|self|frames)\[)/y,
    chars: '[',
    lead: 1,
    pieces: ['[', 'top[', 'self[', 'myself[', 'frames[', '[[', 'x'],
  },
  {
    name: 'a ( after a name and spaces, or %x',
    re: /[ln \t]\((?<=(?:eval|run)[ \t]*\()|%x[ \t]*\(/g,
    at: /\((?<=(?:eval|run)[ \t]*\(|%x[ \t]*\()/y,
    chars: '(',
    lead: 1,
    pieces: ['(', 'eval(', 'run (', '%x(', '%x  (', '((', ' ', 'n'],
  },
  {
    name: 'a / or a - that starts a word',
    re: /\/(?:dev\/tcp\/|(?<=mkfifo \/)tmp\/)|-(?:e cmd|(?<=certutil -)urlcache)/g,
    at: /\/(?:dev\/tcp\/|(?<=mkfifo \/)tmp\/)|-(?:e cmd|(?<=certutil -)urlcache)/y,
    chars: '/-',
    lead: 0,
    pieces: ['/', '-', '/dev/tcp/', 'mkfifo /tmp/', '-e cmd', 'certutil -urlcache', '--', 'e '],
  },
  {
    name: 'a / or a - with the character after it looked at first',
    re: /\/(?:dev\/tcp\/|(?<=mkfifo \/)tmp\/)|-(?:e cmd|(?<=certutil -)urlcache)/g,
    at: /\/(?:dev\/tcp\/|(?<=mkfifo \/)tmp\/)|-(?:e cmd|(?<=certutil -)urlcache)/y,
    chars: '/-',
    lead: 0,
    neighbour: { offset: 1, chars: 'dteu' },
    pieces: ['/', '-', '/dev/tcp/', 'mkfifo /tmp/', '-e cmd', 'certutil -urlcache', '--', 'e ', '/d', '-u', '-e'],
  },
  {
    name: 'a ( with the letter before it looked at first',
    re: /[ln \t]\((?<=(?:eval|run)[ \t]*\()|%x[ \t]*\(/g,
    at: /\((?<=(?:eval|run)[ \t]*\(|%x[ \t]*\()/y,
    chars: '(',
    lead: 1,
    neighbour: { offset: -1, chars: 'lnx \t' },
    pieces: ['(', 'eval(', 'run (', '%x(', '%x  (', '((', ' ', 'n', 'l(', 'x('],
  },
  {
    name: 'two words from their own letters, at different leads',
    re: /(?:expression|-moz-binding)/g,
    at: /(?:x(?<=ex)pression|z(?<=-moz)-binding)/y,
    chars: 'xz',
    lead: 1,
    neighbour: { offset: 1, chars: 'p-' },
    pieces: ['expression', '-moz-binding', 'ex', 'x', 'z', '-moz', 'xp', 'z-', 'expressio', 'e'],
  },
  {
    name: 'a word and a colon after spaces, from the colon',
    re: /(?:behavior)[ \t\n\f\r]*:/g,
    at: /:(?<=behavior[ \t\n\f\r]*:)/y,
    chars: ':',
    lead: 8,
    neighbour: { offset: -1, chars: 'r \t\n\f\r' },
    pieces: ['behavior', ':', ' ', 'behavior :', 'r:', 'behavio', '::'],
  },
];

/** A random value of `pieces`, each run of filler up to `gap` characters long (long gaps make the hopper hop). */
function value(pieces: string[], gap: number, random: (n: number) => number): string {
  let v = '';
  const length = 1 + random(4000);
  while (v.length < length) {
    v += random(2) === 0 ? (pieces[random(pieces.length)] as string) : 'x'.repeat(random(gap));
  }
  return v;
}

describe('Hopper', () => {
  for (const c of CASES) {
    it(`finds what the engine finds: ${c.name}`, () => {
      const random = seededRandom(7);
      const hopper = new Hopper(c.re, c.at, c.chars, c.lead, c.neighbour);
      for (let k = 0; k < 2000; k++) {
        const v = value(c.pieces, [4, 100, 1000][k % 3] as number, random);
        expect(hopperEnds(hopper, v)).toEqual(engineEnds(c.re, v));
      }
    });
  }
});
