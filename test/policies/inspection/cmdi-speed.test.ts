import { describe, expect, it } from 'vitest';
import { COMMANDS, detectCmdi, EXEC_CALLS, INFO_CALLS, WORD_COMMANDS } from '../../../src/policies/inspection/scan/cmdi.js';
import { T_BACKTICK, T_CALL, T_DOLLAR } from '../../../src/policies/inspection/scan/triggers.js';
import { seededFraction as random } from '../../support/random.js';

/**
 * The substitution rule of the command detector walks a value's backticks and `$(` in two regimes (hops where they
 * are far apart, a loop of its own where they are dense), goes on after the token each command check read, and looks
 * names up in a table. Here it is held to the plain reading of the rule (every backtick and `$(` in turn, names sliced
 * and looked up in the sets) on seeded random values made of the pieces that matter, short and long, dense and
 * sparse.
 */

const isSpace = (c: number): boolean => c === 32 || c === 9;
const isLetter = (c: number): boolean => c >= 97 && c <= 122;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlnum = (c: number): boolean => isLetter(c) || isDigit(c) || (c >= 65 && c <= 90);
const isSeparator = (c: number): boolean => c === 59 || c === 124 || c === 38 || c === 10 || c === 13;
const isTokenChar = (c: number): boolean =>
  isAlnum(c) || c === 95 || c === 45 || c === 46 || c === 47 || c === 92 || c === 58 || c === 36 || c === 126;
const EXTENSIONS = new Set(['exe', 'com', 'bat', 'cmd', 'sh']);
const nameLike = (v: string, from: number, to: number): boolean => to - from >= 2 && to - from <= 16 && isLetter(v.charCodeAt(from));

function argumentLike(v: string, i: number): boolean {
  let j = i;
  while (isSpace(v.charCodeAt(j))) j++;
  if (j >= v.length) return true;
  const c = v.charCodeAt(j);
  if (isSeparator(c) || [45, 47, 92, 126, 46, 36, 37, 39, 34, 96, 62, 60, 42, 40, 41].includes(c) || isDigit(c)) return true;
  if (isLetter(c) && v.charCodeAt(j + 1) === 58) return true;
  let k = j;
  while (isLetter(v.charCodeAt(k))) k++;
  return v.startsWith('://', k);
}

function commandAt(v: string, i: number): boolean {
  let j = i;
  while (isSpace(v.charCodeAt(j)) || v.charCodeAt(j) === 40 || v.charCodeAt(j) === 123) j++;
  if (v.charCodeAt(j) === 36 && (isLetter(v.charCodeAt(j + 1)) || v.charCodeAt(j + 1) === 123)) return true;
  const start = j;
  let firstSep = -1;
  let lastSep = -1;
  for (; j < v.length && isTokenChar(v.charCodeAt(j)); j++) {
    if (v[j] === '/' || v[j] === '\\') {
      if (firstSep < 0) firstSep = j;
      lastSep = j;
    }
  }
  if (j === start) return false;
  if (v[j] === '=' && (v[j + 1] === '$' || v[j + 1] === '`')) return true;
  const nameStart = lastSep >= 0 ? lastSep + 1 : start;
  let nameEnd = j;
  let dot = j - 1;
  while (dot > nameStart && dot >= j - 4 && v[dot] !== '.') dot--;
  if (dot > nameStart && v[dot] === '.' && EXTENSIONS.has(v.slice(dot + 1, j))) nameEnd = dot;
  if (nameLike(v, nameStart, nameEnd)) {
    const name = v.slice(nameStart, nameEnd);
    if (COMMANDS.has(name)) return true;
    if (WORD_COMMANDS.has(name)) return nameStart > start || argumentLike(v, j);
  }
  if (lastSep >= 0 && v[start] !== '/' && v[start] !== '.') return nameLike(v, start, firstSep) && COMMANDS.has(v.slice(start, firstSep));
  return false;
}

function substitutionAt(v: string, i: number): boolean {
  if (v.startsWith('$(', i)) return commandAt(v, i + 2) || v[i + 2] === '`';
  const c = v.charCodeAt(i + 1);
  return v[i] === '`' && (isTokenChar(c) || isSpace(c) || c === 40 || c === 123) && commandAt(v, i + 1);
}

/** The plain reading: every backtick and `$(` in turn (every other backtick opens; a `$(` before a `$(` does not). */
function plainSubstitution(v: string): boolean {
  if (v[0] === '$' && substitutionAt(v, 0)) return true;
  let ticks = 0;
  for (let i = 0; i < v.length; i++) {
    const tick = v[i] === '`';
    if (!tick && !v.startsWith('$(', i)) continue;
    if (tick ? ticks++ % 2 !== 0 : v.startsWith('$(', i + 2)) continue;
    if (i === 0) continue;
    const b = v.charCodeAt(i - 1);
    const glued = isAlnum(b) || b === 61 || b === 39 || b === 34 || b === 36 || isSeparator(b) || (b === 40 && !tick);
    if (glued && substitutionAt(v, i)) return true;
  }
  return false;
}

