import { describe, expect, it } from 'vitest';
import type { ConnectionContext } from '../../src/codes/types.js';
import { createGuard } from '../../src/core/guard.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { compileIpAnonymizer } from '../../src/events/anonymize.js';

const event = (ip: string): SecurityEvent => ({ type: 'connection_accepted', category: 'connection', severity: 'info', time: 0, ip });

describe('IP anonymisation', () => {
  it('truncates IPv4 to its /24 and IPv6 to its /48', () => {
    const truncate = compileIpAnonymizer('truncate', undefined);
    expect(truncate?.(event('203.0.113.77')).ip).toBe('203.0.113.0');
    expect(truncate?.(event('2001:db8:1:2:3:4:5:6')).ip).toBe('2001:db8:1::/48');
  });

  it('hashes with a key: stable for one key, different for another, never the address', () => {
    const one = compileIpAnonymizer('hash', 'k'.repeat(32));
    const other = compileIpAnonymizer('hash', 'j'.repeat(32));
    const a = one?.(event('203.0.113.77')).ip;
    expect(a).toMatch(/^h:[0-9a-f]{16}$/);
    expect(one?.(event('203.0.113.77')).ip).toBe(a);
    expect(other?.(event('203.0.113.77')).ip).not.toBe(a);
    expect(compileIpAnonymizer('off', undefined)).toBeNull();
  });

  it('anonymises what the sinks write, while listeners (the abuse detector) keep the real address', async () => {
    const written: SecurityEvent[] = [];
    const heard: SecurityEvent[] = [];
    const guard = createGuard({
      allowedOrigins: ['https://app.example.com'],
      anonymizeIps: 'truncate',
      eventAggregationMs: 0,
      sinks: [{ name: 'capture', write: (batch) => void written.push(...batch) }],
    });
    guard.events.on((e) => heard.push(e));
    const ctx: ConnectionContext = { id: 'c1', remoteAddress: '198.51.100.23', headers: { origin: 'https://evil.example' }, url: '/', query: {}, namespace: '/', auth: {} };
    expect((await guard.admitConnection(ctx)).allowed).toBe(false);
    await guard.close();
    expect(written.find((e) => e.type === 'connection_refused')?.ip).toBe('198.51.100.0');
    expect(heard.find((e) => e.type === 'connection_refused')?.ip).toBe('198.51.100.23');
    expect(JSON.stringify(written)).not.toContain('198.51.100.23');
  });

  it('refuses hash without a key at startup', () => {
    expect(() => createGuard({ anonymizeIps: 'hash' })).toThrow(/anonymizeIpSecret/);
  });
});
