import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAll, decodeWroteLowerDiffering } from '../../../src/policies/inspection/scan/decode.js';
import { FOLD_BLOCKS, fold, foldKeptLowerRaw, foldWroteNoCapital, lowerRaw, PLACEHOLDER } from '../../../src/policies/inspection/scan/fold.js';
import { createScanner, scanPayload } from '../../../src/policies/inspection/scan/index.js';
import { BEST_FIT, T_CALL, T_SEMI, T_SEMI_SQL, TRIGGERS, triggerMask, triggerMaskByCharacter } from '../../../src/policies/inspection/scan/triggers.js';
import { seededRandom as random } from '../../support/random.js';

/**
 * The parts of the scanner that exist for speed: the fold that replaces NFKC and lower-casing, the pair table of the
 * trigger pass, the work budget, the byte-buffer decoder. Each is checked against the slow, obvious reading.
 */

const corpusDir = resolve(import.meta.dirname, '../../../../shared/corpus');
/** The lines of the public corpus (../shared/corpus), all classes or one; none when it is not there. */
const corpusLines = (only?: string): string[] => {
  try {
    return readdirSync(corpusDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && (only === undefined || d.name === only))
      .flatMap((d) => readdirSync(join(corpusDir, d.name)).map((f) => join(corpusDir, d.name, f)))
      .flatMap((file) => readFileSync(file, 'utf8').split('\n'));
  } catch {
    return [];
  }
};

const ALPHABET = [
  ...Array.from('abuUnNsSeEpPxXiIlLoOcCtT0125 \'"`;|&<>=()[]{}$%_:/\\@#-.+A*!,\n\t\0'),
  '＜', '＇', '％', '；', '（', '）', '．', '＂', '｀', '“', '”', 'é', 'ж', '社', '\u00a0', '\u200b', 'ſ', '／',
];
const WORDS = ['union', 'select', 'SeLeCt', '..', '/*', '--', '__', '@@', '0x2f', '+AD', '://', 'http://', '.prototype', '; drop', ';(select', 'sel', '# ', '-- ', '<a', 'javascript:', 'md5('];

function randomStrings(seed: number, count: number, maxUnits: number): string[] {
  const rnd = random(seed);
  return Array.from({ length: count }, () => {
    let s = '';
    const units = rnd(maxUnits);
    for (let j = 0; j < units; j++) s += rnd(5) === 0 ? (WORDS[rnd(WORDS.length)] as string) : (ALPHABET[rnd(ALPHABET.length)] as string);
    return s;
  });
}

/**
 * Long values that look like text: words of several scripts (or Latin only, which the pair loop reads to the end),
 * with a character from ALPHABET (triggers, stand-ins, foldable and invisible characters) every `every` words, so
 * both the sparse and the dense paths are taken.
 */
function longTexts(seed: number, count: number, every: number, latinOnly = false, shortest = 1024): string[] {
  const rnd = random(seed);
  const words = ['the', 'quick', 'brown', 'fox', 'O\'Reilly', 'don\'t', 'café', 'naïve', 'jumps'];
  if (!latinOnly) words.push('привет', 'мир', '世界');
  return Array.from({ length: count }, () => {
    let s = '';
    const length = shortest + rnd(4000);
    while (s.length < length) {
      s += (words[rnd(words.length)] as string) + (rnd(every) === 0 ? (ALPHABET[rnd(ALPHABET.length)] as string) : ' ');
    }
    return s;
  });
}

