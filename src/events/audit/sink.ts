/**
 * The audit sink: every security event appended as one hash-chained JSON line (format in `./format.ts`), with
 * size-based rotation, so that deleting, editing or reordering a line is detectable by `verifyAuditFiles`.
 *
 * Durability: `write` only queues (it never touches the disk and never throws). Every `flushIntervalMs` (default
 * 1000 ms), and at once when the queue is half full, the queue is serialized and chained, appended to the file
 * in order through one file handle (one flush at a time, so writes can never reorder), and `datasync`ed.
 * **Crash bound:** a crash (process or machine) loses at most the events handed to the sink during the last
 * `flushIntervalMs` plus those of a flush still in progress; everything older is on stable storage. A crash in the
 * middle of a line leaves a torn last line: on restart the sink truncates that unsynced fragment (counted in
 * `stats().recoveredTornBytes`) and continues the chain from the last complete record.
 *
 * Restart: the first flush reads the last complete record of `path` (or of `path.1` if `path` is missing or empty)
 * and continues its `seq` and `hash`, so a restart does not look like tampering.
 *
 * Rotation: before a record would take the file past `maxBytes`, `path` becomes `path.1`, `path.1` becomes
 * `path.2` … and `path.<maxFiles>` is deleted (older history is gone; with `maxFiles: 0` the file is simply
 * replaced). The chain continues across files; deleting the oldest files breaks nothing, since a verifier starts
 * from the first remaining file's recorded `prev` (which also means a deletion of whole leading files, or of the
 * tail of the newest file, is not detectable from the files alone — keep `stats().lastHash` elsewhere for that).
 *
 * Never silent: past `queueSize` pending events, new events are dropped and counted; the next flush writes the
 * queued events and then a chained `events_dropped` record with `detail.count`. Write errors (disk full, EIO) are
 * counted in `stats().writeErrors` and the already-chained records are retried, byte-exactly from where the failed
 * write stopped, on the next flush; meanwhile the queue fills and drops are counted, so memory stays bounded.
 *
 * One sink per file: two writers on the same path would interleave their chains.
 */

import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { completeEvent } from '../bus.js';
import type { SecurityEvent } from '../catalogue.js';
import { stubEvent } from '../serializable.js';
import type { EventSink } from '../sink.js';
import { GENESIS_HASH, canonicalRecord, parseRecordLine, recordHash, recordLine } from './format.js';

export interface AuditSinkOptions {
  /** The live file; rotated files are `path.1` (newest) … `path.<maxFiles>` (oldest). Its directory must exist. */
  readonly path: string;
  /** Rotate before a record would take the file past this many bytes. Default 50 MiB. */
  readonly maxBytes?: number;
  /** Rotated files kept; older ones are deleted. Default 10. */
  readonly maxFiles?: number;
  /** Write and `datasync` pending events this often (the crash-loss bound). Default 1000 ms. */
  readonly flushIntervalMs?: number;
  /** Events waiting for the next flush before new ones are dropped (and counted). Default 10 000. */
  readonly queueSize?: number;
  /** Clock for the records' `time`. Default `Date.now`. */
  readonly now?: () => number;
}

export interface AuditSinkStats {
  /** Events accepted and waiting for the next flush. */
  readonly queued: number;
  /** Records chained but not yet fully written (a failed write is retried from here). */
  readonly unwritten: number;
  /** Records written to the file by this sink. */
  readonly written: number;
  /** Events dropped because the queue was full (each reported by an `events_dropped` record). */
  readonly dropped: number;
  /** Events written to the sink after `close()` (nothing can record them). */
  readonly droppedAfterClose: number;
  /** Failed writes, syncs, rotations or opens (each retried on the next flush). */
  readonly writeErrors: number;
  /** Events JSON could not serialize (a cycle, a BigInt); written as a stub with `detail.unserializable`. */
  readonly serializeErrors: number;
  /** The last existing record could not be read at start-up; the chain restarted from the genesis hash. */
  readonly recoveryErrors: number;
  /** Bytes of a torn last line (a crash mid-write) removed at start-up. */
  readonly recoveredTornBytes: number;
  readonly rotations: number;
  /** `seq` and `hash` of the last chained record (0 and the genesis hash before the first). */
  readonly lastSeq: number;
  readonly lastHash: string;
  /** Size of the live file as far as this sink knows. */
  readonly fileBytes: number;
}

