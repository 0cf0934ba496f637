import { describe, expect, it } from 'vitest';
import { diagnoseStructure } from '../../../src/policies/inspection/structure/diagnose.js';
import { compileStructureCheck, type StructureLimits } from '../../../src/policies/inspection/structure/index.js';
import { seededFraction as random } from '../../support/random.js';

const LIMITS: StructureLimits = {
  maxDepth: 32,
  maxKeys: 1000,
  maxArrayLength: 10_000,
  maxStringLength: 32_768,
  maxNodes: 10_000,
  pollution: 'refuse',
};
const check = (overrides: Partial<StructureLimits> = {}) => compileStructureCheck({ ...LIMITS, ...overrides });

/** Arguments as Socket.IO delivers them: parsed from the wire with JSON.parse. */
const wire = (json: string): unknown[] => JSON.parse(json) as unknown[];

/** Freeze every container, iteratively, so that any mutation by the code under test throws (ESM is strict mode). */
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

describe('structure limits', () => {
  it('passes a typical chat payload with a shared, allocation-free result', () => {
    const run = check();
    const first = run([{ text: 'hello there, how are you?', room: 'general' }]);
    expect(first).toEqual({ ok: true });
    expect(run(['plain', 42, null, true])).toBe(first);
    expect(run([])).toBe(first);
  });

  it('refuses one level past maxDepth, objects and arrays alike', () => {
    const run = check({ maxDepth: 3 });
    expect(run(wire('[{"a":{"b":{"c":1}}}]')).ok).toBe(true);
    expect(run(wire('[{"a":{"b":{"c":{}}}}]'))).toEqual({
      ok: false,
      code: 'payload_too_deep',
      details: { path: '[0].a.b.c', limit: 'maxDepth', max: 3 },
    });
    expect(run(wire('[[[[1]]]]')).ok).toBe(true);
    expect(run(wire('[[[[[1]]]]]'))).toMatchObject({ ok: false, code: 'payload_too_deep', details: { path: '[0][0][0][0]' } });
    // Scalars and strings add no depth.
    expect(run(wire('[{"a":{"b":{"c":"deep enough"}}}, 1, "x"]')).ok).toBe(true);
  });

  it('refuses a payload nested 100,000 deep (under a 1 MB size limit) without overflowing the stack', () => {
    const depth = 100_000;
    const arrays = '['.repeat(depth) + ']'.repeat(depth);
    const objects = '[' + '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) + ']';
    expect(Buffer.byteLength(objects)).toBeLessThan(1_048_576);
    const run = check();
    for (const json of [arrays, objects]) {
      const result = run(wire(json));
      expect(result).toMatchObject({ ok: false, code: 'payload_too_deep', details: { limit: 'maxDepth', max: 32 } });
      // The path stays short however deep the payload is.
      if (!result.ok) expect(result.details.path.length).toBeLessThan(60);
    }
    // Even with a limit above the nesting, the walk is iterative: no recursion to overflow.
    expect(check({ maxDepth: 200_000, maxNodes: 1_000_000 })(wire(objects)).ok).toBe(true);
  });

  it('refuses one key past maxKeys', () => {
    const run = check({ maxKeys: 3 });
    expect(run([{ a: 1, b: 2, c: 3 }]).ok).toBe(true);
    expect(run([{ list: [{ a: 1, b: 2, c: 3, d: 4 }] }])).toEqual({
      ok: false,
      code: 'payload_too_complex',
      details: { path: '[0].list[0]', limit: 'maxKeys', max: 3 },
    });
  });

  it('refuses one element past maxArrayLength, the arguments array included', () => {
    const run = check({ maxArrayLength: 3 });
    expect(run([[1, 2, 3], 2, 3]).ok).toBe(true);
    expect(run([{ items: [1, 2, 3, 4] }])).toEqual({
      ok: false,
      code: 'payload_too_complex',
      details: { path: '[0].items', limit: 'maxArrayLength', max: 3 },
    });
    expect(run([1, 2, 3, 4])).toEqual({
      ok: false,
      code: 'payload_too_complex',
      details: { path: '', limit: 'maxArrayLength', max: 3 },
    });
  });

  it('refuses one code unit past maxStringLength, in values and in keys', () => {
    const run = check({ maxStringLength: 5 });
    expect(run(['abcde', { abcde: 'abcde' }]).ok).toBe(true);
    expect(run(['ok', { text: 'abcdef' }])).toEqual({
      ok: false,
      code: 'payload_too_complex',
      details: { path: '[1].text', limit: 'maxStringLength', max: 5 },
    });
    expect(run([{ abcdef: 1 }])).toMatchObject({ ok: false, code: 'payload_too_complex', details: { limit: 'maxStringLength' } });
  });

  it('refuses one node past maxNodes, counting containers and leaves below the arguments', () => {
    const run = check({ maxNodes: 5 });
    expect(run([[1, 2, 3, 4]]).ok).toBe(true); // the array + 4 numbers
    expect(run([{ a: 1, b: 2 }, 3, 4]).ok).toBe(true); // 3 arguments + 2 values
    expect(run([[1, 2, 3, 4, 5]])).toEqual({
      ok: false,
      code: 'payload_too_complex',
      details: { path: '[0]', limit: 'maxNodes', max: 5 },
    });
    expect(run([1, 2, 3, 4, 5, 6])).toMatchObject({ ok: false, details: { path: '', limit: 'maxNodes' } });
  });

  it('counts binary attachments as single leaves and never walks them', () => {
    const run = check({ maxArrayLength: 3, maxNodes: 5, maxStringLength: 5 });
    const result = run([{ file: Buffer.alloc(100_000), raw: new ArrayBuffer(10), view: new Float64Array(50) }]);
    expect(result).toEqual({ ok: true });
  });

  it('shows only identifier-like keys in paths, never other payload text', () => {
    const run = check({ maxDepth: 2 });
    const secret = '<img src=x onerror=alert(1)> 4111 1111 1111 1111';
    const result = run([{ [secret]: { inner: {} } }]);
    expect(result).toEqual({ ok: false, code: 'payload_too_deep', details: { path: '[0][?].inner', limit: 'maxDepth', max: 2 } });
    expect(JSON.stringify(result)).not.toContain('4111');
  });

  it('rejects limits that are not positive integers at compile time', () => {
    expect(() => check({ maxDepth: 0 })).toThrow(RangeError);
    expect(() => check({ maxNodes: Number.NaN })).toThrow(/maxNodes/);
    expect(() => check({ pollution: 'ignore' as 'drop' })).toThrow(/pollution/);
  });
});

