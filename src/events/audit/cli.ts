/**
 * `wsguard audit verify FILE…`: check an audit log's hash chain across its files.
 *
 * Files are checked oldest first. When every FILE is one log's file (`audit.log`, `audit.log.1`, …), they are put
 * in rotation order whatever the order given, so `wsguard audit verify audit.log*` works although the shell sorts
 * `audit.log.10` before `audit.log.2`; otherwise they are taken in the order given.
 *
 * Exit codes: 0 intact (one summary line on `out`); 1 broken (the file, line, seq and reason of the first broken
 * record on `out`); 2 usage error or unreadable file (on `err`).
 */

import { rotationIndex, verifyAuditFiles, type AuditFailureReason } from './verify.js';

export const AUDIT_USAGE = `Usage: wsguard audit verify FILE...

Check the hash chain of an audit log written by auditSink, across its rotated files
(e.g. wsguard audit verify audit.log*). Files are checked oldest first.

Exit status: 0 intact, 1 a record is missing, edited or out of order, 2 usage error or unreadable file.
`;

const EXPLAIN: Record<AuditFailureReason, string> = {
  bad_json: 'the line is not an audit record',
  bad_hash: 'the record was edited (its hash does not match)',
  broken_chain: 'the record does not follow the previous one (a record was deleted, inserted or moved)',
  seq_gap: 'the record\u2019s seq does not follow the previous one',
};

/** Put one log's files in rotation order (`base.N` … `base.1`, `base`); any other set keeps the order given. */
export function orderAuditFiles(files: readonly string[]): string[] {
  const stems = files.map((f) => {
    const m = /^(.*)\.([1-9][0-9]*)$/.exec(f);
    return m?.[1] ?? f;
  });
  const base = stems.reduce((a, b) => (a.length <= b.length ? a : b), stems[0] ?? '');
  const indexed = files.map((f) => ({ f, index: rotationIndex(base, f) }));
  if (indexed.some((x) => x.index === null)) return [...files];
  return indexed.sort((a, b) => (b.index as number) - (a.index as number)).map((x) => x.f);
}

export async function auditCommand(
  args: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '-h' || sub === '--help' || sub === 'help') {
    out.write(AUDIT_USAGE);
    return 0;
  }
  if (sub !== 'verify') {
    err.write(`wsguard audit: ${sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\n\n${AUDIT_USAGE}`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    out.write(AUDIT_USAGE);
    return 0;
  }
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '--') {
      files.push(...rest.slice(i + 1));
      break;
    }
    if (arg.startsWith('-') && arg !== '-') {
      err.write(`wsguard audit verify: unknown option ${JSON.stringify(arg)}\n\n${AUDIT_USAGE}`);
      return 2;
    }
    files.push(arg);
  }
  if (files.length === 0) {
    err.write(`wsguard audit verify: no FILE given\n\n${AUDIT_USAGE}`);
    return 2;
  }
  const ordered = orderAuditFiles(files);
  let result;
  try {
    result = await verifyAuditFiles(ordered);
  } catch (error) {
    err.write(`wsguard audit verify: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (result.ok) {
    const range = result.records === 0 ? '' : `, seq ${result.firstSeq}-${result.lastSeq}`;
    const start = result.records === 0 ? '' : result.fromGenesis ? ', from the start of the chain' : ', older files removed';
    out.write(
      `ok: ${result.records} record${result.records === 1 ? '' : 's'} in ${result.files} file${result.files === 1 ? '' : 's'}${range}${start}; last hash ${result.lastHash}\n`,
    );
    return 0;
  }
  const seq = result.seq === undefined ? '' : ` (seq ${result.seq}${result.expectedSeq === undefined || result.expectedSeq === result.seq ? '' : `, expected ${result.expectedSeq}`})`;
  out.write(`broken: ${result.file} line ${result.line}${seq}: ${result.reason}: ${EXPLAIN[result.reason]}\n`);
  return 1;
}