export interface AuditSink extends EventSink {
  /** Queue events; never throws and never touches the disk. */
  write(events: readonly SecurityEvent[]): void;
  /** Write and `datasync` everything pending; rejects if something is still unwritten (it is retried later). */
  flush(): Promise<void>;
  /** Flush, then close the file. Events written afterwards are counted in `droppedAfterClose`. */
  close(): Promise<void>;
  stats(): AuditSinkStats;
}

const MAX_CHUNK = 1 << 20;
const TAIL_CHUNK = 64 * 1024;
const MAX_TAIL = 64 * 1024 * 1024;

function positiveInt(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`auditSink: ${name} must be an integer >= ${min}`);
  return value;
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

interface Tail {
  /** The last complete line (without its newline), or null when there is none. */
  readonly line: string | null;
  /** Offset just past the last newline: where a torn fragment starts. */
  readonly completeEnd: number;
  readonly size: number;
}

/** The last complete line of a file, read backwards in chunks; null if the file is missing or empty. */
async function readTail(path: string): Promise<Tail | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  try {
    const size = (await fh.stat()).size;
    if (size === 0) return null;
    let pos = size;
    let buf = Buffer.alloc(0);
    for (;;) {
      const start = Math.max(0, pos - TAIL_CHUNK);
      const chunk = Buffer.alloc(pos - start);
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, start);
      buf = Buffer.concat([chunk.subarray(0, bytesRead), buf]);
      pos = start;
      const lastNl = buf.lastIndexOf(10);
      if (lastNl >= 0) {
        const prevNl = lastNl === 0 ? -1 : buf.lastIndexOf(10, lastNl - 1);
        if (prevNl >= 0 || pos === 0) {
          return { line: buf.subarray(prevNl + 1, lastNl).toString('utf8'), completeEnd: pos + lastNl + 1, size };
        }
      } else if (pos === 0) {
        return { line: null, completeEnd: 0, size };
      }
      if (buf.length > MAX_TAIL) throw new Error(`audit log ${path}: last record longer than ${MAX_TAIL} bytes`);
    }
  } finally {
    await fh.close();
  }
}

/** Make renames durable: fsync the directory (best effort; not every platform allows it). */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Windows and some filesystems refuse to open or sync a directory.
  }
}


class AuditFileSink implements AuditSink {
  readonly name = 'audit';
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #maxFiles: number;
  readonly #intervalMs: number;
  readonly #queueSize: number;
  readonly #now: () => number;

  #queue: SecurityEvent[] = [];
  #pendingDrops = 0;
  #lines: Buffer[] = [];
  #lineIndex = 0;
  #headOffset = 0;
  #fh: FileHandle | null = null;
  #size = 0;
  #unsynced = false;
  #seq = 0;
  #prev = GENESIS_HASH;
  #recovered = false;
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #kickPending = false;
  #closed = false;

  #written = 0;
  #dropped = 0;
  #droppedAfterClose = 0;
  #writeErrors = 0;
  #serializeErrors = 0;
  #recoveryErrors = 0;
  #recoveredTornBytes = 0;
  #rotations = 0;

  constructor(options: AuditSinkOptions) {
    if (typeof options.path !== 'string' || options.path === '') throw new TypeError('auditSink: path is required');
    this.#path = options.path;
    this.#maxBytes = positiveInt('maxBytes', options.maxBytes ?? 50 * 1024 * 1024, 1);
    this.#maxFiles = positiveInt('maxFiles', options.maxFiles ?? 10, 0);
    this.#intervalMs = positiveInt('flushIntervalMs', options.flushIntervalMs ?? 1000, 1);
    this.#queueSize = positiveInt('queueSize', options.queueSize ?? 10_000, 1);
    this.#now = options.now ?? Date.now;
  }

