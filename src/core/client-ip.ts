/**
 * Client-address resolution through trusted proxies, with Express's `trust proxy` semantics.
 *
 * The hop chain is the TCP peer followed by the forwarding header's entries from right (nearest) to left. We walk it
 * from the peer outwards while the current hop is trusted; the first untrusted hop is the client. A header sent by an
 * untrusted peer is therefore never read, and entries a client prepended are never reached unless every proxy in
 * between is trusted.
 */

import { isIP } from 'node:net';
import type { TrustProxy } from '../config/types.js';
import { compileAddressList, normalizeIp } from './ip.js';

/** `(address, hopIndex) => trusted`, hop 0 being the TCP peer. */
export type TrustPredicate = (address: string, hop: number) => boolean;

export function compileTrustProxy(trust: TrustProxy): TrustPredicate | null {
  if (trust === false || trust === 0) return null;
  if (trust === true) return () => true;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  const entries = typeof trust === 'string' ? trust.split(',') : trust;
  const trusted = compileAddressList(entries.map((e) => e.trim()).filter((e) => e !== ''));
  return (address) => trusted(address);
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** Entries of X-Forwarded-For, left to right, as written (several header lines are joined, in order). */
function xForwardedFor(headers: Headers): string[] {
  const value = headers['x-forwarded-for'];
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(',') : value;
  return text.split(',').map((part) => stripPort(part.trim()));
}

/** The `for=` values of an RFC 7239 Forwarded header, left to right. */
function forwardedFor(headers: Headers): string[] {
  const value = headers['forwarded'];
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(',') : value;
  const result: string[] = [];
  for (const element of text.split(',')) {
    let found = '';
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      if (pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      found = pair.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    result.push(stripPort(found));
  }
  return result;
}

/** `[2001:db8::1]:4711` → `2001:db8::1`; `192.0.2.1:80` → `192.0.2.1`; anything else unchanged. */
function stripPort(entry: string): string {
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']');
    return end === -1 ? entry : entry.slice(1, end);
  }
  const colon = entry.indexOf(':');
  if (colon !== -1 && entry.indexOf(':', colon + 1) === -1) return entry.slice(0, colon);
  return entry;
}

export interface ClientIpResolver {
  (peerAddress: string, headers: Headers): string;
}

export function createClientIpResolver(
  trust: TrustProxy,
  header: 'x-forwarded-for' | 'forwarded',
): ClientIpResolver {
  const isTrusted = compileTrustProxy(trust);
  const readChain = header === 'forwarded' ? forwardedFor : xForwardedFor;
  return (peerAddress, headers) => {
    const peer = normalizeIp(peerAddress);
    if (isTrusted === null || !isTrusted(peer, 0)) return peer;
    const forwarded = readChain(headers);
    let client = peer;
    for (let i = forwarded.length - 1, hop = 1; i >= 0; i--, hop++) {
      const candidate = normalizeIp(forwarded[i] ?? '');
      // A hop that is not an address ("unknown", garbage a client injected) ends the walk at the last good hop.
      if (isIP(candidate) === 0) return client;
      client = candidate;
      if (!isTrusted(candidate, hop)) return candidate;
    }
    return client;
  };
}
