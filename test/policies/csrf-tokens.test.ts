import { describe, expect, it } from 'vitest';
import { createCsrfTokens } from '../../src/policies/csrf/tokens.js';
import { takeCsrfToken } from '../../src/policies/csrf/index.js';

const SECRET = 'first-secret-that-is-long-enough-000000';
const OLD = 'older-secret-that-is-long-enough-1111111';

function clock(start = 1_700_000_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('CSRF tokens', () => {
  it('accepts a token for its own session within its lifetime', () => {
    const c = clock();
    const tokens = createCsrfTokens({ secrets: [SECRET], ttlMs: 60_000, now: c.now });
    const { token, expiresAt } = tokens.issue('session-a');
    expect(expiresAt).toBe(c.now() + 60_000);
    expect(tokens.verify(token, 'session-a')).toBeNull();
    c.advance(59_999);
    expect(tokens.verify(token, 'session-a')).toBeNull();
  });

  it('names each cause: missing, invalid, expired, session mismatch', () => {
    const c = clock();
    const tokens = createCsrfTokens({ secrets: [SECRET], ttlMs: 60_000, now: c.now });
    const { token } = tokens.issue('session-a');
    expect(tokens.verify(undefined, 'session-a')).toBe('csrf_missing');
    expect(tokens.verify('', 'session-a')).toBe('csrf_missing');
    expect(tokens.verify(42, 'session-a')).toBe('csrf_invalid');
    expect(tokens.verify('garbage', 'session-a')).toBe('csrf_invalid');
    expect(tokens.verify('x'.repeat(10_000), 'session-a')).toBe('csrf_invalid');
    expect(tokens.verify(token, 'session-b')).toBe('csrf_session_mismatch');
    c.advance(60_001);
    expect(tokens.verify(token, 'session-a')).toBe('csrf_expired');
  });

  it('refuses a forged signature, an edited issue time and a token signed with another secret', () => {
    const c = clock();
    const tokens = createCsrfTokens({ secrets: [SECRET], ttlMs: 60_000, now: c.now });
    const { token } = tokens.issue('session-a');
    const parts = token.split('.');
    const flipped = parts[4]?.startsWith('A') ? `B${parts[4].slice(1)}` : `A${parts[4]?.slice(1) ?? ''}`;
    expect(tokens.verify([...parts.slice(0, 4), flipped].join('.'), 'session-a')).toBe('csrf_invalid');
    const later = (parseInt(parts[2] ?? '0', 36) + 3_600_000).toString(36);
    expect(tokens.verify([parts[0], parts[1], later, parts[3], parts[4]].join('.'), 'session-a')).toBe('csrf_invalid');
    const other = createCsrfTokens({ secrets: ['another-secret-entirely-of-enough-size'], ttlMs: 60_000, now: c.now });
    expect(tokens.verify(other.issue('session-a').token, 'session-a')).toBe('csrf_invalid');
  });

  it('accepts tokens of a rotated secret while it is still listed, and signs with the first', () => {
    const c = clock();
    const before = createCsrfTokens({ secrets: [OLD], ttlMs: 60_000, now: c.now });
    const oldToken = before.issue('s').token;
    const rotated = createCsrfTokens({ secrets: [SECRET, OLD], ttlMs: 60_000, now: c.now });
    expect(rotated.verify(oldToken, 's')).toBeNull();
    const newToken = rotated.issue('s').token;
    expect(createCsrfTokens({ secrets: [SECRET], ttlMs: 60_000, now: c.now }).verify(newToken, 's')).toBeNull();
    const dropped = createCsrfTokens({ secrets: [SECRET], ttlMs: 60_000, now: c.now });
    expect(dropped.verify(oldToken, 's')).toBe('csrf_invalid');
  });

  it('never issues the same token twice and never contains the session id', () => {
    const tokens = createCsrfTokens({ secrets: [SECRET], ttlMs: 60_000, now: Date.now });
    const a = tokens.issue('session-visible-id').token;
    const b = tokens.issue('session-visible-id').token;
    expect(a).not.toBe(b);
    expect(a).not.toContain('session-visible-id');
  });
});

describe('takeCsrfToken', () => {
  it('removes the field from a copy and leaves the original alone', () => {
    const original = { text: 'hi', csrfToken: 't' };
    const taken = takeCsrfToken([original, 2], 'csrfToken');
    expect(taken.token).toBe('t');
    expect(taken.payload).toEqual([{ text: 'hi' }, 2]);
    expect(original).toEqual({ text: 'hi', csrfToken: 't' });
  });

  it('finds no token in non-objects, arrays, or inherited properties', () => {
    expect(takeCsrfToken(['string'], 'csrfToken').token).toBeUndefined();
    expect(takeCsrfToken([['csrfToken']], 'csrfToken').token).toBeUndefined();
    expect(takeCsrfToken([Object.create({ csrfToken: 'inherited' })], 'csrfToken').token).toBeUndefined();
    expect(takeCsrfToken([], 'csrfToken').payload).toEqual([]);
  });
});
