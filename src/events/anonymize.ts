/**
 * Client addresses in logs, for deployments under privacy law: what the sinks (log, audit file) receive can carry a
 * truncated address (the IPv4 /24, the IPv6 /48) or a keyed hash instead of the address. In-process listeners (the
 * abuse detector, a dashboard) keep the real one: banning and grouping need it.
 */

import { createHmac } from 'node:crypto';
import { ipGroupKey } from '../core/ip.js';
import type { SecurityEvent } from './catalogue.js';

export type IpAnonymization = 'off' | 'truncate' | 'hash';

/** Hashes are cut to 16 hex characters (64 bits): enough to tell clients apart in a log, too short to be reversed by a table of every address. */
const HASH_HEX = 16;

export function compileIpAnonymizer(
  mode: IpAnonymization,
  secret: string | undefined,
): ((event: SecurityEvent) => SecurityEvent) | null {
  if (mode === 'off') return null;
  let anonymize: (ip: string) => string;
  if (mode === 'truncate') {
    anonymize = (ip) => (ip.includes(':') ? ipGroupKey(ip, 48) : ip.replace(/\.\d+$/, '.0'));
  } else {
    if (secret === undefined) throw new Error('anonymizeIps: "hash" needs anonymizeIpSecret');
    anonymize = (ip) => `h:${createHmac('sha256', secret).update(ip).digest('hex').slice(0, HASH_HEX)}`;
  }
  return (event) => (event.ip === undefined ? event : { ...event, ip: anonymize(event.ip) });
}
