import { describe, expect, it } from 'vitest';
import { createClientIpResolver } from '../../src/core/client-ip.js';
import { ipGroupKey, ipv6Groups, normalizeIp } from '../../src/core/ip.js';

describe('normalizeIp', () => {
  it('unwraps IPv4-mapped IPv6 and drops zone ids', () => {
    expect(normalizeIp('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(normalizeIp('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('2001:DB8::1')).toBe('2001:db8::1');
    expect(normalizeIp('198.51.100.1')).toBe('198.51.100.1');
  });
});

describe('ipGroupKey (IPv6 prefix grouping)', () => {
  it('expands every IPv6 form to eight groups', () => {
    expect(ipv6Groups('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('2001:db8::')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('64:ff9b::192.0.2.33')).toEqual([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221]);
    expect(ipv6Groups('not-an-ip')).toBeNull();
  });

  it('puts every address of one /64 under one key and other /64s under others', () => {
    const a = ipGroupKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64);
    const b = ipGroupKey('2001:db8:1:2::1', 64);
    const c = ipGroupKey('2001:db8:1:3::1', 64);
    expect(a).toBe('2001:db8:1:2::/64');
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('masks inside a group for prefixes that are not a multiple of 16', () => {
    expect(ipGroupKey('2001:db8:1:ffff::1', 56)).toBe('2001:db8:1:ff00::/56');
    expect(ipGroupKey('2001:db8:1:ffff::1', 48)).toBe('2001:db8:1::/48');
  });

  it('keeps IPv4 addresses whole and a /128 as the full address', () => {
    expect(ipGroupKey('203.0.113.7', 64)).toBe('203.0.113.7');
    expect(ipGroupKey('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1');
  });
});

describe('client IP through trusted proxies', () => {
  const headers = (xff: string) => ({ 'x-forwarded-for': xff });

  it('ignores forwarding headers when trustProxy is false', () => {
    const resolve = createClientIpResolver(false, 'x-forwarded-for');
    expect(resolve('127.0.0.1', headers('203.0.113.9'))).toBe('127.0.0.1');
  });

  it('ignores a spoofed X-Forwarded-For from a peer that is not a trusted proxy', () => {
    const resolve = createClientIpResolver(['10.0.0.0/8'], 'x-forwarded-for');
    expect(resolve('198.51.100.20', headers('1.2.3.4'))).toBe('198.51.100.20');
  });

  it('walks from the nearest hop while hops are trusted (list of CIDRs)', () => {
    const resolve = createClientIpResolver('10.0.0.0/8, 192.168.1.1', 'x-forwarded-for');
    // The client forged "6.6.6.6"; the trusted proxies appended the real client 203.0.113.5 and an inner proxy.
    expect(resolve('10.0.0.2', headers('6.6.6.6, 203.0.113.5, 192.168.1.1'))).toBe('203.0.113.5');
  });

  it('trusts exactly N hops with a hop count', () => {
    const resolve = createClientIpResolver(1, 'x-forwarded-for');
    expect(resolve('10.0.0.2', headers('6.6.6.6, 203.0.113.5'))).toBe('203.0.113.5');
    const two = createClientIpResolver(2, 'x-forwarded-for');
    expect(two('10.0.0.2', headers('6.6.6.6, 203.0.113.5'))).toBe('6.6.6.6');
  });

  it('takes the left-most entry when every hop is trusted', () => {
    const resolve = createClientIpResolver(true, 'x-forwarded-for');
    expect(resolve('10.0.0.2', headers('203.0.113.5, 10.0.0.9'))).toBe('203.0.113.5');
  });

  it('stops at a hop that is not an address', () => {
    const resolve = createClientIpResolver(true, 'x-forwarded-for');
    expect(resolve('10.0.0.2', headers('<script>, 203.0.113.5'))).toBe('203.0.113.5');
  });

  it('reads RFC 7239 Forwarded only when configured, with ports and brackets stripped', () => {
    const forwarded = { forwarded: 'for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711"' };
    expect(createClientIpResolver(1, 'forwarded')('10.0.0.1', forwarded)).toBe('2001:db8:cafe::17');
    expect(createClientIpResolver(1, 'x-forwarded-for')('10.0.0.1', forwarded)).toBe('10.0.0.1');
  });

  it('unwraps IPv4-mapped peers before matching trusted proxies', () => {
    const resolve = createClientIpResolver(['127.0.0.1'], 'x-forwarded-for');
    expect(resolve('::ffff:127.0.0.1', headers('203.0.113.5'))).toBe('203.0.113.5');
  });
});