/** What the detector says of the substitution rule (checked first when the mask holds no separator). */
const detected = (v: string): boolean => detectCmdi(v, T_DOLLAR | T_BACKTICK) === 'cmdi.substitution';


const PIECES = [
  '$(', '$(', '`', '`', 'a', 'b', 'x', 'ls', 'id', 'cat', 'ca', 'echo', 'sh', 'bin/', '/', '\\', '.', '.exe', '.sh', ' ', ' ',
  '=', "'", '"', '(', ')', '{', '$', ';', '|', '-', '1', ':', 'http://', 'c:', '$a', '$($(', 'é', '\n',
];

function value(next: () => number, pieces: number): string {
  let v = '';
  for (let k = 0; k < pieces; k++) v += PIECES[Math.floor(next() * PIECES.length)] as string;
  return v;
}

describe('detectCmdi substitution rule against its plain reading', () => {
  it('agrees on short random values', () => {
    const next = random(1);
    for (let k = 0; k < 20000; k++) {
      const v = value(next, 1 + Math.floor(next() * 12));
      expect(detected(v), JSON.stringify(v)).toBe(plainSubstitution(v));
    }
  });

  it('agrees on long values, dense and sparse', () => {
    const next = random(2);
    for (let k = 0; k < 300; k++) {
      // a unit repeated (dense), with pieces between repeats now and then, and a long gap of prose at times
      const unit = value(next, 1 + Math.floor(next() * 4));
      let v = '';
      while (v.length < 2000) {
        v += next() < 0.9 ? unit : next() < 0.5 ? value(next, 3) : 'some words of prose in between '.repeat(3);
      }
      expect(detected(v), JSON.stringify(v.slice(0, 60))).toBe(plainSubstitution(v));
    }
  });

  it('finds the one substitution at the end of a dense fill', () => {
    for (const fill of ['a$(', 'a`b', '`', '$(', '$(a)', '($(', "ab'$(", 'a.ab\'$(', '"$(cat x', '$( ( (', '$($(a']) {
      const dense = fill.repeat(Math.ceil(65536 / fill.length)).slice(0, 65536);
      for (const end of ['', ' x=$(id)', ' x`whoami`', ' a;`', ' $(ls']) {
        const v = dense + end;
        expect(detected(v), `${fill} … ${end}`).toBe(plainSubstitution(v));
      }
    }
  });

  it('reads the opening whose command shows its sign far on, after stretches that show none', () => {
    // (a stretch with no sign is passed at once, up to the last `$(` before the next sign: not up to the sign)
    for (const fill of ['a$(', 'ab$(', '"$(', '$( (']) {
      const dense = fill.repeat(Math.ceil(20000 / fill.length));
      const commands = [
        `q$(${'a'.repeat(3000)}/id`,
        `q$(${'a'.repeat(3000)}b.sh `,
        `x$(${'{'.repeat(100)}${' '.repeat(100)}id`,
        ` zz ${dense}$(ls`,
        `=$(${dense}`,
      ];
      for (const command of commands) {
        for (const v of [dense + command, dense + command + dense, command + dense]) {
          expect(detected(v), `${fill} … ${command.slice(0, 12)}`).toBe(plainSubstitution(v));
        }
      }
    }
  });
});

/**
 * The call rule (system('id'), phpinfo()) hops from `(` to `(` where they are far apart, reads dense stretches through
 * an automaton of the names, and passes long stretches with no string opener but for a search for phpinfo. Here it is
 * held to the plain reading: at every `(`, the run of name characters before it (spaces skipped, at most 32), sliced,
 * then the parts after each of its dots, looked up in the set of names.
 */
const CALL_NAMES = new Set([...EXEC_CALLS, ...INFO_CALLS]);

function plainCall(v: string): boolean {
  for (let i = v.indexOf('('); i >= 0; i = v.indexOf('(', i + 1)) {
    let k = i;
    while (k > 0 && isSpace(v.charCodeAt(k - 1))) k--;
    let start = k;
    while (start > 0 && k - start < 32) {
      const c = v.charCodeAt(start - 1);
      if (!(isAlnum(c) || c === 95 || c === 46 || c === 37 || c === 40 || c === 41)) break;
      start--;
    }
    let name = v.slice(start, k);
    while (name !== '' && !CALL_NAMES.has(name)) name = name.includes('.') ? name.slice(name.indexOf('.') + 1) : '';
    if (name === '') continue;
    const before = v.charCodeAt(k - name.length - 1);
    if (isAlnum(before) || before === 95) continue;
    if (INFO_CALLS.includes(name)) return true;
    let j = i + 1;
    while (isSpace(v.charCodeAt(j))) j++;
    if (['\'', '"', '`'].includes(v.charAt(j)) || v.startsWith('$_', j)) return true;
  }
  return false;
}

