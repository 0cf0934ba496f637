/**
 * Prototype pollution carried in a string: the paths that query-string parsers, `set(obj, path, value)` helpers and
 * deep-merge utilities turn into writes on `Object.prototype` (`__proto__[isAdmin]=1`, `constructor.prototype.x`,
 * `a[constructor][prototype][x]=1`). The word alone in prose ("the __proto__ property") is not a path.
 */

import type { ScanRuleId } from './rules.js';

/** [ ] . " ' = and the ends of the string: what sits next to a path segment. */
const isAccessor = (c: number): boolean => Number.isNaN(c) || c === 91 || c === 93 || c === 46 || c === 34 || c === 39 || c === 61;

/**
 * Both words in one search (grouped: see literal.ts). Neither can overlap the other (only `__proto__` has an `_`,
 * and it starts and ends with one), so the search meets every occurrence of each, in order. One search for both read
 * a 64 KB text in about 0.6 of the time two searches took, one per word.
 */
const WORDS = /(?:__proto__|constructor)/g;

export function detectProto(v: string): ScanRuleId | null {
  // a value without an _ or a c costs a memchr or two, not the engine's pass
  if (!v.includes('_') && !v.includes('c')) return null;
  for (WORDS.lastIndex = 0; WORDS.test(v); ) {
    const end = WORDS.lastIndex;
    const proto = v.charCodeAt(end - 1) === 95;
    const start = end - (proto ? 9 : 11);
    if (proto) {
      // __proto__ next to an accessor, on either side
      const before = start > 0 ? v.charCodeAt(start - 1) : NaN;
      const after = v.charCodeAt(end);
      if ((isAccessor(before) && !Number.isNaN(before)) || (isAccessor(after) && !Number.isNaN(after))) return 'proto.path-string';
    } else {
      // constructor, accessors, prototype
      let j = end;
      while (j < v.length && j < end + 5 && isAccessor(v.charCodeAt(j))) j++;
      if (j > end && v.startsWith('prototype', j)) return 'proto.path-string';
    }
    // (the next search starts after this one's first character, as the searches per word did)
    WORDS.lastIndex = start + 1;
  }
  return null;
}

/** Object keys that pollute when a merge copies them: `__proto__` always, constructor/prototype holding an object. */
export function pollutionKey(key: string, value: unknown): boolean {
  if (key === '__proto__') return true;
  return (key === 'constructor' || key === 'prototype') && typeof value === 'object' && value !== null;
}
