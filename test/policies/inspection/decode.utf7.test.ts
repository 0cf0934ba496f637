import { describe, expect, it } from 'vitest';
import { decodeAll, LONG } from '../../../src/policies/inspection/scan/decode.js';
import { seededRandom } from '../../support/random.js';

/**
 * UTF-7 runs (+ADw-) in the decoder: the check of a run remembers, for each alignment, where it met a unit beyond
 * ASCII, so a later `+` inside the same stretch of base64 digits is not read to that unit again. Checked against the
 * plain reading (every `+` read from scratch), and for its cost on the value that made it necessary.
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One round of UTF-7 decoding as the decoder's documentation states it, each `+` read from scratch. */
function plainRound(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '+') {
      let j = i + 1;
      let bits = 0;
      let acc = 0;
      const units: number[] = [];
      let ascii = true;
      for (; j < s.length && B64.includes(s[j] as string); j++) {
        acc = (acc << 6) | B64.indexOf(s[j] as string);
        bits += 6;
        if (bits >= 16) {
          bits -= 16;
          const unit = (acc >> bits) & 0xffff;
          if (unit >= 128) {
            ascii = false;
            break;
          }
          units.push(unit);
        }
        acc &= (1 << bits) - 1;
      }
      if (ascii && units.length > 0 && j - i >= 3) {
        out += String.fromCharCode(...units);
        i = s[j] === '-' ? j + 1 : j;
        continue;
      }
    }
    out += s.charAt(i);
    i++;
  }
  return out;
}

function plainDecode(s: string): string {
  let current = s;
  for (let round = 0; round < (s.length > LONG ? 2 : 4); round++) {
    const next = plainRound(current);
    if (next === current) break;
    current = next;
  }
  return current;
}

describe('UTF-7 runs', () => {
  it('decode as the plain reading does, however many + share a stretch of base64 digits', () => {
    const random = seededRandom(7);
    // digits that make units in and beyond ASCII, + of every alignment, and run ends
    const pieces = ['+', '+A', '+AA', '+AAAAAAA', 'A', 'B', 'H', 'w', '/', '//', '-', 'x', ' ', 'AGE', 'ADw'];
    for (let k = 0; k < 3000; k++) {
      const count = k % 100 === 0 ? 2000 : 1 + random(40);
      let s = '';
      for (let p = 0; p < count; p++) s += pieces[random(pieces.length)] as string;
      expect(decodeAll(s), s).toBe(plainDecode(s));
    }
  });

  it('read a stretch of base64 digits with a + every 8 of them, failing only at its end, in linear time', () => {
    // each + read the run to the unit beyond ASCII at its end: 64 KB took 0.8 s
    const text = '+AAAAAAA'.repeat(8190) + '+AAAAAAA////////';
    for (let round = 0; round < 3; round++) decodeAll(text);
    const t0 = performance.now();
    expect(decodeAll(text)).toBe(text);
    expect(performance.now() - t0).toBeLessThan(50);
  });
});
