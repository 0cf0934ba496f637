/**
 * The allow-list: IPs, CIDRs and users that the detector never counts, throttles, disconnects or bans.
 *
 * Compiled once into two predicates. Node's `net.BlockList` does the CIDR matching. An IP group key
 * (`2001:db8:0:1::/64`) is matched by its network address, so listing a /64 or a wider block covers the group.
 */

import { BlockList, isIP } from 'node:net';

export interface AllowListInput {
  /** Addresses and CIDRs (`10.0.0.0/8`, `2001:db8::/48`, `203.0.113.7`). */
  readonly ips?: readonly string[];
  /** User ids, exactly as the `authenticate` hook returns them. */
  readonly users?: readonly string[];
}

export interface AllowList {
  readonly ips: readonly string[];
  readonly users: readonly string[];
  /** True for a listed address, or an IP group whose network address is listed. */
  allowsIp(ipOrGroup: string): boolean;
  allowsUser(userId: string): boolean;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; lower-case IPv6. The guard hands the detector normalised addresses already. */
function normalize(address: string): string {
  const ip = address.trim().toLowerCase();
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) return ip.slice(7);
  return ip;
}

/** Problems with the entries of an IP allow-list, one message each; empty when it is valid. */
export function allowListIpIssues(entries: readonly unknown[]): string[] {
  const issues: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string' || parseEntry(entry) === null) issues.push(`${JSON.stringify(entry)} is not an IP address or CIDR`);
  }
  return issues;
}

function parseEntry(raw: string): { address: string; family: 4 | 6; prefix: number | null } | null {
  const entry = raw.trim();
  const slash = entry.indexOf('/');
  const address = normalize(slash === -1 ? entry : entry.slice(0, slash));
  const family = isIP(address);
  if (family !== 4 && family !== 6) return null;
  if (slash === -1) return { address, family, prefix: null };
  const text = entry.slice(slash + 1);
  const prefix = Number(text);
  if (!/^\d{1,3}$/.test(text) || prefix > (family === 4 ? 32 : 128)) return null;
  return { address, family, prefix };
}

export function compileAllowList(input: AllowListInput = {}): AllowList {
  const ips = Object.freeze([...(input.ips ?? [])]);
  const users = Object.freeze([...(input.users ?? [])]);
  const blocks = new BlockList();
  for (const raw of ips) {
    const entry = parseEntry(raw);
    if (entry === null) throw new RangeError(`allow-list: ${JSON.stringify(raw)} is not an IP address or CIDR`);
    const type = entry.family === 4 ? 'ipv4' : 'ipv6';
    if (entry.prefix === null) blocks.addAddress(entry.address, type);
    else blocks.addSubnet(entry.address, entry.prefix, type);
  }
  const userSet = new Set(users);
  const none = ips.length === 0;
  return Object.freeze({
    ips,
    users,
    allowsIp(ipOrGroup: string): boolean {
      if (none) return false;
      const slash = ipOrGroup.indexOf('/');
      const address = slash === -1 ? ipOrGroup : ipOrGroup.slice(0, slash);
      const family = isIP(address);
      if (family === 0) return false;
      return blocks.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
    allowsUser(userId: string): boolean {
      return userSet.size > 0 && userSet.has(userId);
    },
  });
}
