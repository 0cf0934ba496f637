import { describe, expect, it } from 'vitest';
import { scanPayload } from '../../../src/policies/inspection/scan/index.js';

/**
 * The XSS detector reads a long value in two regimes: from = to = (and from tag to tag) while they are sparse, then
 * with one search of the engine once they come dense (handlers, quoted values, tags). Whatever the regime, a value's
 * verdict must not depend on how much of the same thing comes before its end: a short and a 64 KB repeat of a unit
 * get the same rule, and an attack after 64 KB of the densest units is still found, with the rule it gets alone.
 */

const xssRule = (text: string): string | null => scanPayload({ text }).find((f) => f.kind === 'xss')?.rule ?? null;
const repeat = (unit: string, length: number): string => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/**
 * Units that make each regime change: dense handlers and =, tags with and without attributes, quoted values, tags
 * with names or handlers where no tag's rule reads them, colons after the last letters of schemes (those cut in a
 * URL's scheme have a length that divides the lengths below: a run ends with a whole one).
 */
const UNITS = [
  'on=', 'onx=', ' on=', '=on', 'aon=', 'onon=', 'o=n=', '<svg', '<a>', '<abc ', '<x ', '<a on=', '<a a=', '<a x="',
  'style=', '<a>style', 'x="', "y='", '<p title="a=b">', 'a onmouse over = ', '<b c=d e=f>', '<a>script', '<x:a>',
  '<x><onabc=', '<x>onabc=', '<a href=', "<a x='", '<a x=">">', 'pt:', 'data:', 'a:', ':', 'p t:', 'script:xy ',
  'behavior: ', 'javascript: the one ', 'j a v a : ', 'jav scrip:', 'data:text/plain,abc ', 'mocha: a b',
];
/** Attacks that need a handler, a dangerous attribute, a URL or a script tag to be found. */
const TAILS = [
  ' <img src=x onerror=alert(1)>',
  ' <a href="javascript:alert(1)">x</a>',
  ' <div style="x:expression(alert(1))">',
  ' <script>alert(1)</script>',
  ' <iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;">',
  '"><svg onload=alert(1)>',
  ' java script:alert(1)',
  ' data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  ' <p style=x>',
  ' x{behavior: url(a.htc)} y(1)',
  ' <x:style>',
];

describe('the XSS detector on dense values', () => {
  it('gives a unit repeated to 300 characters and to 64 KB the same verdict', () => {
    for (const unit of UNITS) {
      const short = xssRule(repeat(unit, 300));
      for (const length of [5_000, 65_000]) expect(xssRule(repeat(unit, length)), `${JSON.stringify(unit)} × ${length}`).toBe(short);
    }
  });

  it('finds an attack after 64 KB of each unit, with the rule it gets after a short run', () => {
    for (const unit of UNITS) {
      for (const tail of TAILS) {
        const expected = xssRule(repeat(unit, 300) + tail);
        expect(expected, `${JSON.stringify(unit)} … ${tail}`).not.toBeNull();
        expect(xssRule(repeat(unit, 65_000) + tail), `${JSON.stringify(unit)} × 64 KB … ${tail}`).toBe(expected);
      }
    }
  });

  it('gives an attack after a few units, read one by one, the rule it gets after 64 KB of them', () => {
    for (const unit of UNITS) {
      for (const tail of TAILS) {
        expect(xssRule(repeat(unit, 65_000) + tail), `${JSON.stringify(unit)} × 64 KB … ${tail}`).toBe(xssRule(repeat(unit, 40) + tail));
      }
    }
  });

  it('reads a > inside a quoted value as the browser does after 64 KB of quoted values', () => {
    // a handler inside the tag, then one after it
    const inside = ' <b t=">" onclick=alert(1)>';
    const after = " <b t='>' x>onclick=alert(1)";
    for (const unit of ['<p title="a=b">', '<a x="">', "<a y=''>", '<a x=">">']) {
      for (const tail of [inside, after]) {
        expect(xssRule(unit.repeat(4_000) + tail), `${JSON.stringify(unit)} … ${tail}`).toBe(xssRule(unit.repeat(10) + tail));
      }
      expect(xssRule(unit.repeat(10) + inside)).toBe('xss.event-handler');
      expect(xssRule(unit.repeat(10) + after)).not.toBe('xss.event-handler');
    }
  });

  it('reads a handler after a > where a tag before it holds it, after 64 KB of handlers no tag holds', () => {
    // in a quoted value (the > before it closes nothing), or after a space, a tag's name or a word after a > counts
    const inside = [
      ' <a t="><onclick=alert(1)">', " <a t='x>y<onclick=alert(1)'>", ' <a t="x> onclick=alert(1)">', ' <a <onclick=alert(1)>',
    ];
    for (const unit of ['<x><onabc=', '<x> <onabc=', '<x>a<onabc=', '<x>onabc=']) {
      for (const tail of inside) {
        expect(xssRule(repeat(unit, 300) + tail), `${unit} … ${tail}`).toBe('xss.event-handler');
        expect(xssRule(repeat(unit, 65_000) + tail), `${unit} × 64 KB … ${tail}`).toBe('xss.event-handler');
      }
      // a > that closes the tag before: no tag's rule reads what follows it
      for (const tail of [' <a t="x">y<onclick=alert(1)>', ' <a t="x"> onclick=alert(1)']) {
        expect(xssRule(repeat(unit, 65_000) + tail), `${unit} × 64 KB … ${tail}`).not.toBe('xss.event-handler');
      }
    }
  });

  it('reads sparse text, then a dense stretch, then the attack', () => {
    const prose = 'An option to use: the function returns one value; see the docs = more. '.repeat(60);
    for (const unit of UNITS) {
      for (const tail of TAILS) {
        const v = prose + repeat(unit, 30_000) + tail;
        expect(xssRule(v), `${JSON.stringify(unit)} … ${tail}`).toBe(xssRule(prose + repeat(unit, 300) + tail));
      }
    }
  });
});