  write(events: readonly SecurityEvent[]): void {
    for (const event of events) {
      if (this.#closed) this.#droppedAfterClose++;
      else if (this.#queue.length >= this.#queueSize) {
        this.#pendingDrops++;
        this.#dropped++;
      } else this.#queue.push(event);
    }
    if (this.#closed) return;
    if (this.#queue.length * 2 >= this.#queueSize && !this.#kickPending) {
      this.#kickPending = true;
      void this.#run();
    } else {
      this.#schedule();
    }
  }

  async flush(): Promise<void> {
    const error = await this.#run();
    if (error !== null) throw error;
  }

  async close(): Promise<void> {
    if (this.#closed) {
      await this.#chain;
      return;
    }
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const error = await this.#run();
    await (this.#chain = this.#chain.then(() => this.#closeFile()));
    if (error !== null) throw error;
  }

  stats(): AuditSinkStats {
    return {
      queued: this.#queue.length,
      unwritten: this.#lines.length - this.#lineIndex,
      written: this.#written,
      dropped: this.#dropped,
      droppedAfterClose: this.#droppedAfterClose,
      writeErrors: this.#writeErrors,
      serializeErrors: this.#serializeErrors,
      recoveryErrors: this.#recoveryErrors,
      recoveredTornBytes: this.#recoveredTornBytes,
      rotations: this.#rotations,
      lastSeq: this.#seq,
      lastHash: this.#prev,
      fileBytes: this.#size,
    };
  }

  #schedule(): void {
    if (this.#timer || this.#closed || !this.#hasWork()) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#run();
    }, this.#intervalMs);
    // Like pino's stream, the sink does not keep the process alive: close the guard (or the sink) on shutdown.
    this.#timer.unref();
  }

  #hasWork(): boolean {
    return this.#queue.length > 0 || this.#pendingDrops > 0 || this.#lineIndex < this.#lines.length || this.#unsynced;
  }

  /** One flush at a time, in call order; resolves with the error that left work pending, or null. */
  #run(): Promise<Error | null> {
    const result = this.#chain.then(() => this.#flushOnce());
    this.#chain = result;
    return result;
  }

