import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  compileSchemaCheck,
  isStandardSchema,
  type SchemaResult,
  type StandardSchemaV1,
} from '../../../src/policies/inspection/schema/index.js';

/** A hand-made Standard Schema whose validate does whatever the test needs. */
function handMade(validate: (value: unknown) => unknown): StandardSchemaV1 {
  return { '~standard': { version: 1, vendor: 'test', validate } } as unknown as StandardSchemaV1;
}

function expectSync<T>(result: T | Promise<T>): T {
  expect(result).not.toBeInstanceOf(Promise);
  return result as T;
}

describe('isStandardSchema', () => {
  it('recognises zod, valibot and function schemas (arktype) with ~standard version 1', () => {
    expect(isStandardSchema(z.string())).toBe(true);
    expect(isStandardSchema(v.string())).toBe(true);
    const callable = Object.assign(() => true, { '~standard': { version: 1, vendor: 'arktype', validate: () => ({ value: 1 }) } });
    expect(isStandardSchema(callable)).toBe(true);
  });

  it('refuses anything else', () => {
    for (const value of [null, undefined, 'schema', {}, { '~standard': null }, { '~standard': { version: 2, vendor: 'x', validate: () => ({}) } }, { '~standard': { version: 1, vendor: 'x' } }]) {
      expect(isStandardSchema(value)).toBe(false);
    }
    expect(() => compileSchemaCheck({} as StandardSchemaV1)).toThrow(TypeError);
  });
});

describe('zod 4', () => {
  const schema = z.object({
    name: z.string().min(1),
    age: z.coerce.number().int(),
    role: z.enum(['user', 'admin']).default('user'),
  });
  const check = compileSchemaCheck(schema);

  it('answers synchronously with the output: coerced, defaults applied', () => {
    const result = expectSync(check({ name: 'Ada', age: '36' }));
    expect(result).toEqual({ ok: true, value: { name: 'Ada', age: 36, role: 'user' } });
    // The output is typed from the schema.
    if (result.ok) expect(result.value.age.toFixed(0)).toBe('36');
  });

  it('summarises issues with paths, without echoing the input', () => {
    const result = expectSync(check({ name: '', age: 'not-a-number', role: 'root' }));
    expect(result).toEqual({
      ok: false,
      code: 'validation_failed',
      details: {
        issueCount: 3,
        issues: [
          { path: 'name', message: 'Too small: expected string to have >=1 characters' },
          { path: 'age', message: 'Invalid input: expected number' },
          { path: 'role', message: 'Invalid option: expected one of "user"|"admin"' },
        ],
      },
    });
    expect(JSON.stringify(result)).not.toMatch(/not-a-number|root/);
  });

  it('returns a promise for async refinements, resolving to the same kinds of result', async () => {
    const taken = compileSchemaCheck(z.object({ name: z.string().refine(async (name) => Promise.resolve(name !== 'admin'), 'Name is taken') }));
    const pending = taken({ name: 'free' });
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toEqual({ ok: true, value: { name: 'free' } });
    expect(await taken({ name: 'admin' })).toEqual({
      ok: false,
      code: 'validation_failed',
      details: { issueCount: 1, issues: [{ path: 'name', message: 'Name is taken' }] },
    });
  });

  it('reports a refinement that throws as schema_error, not a crash', async () => {
    const boom = new Error('refinement bug');
    const check = compileSchemaCheck(z.string().refine(() => {
      throw boom;
    }));
    // zod turns a throwing check into a rejected promise; the check turns that into a result.
    const result = await check('x');
    expect(result).toEqual({ ok: false, code: 'schema_error', details: {}, error: boom });
  });
});

describe('valibot', () => {
  const schema = v.object({
    name: v.string(),
    count: v.pipe(v.number(), v.maxValue(10)),
    email: v.pipe(v.string(), v.email()),
    tags: v.optional(v.array(v.string()), []),
    size: v.pipe(v.string(), v.transform(Number)),
  });
  const check = compileSchemaCheck(schema);

  it('answers synchronously with the output: transformed, defaults applied', () => {
    expect(expectSync(check({ name: 'a', count: 3, email: 'a@b.example', size: '12' }))).toEqual({
      ok: true,
      value: { name: 'a', count: 3, email: 'a@b.example', tags: [], size: 12 },
    });
  });

  it('cuts "received …" and the offending value out of messages', () => {
    const result = expectSync(check({ name: 4111111111111111, count: 4111111111111111, email: 'secret-not-an-email', size: '1' }));
    expect(result).toEqual({
      ok: false,
      code: 'validation_failed',
      details: {
        issueCount: 3,
        issues: [
          { path: 'name', message: 'Invalid type: Expected string' },
          { path: 'count', message: 'Invalid value: Expected <=10' },
          { path: 'email', message: 'Invalid email' },
        ],
      },
    });
    expect(JSON.stringify(result)).not.toMatch(/4111|secret/);
  });

  it('returns a promise for async schemas', async () => {
    const check = compileSchemaCheck(v.pipeAsync(v.string(), v.checkAsync(async (s) => Promise.resolve(s.length > 2), 'Too short')));
    const pending = check('ab');
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toMatchObject({ ok: false, details: { issues: [{ path: '', message: 'Too short' }] } });
    expect(await check('abc')).toEqual({ ok: true, value: 'abc' });
  });
});

