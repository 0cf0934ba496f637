/**
 * The audit log's line format and hash chain, shared by the sink that writes it and the verifier that checks it.
 *
 * One record per line (UTF-8, `\n`-terminated):
 *
 *   {"seq":N,"time":T,"prev":"<64 hex>","event":{…the SecurityEvent…},"hash":"<64 hex>"}
 *
 * - `seq`: 1 for the first record of a chain, then +1 per record, across restarts and rotated files.
 * - `time`: epoch milliseconds when the sink serialized the record (the event keeps its own `time`).
 * - `prev`: the `hash` of the previous record; 64 zeros for the first record of a chain.
 * - `hash`: lowercase hex SHA-256 of the UTF-8 bytes of `prev + canonical`, where `canonical` is
 *   `JSON.stringify({ seq, time, prev, event })` — an object with exactly these four keys, in this order, no
 *   whitespace; `event` is serialized by `JSON.stringify` as written (its own key order kept).
 *
 * The line is `canonical` with `,"hash":"…"` inserted before its final `}`. A verifier re-serializes the parsed
 * values, so it must get the line back byte for byte (JSON.stringify → JSON.parse → JSON.stringify is stable);
 * any other edit — a value, a key, whitespace — is caught.
 */

import { createHash } from 'node:crypto';

/** `prev` of the first record of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

const HEX64 = /^[0-9a-f]{64}$/;

export interface AuditRecord {
  readonly seq: number;
  readonly time: number;
  readonly prev: string;
  readonly event: unknown;
  readonly hash: string;
}

/** `JSON.stringify({ seq, time, prev, event })` — the bytes the hash covers (after `prev`). Throws like JSON.stringify. */
export function canonicalRecord(seq: number, time: number, prev: string, event: unknown): string {
  return JSON.stringify({ seq, time, prev, event });
}

export function recordHash(prev: string, canonical: string): string {
  return createHash('sha256').update(prev, 'utf8').update(canonical, 'utf8').digest('hex');
}

/** The full line for a record, without the trailing newline. */
export function recordLine(canonical: string, hash: string): string {
  return `${canonical.slice(0, -1)},"hash":"${hash}"}`;
}

export type ParseResult =
  | { readonly ok: true; readonly record: AuditRecord }
  | { readonly ok: false; readonly reason: 'bad_json' | 'bad_hash' };

/**
 * Parse one line and check it against its own hash. `bad_json`: not JSON, or not a record (wrong key set or types).
 * `bad_hash`: a record whose hash does not match, or whose line is not the canonical serialization of its values.
 */
export function parseRecordLine(line: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'bad_json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'bad_json' };
  const rec = value as Record<string, unknown>;
  const { seq, time, prev, event, hash } = rec;
  if (
    !Number.isSafeInteger(seq) ||
    typeof time !== 'number' ||
    typeof prev !== 'string' ||
    !HEX64.test(prev) ||
    typeof event !== 'object' ||
    event === null ||
    typeof hash !== 'string' ||
    !HEX64.test(hash)
  ) {
    return { ok: false, reason: 'bad_json' };
  }
  const canonical = canonicalRecord(seq as number, time, prev, event);
  if (recordHash(prev, canonical) !== hash || recordLine(canonical, hash) !== line) return { ok: false, reason: 'bad_hash' };
  return { ok: true, record: { seq: seq as number, time, prev, event, hash } };
}