  async #flushOnce(): Promise<Error | null> {
    this.#kickPending = false;
    try {
      if (!this.#recovered) await this.#recover();
      if (this.#lineIndex >= this.#lines.length) this.#serializePending();
      await this.#writeLines();
      if (this.#unsynced) {
        await (await this.#open()).datasync();
        this.#unsynced = false;
      }
      return null;
    } catch (error) {
      this.#writeErrors++;
      // Reopen on the next attempt: the handle may be what failed.
      const fh = this.#fh;
      this.#fh = null;
      await fh?.close().catch(() => undefined);
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      this.#schedule();
    }
  }

  async #recover(): Promise<void> {
    for (const path of [this.#path, `${this.#path}.1`]) {
      const tail = await readTail(path);
      if (tail === null) continue;
      if (path === this.#path && tail.completeEnd < tail.size) {
        // A torn, never-synced fragment of the last record (a crash mid-write): not a record, so cut it.
        const fh = await open(path, 'r+');
        try {
          await fh.truncate(tail.completeEnd);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        this.#recoveredTornBytes += tail.size - tail.completeEnd;
      }
      if (tail.line === null) continue;
      const parsed = parseRecordLine(tail.line);
      if (parsed.ok) {
        this.#seq = parsed.record.seq;
        this.#prev = parsed.record.hash;
      } else {
        // The chain cannot be continued; the verifier will point at the damaged record.
        this.#recoveryErrors++;
      }
      break;
    }
    this.#recovered = true;
  }

  #serializePending(): void {
    this.#lines = [];
    this.#lineIndex = 0;
    this.#headOffset = 0;
    const batch = this.#queue;
    this.#queue = [];
    for (const event of batch) this.#append(event);
    if (this.#pendingDrops > 0) {
      // The drops happened after every queued event, so their record follows them in the chain.
      this.#append(completeEvent({ type: 'events_dropped', detail: { count: this.#pendingDrops } }, this.#now()));
      this.#pendingDrops = 0;
    }
  }

  #append(event: SecurityEvent): void {
    const seq = this.#seq + 1;
    const clock = this.#now();
    // A record must verify: a non-finite time would serialize as null.
    const time = Number.isFinite(clock) ? clock : Date.now();
    let canonical: string;
    try {
      if (typeof event !== 'object' || (event as unknown) === null) throw new TypeError('not an event object');
      canonical = canonicalRecord(seq, time, this.#prev, event);
    } catch {
      this.#serializeErrors++;
      canonical = canonicalRecord(seq, time, this.#prev, stubEvent(event));
    }
    const hash = recordHash(this.#prev, canonical);
    this.#lines.push(Buffer.from(`${recordLine(canonical, hash)}\n`, 'utf8'));
    this.#seq = seq;
    this.#prev = hash;
  }

  async #open(): Promise<FileHandle> {
    if (this.#fh) return this.#fh;
    const fh = await open(this.#path, 'a');
    try {
      this.#size = (await fh.stat()).size;
    } catch (error) {
      await fh.close().catch(() => undefined);
      throw error;
    }
    this.#fh = fh;
    return fh;
  }

  async #writeLines(): Promise<void> {
    while (this.#lineIndex < this.#lines.length) {
      const fh = await this.#open();
      const head = this.#lines[this.#lineIndex] as Buffer;
      if (this.#headOffset === 0 && this.#size > 0 && this.#size + head.length > this.#maxBytes) {
        await this.#rotate();
        continue;
      }
      const parts: Buffer[] = [];
      let bytes = 0;
      for (let i = this.#lineIndex; i < this.#lines.length; i++) {
        const line = i === this.#lineIndex ? head.subarray(this.#headOffset) : (this.#lines[i] as Buffer);
        if (parts.length > 0 && (this.#size + bytes + line.length > this.#maxBytes || bytes + line.length > MAX_CHUNK)) break;
        parts.push(line);
        bytes += line.length;
      }
      const chunk = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes);
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
        this.#size += bytesWritten;
        this.#unsynced = true;
        this.#consume(bytesWritten);
      }
    }
    this.#lines = [];
    this.#lineIndex = 0;
  }

  /** Mark `n` bytes as written, so a failed write resumes exactly where it stopped. */
  #consume(n: number): void {
    while (n > 0) {
      const line = this.#lines[this.#lineIndex] as Buffer;
      const rest = line.length - this.#headOffset;
      if (n >= rest) {
        n -= rest;
        this.#lineIndex++;
        this.#headOffset = 0;
        this.#written++;
      } else {
        this.#headOffset += n;
        n = 0;
      }
    }
  }

  async #rotate(): Promise<void> {
    await this.#closeFile();
    const base = this.#path;
    if (this.#maxFiles === 0) {
      await rm(base, { force: true });
    } else {
      await rm(`${base}.${this.#maxFiles}`, { force: true });
      for (let i = this.#maxFiles - 1; i >= 1; i--) {
        try {
          await rename(`${base}.${i}`, `${base}.${i + 1}`);
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
      await rename(base, `${base}.1`);
    }
    await syncDir(dirname(base));
    this.#rotations++;
    this.#size = 0;
  }

  async #closeFile(): Promise<void> {
    const fh = this.#fh;
    if (!fh) return;
    this.#fh = null;
    try {
      if (this.#unsynced) await fh.datasync();
      this.#unsynced = false;
    } finally {
      await fh.close();
    }
  }
}

/** A sink that appends every event to a hash-chained, rotated JSON-lines file (see the module comment). */
export function auditSink(options: AuditSinkOptions): AuditSink {
  return new AuditFileSink(options);
}
