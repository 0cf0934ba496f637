import { describe, expect, it } from 'vitest';
import { createScanner } from '../../../src/policies/inspection/scan/index.js';

/**
 * Time must stay linear in the input: no detector may backtrack or rescan. Each adversarial 64 KB string is scanned
 * in well under the bound below on an idle machine (`npm run corpus -- --bench` prints the actual worst case); the
 * bound is generous so the test stays reliable on a loaded 2-core machine, yet a quadratic path (seconds) fails it.
 */
const BOUND_MS = 50;
const SIZE = 65_536;
const fill = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

const ADVERSARIAL: Record<string, string> = {
  "'<' × 65536": fill('<'),
  "'a' × 65535 + '<'": 'a'.repeat(SIZE - 1) + '<',
  "'%' × 65536": fill('%'),
  "'%25' repeated": fill('%25'),
  "'&#' repeated": fill('&#'),
  "'&#x3c;' repeated": fill('&#x3c;'),
  "'\\u003c' repeated": fill('\\u003c'),
  'nested quotes': fill('\'"`'),
  "' or ' repeated": fill("' or '"),
  "'/*' repeated": fill('/*'),
  "'/*a' repeated": fill('/*a'),
  "'../' repeated": fill('../'),
  "'..\\' repeated": fill('..\\'),
  "'<a on' repeated": fill('<a on'),
  "'javascript:' repeated": fill('javascript:'),
  "'union select ' repeated": fill('union select '),
  "'(' repeated": fill('('),
  "'$(' repeated": fill('$('),
  "'`' repeated": fill('`'),
  "'() {' repeated": fill('() {'),
  "'alert(' repeated": fill('alert('),
  "'__proto__[' repeated": fill('__proto__['),
  'fullwidth ＜ｓ repeated': fill('＜ｓ'),
  'one long word': 'x'.repeat(SIZE),
  'random printable ASCII': Array.from({ length: SIZE }, (_, i) => String.fromCharCode(32 + ((i * 7919) % 95))).join(''),
  // near misses of every escape, and the first characters of the literals the detectors search for
  "'%u' repeated": fill('%u'),
  "'\\x' repeated": fill('\\x'),
  "'+A' repeated": fill('+A'),
  "'&&' repeated": fill('&&'),
  "'|' repeated": fill('|'),
  "'....' repeated": fill('....'),
  "'-- ' repeated": fill('-- '),
  "'# ' repeated": fill('# '),
  "'x(x(' repeated": fill('x(x('),
  "'alert' then '(' × 65531": 'alert' + '('.repeat(SIZE - 5),
  "'o' × 65535 + '='": 'o'.repeat(SIZE - 1) + '=',
  "'<a onload=' repeated": fill('<a onload='),
  "'{$' repeated": fill('{$'),
  "'$ifs' repeated": fill('$ifs'),
  "'0x2f' repeated": fill('0x2f'),
  "'://' repeated": fill('://'),
  "'data:' repeated": fill('data:'),
  "'top[' repeated": fill('top['),
  // shapes that once cost a detector milliseconds (a search or a walk per tag, per =, per opening, per token)
  "'on=' repeated": fill('on='),
  "'<abc ' repeated": fill('<abc '),
  "'<a on=' repeated": fill('<a on='),
  "'<x><onabc=' repeated": fill('<x><onabc='),
  "'pt:' repeated": fill('pt:'),
  "'a$(' repeated": fill('a$('),
  "'a`b' repeated": fill('a`b'),
  "'eval(' repeated": fill('eval('),
  "'a=' repeated": fill('a='),
  "'a<' repeated": fill('a<'),
  'a quote then a backslash, repeated': fill("'\\"),
  "'a&' repeated": fill('a&'),
  'capitals between CJK': fill('A社'),
  'mathematical letters': fill('𝐬𝐞𝐥'),
  // UTF-7 near misses: each + read the base64 run to the unit beyond ASCII at its end (0.8 s), or a few digits each
  "'+AAAAAAA' repeated, then '////////'": '+AAAAAAA'.repeat(SIZE / 8 - 2) + '+AAAAAAA////////',
  "'+AB' repeated": fill('+AB'),
};

describe('worst case', () => {
  const scan = createScanner();
  for (const [name, text] of Object.entries(ADVERSARIAL)) {
    it(`scans ${name} (64 KB) in under ${BOUND_MS} ms`, () => {
      // warm: let the JIT compile the paths this input takes, as a long-running server has
      for (let round = 0; round < 5; round++) scan({ text });
      let best = Infinity;
      for (let round = 0; round < 3; round++) {
        const t0 = performance.now();
        scan({ text });
        best = Math.min(best, performance.now() - t0);
      }
      expect(best).toBeLessThan(BOUND_MS);
    });
  }

  it('scans a 64 KB payload of many short strings in under the bound', () => {
    const value = Array.from({ length: 4096 }, (_, i) => (i % 2 === 0 ? "x' or '1'='1" : '<b onclick=x>'));
    const many = createScanner({ maxFindings: 10_000 });
    for (let round = 0; round < 5; round++) many(value);
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      expect(many(value)).toHaveLength(4096);
      best = Math.min(best, performance.now() - t0);
    }
    expect(best).toBeLessThan(BOUND_MS * 2);
  });
});
