/**
 * The line pino writes for a security event, built with one `JSON.stringify` of the whole event.
 *
 * pino serialises a logged object key by key (a JSON call per value, an escape loop per string) and makes one stream
 * write per line; for the guard's events, two per connection under churn, that came to some 8 µs an event, most of the
 * cost of logging them. For a logger `pinoSink` made itself (its options known: no base fields, no timestamp, no
 * serializers, formatters, hooks, mixin or message prefix, pino's default levels) the line is fully determined by the
 * event, and it is the same text as
 *
 *   `{"level":<number>` + `,"<key>":<value>` for each own enumerable key with a JSON value + `,"msg":<type>}` + `\n`
 *
 * which is `JSON.stringify(event)` with the level in front and the message behind. Where the two could differ the
 * caller is told to hand the event to pino itself (null), so that the bytes written never change:
 * - JSON.stringify cannot serialise it (a cycle or a BigInt in `detail`): pino's safe serialiser has its own output;
 * - a lone surrogate anywhere (JSON.stringify writes it as `\udxxx`, pino writes short top-level strings as they are);
 * - the object is one pino treats specially (an HTTP request or response shape) or has its own `toJSON`;
 * - a severity without a pino level (pino's path throws for it, and the sink reports that as before).
 */

import type { Severity } from '../codes/reason-codes.js';
import type { SecurityEvent } from './catalogue.js';

/** pino's default level numbers for the levels the severities are logged at. */
export const PINO_LEVEL_NUMBERS: Readonly<Record<Severity, number>> = Object.freeze({
  info: 30,
  warning: 40,
  high: 50,
  critical: 60,
});

/**
 * The prefix of each line per severity (`{"level":30`), or '' for a severity below the logger's level (nothing is
 * written). Built once per sink.
 */
export type LinePrefixes = Readonly<Partial<Record<string, string>>>;

export function linePrefixes(enabled: (severity: Severity) => boolean): LinePrefixes {
  const prefixes: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const severity of Object.keys(PINO_LEVEL_NUMBERS) as Severity[]) {
    prefixes[severity] = enabled(severity) ? `{"level":${PINO_LEVEL_NUMBERS[severity]}` : '';
  }
  return prefixes;
}

/** What pino's log method maps before serialising (its `mapHttpRequest` / `mapHttpResponse` shapes). */
function pinoMapsIt(fields: Readonly<Record<string, unknown>>): boolean {
  return (Boolean(fields['method']) && Boolean(fields['headers']) && Boolean(fields['socket'])) || typeof fields['setHeader'] === 'function';
}

/**
 * The line for `event` (newline included), '' when its level is not written, or null when only pino itself can say
 * what it writes for it.
 */
export function pinoLine(event: SecurityEvent, prefixes: LinePrefixes): string | null {
  const prefix = prefixes[event.severity];
  if (prefix === undefined) return null;
  if (prefix === '') return '';
  const fields = event as unknown as Readonly<Record<string, unknown>>;
  const type = fields['type'];
  if (typeof type !== 'string' || typeof fields['toJSON'] === 'function' || pinoMapsIt(fields)) return null;
  let body: string;
  try {
    body = JSON.stringify(event);
  } catch {
    return null;
  }
  const message = JSON.stringify(type);
  // `\ud` is how JSON.stringify writes a lone surrogate (a backslash followed by "ud" in the text also matches: that
  // only sends the event the slow way).
  if (body.includes('\\ud') || message.includes('\\ud')) return null;
  return body.length === 2 ? `${prefix},"msg":${message}}\n` : `${prefix},${body.slice(1, -1)},"msg":${message}}\n`;
}
