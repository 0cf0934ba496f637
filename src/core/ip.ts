/**
 * Address helpers: canonical forms, IPv6 prefix grouping and CIDR matching.
 *
 * Node's `net.BlockList` does the CIDR matching; what it lacks is a canonical textual form for grouping, so that
 * every address of one IPv6 /64 (one subscriber, usually) is counted under one key. That expansion is written here.
 */

import { BlockList, isIP, isIPv4 } from 'node:net';

/** Strip an IPv4-mapped IPv6 prefix (`::ffff:1.2.3.4`) and a zone id (`fe80::1%eth0`); lower-case IPv6. */
export function normalizeIp(address: string): string {
  let ip = address.trim();
  const zone = ip.indexOf('%');
  if (zone !== -1) ip = ip.slice(0, zone);
  if (ip.length > 7 && ip.charCodeAt(0) === 58 /* : */) {
    const lower = ip.toLowerCase();
    if (lower.startsWith('::ffff:') && isIPv4(lower.slice(7))) return lower.slice(7);
  }
  return ip.includes(':') ? ip.toLowerCase() : ip;
}

/** Expand an IPv6 address into its eight 16-bit groups; null if it is not IPv6. */
export function ipv6Groups(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  let text = address;
  const groups: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) counts as two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let v4: number[] | null = null;
  if (tail.includes('.')) {
    v4 = tail.split('.').map(Number);
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headParts = head === '' ? [] : head.split(':');
  const restParts = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headParts.length - restParts.length;
  for (const part of headParts) groups.push(parseInt(part, 16));
  for (let i = 0; i < missing; i++) groups.push(0);
  for (const part of restParts) groups.push(parseInt(part, 16));
  if (v4) {
    groups[6] = ((v4[0] ?? 0) << 8) | (v4[1] ?? 0);
    groups[7] = ((v4[2] ?? 0) << 8) | (v4[3] ?? 0);
  }
  return groups.length === 8 ? groups : null;
}

/**
 * The key an address is counted under: IPv4 as is, IPv6 masked to `prefix` bits and written `2001:db8:0:1::/64`.
 * Input must already be normalised.
 */
export function ipGroupKey(ip: string, ipv6Prefix: number): string {
  if (!ip.includes(':')) return ip;
  const groups = ipv6Groups(ip);
  if (!groups) return ip;
  if (ipv6Prefix >= 128) return groups.map((g) => g.toString(16)).join(':');
  const masked: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bitsLeft = ipv6Prefix - i * 16;
    const group = groups[i] ?? 0;
    if (bitsLeft >= 16) masked.push(group.toString(16));
    else if (bitsLeft <= 0) masked.push('0');
    else masked.push((group & (0xffff << (16 - bitsLeft)) & 0xffff).toString(16));
  }
  // Compress the trailing zero groups that masking produced, so the key stays short and readable.
  let end = masked.length;
  while (end > 0 && masked[end - 1] === '0') end--;
  const kept = masked.slice(0, end).join(':');
  return `${end === 8 ? kept : `${kept}::`}/${ipv6Prefix}`;
}

/** A predicate over normalised addresses for a list of addresses and CIDRs. Throws on an invalid entry. */
export function compileAddressList(entries: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = normalizeIp(slash === -1 ? entry : entry.slice(0, slash));
    const family = isIP(address);
    if (family === 0) throw new Error(`not an IP address or CIDR: ${JSON.stringify(raw)}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) list.addAddress(address, type);
    else list.addSubnet(address, Number(entry.slice(slash + 1)), type);
  }
  return (ip: string) => {
    const family = isIP(ip);
    if (family === 0) return false;
    return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/** An address block: `203.0.113.0/24`, `2001:db8::/48`. */
export interface Cidr {
  /** Canonical spelling: the network address (host bits zeroed) and the prefix; a single address gets /32 or /128. */
  readonly text: string;
  readonly family: 4 | 6;
  readonly prefix: number;
  /** True for a normalised address inside the block. */
  contains(ip: string): boolean;
}

/** Parse an address or a CIDR into its canonical block; null when it is neither. */
export function parseCidr(input: string): Cidr | null {
  const entry = input.trim();
  const slash = entry.indexOf('/');
  const address = normalizeIp(slash === -1 ? entry : entry.slice(0, slash));
  const family = isIP(address);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  let text: string;
  if (family === 4) {
    const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
    const mask = prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix);
    // Bitwise operators are signed 32-bit in JS; unsigned arithmetic on the masked value keeps it positive.
    const network = (value & mask) >>> 0;
    text = `${[network >>> 24, (network >>> 16) & 255, (network >>> 8) & 255, network & 255].join('.')}/${prefix}`;
  } else {
    const key = ipGroupKey(address, prefix);
    text = prefix >= 128 ? `${key}/128` : key;
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const block = new BlockList();
  block.addSubnet(text.slice(0, text.lastIndexOf('/')), prefix, type);
  return Object.freeze({
    text,
    family,
    prefix,
    contains: (ip: string) => isIP(ip) === family && block.check(ip, type),
  });
}
