import { describe, expect, it } from 'vitest';
import { fold, foldWroteNoCapital } from '../../../src/policies/inspection/scan/fold.js';

/**
 * A long value dense with characters to fold is folded by the loop over its units (fold.ts), which marks the units
 * that write a Latin-1 capital as slow: it knows, as the sparse path does, whether it wrote one, and the scanner then
 * lower-cases the fold with `toLowerCase` instead of `canonical`.
 */

const CAPITAL = /[\u00c0-\u00d6\u00d8-\u00de]/;

describe('the dense fold', () => {
  it('knows when it wrote no Latin-1 capital, and is then lower-cased by toLowerCase as by the fold', () => {
    const fills = ['ｓ&', '’%', 'x＜', '＜ｓ', '社A'];
    // capitals kept (É, Þ, À), and what writes none (small letters, fullwidth capitals, a ligature, a dropped
    // character, an astral letter, the Angstrom sign: its NFKC Å holds no ASCII, so it is the placeholder)
    const withCapital = ['É', 'Þ', 'xÀy'];
    const without = ['', 'é ß ÿ', 'Ｅ', 'ﬁ', '\u200b', '𝐀', '×', '\u212b'];
    let known = 0;
    for (const unit of fills) {
      const dense = unit.repeat(4000);
      for (const at of [0, 700, 5000, dense.length]) {
        for (const extra of [...withCapital, ...without]) {
          const s = dense.slice(0, at) + extra + dense.slice(at);
          const folded = fold(s, false);
          const none = foldWroteNoCapital();
          expect(none, `${unit} ${JSON.stringify(extra)} at ${at}`).toBe(!CAPITAL.test(folded));
          if (!none) continue;
          known++;
          expect(folded.toLowerCase(), `${unit} ${JSON.stringify(extra)} at ${at}`).toBe(fold(folded, true));
        }
      }
    }
    // every value without a capital is known, whether its start is folded by the sparse path or not
    expect(known).toBe(fills.length * 4 * without.length);
  });
});
