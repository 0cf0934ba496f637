/**
 * Prototype pollution carried in a string: the paths that query-string parsers, `set(obj, path, value)` helpers and
 * deep-merge utilities turn into writes on `Object.prototype` (`__proto__[isAdmin]=1`, `constructor.prototype.x`,
 * `a[constructor][prototype][x]=1`). The word alone in prose ("the __proto__ property") is not a path.
 */

import { find } from './literal.js';
import type { ScanRuleId } from './rules.js';

/** [ ] . " ' = and the ends of the string: what sits next to a path segment. */
const isAccessor = (c: number): boolean => Number.isNaN(c) || c === 91 || c === 93 || c === 46 || c === 34 || c === 39 || c === 61;

/** The words searched for (grouped: see literal.ts). */
const PROTO = /(?:__proto__)/g;
const CONSTRUCTOR = /(?:constructor)/g;

export function detectProto(v: string): ScanRuleId | null {
  // a value without an _ (or a c) costs a memchr, not the engine's pass
  for (let i = v.includes('_') ? find(PROTO, v, 0, 9) : -1; i >= 0; i = find(PROTO, v, i + 1, 9)) {
    const before = i > 0 ? v.charCodeAt(i - 1) : NaN;
    const after = v.charCodeAt(i + 9);
    if ((isAccessor(before) && !Number.isNaN(before)) || (isAccessor(after) && !Number.isNaN(after))) return 'proto.path-string';
  }
  for (let i = v.includes('c') ? find(CONSTRUCTOR, v, 0, 11) : -1; i >= 0; i = find(CONSTRUCTOR, v, i + 1, 11)) {
    let j = i + 11;
    let steps = 0;
    while (j < v.length && j < i + 16 && isAccessor(v.charCodeAt(j))) {
      j++;
      steps++;
    }
    if (steps > 0 && v.startsWith('prototype', j)) return 'proto.path-string';
  }
  return null;
}

/** Object keys that pollute when a merge copies them: `__proto__` always, constructor/prototype holding an object. */
export function pollutionKey(key: string, value: unknown): boolean {
  if (key === '__proto__') return true;
  return (key === 'constructor' || key === 'prototype') && typeof value === 'object' && value !== null;
}