describe('prototype pollution keys', () => {
  const KEYS = ['__proto__', 'constructor', 'prototype'] as const;

  it.each(KEYS)('refuses %s at any depth, even though JSON.parse makes it an own property', (key) => {
    const payload = wire(`[{"room":"a","items":[{"meta":{"${key}":{"polluted":true}}}]}]`);
    expect(Object.hasOwn(((payload[0] as { items: { meta: object }[] }).items[0] as { meta: object }).meta, key)).toBe(true);
    expect(check()(payload)).toEqual({
      ok: false,
      code: 'prototype_pollution',
      details: { path: `[0].items[0].meta.${key}`, key },
    });
    expect(check()(wire(`[{"${key}":1}]`))).toMatchObject({ code: 'prototype_pollution', details: { path: `[0].${key}` } });
  });

  it.each(KEYS)('drops %s at any depth into a rebuilt copy, leaving the input and every prototype untouched', (key) => {
    const json = `[{"text":"hi","${key}":{"isAdmin":true,"polluted":true},"nested":[{"${key}":{"polluted":true},"keep":1}]}, "second"]`;
    const payload = deepFreeze(wire(json));
    const result = check({ pollution: 'drop' })(payload);
    if (!result.ok || result.payload === undefined) throw new Error('expected a rebuilt payload');

    expect(result.payload).toEqual([{ text: 'hi', nested: [{ keep: 1 }] }, 'second']);
    const first = result.payload[0] as Record<string, unknown>;
    const inner = (first.nested as Record<string, unknown>[])[0] as Record<string, unknown>;
    for (const object of [first, inner]) {
      expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
      expect(Object.hasOwn(object, key)).toBe(false);
      expect(Object.keys(object)).not.toContain(key);
    }
    // The input is unchanged (it is frozen: a mutation would have thrown).
    expect(payload).toEqual(wire(json));
    // No prototype was touched, before or after a naive merge of the result into a fresh object.
    const merged = Object.assign({}, first);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns no payload in drop mode when there was nothing to drop', () => {
    expect(check({ pollution: 'drop' })([{ text: 'hi', proto: 1, constructorName: 'x' }])).toEqual({ ok: true });
  });

  it('does not count or walk what it drops', () => {
    const run = check({ pollution: 'drop', maxNodes: 2, maxDepth: 1 });
    expect(run(wire('[{"a":1,"__proto__":{"deep":{"deeper":[1,2,3]}}}]'))).toEqual({ ok: true, payload: [{ a: 1 }] });
  });
});

