/**
 * Payload inspection: one step that every admitted message passes before its handler, compiled once from the config.
 *
 * Order, each step feeding the next: structure limits (an iterative walk with early exit: nothing recursive ever sees
 * a payload that breaks them) → Unicode normalization and control/bidi stripping (and the structure check once more
 * if that rewrote anything, since NFKC can lengthen a string) → per-event HTML sanitizing and text escaping → threat
 * scan → per-event Standard Schema validation of the first argument (the handler gets the validator's output).
 * Safety comes first from structure and schemas; the scan is a second line and, above all, a signal for the abuse
 * detector.
 */

import type { ReasonCode } from '../../codes/reason-codes.js';
import { deny, type Awaitable, type Denied } from '../../codes/types.js';
import type { ThreatAction, ThreatKind } from '../../config/types.js';
import { compileNormalizer, type NormalizeOptions } from './normalize/index.js';
import { escapeHtml } from './sanitize/index.js';
import { createScanner, type ScanFinding } from './scan/index.js';
import { compileStructureCheck, type StructureLimits } from './structure/index.js';
import type { SchemaCheck } from './schema/index.js';
import type { Sanitizer } from './sanitize/index.js';

export { compileSanitizer } from './sanitize/index.js';
export { compileSchemaCheck, isStandardSchema } from './schema/index.js';
export { createScanner, scanPayload, SCAN_RULES } from './scan/index.js';
export type { ScanFinding, ScanKind, ScanOptions, Scanner } from './scan/index.js';

/** Which inspection check a refusal comes from, so the guard can apply that check's mode. */
export type InspectionCheck = 'payloadStructure' | 'payloadSchema' | 'threats';

export interface InspectionSettings {
  readonly structure: StructureLimits;
  readonly normalize: NormalizeOptions;
  readonly threatActions: Readonly<Record<ThreatKind, ThreatAction>>;
}

/** Per-event pieces, compiled from `events[name]` (or `guard.secure` options). */
export interface EventInspection {
  readonly sanitize: Sanitizer | null;
  readonly schema: SchemaCheck | null;
}

/** What the guard reports about findings that did not block (flagged, or sanitized away). */
export interface ReportedFindings {
  readonly action: 'flag' | 'sanitize';
  readonly findings: readonly ScanFinding[];
}

export type InspectionOutcome =
  | {
      readonly ok: true;
      /** The payload the handler should see, when any step rewrote it. */
      readonly payload?: readonly unknown[];
      readonly reported?: ReportedFindings;
    }
  | {
      readonly ok: false;
      readonly check: InspectionCheck;
      readonly verdict: Denied;
      readonly findings?: readonly ScanFinding[];
      /** A validator that threw: for the server's log (its name), never for the client. */
      readonly error?: unknown;
    };

export type Inspect = (payload: readonly unknown[], event: EventInspection | null) => Awaitable<InspectionOutcome>;

const OK: InspectionOutcome = Object.freeze({ ok: true });

/** At most this many findings go into a refusal's details or an event: enough to act on, small enough to log. */
const MAX_REPORTED = 5;

function summarize(findings: readonly ScanFinding[]): Array<Pick<ScanFinding, 'kind' | 'rule' | 'path'>> {
  return findings.slice(0, MAX_REPORTED).map(({ kind, rule, path }) => ({ kind, rule, path }));
}

/** HTML-escape every string of a payload (copying what changes): the `sanitize` action for XSS findings. */
function escapeStrings(value: unknown): unknown {
  if (typeof value === 'string') return escapeHtml(value);
  if (Array.isArray(value)) return value.map(escapeStrings);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = escapeStrings(item);
    return copy;
  }
  return value;
}

export function compileInspection(settings: InspectionSettings): Inspect {
  const structure = compileStructureCheck(settings.structure);
  const normalize = compileNormalizer(settings.normalize);
  const actions = settings.threatActions;
  const kinds = (Object.keys(actions) as ThreatKind[]).filter((kind) => actions[kind] !== 'off');
  // The structure check already refuses (or drops) pollution keys; the scanner looks at string values for them.
  const scan = kinds.length > 0 ? createScanner({ kinds: kinds, pollutionKeys: false }) : null;

  function refuse(check: InspectionCheck, code: ReasonCode, details: Record<string, unknown>): InspectionOutcome {
    return { ok: false, check, verdict: deny(code, { details }) };
  }

  return (input, event) => {
    let payload = input;
    let rewritten = false;

    const shape = structure(payload);
    if (!shape.ok) return refuse('payloadStructure', shape.code, { ...shape.details });
    if (shape.payload) {
      payload = shape.payload;
      rewritten = true;
    }

    const normalized = normalize(payload);
    if (normalized) {
      payload = normalized;
      rewritten = true;
      const again = structure(payload);
      if (!again.ok) return refuse('payloadStructure', again.code, { ...again.details });
    }

    // Marked fields are sanitized before the scan: an HTML field is expected to hold markup, and what the scan should
    // judge is what the handler will get.
    if (event?.sanitize) {
      const sanitized = event.sanitize(payload);
      if (sanitized) {
        payload = sanitized;
        rewritten = true;
      }
    }

    let reported: ReportedFindings | undefined;
    if (scan) {
      const findings = scan(payload);
      if (findings.length > 0) {
        const blocking = findings.find((f) => f.kind !== 'limit' && actions[f.kind] === 'block');
        if (blocking) {
          return {
            ok: false,
            check: 'threats',
            verdict: deny('malicious_payload', { details: { kind: blocking.kind, findings: summarize(findings) } }),
            findings,
          };
        }
        if (findings.some((f) => f.kind === 'xss' && actions.xss === 'sanitize')) {
          payload = payload.map(escapeStrings);
          rewritten = true;
          reported = { action: 'sanitize', findings };
        } else {
          reported = { action: 'flag', findings };
        }
      }
    }

    if (event?.schema) return validateFirst(payload, event.schema, reported);
    if (!rewritten && !reported) return OK;
    return { ok: true, ...(rewritten ? { payload } : {}), ...(reported ? { reported } : {}) };
  };
}

/** Validate the first argument; on success the payload carries the validator's output in its place. */
function validateFirst(payload: readonly unknown[], schema: SchemaCheck, reported?: ReportedFindings): Awaitable<InspectionOutcome> {
  const extra = reported ? { reported } : {};
  const settle = (result: Awaited<ReturnType<SchemaCheck>>): InspectionOutcome => {
    if (result.ok) return { ok: true, payload: [result.value, ...payload.slice(1)], ...extra };
    if (result.code === 'schema_error') return { ok: false, check: 'payloadSchema', verdict: deny('schema_error'), error: result.error };
    return { ok: false, check: 'payloadSchema', verdict: deny('validation_failed', { details: { ...result.details } }) };
  };
  const result = schema(payload[0]);
  return result instanceof Promise ? result.then(settle) : settle(result);
}

/**
 * The per-event part alone: HTML sanitizing and text escaping of the marked fields, then the schema of the first
 * argument. `guard.secure` runs this for its handler's own rules on a message that already passed the rest.
 */
export function inspectForEvent(input: readonly unknown[], event: EventInspection): Awaitable<InspectionOutcome> {
  const payload = (event.sanitize ? event.sanitize(input) : null) ?? input;
  if (event.schema) return validateFirst(payload, event.schema);
  return payload === input ? OK : { ok: true, payload };
}

export { summarize as summarizeFindings };
