import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus, completeEvent } from '../../src/events/bus.js';
import type { SecurityEvent, SecurityEventInput } from '../../src/events/catalogue.js';
import { auditCommand, orderAuditFiles } from '../../src/events/audit/cli.js';
import { GENESIS_HASH, canonicalRecord, parseRecordLine, recordHash } from '../../src/events/audit/format.js';
import { auditSink, type AuditSinkOptions } from '../../src/events/audit/sink.js';
import { auditFilesInOrder, verifyAuditFiles } from '../../src/events/audit/verify.js';

let dir: string;
let log: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wsguard-audit-'));
  log = join(dir, 'audit.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ev = (input: Partial<SecurityEventInput> & { n?: number } = {}): SecurityEvent => {
  const { n, ...rest } = input;
  return completeEvent({ type: 'connection_accepted', ip: '10.0.0.1', ...(n === undefined ? {} : { detail: { n } }), ...rest }, 1_000);
};

function sink(extra: Partial<AuditSinkOptions> = {}) {
  let t = 5_000;
  return auditSink({ path: log, flushIntervalMs: 60_000, now: () => t++, ...extra });
}

async function lines(path = log): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((l) => l !== '');
}
const records = async (path = log) => (await lines(path)).map((l) => JSON.parse(l) as { seq: number; prev: string; hash: string; time: number; event: SecurityEvent });

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function cli(...args: string[]) {
  const out = capture();
  const err = capture();
  const code = await auditCommand(args, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

describe('audit sink: line format and chain', () => {
  it('writes each event as a chained record in the documented canonical form', async () => {
    const s = sink();
    s.write([ev({ n: 1 }), ev({ n: 2 })]);
    s.write([ev({ n: 3 })]);
    await s.close();
    const raw = await lines();
    const recs = await records();
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(recs.map((r) => (r.event.detail as { n: number }).n)).toEqual([1, 2, 3]);
    expect(recs[0]?.prev).toBe(GENESIS_HASH);
    expect(recs[1]?.prev).toBe(recs[0]?.hash);
    expect(recs[2]?.prev).toBe(recs[1]?.hash);
    for (const [i, r] of recs.entries()) {
      // Key order is fixed: seq, time, prev, event, hash.
      expect(Object.keys(r)).toEqual(['seq', 'time', 'prev', 'event', 'hash']);
      const canonical = JSON.stringify({ seq: r.seq, time: r.time, prev: r.prev, event: r.event });
      expect(canonical).toBe(canonicalRecord(r.seq, r.time, r.prev, r.event));
      expect(r.hash).toBe(recordHash(r.prev, canonical));
      expect(raw[i]).toBe(`${canonical.slice(0, -1)},"hash":"${r.hash}"}`);
      expect(parseRecordLine(raw[i] as string).ok).toBe(true);
    }
    expect(recs[0]?.time).toBe(5_000);
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: true, records: 3, files: 1, firstSeq: 1, lastSeq: 3, fromGenesis: true });
    expect(s.stats()).toMatchObject({ written: 3, queued: 0, unwritten: 0, dropped: 0, writeErrors: 0, lastSeq: 3, lastHash: recs[2]?.hash });
  });

  it('write never touches the disk; the interval flush writes and syncs', async () => {
    const s = sink({ flushIntervalMs: 20 });
    s.write([ev()]);
    await expect(readFile(log, 'utf8')).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 120));
    expect(await lines()).toHaveLength(1);
    expect(s.stats().written).toBe(1);
    await s.close();
  });

  it('an unserializable event is written as a stub, not lost', async () => {
    const s = sink();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    s.write([ev({ detail: cyclic }), ev({ n: 2 })]);
    await s.close();
    const recs = await records();
    expect(recs[0]?.event).toMatchObject({ type: 'connection_accepted', detail: { unserializable: true } });
    expect(s.stats().serializeErrors).toBe(1);
    expect((await verifyAuditFiles([log])).ok).toBe(true);
  });

  it('a restart continues the chain (seq and prev) instead of starting a new one', async () => {
    const a = sink();
    a.write([ev({ n: 1 }), ev({ n: 2 })]);
    await a.close();
    const b = sink();
    b.write([ev({ n: 3 })]);
    await b.close();
    const recs = await records();
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(recs[2]?.prev).toBe(recs[1]?.hash);
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: true, records: 3 });
  });

  it('a restart after a crash mid-line cuts the torn fragment and continues the chain', async () => {
    const a = sink();
    a.write([ev({ n: 1 }), ev({ n: 2 })]);
    await a.close();
    await appendFile(log, '{"seq":3,"time":1,"prev":"ab');
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: false, line: 3, reason: 'bad_json' });
    const b = sink();
    b.write([ev({ n: 3 })]);
    await b.close();
    expect(b.stats().recoveredTornBytes).toBe('{"seq":3,"time":1,"prev":"ab'.length);
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: true, records: 3 });
  });
});