const hasAscii = (t: string): boolean => {
  for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) < 128) return true;
  return false;
};
/** `t` with every character that has a best-fit mapping replaced by it. */
const withBestFit = (t: string): string => Array.from(t, (c) => String.fromCharCode(BEST_FIT[c.charCodeAt(0)] || c.charCodeAt(0))).join('');
/** Characters that render as nothing (as the scanner has always dropped them). */
const invisible = (c: number): boolean =>
  (c < 32 && c !== 9 && c !== 10 && c !== 12 && c !== 13) || (c >= 0x7f && c <= 0x9f) || c === 0xad || c === 0x180e ||
  (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c === 0xfeff;

describe('the fold (NFKC to ASCII, best-fit, invisible characters, placeholder)', () => {
  it('covers every code point whose compatibility form holds ASCII', () => {
    const inBlock = (cp: number): boolean => FOLD_BLOCKS.some(([first, last]) => cp >= first && cp <= last);
    const missed: string[] = [];
    for (let cp = 0x80; cp < 0x20000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (inBlock(cp)) continue;
      const ch = String.fromCodePoint(cp);
      const n = ch.normalize('NFKC');
      if (n !== ch && hasAscii(n)) missed.push(`U+${cp.toString(16)}`);
    }
    expect(missed).toEqual([]);
  });

  it('writes what NFKC, then the best-fit mappings, make of each character, anything wider as the placeholder', () => {
    const rnd = random(7);
    for (let k = 0; k < 4000; k++) {
      const [first, last] = FOLD_BLOCKS[rnd(FOLD_BLOCKS.length)] as readonly [number, number];
      const cp = first + rnd(last - first + 1);
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      let expected = '';
      const n = cp < 0x10000 && BEST_FIT[cp] !== 0 ? String.fromCharCode(BEST_FIT[cp] as number) : ch.normalize('NFKC');
      // ASCII once the best-fit mappings apply counts too (⁗ is four ′ to NFKC, which are quotes)
      const changed = n !== ch && hasAscii(withBestFit(n));
      for (const c of changed ? n : ch) {
        let code = c.charCodeAt(0);
        if (code >= 128 && code < 0x10000 && BEST_FIT[code] !== 0) code = BEST_FIT[code] as number;
        if (invisible(code)) continue;
        expected += code < 256 ? String.fromCharCode(code) : String.fromCharCode(PLACEHOLDER);
      }
      expect(fold(ch, false), `U+${cp.toString(16)}`).toBe(expected);
    }
  });

  it('folds what attackers use into ASCII, lower-cased on request', () => {
    expect(fold('＜ｓｃｒｉｐｔ＞', true)).toBe('<script>');
    expect(fold('％３Ｃ', false)).toBe('%3C');
    expect(fold('𝐬𝐞𝐥𝐞𝐜𝐭 ﬁle', true)).toBe('select file');
    expect(fold('sc\u200bri\u00adpt\u202e', true)).toBe('script');
    expect(fold('it’s “quoted” ∕ ∖', false)).toBe('it\'s "quoted" / \\');
    expect(fold('Привет, 世界', true)).toBe('àààààà, àà');
  });

  it('always returns a one-byte string, and the value itself when nothing changes', () => {
    for (const s of randomStrings(11, 2000, 30)) {
      for (const lower of [false, true]) {
        const f = fold(s, lower);
        expect(/[\u0100-\uffff]/.test(f), JSON.stringify(s)).toBe(false);
      }
    }
    const plain = 'plain text, nothing to fold';
    expect(fold(plain, true)).toBe(plain);
  });

  it('knows when a sparse fold wrote no Latin-1 capital, and is then lower-cased by toLowerCase as by the fold', () => {
    // (one curly quote every 300 characters or so: sparse enough for the hops)
    const prose = ('It’s a long note. ' + 'Plain words in a sentence, and more of them after a comma. '.repeat(5)).repeat(8);
    let known = 0;
    for (const extra of ['', 'É', 'Ångström ÆØ', 'ÿ é ß à', 'Þ', '＜Ａ＞', '\u00c0']) {
      for (const at of [0, 1000, prose.length]) {
        const s = prose.slice(0, at) + extra + prose.slice(at);
        const folded = fold(s, false);
        if (!foldWroteNoCapital()) continue;
        known++;
        expect(/[\u00c0-\u00d6\u00d8-\u00de]/.test(folded), JSON.stringify(extra)).toBe(false);
        expect(folded.toLowerCase(), JSON.stringify(extra)).toBe(fold(folded, true));
      }
    }
    // prose with no capital of its own (or only ASCII and fullwidth ones, which fold to ASCII) is known
    expect(known).toBeGreaterThanOrEqual(9);
    fold('Été '.repeat(100) + '’', false);
    expect(foldWroteNoCapital()).toBe(false);
  });

  it('knows when a sparse fold wrote what lowerRaw writes, and is then, lower-cased, the raw reading', () => {
    // source code with a few arrows and dashes in its comments: every character kept or made the placeholder
    const code = ('// a → b — c\n' + 'const total = items.reduce((sum, item) => sum + item.price, 0);\n'.repeat(6)).repeat(10);
    let known = 0;
    const extras = ['', '→', 'ÿ é ß', '世界', '😀', 'É', '\u00ad', 'ª', '²', '＜', '\u200b', '\u0085', 'ﬁ'];
    for (const extra of extras) {
      for (const at of [0, 1500, code.length]) {
        const s = code.slice(0, at) + extra + code.slice(at);
        const folded = fold(s, false);
        if (!foldKeptLowerRaw()) continue;
        if (foldWroteNoCapital()) {
          known++;
          expect(folded.toLowerCase(), JSON.stringify(extra)).toBe(lowerRaw(s));
        }
      }
    }
    // the code, arrows, Latin-1 small letters and other scripts are known; capitals, dropped, replaced and astral
    // ones not
    expect(known).toBeGreaterThanOrEqual(12);
    for (const extra of ['\u00ad', 'ª', '＜', '\u200b', 'ﬁ']) {
      fold(code + extra, false);
      expect(foldKeptLowerRaw(), JSON.stringify(extra)).toBe(false);
    }
    fold(code, true);
    expect(foldKeptLowerRaw()).toBe(false);
  });

  it('folds a long value (hops between sparse characters, a copy of its units when dense) as it folds its pieces', () => {
    // pieces of a few hundred characters take the short loop; the fold is per character, so they must join up
    for (const every of [3, 40, 400]) {
      for (const s of longTexts(17 + every, 60, every)) {
        const pieces = s.match(/[^ ]*(?: |$)/g) ?? [];
        for (const lower of [false, true]) {
          expect(fold(s, lower), JSON.stringify(s.slice(0, 80))).toBe(pieces.map((p) => fold(p, lower)).join(''));
        }
        expect(lowerRaw(s)).toBe(pieces.map((p) => lowerRaw(p)).join(''));
      }
    }
  });

  it('lowerRaw: toLowerCase for one-byte text, ASCII lower case and placeholders beyond', () => {
    expect(lowerRaw('UNION Select Äpfel')).toBe('union select äpfel');
    expect(lowerRaw('UNION Селект ＳＥＬＥＣＴ')).toBe('union àààààà àààààà');
  });
});

describe('the trigger pass', () => {
  it('reads pairs as a character-by-character reading does (random strings, and every line of the corpus)', () => {
    // short strings stay within the budget: exactly the same mask
    for (const s of randomStrings(3, 20_000, 12)) expect(triggerMask(s), JSON.stringify(s)).toBe(triggerMaskByCharacter(s));
    // in the corpus, a line that spends its budget (74 dots, then ../../) gets a superset: never fewer bits
    const lines = [...corpusLines(), ...randomStrings(5, 3000, 60)];
    let exact = 0;
    for (const s of lines) {
      const m = triggerMask(s);
      const slow = triggerMaskByCharacter(s);
      expect(slow & ~m, JSON.stringify(s)).toBe(0);
      if (m === slow) exact++;
    }
    expect(exact / lines.length).toBeGreaterThan(0.99);
  });

  it('reads a long value from a copy of its units exactly as the character-by-character reading does', () => {
    // sparse triggers stay within the budget: the same mask, whatever the scripts around them
    for (const latinOnly of [true, false]) {
      for (const s of longTexts(21, 200, 40, latinOnly)) expect(triggerMask(s), JSON.stringify(s.slice(0, 80))).toBe(triggerMaskByCharacter(s));
    }
    // each character and word of the alphabet alone in long Latin prose, and beside another script
    const prose = 'the quick brown fox jumps over O\'Reilly\'s lazy café dog '.repeat(30);
    for (const piece of [...ALPHABET, ...WORDS]) {
      for (const s of [prose + piece + prose, piece + prose, prose + piece, prose + 'мир ' + piece + ' ' + prose]) {
        expect(triggerMask(s), JSON.stringify(piece)).toBe(triggerMaskByCharacter(s));
      }
    }
    // dense ones may spend it: a superset, never fewer bits
    for (const s of longTexts(23, 100, 2)) expect(triggerMaskByCharacter(s) & ~triggerMask(s)).toBe(0);
  });

  it('takes a character out of a long value\'s tables only once it can add nothing, and gives each value fresh tables', () => {
    // values long enough for the live tables, with triggers sparse and dense, read twice in a shuffled order: the
    // mask must not depend on what the tables learnt from the value before
    const values = [...longTexts(31, 60, 40, true, 4096), ...longTexts(32, 60, 40, false, 4096), ...longTexts(33, 40, 6, false, 4096)];
    const exact = values.map((s) => triggerMaskByCharacter(s));
    const rnd = random(34);
    for (let k = 0; k < values.length * 2; k++) {
      const i = rnd(values.length);
      expect(triggerMask(values[i] as string), `value ${i}`).toBe(exact[i]);
    }
    // a character that has given one of its bits early on, then another far later, in another context
    const prose = 'the quick brown fox jumps over O\'Reilly\'s lazy café dog '.repeat(100);
    const pairs: [string, string][] = [['../', '.prototype'], ['/*', '/.htaccess'], ['a&b', ' & '], ['a&b', 'a && b'], ['a < 3', '<script'], ['a | b', 'a || b'], ['a; b', '; drop'], ['a ＜ 3', '＜script']];
    for (const [early, late] of pairs) {
      const s = prose + early + prose + late + prose;
      expect(triggerMask(s), `${early} … ${late}`).toBe(triggerMaskByCharacter(s));
    }
  });

  it.skipIf(!existsSync(corpusDir))('reads every benign corpus line exactly (the budget is for values made of triggers)', () => {
    const benign = corpusLines('benign');
    expect(benign.length).toBeGreaterThan(10_000);
    for (const s of benign) expect(triggerMask(s), JSON.stringify(s)).toBe(triggerMaskByCharacter(s));
  });

  it('past its budget, gives a superset of the exact mask, and never for prose', () => {
    const rnd = random(13);
    for (let k = 0; k < 300; k++) {
      let unit = '';
      for (let j = 0, n = 1 + rnd(4); j < n; j++) unit += ALPHABET[rnd(ALPHABET.length)] as string;
      const s = unit.repeat(200 + rnd(800));
      const exact = triggerMaskByCharacter(s);
      expect(exact & ~triggerMask(s), JSON.stringify(unit)).toBe(0);
    }
    const prose = 'A sentence with quotes ("like these"), an apostrophe\'s use -- a dash; and (parentheses). '.repeat(700);
    expect(triggerMask(prose)).toBe(triggerMaskByCharacter(prose));
  });

  it('reads a semicolon before a word of another script as prose, and one before fullwidth Latin as SQL', () => {
    expect(triggerMask('統治期內，梅葛處死了三位大學士；他還擁有') & T_SEMI_SQL).toBe(0);
    expect(triggerMask('интернет не роскошь; это необходимость') & T_SEMI_SQL).toBe(0);
    expect(triggerMask('интернет не роскошь; это необходимость') & T_SEMI).not.toBe(0);
    expect(triggerMask('1；ｄｒｏｐ ｔａｂｌｅ ｕｓｅｒｓ') & T_SEMI_SQL).not.toBe(0);
    expect(triggerMask('1; 𝐝𝐫𝐨𝐩 table') & T_SEMI_SQL).not.toBe(0);
  });

  it('sees a call after a name, not after a number', () => {
    for (const s of ['§ 236(b)', 'in 2010(ish)', 'x = 3(4)']) expect(triggerMask(s) & T_CALL, s).toBe(0);
    for (const s of ['alert(1)', 'md5(1)', 'a(1)', '$(id)', '_f(1)', '(alert)(1)', 'x[0](1)']) expect(triggerMask(s) & T_CALL, s).not.toBe(0);
  });

  it('still finds what a mask of 64 K trigger characters hides at its end', () => {
    const tail = '<script>alert(1)</script>';
    for (const junk of ['<', '&&', '|', '....', '--', '(']) {
      const text = junk.repeat(Math.ceil(65_000 / junk.length)).slice(0, 65_000) + tail;
      expect(triggerMask(text) & TRIGGERS).not.toBe(0);
      expect(scanPayload({ text }).some((f) => f.kind === 'xss'), junk).toBe(true);
    }
  });
});

describe('the decoder', () => {
  it('returns the value itself when nothing decodes, however many near misses', () => {
    for (const s of ['AT&T and R&D', '50% off', 'C:\\x', '%%%%zz', '&&&&', '\\\\\\', '+A+A+A', 'a'.repeat(100)]) expect(decodeAll(s)).toBe(s);
  });

  it('decodes dense and nested escapes to one-byte text', () => {
    expect(decodeAll('%253Cscript%253E')).toBe('<script>');
    expect(decodeAll('&#x3c;'.repeat(1000))).toBe('<'.repeat(1000));
    expect(decodeAll('%u003c%u0073')).toBe('<s');
    expect(decodeAll('&#xff1c;svg')).toBe('<svg');
    expect(decodeAll('%e4%b8%96')).toBe(String.fromCharCode(PLACEHOLDER));
    expect(decodeAll('%00')).toBe('\0');
  });

  it('reads a named reference wherever it ends (the end of the value, any character after it), never one letter', () => {
    for (const [s, decoded] of [['&lt', '<'], ['a&lt', 'a<'], ['&gt;x', '>x'], ['&lt&gt&amp', '<>&'], ['x&colon;y', 'x:y'], ['&LT1', '<1'], ['&lt&', '<&']]) {
      expect(decodeAll(s as string), s).toBe(decoded);
    }
    for (const s of ['&l&t', 'x&a&b&c', '&s&s&s&s', 'AT&T&T', '&z', '&']) expect(decodeAll(s), s).toBe(s);
  });

  it('reads a CSS or octal escape from two digits on, and \\0 alone', () => {
    for (const [s, decoded] of [['\\3c', '<'], ['\\3cx', '<x'], ['\\74', 't'], ['\\00003c ', '<'], ['a\\0', 'a\0'], ['\\0z', '\0z'], ['\\n\\t', '\n\t']]) {
      expect(decodeAll(s as string), s).toBe(decoded);
    }
    for (const s of ['\\a\\b\\c', 'a\\', 'x\\ay', '\\f\\', '\\3cf']) expect(decodeAll(s), s).toBe(s);
  });

  it('notes when it decoded a character whose lower case the fold and toLowerCase disagree on', () => {
    for (const s of ['a &amp; b', 'x%20y', '\\u0041', '&lt;b&gt;', '%2541']) {
      decodeAll(s);
      expect(decodeWroteLowerDiffering(), s).toBe(false);
    }
    for (const s of ['&#192;', '%C3%80', '%c0', '%00', 'a%a0b', '&#xad;', '\\u00de', '&#x212b;', '+AAA-']) {
      decodeAll(s);
      expect(decodeWroteLowerDiffering(), s).toBe(true);
    }
  });

  it('keeps detection through every layer at once', () => {
    const scan = createScanner();
    expect(scan({ q: '%26%2360%3Bscript%26%2362%3Balert(1)%26%2360%3B/script%26%2362%3B' }).map((f) => f.kind)).toContain('xss');
    expect(scan({ q: '\\u0027 OR 1=1--' }).map((f) => f.kind)).toContain('sqli');
  });
});
