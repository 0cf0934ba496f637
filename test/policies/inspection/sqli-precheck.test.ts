import { describe, expect, it } from 'vitest';
import { detectSqli, detectSqliReadingAll } from '../../../src/policies/inspection/scan/sqli.js';
import { agreesWithFullReading } from '../../support/precheck.js';


/**
 * A chat-length reading is tokenized only when its first tokens or its text leave a rule a chance: each value here
 * starts the way prose does (no rule starts from its first tokens) and holds the one thing a rule needs further on,
 * reached only through a comment, a newline, a number before a word or a name's run. Verdicts recorded from the
 * detector before the pre-check was added.
 */
const quotes = (v: string): number => (v.includes("'") ? 1 : 0) | (v.includes('"') ? 2 : 0);
const detect = (v: string): string | null => detectSqli(v, quotes(v));

describe('detectSqli on values that start as prose', () => {
  it('reads a call whose bracket comes after a comment, a newline or the digits of /*!', () => {
    expect(detect('a b sleep -- x\n(5)')).toBe('sqli.time-delay');
    expect(detect('a b sleep # x\n(5)')).toBe('sqli.time-delay');
    expect(detect('a b sleep/**/(5)')).toBe('sqli.time-delay');
    expect(detect('a b sleep/*!50000(5)')).toBe('sqli.time-delay');
    expect(detect('a b sleep/*!*/(5)')).toBe('sqli.time-delay');
    expect(detect('a b 1sleep(5)')).toBe('sqli.time-delay');
  });

  it('reads a statement after a ; and a comment', () => {
    expect(detect('a b ; -- x\ndrop table users')).toBe('sqli.stacked-query');
    expect(detect('a b ;/**/drop table users')).toBe('sqli.stacked-query');
    expect(detect('a b ;/*!drop table users')).toBe('sqli.stacked-query');
    expect(detect('the end; drop table users')).toBe('sqli.stacked-query');
    expect(detect("it's; drop table users")).toBe('sqli.stacked-query');
  });

  it('reads the words of the anywhere rules that need no bracket', () => {
    expect(detect("a b into outfile '/tmp/x'")).toBe('sqli.file-access');
    expect(detect("a b load data infile 'x'")).toBe('sqli.file-access');
    expect(detect('a b mysql.user')).toBe('sqli.system-object');
    expect(detect('a b sysobjects')).toBe('sqli.system-object');
    expect(detect('a b openrowset')).toBe('sqli.system-object');
    expect(detect('a b v$version')).toBe('sqli.system-object');
    expect(detect('a b 1information_schema')).toBe('sqli.system-object');
    expect(detect("a b waitfor delay '0:0:5'")).toBe('sqli.time-delay');
    expect(detect("it's union select 1")).toBe('sqli.union-select');
    // a catalogue name inside a longer name is none
    expect(detect('a b my_sysobjects')).toBeNull();
    expect(detect('a b x_information_schema')).toBeNull();
  });

  it('reads a keyword of no role as an operand when it is called', () => {
    expect(detect('by(1) or 1=1')).toBe('sqli.tautology');
    expect(detect('top(1)=1 or 1=1')).toBe('sqli.tautology');
    expect(detect('by */(1) or 1=1')).toBe('sqli.tautology');
  });

  it('finds the comment rule after a leading word or number and a literal', () => {
    expect(detect('1 2 --')).toBe('sqli.comment-truncation');
    expect(detect('a, 1 --')).toBe('sqli.comment-truncation');
    expect(detect("5 'x' --")).toBe('sqli.comment-truncation');
    expect(detect('a 5 -- ')).toBe('sqli.comment-truncation');
    expect(detect('by 1 --')).toBe('sqli.comment-truncation');
    expect(detect('the end -- ')).toBeNull();
    // a # starts a comment before a space, a control character, # or - and at the end, not before a letter
    expect(detect('a 5 #')).toBe('sqli.comment-truncation');
    expect(detect('a 5 #-')).toBe('sqli.comment-truncation');
    expect(detect('a 5 ##')).toBe('sqli.comment-truncation');
    expect(detect('a 5 #\tx')).toBe('sqli.comment-truncation');
    expect(detect('a 5 /* x')).toBe('sqli.comment-truncation');
    expect(detect('a 5 #x')).toBeNull();
    expect(detect('1 2 &#39;')).toBeNull();
  });
});

/**
 * The pre-check against the rules it stands for: values read with it and with every reading tokenized
 * (`detectSqliReadingAll`) get the same verdict, for every quote context. The values are made to reach the
 * pre-check's edges (prose-like starts before SQL that a comment, a newline, a name's run or a keyword of no role
 * hides), plus every line of the corpus. A rule that changes without the pre-check fails here.
 */
describe('the SQL pre-check agrees with reading every value in full', () => {
  const WORDS = [
    'or 1=1', ') or 1=1', 'sleep -- x\n(', 'sleep # x\n(', 'sleep/**/(', 'sleep/*!5(', 'sleep/*!*/(', '; -- x\ndrop table ',
    ';/**/drop table ', ';# x\nselect 1', ';/*!drop table ', '1sleep(', '0xsleep(', 'a_sleep(', 'my_information_schema',
    '1information_schema', 'mysql.user', 'into outfile', 'load data local infile', 'waitfor delay', 'union all select',
    'dbms_lock.sleep', 'dbms_pipe.receive_message', 'a', 'the', 'x1', 'à', 'it', 's', 'or', 'and', 'xor', 'select',
    'union', 'all', 'like', 'is', 'not', 'in', 'where', 'having', 'order', 'group', 'by', 'limit', 'as', 'procedure',
    'into', 'outfile', 'load', 'data', 'infile', 'mysql', 'user', 'sysobjects', 'openrowset', 'v$version', 'sleep',
    'benchmark', 'char', 'concat', 'ascii', 'substring', 'version', 'database', 'waitfor', 'delay', 'binary', 'div',
    'null', 'true', 'drop', 'table', 'shutdown', 'exec', 'xp_cmdshell', 'if', 'from', 'set', 'update', 'between',
    'file', 'load_file', 'extractvalue', 'current_user', 'use', 'declare', 'md5', 'count', 'pg_catalog', 'end', 'top',
  ];
  const PUNCTUATION = [
    "'", "''", '"', ';', '(', ')', ',', '.', '-', '--', '-- ', '#', '# ', '/*', '*/', '/*!', '=', '<', '>', '<>', '!=',
    '||', '&', '&&', '@', '@@', '@x', '\\', '`', ':', '~', '+', '%', '1', '0x1f', '1e5', '.5', '$', '_', '\n', ' ', ' ',
  ];
  const STARTS = ['', '', 'a b ', "x'y ", 'x"y ', '1 2 ', 'a 5 ', 'by ', 'all ', 'a end ', "x'end ", 'top ', 'a into ', 'by(1) ', 'by */(1) '];
  agreesWithFullReading({
    seed: 20_251_201,
    shapes: { starts: STARTS, pieces: WORDS, punctuation: PUNCTUATION, maxParts: 16, pieceShare: 0.45, spaceShare: 0.6 },
    contexts: () => [0, 1, 2, 3],
    checked: detectSqli,
    full: detectSqliReadingAll,
    foundIn: 3,
  });
});
