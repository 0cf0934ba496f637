/**
 * Structure limits on a parsed payload: nesting depth, keys per object, array length, string length, total nodes, and
 * the keys that could pollute a prototype.
 *
 * Socket.IO parses a packet with `JSON.parse` before any middleware runs, and `JSON.parse` copes with deep nesting;
 * what crashes is recursive code afterwards — a recursive walker, `JSON.stringify`, Socket.IO's own `hasBinary` when
 * the payload is echoed. The wire-size limit bounds the work; this check bounds the shape, so that everything after
 * it (the normalizer, the sanitizer, the schema, the handler) only ever sees a payload of known depth and size. The
 * walks are iterative (an explicit stack, never recursion) and stop at the first violation: a payload nested 100,000
 * deep costs about `maxDepth` steps and is refused with `payload_too_deep`.
 *
 * What is counted:
 * - **depth**: the arguments array is depth 0, an object or array passed as an argument is depth 1, its containers 2…
 *   A container deeper than `maxDepth` is refused (`payload_too_deep`).
 * - **keys**: own enumerable keys of one object (`maxKeys`); **array length**: elements of one array, the arguments
 *   array included (`maxArrayLength`); **string length**: UTF-16 code units of a string value or a key
 *   (`maxStringLength`); **nodes**: every value below the arguments array, containers and leaves alike (`maxNodes`).
 *   Each is `payload_too_complex` with `details.limit` naming the limit.
 * - Buffers, ArrayBuffers and typed arrays (binary attachments) are leaves: one node, never walked or inspected.
 *
 * Keys `__proto__`, `constructor` and `prototype` are refused (`prototype_pollution`) or, with `pollution: 'drop'`,
 * left out of a rebuilt copy, at every depth. `JSON.parse('{"__proto__":{"isAdmin":true}}')` makes an *own* property
 * named `__proto__` (it does not change the prototype), which becomes dangerous the moment some code merges or
 * assigns it (`Object.assign`, a recursive merge, `target[key] = value`); a payload that passes this check carries no
 * such key anywhere. A rebuilt copy is made of ordinary objects (`Object.prototype`) whose properties are defined,
 * never assigned, so building it cannot touch a prototype either.
 *
 * Keys are never rewritten by any inspection step (see the normalizer); a key that carries a control character or a
 * bidi override or isolate is refused instead (`payload_invalid_key`) unless `unsafeKeys: 'allow'`.
 *
 * The common path allocates nothing: a first walk (a stack of values with their depths, reused between calls; keys
 * read with `for…in`, which uses the object's enum cache) only answers "is anything wrong?". When something is, a
 * second walk that keeps its frames (`diagnose.ts`) finds the first violation and says where; both walks apply the
 * same rules to the same nodes, so they agree on whether a payload passes.
 */

import { hasUnsafeKeyCharacter } from '../normalize/characters.js';
import { diagnoseStructure } from './diagnose.js';
import { isPlainObject, rebuild } from './tree.js';

export interface StructureLimits {
  /** Deepest container allowed; an argument that is an object or array is depth 1. Example: 32. */
  readonly maxDepth: number;
  /** Most own keys in one object. Example: 1000. */
  readonly maxKeys: number;
  /** Most elements in one array (the arguments array included). Example: 10000. */
  readonly maxArrayLength: number;
  /** Longest string value or key, in UTF-16 code units. Example: 32768. */
  readonly maxStringLength: number;
  /** Most values in the whole payload (containers and leaves below the arguments array). Example: 10000. */
  readonly maxNodes: number;
  /** What to do with `__proto__`, `constructor` and `prototype` keys: refuse the message, or drop the keys. */
  readonly pollution: 'refuse' | 'drop';
  /** Keys with control characters or bidi overrides/isolates: refuse the message (default) or let them pass. */
  readonly unsafeKeys?: 'refuse' | 'allow';
}

export type PollutionKey = '__proto__' | 'constructor' | 'prototype';
export type StructureLimitName = 'maxDepth' | 'maxKeys' | 'maxArrayLength' | 'maxStringLength' | 'maxNodes';
export type StructureCode = 'payload_too_deep' | 'payload_too_complex' | 'prototype_pollution' | 'payload_invalid_key';

/** Small, safe facts about a refusal: never payload text (paths show identifier-like keys only). */
export interface StructureDetails {
  /** Where: `[0].items[3]` (argument 0, key `items`, element 3); `''` is the arguments array itself. */
  readonly path: string;
  /** The limit that was broken, and its value. */
  readonly limit?: StructureLimitName;
  readonly max?: number;
  /** The refused key (`prototype_pollution` only: one of three constants, safe to show). */
  readonly key?: PollutionKey;
}

