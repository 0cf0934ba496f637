import { describe, expect, it } from 'vitest';
import { isBidiControl, isUnsafeControl } from '../../../src/policies/inspection/normalize/characters.js';
import {
  compileNormalizer,
  compileStringNormalizer,
  isPlainAscii,
  type NormalizeOptions,
} from '../../../src/policies/inspection/normalize/index.js';
import { compileStructureCheck } from '../../../src/policies/inspection/structure/index.js';

const DEFAULTS: NormalizeOptions = { form: 'NFC', stripControl: true, stripBidi: true };
const normalizer = (overrides: Partial<NormalizeOptions> = {}) => compileNormalizer({ ...DEFAULTS, ...overrides });
const one = (text: string, overrides: Partial<NormalizeOptions> = {}) => compileStringNormalizer({ ...DEFAULTS, ...overrides })(text);

function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item !== 'object' || item === null || ArrayBuffer.isView(item) || Object.isFrozen(item)) continue;
    Object.freeze(item);
    for (const key of Object.keys(item)) pending.push((item as Record<string, unknown>)[key]);
  }
  return value;
}

describe('normal forms', () => {
  it('composes to NFC by default and leaves compatibility characters alone', () => {
    expect(one('cafe\u0301')).toBe('caf\u00e9');
    expect(one('ｓｅｌｅｃｔ')).toBe('ｓｅｌｅｃｔ');
  });

  it('folds compatibility characters under NFKC', () => {
    expect(one('ｓｅｌｅｃｔ * ｆｒｏｍ users', { form: 'NFKC' })).toBe('select * from users');
    expect(one('ﬁle ² ℌ', { form: 'NFKC' })).toBe('file 2 H');
  });

  it('leaves the form alone with none, but still strips', () => {
    expect(one('cafe\u0301\u0000', { form: 'none' })).toBe('cafe\u0301');
  });

  it('replaces lone surrogates with U+FFFD when a form is set', () => {
    expect(one('a\uD800b')).toBe('a\uFFFDb');
    expect(one('a\uDC00')).toBe('a\uFFFD');
    expect(one('😀')).toBe('😀');
    expect(one('a\uD800b', { form: 'none' })).toBe('a\uD800b');
  });
});

