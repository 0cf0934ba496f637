/**
 * Schema validation with any Standard Schema validator (zod 4, valibot 1, arktype 2 and others: see
 * `standard-schema.ts`).
 *
 * Which value: the guard validates the message's **first argument** (`payload[0]`, the usual single payload object)
 * and, when it passes, hands the handler the validator's *output* in its place — coerced, defaults applied, unknown
 * keys stripped if the schema strips them — with the other arguments unchanged. A message without arguments is
 * validated as `undefined`.
 *
 * Results:
 * - `{ ok: true, value }`: the output.
 * - `validation_failed`: the value does not match. `details.issues` lists at most `maxIssues` (5) issues as
 *   `{ path, message }`, and `details.issueCount` how many there were.
 * - `schema_error`: the validator threw, rejected, or returned something that is not a Standard Schema result. That is
 *   a fault on the server's side, not the client's, so it has a code of its own; `error` carries what was thrown for
 *   the server's log and is never sent to the client.
 *
 * The summary never echoes the payload. Paths show identifier-like keys and array indices only (other keys become
 * `[?]`). Messages are cut before "received …" (valibot writes `Expected number but received "4111…"`), any
 * occurrence of the offending value itself is replaced by `…`, control and bidi characters become spaces, and a
 * message is at most `maxMessageLength` (120) characters. Messages your own schema writes (refinements) are passed
 * on after that: do not build them from the input.
 *
 * A synchronous validator (zod's and valibot's, unless the schema has async refinements) is answered synchronously:
 * no promise on the hot path. An asynchronous one returns a promise, which never rejects.
 */

import type { Awaitable } from '../../../codes/types.js';
import { BIDI_CLASS, CONTROL_CLASS } from '../normalize/characters.js';
import { formatPath } from '../structure/path.js';
import type { InferOutput, StandardIssue, StandardResult, StandardSchemaV1 } from './standard-schema.js';

export type { InferOutput, StandardIssue, StandardPathSegment, StandardResult, StandardSchemaV1, StandardSchemaV1Props } from './standard-schema.js';

export interface SchemaIssueSummary {
  /** `items[2].name`; `''` is the value itself. */
  readonly path: string;
  readonly message: string;
}

export type SchemaResult<Output> =
  | { readonly ok: true; readonly value: Output }
  | {
      readonly ok: false;
      readonly code: 'validation_failed';
      readonly details: { readonly issues: readonly SchemaIssueSummary[]; readonly issueCount: number };
    }
  | {
      readonly ok: false;
      readonly code: 'schema_error';
      readonly details: Readonly<Record<string, never>>;
      /** What the validator threw (or a TypeError describing its bad result): for the server's log only. */
      readonly error: unknown;
    };

export type SchemaCheck<Output = unknown> = (value: unknown) => Awaitable<SchemaResult<Output>>;

export interface SchemaCheckOptions {
  /** Most issues listed in `details.issues`. Default 5. */
  readonly maxIssues?: number;
  /** Longest message, in characters. Default 120. */
  readonly maxMessageLength?: number;
}

/** True for an object (or function: arktype's schemas are functions) carrying a Standard Schema v1 `~standard`. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return false;
  const props: unknown = (value as { '~standard'?: unknown })['~standard'];
  if (typeof props !== 'object' || props === null) return false;
  const { version, vendor, validate } = props as { version?: unknown; vendor?: unknown; validate?: unknown };
  return version === 1 && typeof vendor === 'string' && typeof validate === 'function';
}

const NO_DETAILS: Readonly<Record<string, never>> = Object.freeze({});
/** Segments of an issue path looked at (the summary shows 12, then `…`). */
const MAX_ISSUE_PATH = 32;
// Every control character (\t \n \r included: a message is one line) and the bidi overrides and isolates.
const UNSAFE_CHARACTERS = new RegExp(`[\\t\\n\\r${CONTROL_CLASS}${BIDI_CLASS}]`, 'g');
// "…, received number", "… but received 42", "Received "x"": everything from there on may be the input.
const RECEIVED = /[\s,;:]*(?:\bbut\s+)?\breceived\b/i;