/** What the detector says of a value with no other rule's characters ({ < / - & or a reverse shell's call). */
const called = (v: string): boolean => detectCmdi(v, T_CALL) === 'cmdi.code-exec';

const CALL_PIECES = [
  ...EXEC_CALLS, ...INFO_CALLS, 'php', 'info', 'version', 'sys', 'exe', 'subprocess.', 'check_', 'runtime.', 'getruntime().',
  '(', '(', '(', '(', ')', '.', '.', ' ', ' ', '\t', "'", '"', '`', '$_', '$', '_', '%', 'a', 'x', 'l', 'n', 'o', '1', 'A',
  'é', '=', ',', ';',
];

describe('detectCmdi call rule against its plain reading', () => {
  it('agrees on short random values', () => {
    const next = random(3);
    for (let k = 0; k < 30000; k++) {
      let v = '';
      for (let p = 1 + Math.floor(next() * 10); p > 0; p--) v += CALL_PIECES[Math.floor(next() * CALL_PIECES.length)] as string;
      expect(called(v), JSON.stringify(v)).toBe(plainCall(v));
    }
  });

  it('agrees on long values, dense and sparse, with and without string openers', () => {
    const next = random(4);
    const pick = (pieces: number, openers: boolean): string => {
      let v = '';
      while (pieces-- > 0) {
        const piece = CALL_PIECES[Math.floor(next() * CALL_PIECES.length)] as string;
        if (openers || !/['"`$]/.test(piece)) v += piece;
      }
      return v;
    };
    for (let k = 0; k < 400; k++) {
      // a unit repeated (dense `(` where it holds one), with pieces between repeats now and then, long gaps of prose
      // at times, and string openers only in some stretches
      const openers = next() < 0.5;
      const unit = pick(1 + Math.floor(next() * 4), openers) + (next() < 0.7 ? '(' : '');
      let v = '';
      while (v.length < 3000) {
        const r = next();
        v += r < 0.9 ? unit : r < 0.96 ? pick(3, next() < 0.3) : 'some words of prose in between '.repeat(3);
      }
      expect(called(v), JSON.stringify(v.slice(0, 60))).toBe(plainCall(v));
    }
  });

  it('finds the one call at the end of a dense fill', () => {
    for (const fill of ['eval(', 'a(', '(a', 'x(x(', 'on(', '(eval(\'', '.call(\'', '%x(', 'n( ', '(phpinfo(', "('", 'exec ( ']) {
      const dense = fill.repeat(Math.ceil(65536 / fill.length)).slice(0, 65536);
      for (const end of ['', " system('id')", ' phpinfo()', ' phpinfo', " x.os.system ('id')", " (eval('x')", " subprocess.call('x')", ' %x(`id`)']) {
        const v = dense + end;
        expect(called(v), `${fill} … ${end}`).toBe(plainCall(v));
      }
    }
  });

  it('finds a call right after each of the first hundred look-alikes', () => {
    // (past a number of them, the walk reads on in another way: the call may come right where it changes)
    for (const unit of ["(eval('", ".call('", '(exec (`', "x%x('"]) {
      for (let count = 1; count <= 100; count++) {
        for (const end of [" system('id')", "system('id')", ' phpinfo()']) {
          const v = unit.repeat(count) + end;
          expect(called(v), `${unit} × ${count} … ${end}`).toBe(plainCall(v));
        }
      }
    }
  });
});

/** The reverse shells' paths and options as written before their expression was reordered for speed. */
const PLAIN_REVERSE_SHELL_PATH = /\/(?:dev\/(?:tcp|udp)\/|(?<=mkfifo \/)tmp\/|(?<=bitsadmin \/)transfer)|-(?:e (?:\/bin\/|cmd)|(?<=certutil -)urlcache)/;

describe('detectCmdi reverse-shell paths against their plain expression', () => {
  it('agrees on random values of pieces of theirs', () => {
    const next = random(5);
    const phrases = ['/dev/tcp/', '/dev/udp/', 'mkfifo /tmp/', 'bitsadmin /transfer', '-e /bin/', '-e cmd', 'certutil -urlcache', ' x/-'];
    // a random part of a phrase: whole at times, else cut at both ends
    const piece = (): string => {
      const phrase = phrases[Math.floor(next() * phrases.length)] as string;
      if (next() < 0.3) return phrase;
      const from = Math.floor(next() * phrase.length);
      return phrase.slice(from, from + 1 + Math.floor(next() * (phrase.length - from)));
    };
    for (let k = 0; k < 30000; k++) {
      let v = '';
      for (let p = 1 + Math.floor(next() * 6); p > 0; p--) v += piece();
      if (next() < 0.02) v = v.repeat(200);
      // (a / that starts no match: without a / or -e, the expression is not run)
      v += ' /x';
      expect(detectCmdi(v, 0) === 'cmdi.reverse-shell', JSON.stringify(v.slice(0, 80))).toBe(PLAIN_REVERSE_SHELL_PATH.test(v));
    }
  });
});
