/**
 * Public types of the threat scanner. A finding names what was found (`kind`), where (`path`), by which rule (a
 * stable id from `SCAN_RULES`) and how bad it is; it never carries the matched text, so a finding can go into a
 * security event as it is.
 */

import type { ScanRuleId } from './rules.js';

/** The classes of attack the scanner looks for. */
export type ScanKind = 'xss' | 'sqli' | 'cmdi' | 'path' | 'proto';

/** `limit`: part of the value was not scanned because a work limit was reached (see `ScanOptions`). */
export type ScanFindingKind = ScanKind | 'limit';

export type ScanSeverity = 'warning' | 'high' | 'critical';

export interface ScanFinding {
  readonly kind: ScanFindingKind;
  /** Where in the value: `$` is the value itself, then `.name`, `["odd key"]` and `[2]` steps. */
  readonly path: string;
  readonly rule: ScanRuleId;
  readonly severity: ScanSeverity;
}

export interface ScanOptions {
  /** Kinds to look for. Default: all five. */
  readonly kinds?: readonly ScanKind[];
  /**
   * Stop looking for a kind after its first finding, and stop walking once every kind has one. Default `false`:
   * every string is checked for every kind (one finding per kind per string at most).
   */
  readonly firstOnly?: boolean;
  /**
   * Report object keys `__proto__`, and `constructor`/`prototype` holding an object, as `proto` findings.
   * Default `true`; turn off when another layer already rejects such keys. Keys are scanned as strings either way.
   */
  readonly pollutionKeys?: boolean;
  /** Values visited (containers and primitives) before the walk stops with a `limit.nodes` finding. Default 100,000. */
  readonly maxNodes?: number;
  /**
   * Characters of one string (or key) that are scanned; a longer string is scanned up to this length and gets a
   * `limit.string-length` finding. Default 65,536.
   */
  readonly maxStringLength?: number;
  /** Characters scanned in one value overall before the walk stops with `limit.total-length`. Default 1,048,576. */
  readonly maxTotalLength?: number;
  /** Findings returned at most; the last one is then `limit.findings`. Default 100. */
  readonly maxFindings?: number;
}

/** A compiled scanner: call it once per message. Returns a shared frozen empty array when nothing was found. */
export type Scanner = (value: unknown) => readonly ScanFinding[];