describe('audit sink: rotation', () => {
  it('rotates past maxBytes, keeps maxFiles, and the chain verifies across files', async () => {
    const s = sink({ maxBytes: 1_000, maxFiles: 3 });
    for (let i = 1; i <= 30; i++) {
      s.write([ev({ n: i })]);
      if (i % 4 === 0) await s.flush();
    }
    await s.close();
    const files = await auditFilesInOrder(log);
    expect(files).toEqual([`${log}.3`, `${log}.2`, `${log}.1`, log]);
    expect((await readdir(dir)).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3']);
    for (const f of files) expect((await readFile(f)).length).toBeLessThanOrEqual(1_000);
    const all = (await Promise.all(files.map((f) => records(f)))).flat();
    // Oldest files were deleted: the remaining ones still form one unbroken chain ending at seq 30.
    expect(all.at(-1)?.seq).toBe(30);
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: all.length }, (_, i) => 31 - all.length + i));
    const result = await verifyAuditFiles(files);
    expect(result).toMatchObject({ ok: true, records: all.length, files: 4, lastSeq: 30, fromGenesis: false });
    expect(s.stats().rotations).toBeGreaterThan(3);
    // The wrong order is caught at the first file boundary.
    expect(await verifyAuditFiles([log, `${log}.1`])).toMatchObject({ ok: false, file: `${log}.1`, line: 1, reason: 'broken_chain' });
  });

  it('a restart after rotation continues from the live file, and from .1 when the live file is empty', async () => {
    const a = sink({ maxBytes: 600 });
    for (let i = 1; i <= 6; i++) {
      a.write([ev({ n: i })]);
      await a.flush();
    }
    await a.close();
    const b = sink({ maxBytes: 600 });
    b.write([ev({ n: 7 })]);
    await b.close();
    expect(await verifyAuditFiles(await auditFilesInOrder(log))).toMatchObject({ ok: true, lastSeq: 7, fromGenesis: true });
    // A crash right after a rotation: the live file has just moved to .1 and the new one is empty.
    const files = await auditFilesInOrder(log);
    for (let i = files.length - 1; i >= 1; i--) await rename(`${log}.${i}`, `${log}.${i + 1}`);
    await rename(log, `${log}.1`);
    await writeFile(log, '');
    const c = sink({ maxBytes: 600 });
    c.write([ev({ n: 8 })]);
    await c.close();
    expect(await records()).toMatchObject([{ seq: 8 }]);
    expect(await verifyAuditFiles(await auditFilesInOrder(log))).toMatchObject({ ok: true, lastSeq: 8, fromGenesis: true });
  });
});

describe('audit sink: bounded queue and ordering', () => {
  it('a full queue drops, counts, and writes one chained events_dropped record after the queued events', async () => {
    const s = sink({ queueSize: 4 });
    s.write([ev({ n: 1 }), ev({ n: 2 }), ev({ n: 3 }), ev({ n: 4 }), ev({ n: 5 }), ev({ n: 6 }), ev({ n: 7 })]);
    expect(s.stats()).toMatchObject({ queued: 4, dropped: 3 });
    await s.flush();
    s.write([ev({ n: 8 })]);
    await s.close();
    const recs = await records();
    expect(recs.map((r) => r.event.type)).toEqual([
      'connection_accepted',
      'connection_accepted',
      'connection_accepted',
      'connection_accepted',
      'events_dropped',
      'connection_accepted',
    ]);
    expect(recs.filter((r) => r.event.type === 'events_dropped')).toHaveLength(1);
    expect(recs[4]?.event).toMatchObject({ type: 'events_dropped', category: 'system', severity: 'warning', detail: { count: 3 } });
    expect((recs[5]?.event.detail as { n: number }).n).toBe(8);
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: true, records: 6 });
  });

  it('keeps order across writes, flushes and close; events after close are counted, not written', async () => {
    const s = sink();
    s.write([ev({ n: 1 })]);
    const f1 = s.flush();
    s.write([ev({ n: 2 }), ev({ n: 3 })]);
    const f2 = s.flush();
    s.write([ev({ n: 4 })]);
    const closing = s.close();
    s.write([ev({ n: 5 })]);
    await Promise.all([f1, f2, closing]);
    expect((await records()).map((r) => (r.event.detail as { n: number }).n)).toEqual([1, 2, 3, 4]);
    expect(s.stats()).toMatchObject({ written: 4, droppedAfterClose: 1 });
    await s.close();
  });

  it('write never throws; a failed write is counted and retried on the next flush', async () => {
    const missing = join(dir, 'no-such-dir', 'audit.log');
    const s = auditSink({ path: missing, flushIntervalMs: 60_000 });
    expect(() => s.write([ev({ n: 1 })])).not.toThrow();
    await expect(s.flush()).rejects.toThrow();
    expect(s.stats()).toMatchObject({ writeErrors: 1, written: 0, unwritten: 1 });
    s.write([ev({ n: 2 })]);
    await rm(join(dir, 'no-such-dir'), { force: true, recursive: true });
    await mkdir(join(dir, 'no-such-dir'));
    await s.flush(); // the retried record
    await s.close(); // then the queued one
    const recs = await records(missing);
    expect(recs.map((r) => [r.seq, (r.event.detail as { n: number }).n])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(await verifyAuditFiles([missing])).toMatchObject({ ok: true, records: 2 });
  });
});

