import { describe, expect, it } from 'vitest';
import { compileOriginPolicy } from '../../src/policies/origin/index.js';

const policy = (allowedOrigins: string[], allowMissingOrigin = false) =>
  compileOriginPolicy({ allowedOrigins, allowMissingOrigin });

describe('origin allow-list', () => {
  const check = policy(['https://app.example.com', 'https://*.example.org', 'http://localhost:*']);

  it('allows listed origins exactly', () => {
    expect(check('https://app.example.com').allowed).toBe(true);
    // Host names are case-insensitive: the same origin however it is written.
    expect(check('https://APP.example.com').allowed).toBe(true);
  });

  it('never matches by substring', () => {
    expect(check('https://app.example.com.evil.example')).toEqual({ allowed: false, why: 'not_listed' });
    expect(check('https://evilapp.example.com')).toEqual({ allowed: false, why: 'not_listed' });
    expect(check('https://app.example.co')).toEqual({ allowed: false, why: 'not_listed' });
  });

  it('counts scheme and port', () => {
    expect(check('http://app.example.com').allowed).toBe(false);
    expect(check('https://app.example.com:8443').allowed).toBe(false);
    expect(check('wss://app.example.com').allowed).toBe(false);
  });

  it('treats an explicit default port as the same origin in the list', () => {
    expect(policy(['https://app.example.com:443'])('https://app.example.com').allowed).toBe(true);
  });

  it('matches wildcard subdomains at any depth but not the apex or look-alikes', () => {
    expect(check('https://a.example.org').allowed).toBe(true);
    expect(check('https://a.b.example.org').allowed).toBe(true);
    expect(check('https://example.org').allowed).toBe(false);
    expect(check('https://badexample.org').allowed).toBe(false);
    expect(check('http://a.example.org').allowed).toBe(false);
  });

  it('matches any port with :*', () => {
    expect(check('http://localhost:5173').allowed).toBe(true);
    expect(check('http://localhost').allowed).toBe(true);
    expect(check('https://localhost:5173').allowed).toBe(false);
  });

  it('refuses the opaque origin null unless listed', () => {
    expect(check('null')).toEqual({ allowed: false, why: 'not_listed' });
    expect(policy(['null'])('null').allowed).toBe(true);
  });

  it('refuses malformed origins', () => {
    expect(check('https://app.example.com/path')).toEqual({ allowed: false, why: 'malformed' });
    expect(check('https://user@app.example.com')).toEqual({ allowed: false, why: 'malformed' });
    expect(check('app.example.com')).toEqual({ allowed: false, why: 'malformed' });
    expect(check('javascript:alert(1)')).toEqual({ allowed: false, why: 'malformed' });
  });

  it('refuses a missing origin unless allowMissingOrigin', () => {
    expect(check(undefined)).toEqual({ allowed: false, why: 'missing' });
    expect(check('')).toEqual({ allowed: false, why: 'missing' });
    expect(policy([], true)(undefined).allowed).toBe(true);
  });

  it('allows anything with *, still parsing it', () => {
    const any = policy(['*']);
    expect(any('https://whatever.example').allowed).toBe(true);
    expect(any('not an origin').allowed).toBe(false);
  });

  it('rejects a list entry that is not an origin at compile time', () => {
    expect(() => policy(['app.example.com'])).toThrow(/not an origin/);
    expect(() => policy(['https://app.example.com/path'])).toThrow(/not an origin/);
  });
});
