/**
 * The slow walk of the structure check: run only once the fast walk has found that a payload breaks a rule, to say
 * which rule and where. It applies the same rules in the same order of nodes as the fast walk, but keeps a frame
 * (container, its keys, the position reached) per level, from which the path of the offending value is read. Still
 * iterative, still stopping at the first violation: its work is bounded by the same limits.
 */

import { hasUnsafeKeyCharacter } from '../normalize/characters.js';
import type { StructureLimitName, StructureLimits, StructureResult } from './index.js';
import { appendSegment, ELLIPSIS, MAX_PATH_SEGMENTS } from './path.js';
import { isPlainObject, type PlainObject } from './tree.js';

type Failure = Extract<StructureResult, { ok: false }>;

/** The first violation of `limits` in `payload`, or null when there is none. */
export function diagnoseStructure(limits: StructureLimits, payload: readonly unknown[]): Failure | null {
  const { maxDepth, maxKeys, maxArrayLength, maxStringLength, maxNodes } = limits;
  const dropPollution = limits.pollution === 'drop';
  const refuseUnsafeKeys = limits.unsafeKeys !== 'allow';

  // Frame i: a container, its keys (null for an array), and the index of the next child to visit; the child being
  // visited is `cursor - 1`. Frame 0 is the arguments array.
  const containers: (readonly unknown[] | PlainObject)[] = [payload];
  const keyLists: (readonly string[] | null)[] = [null];
  const cursors: number[] = [0];
  let top = 0;

  /** The path of the value frame `top` is visiting, plus `extra` (one of its keys) when given. */
  const pathHere = (extra?: string): string => {
    let path = '';
    const frames = Math.min(top + 1, MAX_PATH_SEGMENTS);
    for (let frame = 0; frame < frames; frame++) {
      const index = (cursors[frame] as number) - 1;
      const keys = keyLists[frame];
      path = appendSegment(path, keys == null ? index : (keys[index] as string));
    }
    if (top + 1 > MAX_PATH_SEGMENTS) return path + ELLIPSIS;
    if (extra === undefined) return path;
    return top + 1 === MAX_PATH_SEGMENTS ? path + ELLIPSIS : appendSegment(path, extra);
  };
  const tooComplex = (limit: StructureLimitName, max: number, extra?: string): Failure => ({
    ok: false,
    code: 'payload_too_complex',
    details: { path: pathHere(extra), limit, max },
  });
  const tooDeep = (): Failure => ({
    ok: false,
    code: 'payload_too_deep',
    details: { path: pathHere(), limit: 'maxDepth', max: maxDepth },
  });

  if (payload.length > maxArrayLength) {
    return { ok: false, code: 'payload_too_complex', details: { path: '', limit: 'maxArrayLength', max: maxArrayLength } };
  }
  if (payload.length > maxNodes) {
    return { ok: false, code: 'payload_too_complex', details: { path: '', limit: 'maxNodes', max: maxNodes } };
  }
  let nodes = payload.length;

  while (top >= 0) {
    const container = containers[top] as readonly unknown[] | PlainObject;
    const keys = keyLists[top] ?? null;
    const index = cursors[top] as number;
    const length = keys === null ? (container as readonly unknown[]).length : keys.length;
    if (index >= length) {
      top--;
      continue;
    }
    cursors[top] = index + 1;
    const value: unknown =
      keys === null ? (container as readonly unknown[])[index] : (container as PlainObject)[keys[index] as string];

    if (typeof value === 'string') {
      if (value.length > maxStringLength) return tooComplex('maxStringLength', maxStringLength);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;

    if (Array.isArray(value)) {
      if (top + 1 > maxDepth) return tooDeep();
      if (value.length > maxArrayLength) return tooComplex('maxArrayLength', maxArrayLength);
      nodes += value.length;
      if (nodes > maxNodes) return tooComplex('maxNodes', maxNodes);
      top++;
      containers[top] = value;
      keyLists[top] = null;
      cursors[top] = 0;
      continue;
    }
    if (!isPlainObject(value)) continue;

    if (top + 1 > maxDepth) return tooDeep();
    const childKeys: string[] = [];
    let count = 0;
    for (const key of Object.keys(value)) {
      if (++count > maxKeys) return tooComplex('maxKeys', maxKeys);
      if (key.length > maxStringLength) return tooComplex('maxStringLength', maxStringLength, key);
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        if (!dropPollution) return { ok: false, code: 'prototype_pollution', details: { path: pathHere(key), key } };
        continue;
      }
      if (refuseUnsafeKeys && hasUnsafeKeyCharacter(key)) {
        return { ok: false, code: 'payload_invalid_key', details: { path: pathHere(key) } };
      }
      childKeys.push(key);
      nodes++;
    }
    if (nodes > maxNodes) return tooComplex('maxNodes', maxNodes);
    top++;
    containers[top] = value;
    keyLists[top] = childKeys;
    cursors[top] = 0;
  }
  return null;
}