describe('failures of the validator itself', () => {
  it('turns a validator that throws synchronously into schema_error', () => {
    const boom = new Error('bug');
    const result = expectSync(compileSchemaCheck(handMade(() => { throw boom; }))('x'));
    expect(result).toEqual({ ok: false, code: 'schema_error', details: {}, error: boom });
  });

  it('turns a rejected promise into a resolved schema_error', async () => {
    const result = await compileSchemaCheck(handMade(() => Promise.reject(new Error('down'))))('x');
    expect(result).toMatchObject({ ok: false, code: 'schema_error', details: {} });
  });

  it('treats a result that is not a Standard Schema result as schema_error', () => {
    for (const bad of [null, 'ok', 42, { issues: 'nope' }]) {
      expect(expectSync(compileSchemaCheck(handMade(() => bad))('x'))).toMatchObject({ ok: false, code: 'schema_error' });
    }
  });
});

describe('the issue summary', () => {
  const failing = (issues: unknown) => compileSchemaCheck(handMade(() => ({ issues })));
  const details = (result: SchemaResult<unknown> | Promise<SchemaResult<unknown>>) => {
    const settled = expectSync(result);
    if (settled.ok || settled.code !== 'validation_failed') throw new Error('expected validation_failed');
    return settled.details;
  };

  it('lists at most 5 issues and says how many there were', () => {
    const issues = Array.from({ length: 10 }, (_, i) => ({ message: `issue ${i}`, path: ['list', i] }));
    const summary = details(failing(issues)({}));
    expect(summary.issueCount).toBe(10);
    expect(summary.issues).toHaveLength(5);
    expect(summary.issues[4]).toEqual({ path: 'list[4]', message: 'issue 4' });
  });

  it('shows only identifier-like keys in paths, with path segments as objects or keys', () => {
    const summary = details(failing([
      { message: 'm', path: [{ key: 'users' }, { key: 0 }, '<script>alert(1)</script>', Symbol('s')] },
      { message: 'm', path: Array.from({ length: 40 }, () => 'a') },
      { message: 'm' },
    ])({}));
    expect(summary.issues[0]?.path).toBe('users[0][?][?]');
    expect(summary.issues[1]?.path).toBe('a.a.a.a.a.a.a.a.a.a.a.a…');
    expect(summary.issues[2]?.path).toBe('');
  });

  it('replaces the offending value wherever a message quotes it', () => {
    const check = compileSchemaCheck(z.object({ card: z.string().refine(() => false, { error: (issue) => `card ${String(issue.input)} is blocked` }) }));
    expect(details(check({ card: '4111-1111' })).issues).toEqual([{ path: 'card', message: 'card … is blocked' }]);
    // Fail-safe: a message that merely contains the value loses those words too.
    const taken = compileSchemaCheck(z.string().refine(() => false, 'Name is taken'));
    expect(details(taken('taken')).issues).toEqual([{ path: '', message: 'Name is …' }]);
  });

  it('caps message length, removes control and bidi characters, and replaces unusable messages', () => {
    const summary = details(failing([
      { message: 'x'.repeat(500), path: ['a'] },
      { message: 'bad\u0000\u001b[31m\u202Evalue\nnext', path: ['b'] },
      { message: 42, path: ['c'] },
      { message: '   ', path: ['d'] },
    ])({}));
    expect(summary.issues[0]?.message).toHaveLength(120);
    expect(summary.issues[0]?.message.endsWith('…')).toBe(true);
    expect(summary.issues[1]?.message).toBe('bad  [31m value next');
    expect(summary.issues[2]?.message).toBe('Invalid value');
    expect(summary.issues[3]?.message).toBe('Invalid value');
  });
});
