/**
 * What the detectors' pre-check tests share: the values they read both ways (with the pre-check and with every rule
 * run) and the comparison. A pre-check is proved by hand from its detector's rules; these tests are what hold it to
 * them when a rule changes.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { seededFraction } from './random.js';

const corpusDir = resolve(import.meta.dirname, '../../../shared/corpus');

/** Whether the public corpus (../shared/corpus) is there. */
const hasCorpus = existsSync(corpusDir);

/** Every line of the corpus (all classes) shorter than 1,024 characters, the pre-checks' reach, lower-cased. */
function chatLengthCorpusLines(): string[] {
  return readdirSync(corpusDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(corpusDir, d.name)).map((f) => join(corpusDir, d.name, f)))
    .flatMap((file) => readFileSync(file, 'utf8').split('\n'))
    .filter((line) => line.length > 0 && line.length < 1024)
    .map((line) => line.toLowerCase());
}

/** The vocabulary of `builtValues`: a start, then parts that are a piece (a word, maybe a space after it) or punctuation. */
export interface ValueShapes {
  readonly starts: readonly string[];
  readonly pieces: readonly string[];
  readonly punctuation: readonly string[];
  /** The most parts after the start (fewer are likelier). */
  readonly maxParts: number;
  /** How often a part is a piece rather than punctuation, and a piece has a space after it. */
  readonly pieceShare: number;
  readonly spaceShare: number;
}

/** `count` values drawn from `shapes` with a seeded generator: the same values at every run. */
function builtValues(seed: number, count: number, shapes: ValueShapes): string[] {
  const next = seededFraction(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    let v = pick(shapes.starts);
    const parts = 1 + Math.floor(next() * next() * shapes.maxParts);
    for (let k = 0; k < parts; k++) {
      v += next() < shapes.pieceShare ? pick(shapes.pieces) + (next() < shapes.spaceShare ? ' ' : '') : pick(shapes.punctuation);
    }
    values.push(v);
  }
  return values;
}

/**
 * The values (each with the context it was read in) that `checked` and `full` read differently, for every context
 * `contexts` gives a value: [] when the pre-check agrees with the rules.
 */
function readDifferently(
  values: Iterable<string>,
  contexts: (v: string) => readonly number[],
  checked: (v: string, context: number) => string | null,
  full: (v: string, context: number) => string | null,
): string[] {
  const differing: string[] = [];
  for (const v of values) {
    for (const context of contexts(v)) {
      if (checked(v, context) !== full(v, context)) differing.push(`${context} ${JSON.stringify(v)}`);
    }
  }
  return differing;
}

/** A detector read with its pre-check (`checked`) and with every rule run (`full`), in the contexts a value gets. */
export interface PrecheckAgreement {
  readonly seed: number;
  readonly shapes: ValueShapes;
  readonly contexts: (v: string) => readonly number[];
  readonly checked: (v: string, context: number) => string | null;
  readonly full: (v: string, context: number) => string | null;
  /** The context in which at least 2,000 of the built values must be found (so the two have something to disagree on). */
  readonly foundIn: number;
}

/**
 * The two tests every pre-check gets (called inside its `describe`): 20,000 values built from `shapes`, and every
 * chat-length corpus line, read both ways with the same verdict.
 */
export function agreesWithFullReading(check: PrecheckAgreement): void {
  const bothWays = (values: Iterable<string>): string[] => readDifferently(values, check.contexts, check.checked, check.full);

  it('on 20,000 values built to reach its edges', () => {
    const values = builtValues(check.seed, 20_000, check.shapes);
    const found = values.filter((v) => check.full(v, check.foundIn) !== null).length;
    expect(bothWays(values)).toEqual([]);
    // (the values reach the rules: a good share is found, and so the two readings have something to disagree on)
    expect(found).toBeGreaterThan(2_000);
  });

  it.skipIf(!hasCorpus)('on every corpus line, lower-cased', () => {
    const lines = chatLengthCorpusLines();
    expect(lines.length).toBeGreaterThan(10_000);
    expect(bothWays(lines)).toEqual([]);
  });
}
