import { describe, expect, it } from 'vitest';
import { createScanner } from '../../../src/policies/inspection/scan/index.js';
import type { ScanOptions } from '../../../src/policies/inspection/scan/types.js';
import { seededRandom as random } from '../../support/random.js';

/**
 * A scanner remembers the short strings it found clean (and the clean keys at each position): what it finds in a
 * payload must never depend on what it scanned before. Each payload of a long sequence is checked against a scanner
 * that has seen nothing else.
 */

// Short strings, clean and not, of up to 12 characters (around the remembered length), some equal in text.
const SHORT = [
  'general', 'random', 'dev', 'off-topic', 'ok', '', 'hi there', 'abcdefghij', 'abcdefghijk', 'support',
  "' or 1=1--", '<b>', '../etc', '__proto__', 'a;ls', '%27', '＜s', 'x||y', '$(id)', '/tmp', 'general;', "o'neil",
  'constructor', 'prototype', 'room', 'text', 'union sel', '1 union', '@@v', '\0', 'é', '世界',
];
const KEYS = ['text', 'room', 'type', '__proto__', 'a b', "k'", 'constructor', '..', 'x'];

/** `s` with the same text as another string but not the same string (sliced out of a longer one). */
const copyOf = (s: string): string => ` ${s}`.slice(1);

function payloads(seed: number, count: number): unknown[] {
  const rnd = random(seed);
  const short = (): string => {
    const s = SHORT[rnd(SHORT.length)] as string;
    return rnd(3) === 0 ? copyOf(s) : s;
  };
  const value = (depth: number): unknown => {
    const kind = rnd(depth > 2 ? 2 : 5);
    if (kind <= 1) return short();
    if (kind === 2) return Array.from({ length: rnd(4) }, () => value(depth + 1));
    if (kind === 3) return rnd(10);
    const o: Record<string, unknown> = {};
    for (let i = rnd(5); i > 0; i--) o[rnd(2) === 0 ? (KEYS[rnd(KEYS.length)] as string) : short()] = value(depth + 1);
    return o;
  };
  return Array.from({ length: count }, () => (rnd(4) === 0 ? short() : JSON.parse(JSON.stringify(value(0))) as unknown));
}

const OPTIONS: ScanOptions[] = [
  {},
  { firstOnly: true },
  { maxStringLength: 3 },
  { maxTotalLength: 40 },
  { maxFindings: 2 },
  { kinds: ['sqli', 'path'] },
  { pollutionKeys: false, maxNodes: 5 },
];

describe('the clean-string cache', () => {
  it.each(OPTIONS.map((o) => [JSON.stringify(o), o] as const))('changes no finding of a sequence of payloads (%s)', (_, options) => {
    const scan = createScanner(options);
    payloads(7, 3000).forEach((p, i) => {
      expect([i, scan(p)]).toEqual([i, createScanner(options)(p)]);
    });
  });

  it('finds a short attack where clean short strings were remembered', () => {
    const scan = createScanner();
    for (let i = 0; i < 20; i++) expect(scan({ room: 'general', text: "o'neil" })).toEqual([]);
    expect(scan({ room: "' or 1=1--", text: '$(id)' }).map((f) => f.rule)).toEqual(['sqli.tautology', 'cmdi.substitution']);
  });
});