describe('verifyAuditFiles: tampering', () => {
  async function writeLog(n: number): Promise<string[]> {
    const s = sink();
    for (let i = 1; i <= n; i++) s.write([ev({ n: i })]);
    await s.close();
    return lines();
  }

  it('an edited line is bad_hash (values or formatting), a garbled one bad_json', async () => {
    const raw = await writeLog(5);
    await writeFile(log, [...raw.slice(0, 2), (raw[2] as string).replace('10.0.0.1', '10.0.0.2'), ...raw.slice(3)].join('\n') + '\n');
    expect(await verifyAuditFiles([log])).toEqual({ ok: false, file: log, line: 3, seq: 3, expectedSeq: 3, reason: 'bad_hash' });
    await writeFile(log, [...raw.slice(0, 3), (raw[3] as string).replace('{"seq"', '{ "seq"'), ...raw.slice(4)].join('\n') + '\n');
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: false, line: 4, reason: 'bad_hash' });
    await writeFile(log, [...raw.slice(0, 1), 'not json', ...raw.slice(2)].join('\n') + '\n');
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: false, line: 2, reason: 'bad_json' });
  });

  it('a deleted line breaks the chain at the next record', async () => {
    const raw = await writeLog(5);
    await writeFile(log, [...raw.slice(0, 2), ...raw.slice(3)].join('\n') + '\n');
    expect(await verifyAuditFiles([log])).toEqual({ ok: false, file: log, line: 3, seq: 4, expectedSeq: 3, reason: 'broken_chain' });
  });

  it('reordered lines break the chain at the first moved record', async () => {
    const raw = await writeLog(5);
    await writeFile(log, [raw[0], raw[1], raw[3], raw[2], raw[4]].join('\n') + '\n');
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: false, file: log, line: 3, seq: 4, reason: 'broken_chain' });
  });

  it('a first line deleted is not detectable from the file alone, but firstSeq and fromGenesis show it', async () => {
    const raw = await writeLog(3);
    await writeFile(log, raw.slice(1).join('\n') + '\n');
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: true, records: 2, firstSeq: 2, fromGenesis: false });
  });

  it('rejects when a file cannot be read', async () => {
    await expect(verifyAuditFiles([join(dir, 'missing.log')])).rejects.toThrow(/ENOENT/);
  });
});

describe('wsguard audit verify', () => {
  it('exit 0 with a one-line summary when intact, across rotated files given in shell order', async () => {
    const s = sink({ maxBytes: 700 });
    for (let i = 1; i <= 12; i++) {
      s.write([ev({ n: i })]);
      await s.flush();
    }
    await s.close();
    const files = await auditFilesInOrder(log);
    expect(files.length).toBeGreaterThan(2);
    const shellOrder = [...files].sort();
    const r = await cli('verify', ...shellOrder);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^ok: 12 records in \d+ files, seq 1-12, from the start of the chain; last hash [0-9a-f]{64}\n$/);
  });

  it('exit 1 naming the file, line and reason of the first broken record', async () => {
    const s = sink();
    for (let i = 1; i <= 4; i++) s.write([ev({ n: i })]);
    await s.close();
    const raw = await lines();
    await writeFile(log, [raw[0], raw[2], raw[3]].join('\n') + '\n');
    const r = await cli('verify', log);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`broken: ${log} line 2 (seq 3, expected 2): broken_chain: the record does not follow the previous one (a record was deleted, inserted or moved)\n`);
  });

  it('exit 2 for usage errors and unreadable files', async () => {
    for (const args of [[], ['check', log], ['verify'], ['verify', '--fast', log]]) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/Usage: wsguard audit verify FILE/);
    }
    const r = await cli('verify', join(dir, 'missing.log'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/ENOENT/);
    expect((await cli('--help')).code).toBe(0);
  });

  it('orders one log\u2019s files by rotation index and leaves other sets as given', () => {
    expect(orderAuditFiles(['a.log', 'a.log.1', 'a.log.10', 'a.log.2'])).toEqual(['a.log.10', 'a.log.2', 'a.log.1', 'a.log']);
    expect(orderAuditFiles(['x.log', 'y.log'])).toEqual(['x.log', 'y.log']);
  });
});

describe('audit sink behind the event bus', () => {
  it('records the bus\u2019s events in order, and the bus\u2019s own events_dropped, in one verifiable chain', async () => {
    const s = sink();
    const bus = new EventBus({ sinks: [s], aggregationMs: 0, queueSize: 3, maxKeys: 10, now: () => 1_000 });
    for (let i = 1; i <= 5; i++) bus.emit({ type: 'connection_accepted', detail: { n: i } });
    await bus.close();
    const recs = await records();
    expect(recs.map((r) => r.event.type)).toEqual(['connection_accepted', 'connection_accepted', 'connection_accepted', 'events_dropped']);
    expect(recs[3]?.event.detail).toEqual({ count: 2 });
    expect(await verifyAuditFiles([log])).toMatchObject({ ok: true, records: 4 });
  });
});
