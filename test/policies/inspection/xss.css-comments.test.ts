import { describe, expect, it } from 'vitest';
import { T_CALL, T_EQUALS } from '../../../src/policies/inspection/scan/triggers.js';
import { detectXss } from '../../../src/policies/inspection/scan/xss.js';
import { seededRandom } from '../../support/random.js';

/**
 * CSS code (`expression(`, `-moz-binding`, `behavior:`) is looked for with the comments taken out (exp/**\/ression).
 * Where taking them out cannot join code, the detector reads the value itself and passes over what is inside them,
 * and `behavior:` comes from the walk over the colons made for URLs. Checked against the plain reading (every comment
 * taken out first, then every word looked at) on random values of those words, pieces of them, comments, spaces,
 * colons and what may stand before and after `expression`: values long enough for the searches to hop, and short
 * ones.
 */

/** Every /* … *\/ taken out, a comment never closed taking the rest. */
function withoutComments(v: string): string {
  let out = '';
  let from = 0;
  for (let i = v.indexOf('/*'); i >= 0; i = v.indexOf('/*', from)) {
    out += v.slice(from, i);
    const close = v.indexOf('*/', i + 2);
    if (close < 0) return out;
    from = close + 2;
  }
  return out + v.slice(from);
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

/** The CSS rule, read the plain way. */
function cssReference(v: string): boolean {
  const w = withoutComments(v);
  const words = /(?:expression|-moz-binding|behavior)/g;
  while (words.test(w)) {
    const end = words.lastIndex;
    const last = w.charCodeAt(end - 1);
    if (last === 103) return true;
    words.lastIndex = end - (last === 110 ? 9 : 7);
    let j = end;
    while (isSpace(w.charCodeAt(j))) j++;
    if (last === 114) {
      if (w.charCodeAt(j) === 58) return true;
      continue;
    }
    if (w.charCodeAt(j) !== 40) continue;
    let k = end - 11;
    while (k >= 0 && isSpace(w.charCodeAt(k))) k--;
    const c = w.charCodeAt(k);
    if (c === 58 || c === 61 || c === 34 || c === 39 || c === 123) return true;
  }
  return false;
}

/** No piece makes a URL, a tag, a handler or a script sink: the CSS rule is the only one these values can meet. */
const PIECES = [
  'expression', 'expres', 'sion', 'ex', 'pression', '-moz-binding', '-moz', '-binding', 'behavior', 'beha', 'vior',
  '(', ' (', ':', '=', '"', "'", '{', '}', ' ', '  ', '\n', '\t', '/*', '*/', '/**/', '/* x */', '*', '/', 'x', 'z', 'r',
  'behavior:', 'behavior :', ':expression(', '{ expression (', ' /**/ ', 'width: 1px;', 'a', '-',
];
const FILLERS = ['a', ' ', 'hello ', 'x', '.', '-', 'p', 'r ', ':', '*', 'zx'];

function value(random: (n: number) => number): string {
  const length = (random(4) === 0 ? 8 : 140) + random(random(4) === 0 ? 3000 : 400);
  const some = Array.from({ length: 1 + random(8) }, () => PIECES[random(PIECES.length)] as string);
  const filler = FILLERS[random(FILLERS.length)] as string;
  const sparse = [1, 2, 4, 10, 40][random(5)] as number;
  let v = '';
  while (v.length < length) v += random(sparse) === 0 ? filler.repeat(1 + random(random(2) === 0 ? 4 : 60)) : (some[random(some.length)] as string);
  return v;
}

describe('CSS code across comments', () => {
  it('is found exactly where the plain reading finds it', () => {
    const random = seededRandom(11);
    let found = 0;
    for (let k = 0; k < 6000; k++) {
      const v = value(random);
      const expected = cssReference(v);
      if (expected) found++;
      expect({ v, rule: detectXss(v, T_CALL | T_EQUALS) }).toEqual({ v, rule: expected ? 'xss.css-expression' : null });
    }
    // the values are not all of one kind
    expect(found).toBeGreaterThan(600);
    expect(found).toBeLessThan(5400);
  });
});
