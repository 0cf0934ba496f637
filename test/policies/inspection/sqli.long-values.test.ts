import { describe, expect, it } from 'vitest';
import { detectSqli } from '../../../src/policies/inspection/scan/sqli.js';

/**
 * The SQL detector on long values: verdicts that depend on tokens far past the first characters, and long runs of
 * quotes and operators (the tokenizer hops over strings and comments with searches), recorded from the detector
 * as it stands.
 */
const quotes = (v: string): number => (v.includes("'") ? 1 : 0) | (v.includes('"') ? 2 : 0);
const pad = 'the best option is here, see you at 5 '.repeat(100);

const CASES: ReadonlyArray<readonly [string, string, string | null]> = [
  ['a candidate far past the first characters', pad + 'union select password from users', 'sqli.union-select'],
  ['a stacked query at the end', pad + '; drop table users', 'sqli.stacked-query'],
  ['a system variable at the end', pad + 'x @@version', 'sqli.system-object'],
  ['a keyword glued to a hex number at the end', pad + '0xunion select 1', 'sqli.union-select'],
  ['a quoted breakout with its condition far on', "x' " + '+ 1 '.repeat(400) + "or 'a'='a", 'sqli.tautology'],
  ['a quoted breakout, a comment after a long expression', "x' " + '+ 1 '.repeat(400) + '--', 'sqli.string-expression'],
  ['SQL only, then a comment, long', '1 ' + '+ 1 '.repeat(400) + '-- x', 'sqli.comment-truncation'],
  ['quotes of every kind, long', '\'"`'.repeat(2000), null],
  ["' or ' repeated", "' or '".repeat(1000), null],
  ["x' or 'a'='a repeated", "x' or 'a'='a".repeat(500), 'sqli.tautology'],
  ['a group left open far', "1' and (" + '(1 '.repeat(300) + '=1', null],
  ['a quoted reading in step with an unfinished own reading', "a' " + 'b '.repeat(600) + "' or 1=1 -- ", 'sqli.comment-truncation'],
];

describe('detectSqli on long values', () => {
  for (const [name, value, rule] of CASES) {
    it(name, () => {
      expect(detectSqli(value, quotes(value))).toBe(rule);
    });
  }
});
