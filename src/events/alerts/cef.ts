/**
 * ArcSight Common Event Format (CEF) lines for SIEMs:
 * `CEF:0|wsguard|wsguard|<version>|<type>|<reason or type>|<severity>|<extension>`.
 *
 * Escaping follows the CEF specification: in header fields `\` and `|` are backslash-escaped (a newline, which a
 * header cannot hold, becomes a space); in extension values `\` and `=` are backslash-escaped and CR/LF become the
 * two characters `\r` / `\n`. Extension keys are fixed by wsguard, so they need no escaping.
 */

import type { Severity } from '../../codes/reason-codes.js';
import type { SecurityEvent } from '../catalogue.js';
import { serializableEvent } from '../serializable.js';

export interface CefOptions {
  /** Device Version header field. Default `'1'`. */
  readonly productVersion?: string;
}

/** CEF severity (0-10) of each wsguard severity. */
export const CEF_SEVERITY: Readonly<Record<Severity, number>> = { info: 3, warning: 5, high: 8, critical: 10 };

/** Longest `cs3` (event detail as JSON) value; longer ones are cut and end with `…`. */
const MAX_DETAIL = 1023;

export function escapeCefHeader(value: unknown): string {
  return String(value).replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}

export function escapeCefValue(value: unknown): string {
  return String(value).replace(/[\\=\r\n]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '=') return '\\=';
    if (c === '\r') return '\\r';
    return '\\n';
  });
}

/** One CEF line (no trailing newline) for a security event. */
export function formatCef(event: SecurityEvent, options: CefOptions = {}): string {
  const fields = event as Partial<SecurityEvent>;
  const type = typeof fields.type === 'string' ? fields.type : 'unknown';
  const name = typeof fields.reason === 'string' ? fields.reason : type;
  const severity = CEF_SEVERITY[fields.severity as Severity] ?? CEF_SEVERITY.warning;
  const header = ['CEF:0', 'wsguard', 'wsguard', options.productVersion ?? '1', type, name, String(severity)]
    .map((field, i) => (i === 0 ? field : escapeCefHeader(field)))
    .join('|');

  const ext: string[] = [];
  const add = (key: string, value: unknown): void => {
    if (value === undefined || value === null || value === '') return;
    ext.push(`${key}=${escapeCefValue(value)}`);
  };
  if (typeof fields.time === 'number' && Number.isFinite(fields.time)) add('rt', Math.trunc(fields.time));
  add('src', fields.ip);
  add('suser', fields.userId);
  add('act', fields.reason);
  if (fields.namespace !== undefined) {
    add('cs1Label', 'namespace');
    add('cs1', fields.namespace);
  }
  if (fields.event !== undefined) {
    add('cs2Label', 'event');
    add('cs2', fields.event);
  }
  if (typeof fields.count === 'number') add('cnt', fields.count);
  if (fields.detail !== undefined && fields.detail !== null) {
    const stub = serializableEvent(event) as { detail?: unknown };
    let detail = JSON.stringify(stub.detail) ?? '';
    if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL - 1)}\u2026`;
    add('cs3Label', 'detail');
    add('cs3', detail);
  }
  return ext.length > 0 ? `${header}|${ext.join(' ')}` : `${header}|`;
}