export type StructureResult =
  | { readonly ok: true; /** Only when keys were dropped: a rebuilt copy (the input is never mutated). */ readonly payload?: readonly unknown[] }
  | { readonly ok: false; readonly code: StructureCode; readonly details: StructureDetails };

export type StructureCheck = (payload: readonly unknown[]) => StructureResult;

const OK: StructureResult = Object.freeze({ ok: true });

export function isPollutionKey(key: string): key is PollutionKey {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

function assertLimit(name: StructureLimitName, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`compileStructureCheck: ${name} must be an integer ≥ 1 (got ${String(value)})`);
  }
}

/** What the fast walk found. */
const PASSED = 0;
const VIOLATION = 1;
const DROP = 2;
type Finding = typeof PASSED | typeof VIOLATION | typeof DROP;

/** The fast walk's stack: pending values and, beside each, the depth of the container holding it. */
interface Stack {
  readonly values: unknown[];
  readonly depths: number[];
  busy: boolean;
}

export function compileStructureCheck(limits: StructureLimits): StructureCheck {
  const { maxDepth, maxKeys, maxArrayLength, maxStringLength, maxNodes } = limits;
  for (const name of ['maxDepth', 'maxKeys', 'maxArrayLength', 'maxStringLength', 'maxNodes'] as const) {
    assertLimit(name, limits[name]);
  }
  if (limits.pollution !== 'refuse' && limits.pollution !== 'drop') {
    throw new RangeError(`compileStructureCheck: pollution must be 'refuse' or 'drop' (got ${String(limits.pollution)})`);
  }
  const dropPollution = limits.pollution === 'drop';
  const refuseUnsafeKeys = limits.unsafeKeys !== 'allow';
  const shared: Stack = { values: [], depths: [], busy: false };

  /**
   * Every rule, no bookkeeping for paths. Nodes are counted when a container is entered (all its children at once),
   * so one huge array or object is refused before a single child of it is looked at. Each slot is cleared as it is
   * popped, so the reused stack never keeps a message alive.
   */
  function scan(stack: Stack, payload: readonly unknown[]): Finding {
    const { values, depths } = stack;
    if (payload.length > maxArrayLength || payload.length > maxNodes) return VIOLATION;
    let nodes = payload.length;
    let finding: Finding = PASSED;
    let size = 0;
    for (let i = payload.length - 1; i >= 0; i--) {
      values[size] = payload[i];
      depths[size++] = 0;
    }
    while (size > 0) {
      const value = values[--size];
      values[size] = undefined;
      if (typeof value === 'string') {
        if (value.length > maxStringLength) return clear(values, size);
        continue;
      }
      if (typeof value !== 'object' || value === null) continue;
      const depth = (depths[size] as number) + 1;
      if (Array.isArray(value)) {
        if (depth > maxDepth || value.length > maxArrayLength) return clear(values, size);
        nodes += value.length;
        if (nodes > maxNodes) return clear(values, size);
        for (let i = value.length - 1; i >= 0; i--) {
          values[size] = value[i];
          depths[size++] = depth;
        }
        continue;
      }
      if (!isPlainObject(value)) continue; // a Buffer, ArrayBuffer, typed array…: a leaf
      if (depth > maxDepth) return clear(values, size);
      let keys = 0;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue; // enumerable on a prototype: not the client's
        if (++keys > maxKeys || key.length > maxStringLength) return clear(values, size);
        if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
          if (!dropPollution) return clear(values, size);
          finding = DROP; // never walked, never counted: it will not be delivered
          continue;
        }
        if (refuseUnsafeKeys && hasUnsafeKeyCharacter(key)) return clear(values, size);
        values[size] = value[key];
        depths[size++] = depth;
        nodes++;
      }
      if (nodes > maxNodes) return clear(values, size);
    }
    return finding;
  }

  function check(stack: Stack, payload: readonly unknown[]): StructureResult {
    const finding = scan(stack, payload);
    if (finding === PASSED) return OK;
    if (finding === DROP) return { ok: true, payload: rebuild(payload, null, isPollutionKey) };
    const failure = diagnoseStructure(limits, payload);
    // The two walks share their rules; should they ever disagree, the message is refused all the same.
    return failure ?? { ok: false, code: 'payload_too_complex', details: { path: '' } };
  }

  return function checkStructure(payload: readonly unknown[]): StructureResult {
    // A nested call (a getter on a hand-made payload calling back in) gets a stack of its own.
    if (shared.busy) return check({ values: [], depths: [], busy: true }, payload);
    shared.busy = true;
    try {
      return check(shared, payload);
    } finally {
      shared.busy = false;
    }
  };
}

/** Empty the first `size` slots of the stack (what is left after an early exit) and report a violation. */
function clear(values: unknown[], size: number): typeof VIOLATION {
  for (let i = 0; i < size; i++) values[i] = undefined;
  return VIOLATION;
}