describe('keys with unsafe characters', () => {
  it('refuses keys with control characters or bidi overrides, without echoing them', () => {
    const run = check();
    for (const key of ['ro\u0000le', 'name\u202E', 'a\u2066b', 'line\nbreak', 'esc\u001b[31m']) {
      const result = run([{ nested: { [key]: 1 } }]);
      expect(result).toEqual({ ok: false, code: 'payload_invalid_key', details: { path: '[0].nested[?]' } });
    }
  });

  it('accepts non-ASCII keys without unsafe characters, and anything with unsafeKeys: allow', () => {
    expect(check()([{ 'название': 1, 'שם\u200F': 2, '名前': 3 }]).ok).toBe(true);
    expect(check({ unsafeKeys: 'allow' })([{ 'a\u202Eb': 1 }]).ok).toBe(true);
  });
});

describe('the fast walk and the diagnosing walk', () => {
  const KEYS = ['a', 'b', 'text', 'room', '__proto__', 'constructor', 'prototype', 'bad\u202Ekey', 'longkeyname'];

  function payload(next: () => number): unknown[] {
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const value = (depth: number): unknown => {
      const roll = next();
      if (depth > 6 || roll < 0.35) return pick(['x', 'hello', 'a longer string', 1, null, true, Buffer.alloc(3)]);
      if (roll < 0.65) return Array.from({ length: Math.floor(next() * 5) }, () => value(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) Object.defineProperty(object, pick(KEYS), { value: value(depth + 1), enumerable: true, configurable: true, writable: true });
      return object;
    };
    return Array.from({ length: Math.floor(next() * 4) }, () => value(1));
  }

  it('agree on every payload: same refusal, or both pass', () => {
    const next = random(20_240_601);
    for (let i = 0; i < 3000; i++) {
      const limits: StructureLimits = {
        maxDepth: 1 + Math.floor(next() * 6),
        maxKeys: 1 + Math.floor(next() * 5),
        maxArrayLength: 1 + Math.floor(next() * 5),
        maxStringLength: 1 + Math.floor(next() * 12),
        maxNodes: 1 + Math.floor(next() * 40),
        pollution: next() < 0.5 ? 'refuse' : 'drop',
        unsafeKeys: next() < 0.5 ? 'refuse' : 'allow',
      };
      const input = payload(next);
      const fast = compileStructureCheck(limits)(input);
      const slow = diagnoseStructure(limits, input);
      if (slow === null) expect(fast.ok, JSON.stringify({ limits, i })).toBe(true);
      else expect(fast, JSON.stringify({ limits, i })).toEqual(slow);
    }
  });
});
