/**
 * Admin operations on a guard, shared by the HTTP API and the Socket.IO admin namespace: each checks its input,
 * acts through the guard's registry and abuse detector, and leaves an `admin_action` event naming who did it, so the
 * audit trail proves later who disconnected or banned whom.
 */

import type { Guard } from '../core/guard.js';
import { normalizeIp, parseCidr } from '../core/ip.js';
import type { ConnectionSelector } from '../core/registry.js';
import type { Ban } from '../stores/types.js';

/** Longest id, address or reason accepted from an admin call. */
const MAX_TEXT = 256;
/** Longest temporary ban an admin can ask for by length: beyond a year, ban permanently. */
const MAX_BAN_MS = 366 * 24 * 60 * 60 * 1000;

/** A refusal of an admin call's input or of the operation itself, with an API error code. */
export class AdminError extends Error {
  constructor(
    readonly code: 'bad_request' | 'bans_unavailable' | 'allow_listed',
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export type DisconnectTarget =
  | { readonly connectionId: string }
  | { readonly ip: string }
  | { readonly userId: string }
  | { readonly sessionId: string };

export interface BanInput {
  /** An address or a block (`203.0.113.7`, `203.0.113.0/24`, `2001:db8::/48`). */
  readonly ip?: string;
  readonly userId?: string;
  /** Milliseconds; absent or null bans permanently. */
  readonly durationMs?: number | null;
  readonly reason?: string;
}

export interface UnbanInput {
  readonly ip?: string;
  readonly userId?: string;
}

export interface AdminControls {
  /** Close the matching live connections (`disconnected_by_admin`); returns how many. */
  disconnect(input: unknown, by: string): number;
  ban(input: unknown, by: string): Promise<Ban>;
  unban(input: unknown, by: string): Promise<boolean>;
  listBans(): readonly Ban[];
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_TEXT) {
    throw new AdminError('bad_request', `${field} must be a non-empty string of at most ${MAX_TEXT} characters`, 400);
  }
  return value;
}

function record(input: unknown): Readonly<Record<string, unknown>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AdminError('bad_request', 'expected a JSON object', 400);
  return input as Record<string, unknown>;
}

/** Exactly one of `fields` must be present: acting on "everything" by leaving a field out is never what was meant. */
function one(body: Readonly<Record<string, unknown>>, fields: readonly string[]): [string, string] {
  const present = fields.filter((f) => body[f] !== undefined);
  if (present.length !== 1) throw new AdminError('bad_request', `give exactly one of ${fields.join(', ')}`, 400);
  const field = present[0] as string;
  return [field, text(body[field], field)];
}

/** The detector's target for an `ip` field: a single address, or a block when it has a prefix. */
function ipTarget(ip: string): { ip: string } | { cidr: string } {
  const block = parseCidr(ip);
  if (block === null) throw new AdminError('bad_request', `ip must be an IP address or a CIDR block, got ${JSON.stringify(ip)}`, 400);
  return ip.includes('/') ? { cidr: block.text } : { ip: normalizeIp(ip) };
}

export function createAdminControls(guard: Guard): AdminControls {
  function abuse(): NonNullable<Guard['abuse']> {
    if (guard.abuse === null) throw new AdminError('bans_unavailable', 'bans need the abuse detector (`abuseDetectionEnabled: true`)', 501);
    return guard.abuse;
  }

  function act(by: string, action: string, target: Readonly<Record<string, unknown>>, result: Readonly<Record<string, unknown>>): void {
    guard.emit({
      type: 'admin_action',
      userId: by,
      detail: { action, by, target, ...result },
    });
  }

  return {
    disconnect(input, by) {
      const body = record(input);
      const [field, value] = one(body, ['connectionId', 'ip', 'userId', 'sessionId']);
      let selector: ConnectionSelector;
      if (field === 'connectionId') selector = { id: value };
      else if (field === 'userId') selector = { userId: value };
      else if (field === 'sessionId') selector = { sessionId: value };
      else {
        const target = ipTarget(value);
        selector = 'cidr' in target ? { cidr: target.cidr } : { ip: target.ip };
      }
      const closed = guard.connections.close(selector, 'disconnected_by_admin');
      act(by, 'disconnect', { [field]: value }, { closed });
      return closed;
    },

    async ban(input, by) {
      const body = record(input);
      const [field, value] = one(body, ['ip', 'userId']);
      const duration = body['durationMs'];
      if (duration !== undefined && duration !== null) {
        if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1 || duration > MAX_BAN_MS) {
          throw new AdminError('bad_request', `durationMs must be a whole number of ms from 1 to ${MAX_BAN_MS}, or null for a permanent ban`, 400);
        }
      }
      const reason = body['reason'] === undefined ? 'admin' : text(body['reason'], 'reason');
      const target = field === 'ip' ? ipTarget(value) : { userId: value };
      const length = typeof duration === 'number' ? { durationMs: duration } : { permanent: true as const };
      const outcome = await abuse().ban(target, { reason, by, ...length });
      if (!outcome.banned) throw new AdminError('allow_listed', `${field} ${value} is on the abuse allow-list and cannot be banned`, 409);
      act(by, 'ban', { [field]: value }, { key: outcome.ban.key, expiresAt: outcome.ban.expiresAt, reason });
      return outcome.ban;
    },

    async unban(input, by) {
      const body = record(input);
      const [field, value] = one(body, ['ip', 'userId']);
      const target = field === 'ip' ? ipTarget(value) : { userId: value };
      const removed = await abuse().unban(target, { by });
      act(by, 'unban', { [field]: value }, { removed });
      return removed;
    },

    listBans: () => (guard.abuse === null ? [] : guard.abuse.listBans()),
  };
}
