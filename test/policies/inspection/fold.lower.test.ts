import { describe, expect, it } from 'vitest';
import { fold, foldKeptLowerRaw, foldWroteNoCapital, hasNonAscii, LOWER_DIFFERS, lowerRaw } from '../../../src/policies/inspection/scan/fold.js';
import { T_CONTROL, T_DROPPED, triggerMask } from '../../../src/policies/inspection/scan/triggers.js';

/**
 * A long one-byte value lower-cased (`canonical`, fold.ts) is made by the runtime's `toLowerCase` with the few
 * characters that must differ written over it, and those the fold drops (NUL, other controls, the soft hyphen) taken
 * out, the runs after each moving back. Held here to the fold of each character on its own, which a one-byte value
 * allows (no character of it folds with its neighbour).
 */

const byCharacter = (s: string): string => Array.from(s, (ch) => fold(ch, true)).join('');

describe('the lower-cased fold of a long one-byte value', () => {
  const text = 'Select the BEST option, O\u2019Reilly said: a < b && c > d; see /etc/hosts. '.replace('\u2019', "'");
  const long = text.repeat(20); // 1,400 characters, past the length where the in-place path starts
  // dropped (controls, DEL, soft hyphen), written over (Latin-1 capitals, a no-break space), several bytes (¼)
  const specials = ['\0', '\x01', '\x1f', '\x7f', '\x85', '\u00ad', 'É', 'Þ', '\u00a0', '\u00bc'];

  it('matches the fold character by character with sparse characters to drop or replace anywhere', () => {
    for (const special of specials) {
      for (const at of [0, 1, 300, 301, long.length - 1, long.length]) {
        const s = long.slice(0, at) + special + long.slice(at);
        expect(fold(s, true), `${JSON.stringify(special)} at ${at}`).toBe(byCharacter(s));
      }
    }
  });

  it('matches it with several dropped characters, side by side and far apart, and with them dense', () => {
    const cases = [
      '\0\0' + long + '\0',
      long.slice(0, 500) + '\0\x01\x02' + long.slice(500, 900) + '\u00ad' + long.slice(900) + '\x7f',
      long.slice(0, 600) + '\0x\0' + long.slice(600, 700) + '\0É\x01' + long.slice(700),
      long.replace(/ /g, (_, i: number) => (i % 97 === 0 ? '\0' : ' ')),
      long.replace(/e/g, '\0'),
      'A\0'.repeat(400),
      '\0'.repeat(400),
    ];
    for (const s of cases) expect(fold(s, true), JSON.stringify(s.slice(0, 40))).toBe(byCharacter(s));
    expect(fold('\0'.repeat(400), true)).toBe('');
  });
});

describe('the trigger bit for what the fold drops', () => {
  // The scanner lower-cases a decoded ASCII value with toLowerCase when its mask has no T_DROPPED: the bit has to
  // mark every ASCII character whose lower-cased fold differs from the runtime's, and only those.
  it('is set by exactly the ASCII characters whose lower-cased fold differs from toLowerCase, always with T_CONTROL', () => {
    for (let c = 0; c < 128; c++) {
      const ch = String.fromCharCode(c);
      for (const s of [ch, `a${ch}b`, `a b c ${ch} d e f`.repeat(300)]) {
        const mask = triggerMask(s);
        expect((mask & T_DROPPED) !== 0, `${c} in ${s.length} characters`).toBe(LOWER_DIFFERS[c] !== 0);
        if ((mask & T_DROPPED) !== 0) expect(mask & T_CONTROL).toBe(T_CONTROL);
      }
    }
  });
});

describe('what the fold of a short value knows', () => {
  // The scanner takes a short value's raw reading from its fold lower-cased when the fold kept what lowerRaw writes
  // and wrote no Latin-1 capital, and lower-cases its decoded form with toLowerCase when it wrote no capital.
  const pieces = ['при', 'вет', 'Ж', 'É', 'é', 'Þ', 'ß', '×', 'µ', '’', '“', '…', '—', '«', '»', '&#39;', 'ﬁ', '\u200b',
    '\u00ad', '𝐀', '😀', 'A', 'z', ' ', "'", '<', 'Ｅ', '\u212b', 'ǅ', '\0', '社'];
  it('says it kept lowerRaw and wrote no capital only when that is so', () => {
    let kept = 0;
    let noCapital = 0;
    for (let t = 0; t < 20_000; t++) {
      let s = '';
      for (let k = (t % 7) + 1; k > 0; k--) s += pieces[(t * 7919 + k * 104729) % pieces.length] as string;
      const folded = fold(s, false);
      const none = foldWroteNoCapital();
      const same = foldKeptLowerRaw();
      if (none) {
        noCapital++;
        expect(/[\u00c0-\u00d6\u00d8-\u00de]/.test(folded), JSON.stringify(s)).toBe(false);
      }
      if (same && none) {
        kept++;
        expect(folded.toLowerCase(), JSON.stringify(s)).toBe(lowerRaw(s));
      }
    }
    // both answers are given for most of these values (the fold changes something in nearly all of them)
    expect(kept).toBeGreaterThan(2_000);
    expect(noCapital).toBeGreaterThan(10_000);
  });
});

describe('hasNonAscii', () => {
  it('says whether a value has a character beyond ASCII, lone surrogates and one-byte strings included', () => {
    const units = [0, 9, 65, 127, 128, 0xe9, 0xff, 0x100, 0x2019, 0xd83d, 0xde00, 0xfeff, 0xffff];
    for (let t = 0; t < 5_000; t++) {
      const codes = Array.from({ length: t % 40 }, (_, k) => (k === (t >> 3) % 40 ? (units[t % units.length] as number) : 32 + ((t * 31 + k * 7) % 95)));
      const s = String.fromCharCode(...codes);
      expect(hasNonAscii(s), JSON.stringify(s)).toBe(/[\u0080-\uffff]/.test(s));
    }
    expect(hasNonAscii('a'.repeat(70_000))).toBe(false);
    expect(hasNonAscii('a'.repeat(70_000) + 'é')).toBe(true);
  });
});