describe('stripping', () => {
  it('strips C0 (except tab, line feed, carriage return), DEL and C1 control characters', () => {
    expect(one('\u0000a\u0007b\u001b[31mc\u007fd\u0085e\u009ff\tg\nh\ri')).toBe('ab[31mcdef\tg\nh\ri');
  });

  it('strips bidi overrides and isolates, and keeps the implicit marks LRM, RLM and ALM', () => {
    expect(one('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(one('\u202A\u202B\u202C\u202D\u202Ex\u2066\u2067\u2068\u2069')).toBe('x');
    expect(one('שלום\u200F!\u200E\u061C')).toBe('שלום\u200F!\u200E\u061C');
  });

  it('keeps what it is told not to strip', () => {
    expect(one('a\u0000b\u202Ec', { stripControl: false })).toBe('a\u0000bc');
    expect(one('a\u0000b\u202Ec', { stripBidi: false })).toBe('ab\u202Ec');
  });

  it('strips before normalizing, so a removed character cannot block a composition', () => {
    expect(one('e\u202E\u0301')).toBe('\u00e9');
  });

  it('never produces a control or bidi character by normalizing (all of Unicode)', () => {
    const offenders: string[] = [];
    for (let code = 0; code <= 0x10ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      if (isUnsafeControl(code) || isBidiControl(code)) continue;
      const text = String.fromCodePoint(code);
      for (const form of ['NFC', 'NFKC'] as const) {
        const result = text.normalize(form);
        if (result === text) continue;
        for (let i = 0; i < result.length; i++) {
          const c = result.charCodeAt(i);
          if (isUnsafeControl(c) || isBidiControl(c)) offenders.push(`${form} U+${code.toString(16)}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('the payload walk', () => {
  it('returns null for plain ASCII text: the fast path, nothing allocated', () => {
    const normalize = normalizer({ form: 'NFKC' });
    expect(normalize([{ text: 'hello there, how are you?', room: 'general' }])).toBeNull();
    expect(normalize(['tab\tnew line\ncr\r', 1, null, true, { nested: ['deep', { deeper: 'text' }] }])).toBeNull();
    expect(isPlainAscii('hello there, how are you?')).toBe(true);
    expect(isPlainAscii('caf\u00e9')).toBe(false);
    expect(isPlainAscii('bell\u0007')).toBe(false);
  });

  it('returns null for non-ASCII text that is already normal', () => {
    expect(normalizer()([{ text: 'café 😀 Привет 你好 שלום', tags: ['naïve'] }])).toBeNull();
  });

  it('rewrites strings at any depth into a copy, sharing leaves and never mutating the input', () => {
    const file = Buffer.from('binary\u0000');
    const payload = deepFreeze([{ text: 'cafe\u0301', meta: { tags: ['ok', 'x\u202Ey'], n: 1 }, file }, 'second\u0000', 3]);
    const result = normalizer()(payload);
    expect(result).toEqual([{ text: 'caf\u00e9', meta: { tags: ['ok', 'xy'], n: 1 }, file }, 'second', 3]);
    expect((result?.[0] as { file: Buffer }).file).toBe(file);
    expect(payload).toEqual([{ text: 'cafe\u0301', meta: { tags: ['ok', 'x\u202Ey'], n: 1 }, file }, 'second\u0000', 3]);
  });

  it('never rewrites keys', () => {
    const result = normalizer({ form: 'NFKC' })([{ 'ａｄｍｉｎ': 'ｙｅｓ', 'ro\u0000le': 'x\u0000' }]);
    expect(result).toEqual([{ 'ａｄｍｉｎ': 'yes', 'ro\u0000le': 'x' }]);
  });

  it('keeps an own __proto__ key as data in the copy, never changing a prototype', () => {
    const payload = JSON.parse('[{"__proto__":{"polluted":true},"text":"a\\u0000"}]') as unknown[];
    const result = normalizer()(payload);
    const first = result?.[0] as Record<string, unknown>;
    expect(first.text).toBe('a');
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    expect(Object.hasOwn(first, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('walks a payload nested 100,000 deep iteratively', () => {
    const depth = 100_000;
    const payload = JSON.parse('['.repeat(depth) + '"deep\\u202E"' + ']'.repeat(depth)) as unknown[];
    const result = normalizer()(payload);
    let node: unknown = result;
    for (let i = 0; i < depth; i++) node = (node as unknown[])[0];
    expect(node).toBe('deep');
  });

  it('can lengthen strings (NFKC up to 18×), so a rewritten payload is worth a second structure check', () => {
    const structure = compileStructureCheck({ maxDepth: 8, maxKeys: 8, maxArrayLength: 8, maxStringLength: 1000, maxNodes: 100, pollution: 'refuse' });
    const payload = [{ text: '\uFDFA'.repeat(100) }];
    expect(structure(payload).ok).toBe(true);
    const normalized = normalizer({ form: 'NFKC' })(payload);
    expect((normalized?.[0] as { text: string }).text).toHaveLength(1800);
    // Only a rewritten payload (rare) needs the second check; the common path returned null and costs nothing more.
    expect(structure(normalized ?? payload)).toMatchObject({ ok: false, details: { limit: 'maxStringLength', path: '[0].text' } });
  });

  it('is a constant no-op when every option is off', () => {
    const normalize = normalizer({ form: 'none', stripControl: false, stripBidi: false });
    expect(normalize(['a\u0000\u202E'])).toBeNull();
  });

  it('rejects an unknown form at compile time', () => {
    expect(() => normalizer({ form: 'NFD' as 'NFC' })).toThrow(RangeError);
  });
});