function segmentKey(segment: PropertyKey | { readonly key: PropertyKey }): PropertyKey {
  return typeof segment === 'object' && segment !== null ? segment.key : segment;
}

/** The value an issue points at, when the path leads through plain own properties; otherwise undefined. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || typeof key === 'symbol') return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function safeMessage(message: unknown, offending: unknown, maxLength: number): string {
  if (typeof message !== 'string' || message.trim() === '') return 'Invalid value';
  let text = message;
  const received = RECEIVED.exec(text);
  if (received !== null) text = text.slice(0, received.index);
  if (typeof offending === 'string' || typeof offending === 'number' || typeof offending === 'bigint') {
    // Short values ("1", "ab") would blank out schema text such as "<=10"; the cut above covers how validators
    // quote the input, this catches the rest.
    const shown = String(offending);
    if (shown.length >= 3) text = text.split(shown).join('…');
  }
  text = text.replace(UNSAFE_CHARACTERS, ' ').trim();
  if (text === '') return 'Invalid value';
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

export function compileSchemaCheck<Schema extends StandardSchemaV1>(
  schema: Schema,
  options: SchemaCheckOptions = {},
): SchemaCheck<InferOutput<Schema>> {
  if (!isStandardSchema(schema)) {
    throw new TypeError('schema: expected a Standard Schema validator (zod 4, valibot 1, arktype 2…) with a `~standard` property of version 1');
  }
  const maxIssues = options.maxIssues ?? 5;
  const maxMessageLength = options.maxMessageLength ?? 120;
  if (!Number.isSafeInteger(maxIssues) || maxIssues < 1) throw new RangeError('schema: maxIssues must be an integer ≥ 1');
  if (!Number.isSafeInteger(maxMessageLength) || maxMessageLength < 16) {
    throw new RangeError('schema: maxMessageLength must be an integer ≥ 16');
  }
  const props = schema['~standard'];
  type Output = InferOutput<Schema>;

  const schemaError = (error: unknown): SchemaResult<Output> => ({ ok: false, code: 'schema_error', details: NO_DETAILS, error });

  function summarize(issues: readonly StandardIssue[], input: unknown): SchemaResult<Output> {
    const summaries: SchemaIssueSummary[] = [];
    for (const issue of issues.slice(0, maxIssues)) {
      const rawPath = Array.isArray(issue.path) ? issue.path.slice(0, MAX_ISSUE_PATH).map(segmentKey) : [];
      const offending = valueAt(input, rawPath);
      summaries.push({
        path: formatPath(rawPath),
        message: safeMessage(issue.message, offending, maxMessageLength),
      });
    }
    return { ok: false, code: 'validation_failed', details: { issues: summaries, issueCount: issues.length } };
  }

  function toResult(result: unknown, input: unknown): SchemaResult<Output> {
    try {
      if (typeof result !== 'object' || result === null) {
        return schemaError(new TypeError(`${props.vendor} validator returned ${result === null ? 'null' : typeof result}`));
      }
      const { issues } = result as StandardResult<Output>;
      if (issues === undefined) return { ok: true, value: (result as { value: Output }).value };
      if (!Array.isArray(issues)) return schemaError(new TypeError(`${props.vendor} validator returned issues that are not an array`));
      return summarize(issues as readonly StandardIssue[], input);
    } catch (error) {
      return schemaError(error);
    }
  }

  return function checkSchema(value: unknown): Awaitable<SchemaResult<Output>> {
    let result: unknown;
    try {
      result = props.validate(value);
    } catch (error) {
      return schemaError(error);
    }
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      return Promise.resolve(result as PromiseLike<unknown>).then((settled) => toResult(settled, value), schemaError);
    }
    return toResult(result, value);
  };
}
