/**
 * Checks an audit log written by `auditSink`: every line's own hash, and the chain from line to line and from file
 * to file (oldest file first). Files are streamed line by line, so their size does not matter.
 *
 * The first record of the first file is the anchor: its `prev` is taken as given (64 zeros when the chain starts
 * there; a record hash when older rotated files were deleted). From then on each record must have
 * `prev` = the previous record's `hash` and `seq` = the previous `seq` + 1.
 *
 * What it catches: an edited line (`bad_hash`, or `bad_json` when no longer a record), a deleted or reordered line
 * (`broken_chain`: the next record's `prev` no longer matches), a record whose `seq` does not follow although its
 * `prev` does (`seq_gap`). What it cannot catch from the files alone: lines cut from the end of the newest file, or
 * whole oldest files removed — compare `lastHash` / `firstSeq` with values kept elsewhere for that.
 */

import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { GENESIS_HASH, parseRecordLine } from './format.js';

export type AuditFailureReason = 'bad_json' | 'bad_hash' | 'broken_chain' | 'seq_gap';

export interface AuditVerifyOk {
  readonly ok: true;
  readonly records: number;
  readonly files: number;
  /** `seq` of the first and last records (0 when there are none). */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** The hash of the last record: store it elsewhere to detect a later truncation. Genesis hash when empty. */
  readonly lastHash: string;
  /** The first record starts the chain (prev = 64 zeros), i.e. no older file is missing. */
  readonly fromGenesis: boolean;
}

export interface AuditVerifyFailure {
  readonly ok: false;
  readonly file: string;
  /** 1-based line number within `file`. */
  readonly line: number;
  /** The broken record's `seq`, when the line parses. */
  readonly seq?: number;
  /** The `seq` the chain expected at this line (absent for the first record). */
  readonly expectedSeq?: number;
  readonly reason: AuditFailureReason;
}

export type AuditVerifyResult = AuditVerifyOk | AuditVerifyFailure;

/** Verify the chain through `paths`, given oldest first. Rejects only when a file cannot be read. */
export async function verifyAuditFiles(paths: readonly string[]): Promise<AuditVerifyResult> {
  let records = 0;
  let firstSeq = 0;
  let lastSeq = 0;
  let lastHash: string | null = null;
  let fromGenesis = false;
  for (const file of paths) {
    const input = createReadStream(file);
    const lines = createInterface({ input, crlfDelay: Infinity });
    let lineNo = 0;
    try {
      for await (const line of lines) {
        lineNo++;
        const expectedSeq = lastHash === null ? undefined : lastSeq + 1;
        const fail = (reason: AuditFailureReason, seq?: number): AuditVerifyFailure => ({
          ok: false,
          file,
          line: lineNo,
          ...(seq === undefined ? {} : { seq }),
          ...(expectedSeq === undefined ? {} : { expectedSeq }),
          reason,
        });
        const parsed = parseRecordLine(line);
        if (!parsed.ok) return fail(parsed.reason, seqOf(line));
        const { record } = parsed;
        if (lastHash === null) {
          firstSeq = record.seq;
          fromGenesis = record.prev === GENESIS_HASH;
        } else {
          if (record.prev !== lastHash) return fail('broken_chain', record.seq);
          if (record.seq !== lastSeq + 1) return fail('seq_gap', record.seq);
        }
        records++;
        lastSeq = record.seq;
        lastHash = record.hash;
      }
    } finally {
      lines.close();
      input.destroy();
    }
  }
  return { ok: true, records, files: paths.length, firstSeq, lastSeq, lastHash: lastHash ?? GENESIS_HASH, fromGenesis };
}

/** The `seq` of a line that parses as JSON but fails its hash, for the report. */
function seqOf(line: string): number | undefined {
  try {
    const value: unknown = JSON.parse(line);
    const seq = typeof value === 'object' && value !== null ? (value as { seq?: unknown }).seq : undefined;
    return Number.isSafeInteger(seq) ? (seq as number) : undefined;
  } catch {
    return undefined;
  }
}

/** The rotation index of `name` relative to `base` (`base` → 0, `base.3` → 3), or null if it is not one of its files. */
export function rotationIndex(base: string, name: string): number | null {
  if (name === base) return 0;
  if (!name.startsWith(`${base}.`)) return null;
  const suffix = name.slice(base.length + 1);
  return /^[1-9][0-9]*$/.test(suffix) ? Number(suffix) : null;
}

/** The existing files of the log at `basePath`, oldest first: `[base.N, …, base.2, base.1, base]`. */
export async function auditFilesInOrder(basePath: string): Promise<string[]> {
  const dir = dirname(basePath);
  const base = basename(basePath);
  const found: { index: number; path: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const index = rotationIndex(base, entry.name);
    if (index !== null) found.push({ index, path: index === 0 ? basePath : `${basePath}.${index}` });
  }
  return found.sort((a, b) => b.index - a.index).map((f) => f.path);
}
