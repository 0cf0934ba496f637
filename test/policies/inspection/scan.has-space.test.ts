import { describe, expect, it } from 'vitest';
import { hasSpace } from '../../../src/policies/inspection/scan/scanner.js';
import { triggerMask } from '../../../src/policies/inspection/scan/triggers.js';

/**
 * The scanner asks whether a value has white space (its form and base64 readings depend on it) by searching for the
 * space and the tab, and for the rest only where the value's trigger mask or UTF-8 length says one may be: it must
 * answer as `/\s/` does, for every character `\s` matches in this runtime.
 */
describe('hasSpace', () => {
  it('answers as /\\s/ for every code unit, alone and inside a long value', () => {
    const long = 'x+AB%41='.repeat(200);
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      for (const s of [ch, long + ch + long]) {
        if (hasSpace(s, triggerMask(s)) !== /\s/.test(s)) expect.fail(`U+${c.toString(16)} in ${s.length} characters`);
      }
    }
  });

  it('answers as /\\s/ for values with no white space, or with it anywhere', () => {
    for (const s of ['', 'abc', '+AB'.repeat(30_000), 'a b', 'a\tb', `${'%41'.repeat(9_000)}\r`, '\u3000x', 'x\u00a0']) {
      expect(hasSpace(s, triggerMask(s)), JSON.stringify(s.slice(0, 20))).toBe(/\s/.test(s));
    }
  });
});
