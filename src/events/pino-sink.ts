/**
 * The default sink: each security event as one JSON line, written by pino off the hot path.
 *
 * pino writes through sonic-boom asynchronously and, for a logger made here, buffered: lines collect up to 4 KiB (or
 * for at most `FLUSH_EVERY_MS`) before one write, so a burst of events — two per connection under churn — costs the
 * event loop a buffer copy, not a write system call per event. This is the operational log; the audit sink is the one
 * that states what a crash may lose. The line is the event itself (pino's own `time`, `pid` and `hostname` are left out so
 * that `time` is the event's time) plus pino's numeric `level` and `msg` (the event type).
 *
 * For a logger made here the sink writes that line itself, one `JSON.stringify` per event and one write per batch
 * (pino-line.ts: the same bytes pino would write, for a fraction of its cost); events only pino can write exactly go
 * through pino, in their place in the batch. A logger passed in (`logger`) is always used as it is: its options are
 * the application's.
 */

import { pino, type Logger } from 'pino';
import type { Severity } from '../codes/reason-codes.js';
import type { SecurityEvent } from './catalogue.js';
import { linePrefixes, pinoLine, type LinePrefixes } from './pino-line.js';
import type { EventSink } from './sink.js';

export interface PinoSinkOptions {
  /** Use your own logger (its level, redaction and transports apply). */
  readonly logger?: Logger;
  /** File path or file descriptor for a new logger. Default: stdout (1). */
  readonly destination?: string | number;
  /** Lowest level written by a new logger. Default: `info`. */
  readonly level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
}

const LEVEL_OF: Record<Severity, 'info' | 'warn' | 'error' | 'fatal'> = {
  info: 'info',
  warning: 'warn',
  high: 'error',
  critical: 'fatal',
};

/** Longest a buffered line waits before it is written, so a lone warning still shows up at once to a human eye. */
const FLUSH_EVERY_MS = 250;
const BUFFER_BYTES = 4096;
/** Lines are handed to the destination in strings of about this many characters at most (sonic-boom's `maxWrite`). */
const WRITE_CHUNK_CHARS = 16 * 1024;

export function pinoSink(options: PinoSinkOptions = {}): EventSink {
  const destination = options.logger
    ? null
    : pino.destination({ dest: options.destination ?? 1, sync: false, mkdir: true, minLength: BUFFER_BYTES });
  let timer: NodeJS.Timeout | null = null;
  if (destination) {
    timer = setInterval(() => {
      try {
        destination.flush();
      } catch {
        // Not ready yet (the file is still opening) or already ended: the next tick or close() writes it.
      }
    }, FLUSH_EVERY_MS);
    timer.unref();
  }
  const logger =
    options.logger ??
    pino({ base: null, timestamp: false, level: options.level ?? 'info' }, destination ?? undefined);
  // Lines written here, for our own logger only (its level is fixed: nobody else holds it).
  const prefixes: LinePrefixes | null = destination ? linePrefixes((severity) => logger.isLevelEnabled(LEVEL_OF[severity])) : null;
  const log = (event: SecurityEvent): void => {
    logger[LEVEL_OF[event.severity]](event, event.type);
  };
  return {
    name: 'pino',
    write(events: readonly SecurityEvent[]) {
      if (destination === null || prefixes === null) {
        for (const event of events) log(event);
        return;
      }
      let lines = '';
      for (const event of events) {
        const line = pinoLine(event, prefixes);
        if (line !== null) {
          lines += line;
          // Written in pieces of about what pino's destination writes at once (`maxWrite`), however long the batch.
          if (lines.length >= WRITE_CHUNK_CHARS) {
            destination.write(lines);
            lines = '';
          }
          continue;
        }
        // In order: what came before it first.
        if (lines !== '') destination.write(lines);
        lines = '';
        log(event);
      }
      if (lines !== '') destination.write(lines);
    },
    flush() {
      return new Promise<void>((resolve) => logger.flush(() => resolve()));
    },
    close() {
      if (timer) clearInterval(timer);
      if (destination) destination.end();
    },
  };
}
