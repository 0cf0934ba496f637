/**
 * SQL injection: a small SQL tokenizer and rules over its tokens, in the spirit of libinjection (which reads a value
 * as SQL from three starting points) rather than a list of regular expressions.
 *
 * A value is injected into a query in one of three places: as a bare number or name (`WHERE id = 1`), inside a
 * single-quoted string or inside a double-quoted one. For each place the value could be in, the value is read as the
 * database would read it from that point (in a string, the first quote of that kind closes the query's own string)
 * and the rules ask: does it break out and then do something only SQL does — a boolean condition (`OR 1=1`), a
 * comment that cuts the rest of the query off, a second statement, `UNION SELECT`, a time delay, a catalogue table?
 *
 * Prose passes because words alone prove nothing: "select the best option", "I'll drop by the union hall at 5; bring
 * the table" and "2 OR 4 METAL BUTTONS" have SQL keywords but no breakout followed by SQL that would run.
 */

import { find } from './literal.js';
import { unitLoader } from './units.js';
import type { ScanRuleId } from './rules.js';

// Token types. The constants are `const enum`s, which the bundler writes in place: a module-level `const` becomes a
// variable the compiled tokenizer loads and checks at every use (the enums alone made it 5-15% faster). They are
// numbers packed into typed arrays and compared with what those arrays hold, hence the rule turned off here.
/* eslint-disable @typescript-eslint/no-unsafe-enum-comparison */
const enum Tok { NUM = 1, STR, WORD, VAR, OP, LPAREN, RPAREN, COMMA, SEMI, DOT, OTHER }

// Operator classes (sub-type of Tok.OP).
const enum Op { CMP = 1, LOGIC, ARITH, BIT, NOT, NONSQL /* == and the like: not SQL */ }

// String flags (sub-type of Tok.STR).
const enum StrFlag {
  OPEN = 1, // reached the end of the value without its closing quote
}

// Keyword classes.
const enum Cls {
  LOGIC = 1, // and or xor
  NOT = 2,
  CMP = 4, // like rlike regexp is in between sounds glob
  LITERAL = 8, // null true false unknown
  FUNC = 16, // a function only SQL has, or that injections lean on
  SYSTEM = 32, // catalogue tables, system procedures
  ANYWHERE = 64, // a word some rule that needs no breakout starts from
}

const KEYWORD_CLASSES: ReadonlyArray<readonly [number, string]> = [
  [Cls.LOGIC, 'and or xor'],
  [Cls.NOT, 'not'],
  [Cls.CMP, 'like rlike regexp is in between sounds glob'],
  [Cls.LITERAL, 'null true false unknown'],
  [
    Cls.FUNC,
    'sleep benchmark pg_sleep randomblob version database user current_user system_user session_user schema ' +
      'load_file extractvalue updatexml char chr nchar concat concat_ws group_concat ascii ord substring substr mid ' +
      'hex unhex cast convert count if iif ifnull isnull nullif coalesce md5 sha1 length len floor rand exp pi elt ' +
      'make_set name_const geometrycollection polygon multipoint linestring multilinestring multipolygon db_name ' +
      'host_name user_name suser_name suser_sname object_name col_name xmltype getpgusername current_database ' +
      'row_count found_rows last_insert_id connection_id charset collation left right reverse lpad rpad instr ' +
      'locate position strcmp soundex bin oct conv sys_context utl_inaddr dbms_pipe receive_message get_host_address ' +
      'ctxsys drithsx sn chr char_length octet_length bit_length uncompress compress to_char to_number nvl decode',
  ],
  [
    Cls.SYSTEM,
    'information_schema sysobjects syscolumns sysusers systables sysdatabases sysprocesses syslogins sysxlogins ' +
      'pg_catalog pg_shadow pg_user pg_database pg_tables all_tables user_tables all_tab_columns user_tab_columns ' +
      'all_users dba_users sqlite_master msysobjects msysaccessobjects xp_cmdshell xp_regread xp_dirtree xp_fileexist ' +
      'xp_availablemedia xp_servicecontrol sp_executesql sp_oacreate sp_oamethod sp_makewebtask sp_password ' +
      'sp_addlogin sp_addsrvrolemember sp_configure utl_http utl_file dbms_xmlgen dbms_java openrowset ' +
      'opendatasource v$version v$instance sys_eval sys_exec',
  ],
];


const KEYWORD_ID = new Map<string, number>();
const CLASS: number[] = [0];
function idOf(word: string): number {
  let id = KEYWORD_ID.get(word);
  if (id === undefined) {
    id = CLASS.length;
    KEYWORD_ID.set(word, id);
    CLASS.push(0);
  }
  return id;
}
function addClass(word: string, cls: number): void {
  const id = idOf(word);
  CLASS[id] = (CLASS[id] ?? 0) | cls;
}
for (const [cls, words] of KEYWORD_CLASSES) for (const w of words.split(' ')) addClass(w, cls);
const ANYWHERE_WORDS =
  'union sleep pg_sleep benchmark randomblob waitfor dbms_lock dbms_pipe load_file into load mysql extractvalue ' +
  'updatexml name_const geometrycollection multipoint polygon linestring multilinestring multipolygon xmltype char ' +
  'chr nchar concat concat_ws ascii ord hex bin conv length unhex version database user current_user session_user ' +
  'system_user schema db_name user_name suser_name suser_sname host_name current_database current_setting ' +
  'current_schema connection_id getpgusername sys_context last_insert_id';
for (const w of ANYWHERE_WORDS.split(' ')) addClass(w, Cls.ANYWHERE);
/** Keyword ids by name, as an object literal (fast properties: the rules read these on every token). */
const K = {
  union: idOf('union'), select: idOf('select'), all: idOf('all'), distinct: idOf('distinct'), order: idOf('order'),
  group: idOf('group'), by: idOf('by'), having: idOf('having'), procedure: idOf('procedure'),
  analyse: idOf('analyse'), analyze: idOf('analyze'), into: idOf('into'), outfile: idOf('outfile'),
  dumpfile: idOf('dumpfile'), load: idOf('load'), data: idOf('data'), xml: idOf('xml'), infile: idOf('infile'),
  local: idOf('local'), limit: idOf('limit'), waitfor: idOf('waitfor'), delay: idOf('delay'), time: idOf('time'),
  drop: idOf('drop'), create: idOf('create'), alter: idOf('alter'), truncate: idOf('truncate'), table: idOf('table'),
  database: idOf('database'), schema: idOf('schema'), view: idOf('view'), 'function': idOf('function'),
  index: idOf('index'), trigger: idOf('trigger'), login: idOf('login'), column: idOf('column'),
  'delete': idOf('delete'), from: idOf('from'), insert: idOf('insert'), update: idOf('update'), set: idOf('set'),
  exec: idOf('exec'), execute: idOf('execute'), declare: idOf('declare'), shutdown: idOf('shutdown'),
  grant: idOf('grant'), revoke: idOf('revoke'), to: idOf('to'), on: idOf('on'), where: idOf('where'),
  top: idOf('top'), use: idOf('use'), call: idOf('call'), dbms_lock: idOf('dbms_lock'), dbms_pipe: idOf('dbms_pipe'),
  mysql: idOf('mysql'), master: idOf('master'), null: idOf('null'), true: idOf('true'), false: idOf('false'),
  is: idOf('is'), not: idOf('not'), between: idOf('between'), and: idOf('and'), 'in': idOf('in'),
  sounds: idOf('sounds'), like: idOf('like'), exists: idOf('exists'), 'case': idOf('case'), when: idOf('when'),
  sleep: idOf('sleep'), pg_sleep: idOf('pg_sleep'), benchmark: idOf('benchmark'), randomblob: idOf('randomblob'),
  load_file: idOf('load_file'), extractvalue: idOf('extractvalue'), updatexml: idOf('updatexml'),
  name_const: idOf('name_const'), char: idOf('char'), chr: idOf('chr'), nchar: idOf('nchar'), concat: idOf('concat'),
  concat_ws: idOf('concat_ws'), geometrycollection: idOf('geometrycollection'), multipoint: idOf('multipoint'),
  polygon: idOf('polygon'), linestring: idOf('linestring'), multilinestring: idOf('multilinestring'),
  multipolygon: idOf('multipolygon'), xmltype: idOf('xmltype'), nowait: idOf('nowait'), user: idOf('user'),
  as: idOf('as'), join: idOf('join'), div: idOf('div'), mod: idOf('mod'), rlike: idOf('rlike'),
  regexp: idOf('regexp'), glob: idOf('glob'), immediate: idOf('immediate'), 'end': idOf('end'), copy: idOf('copy'),
  program: idOf('program'), backup: idOf('backup'), log: idOf('log'), begin: idOf('begin'), 'if': idOf('if'),
  binary: idOf('binary'),
};
/** A word's hash, as the tokenizer computes it while it reads the word. */
const hashStep = (h: number, c: number): number => (Math.imul(h, 31) + c) | 0;
const KEYWORD_HASH = new Int32Array(CLASS.length);
for (const [word, id] of KEYWORD_ID) {
  let h = 0;
  for (let i = 0; i < word.length; i++) h = hashStep(h, word.charCodeAt(i));
  KEYWORD_HASH[id] = h;
}
/**
 * Keywords by hash, one slot each (no probing): the slot of hash `h` is the top bits of `h * KEYWORD_MIX`, a
 * multiplier searched for here so that no two keywords share a slot (at 8192 slots for some 230 keywords, a few
 * dozen odd numbers at most are tried). A slot holds its keyword's hash and id (0: empty), so a word is a keyword only
 * when its slot holds its hash: one load and a test that is nearly always false for a word of prose, its characters
 * compared only then. (The filter this replaces, by first letter and length before an open-addressing probe, let two
 * words of prose in three through to the probe; kept in front of this test, it made long prose 5-10% slower.)
 */
const SLOT_BITS = 13;
const slotOf = (h: number, mix: number): number => Math.imul(h, mix) >>> (32 - SLOT_BITS);
const KEYWORD_MIX = ((): number => {
  const used = new Uint8Array(1 << SLOT_BITS);
  for (let mix = 0x9e3779b1 | 0; ; mix = (mix + 2) | 0) {
    used.fill(0);
    let id = 1;
    for (; id < KEYWORD_HASH.length; id++) {
      const slot = slotOf(KEYWORD_HASH[id] as number, mix);
      if (used[slot] === 1) break;
      used[slot] = 1;
    }
    if (id === KEYWORD_HASH.length) return mix;
  }
})();
const SLOT_ID = new Uint16Array(1 << SLOT_BITS);
const SLOT_HASH = new Int32Array(1 << SLOT_BITS);
for (let id = 1; id < KEYWORD_HASH.length; id++) {
  const slot = slotOf(KEYWORD_HASH[id] as number, KEYWORD_MIX);
  SLOT_ID[slot] = id;
  SLOT_HASH[slot] = KEYWORD_HASH[id] as number;
}
/** Keyword characters, one after another, and where each id's starts. */
const KEYWORD_START = new Uint16Array(CLASS.length + 1);
const KEYWORD_CHARS: number[] = [];
for (const [word, id] of KEYWORD_ID) {
  KEYWORD_START[id] = KEYWORD_CHARS.length;
  for (let i = 0; i < word.length; i++) KEYWORD_CHARS.push(word.charCodeAt(i));
  KEYWORD_START[id + 1] = KEYWORD_CHARS.length;
}
const KEYWORD_CHAR = Uint8Array.from(KEYWORD_CHARS);
/** Whether some keyword starts with this character (keywords are ASCII). */
const KEYWORD_FIRST = new Uint8Array(128);
for (const word of KEYWORD_ID.keys()) KEYWORD_FIRST[word.charCodeAt(0)] = 1;

/** The id of the keyword in `slot` (the slot of the word's hash, holding that hash) when it is `v[i, j)`, or 0. */
function keywordIn(v: string, i: number, j: number, slot: number): number {
  const id = SLOT_ID[slot] as number;
  if (id === 0) return 0;
  const start = KEYWORD_START[id] as number;
  if ((KEYWORD_START[id + 1] as number) - start !== j - i) return 0;
  for (let k = 0; i + k < j; k++) if (v.charCodeAt(i + k) !== KEYWORD_CHAR[start + k]) return 0;
  return id;
}

/** `keywordIn` over `u`, the units of the value. */
function keywordInUnits(u: Uint16Array, i: number, j: number, slot: number): number {
  const id = SLOT_ID[slot] as number;
  if (id === 0) return 0;
  const start = KEYWORD_START[id] as number;
  if ((KEYWORD_START[id + 1] as number) - start !== j - i) return 0;
  for (let k = 0; i + k < j; k++) if (u[i + k] !== KEYWORD_CHAR[start + k]) return 0;
  return id;
}

// Token storage, reused across calls (the scanner never re-enters itself). Every array written per token costs the
// tokenizer's compiled code a check and a store at each token, so a token's type and sub-type share one.
let cap = 256;
/** A token's type and sub-type (operator class, keyword id, string flag) as `type | sub << 4`. */
let tTok = new Uint16Array(cap);
let tStart = new Int32Array(cap);
let tEnd = new Int32Array(cap);
let tCommentAfter = new Uint8Array(cap);
/** Whether a comment flag was set in these arrays since they were last reset (kept with them when swapped). */
let tCommented = false;
let nTok = 0;
/** The tokens an `anywhere` rule starts from (a word of its classes, an @@variable, a ;), in order. */
let tCand = new Int32Array(64);
let nCand = 0;

/**
 * The value's own reading, kept (swapped out of the arrays above) while the quoted readings are read: a quoted
 * reading that reaches a position where the own reading started a token goes on from there exactly as it did (the
 * tokenizer's only state is its position), so those tokens are copied rather than read again. `sN`: how many tokens
 * the kept arrays hold (their comment flags are cleared when they are used again).
 */
let sCap = 256;
let sTok = new Uint16Array(sCap);
let sStart = new Int32Array(sCap);
let sEnd = new Int32Array(sCap);
let sCommentAfter = new Uint8Array(sCap);
let sCommented = false;
let sN = 0;
let sCand = new Int32Array(64);
let sNCand = 0;

/** Exchange the current tokens with the kept ones. */
function swapReadings(): void {
  const c = cap, tok = tTok, start = tStart, end = tEnd, comment = tCommentAfter;
  const n = nTok, cand = tCand, nc = nCand, commented = tCommented;
  cap = sCap; tTok = sTok; tStart = sStart; tEnd = sEnd; tCommentAfter = sCommentAfter;
  nTok = sN; tCand = sCand; nCand = sNCand; tCommented = sCommented;
  sCap = c; sTok = tok; sStart = start; sEnd = end; sCommentAfter = comment;
  sN = n; sCand = cand; sNCand = nc; sCommented = commented;
}

/** Room for `count` tokens: made before a reading for as many tokens as it has characters, so push never checks. */
function reserve(count: number): void {
  if (count <= cap) return;
  while (cap < count) cap *= 2;
  const grow = <T extends Uint8Array | Uint16Array | Int32Array>(a: T, make: (n: number) => T): T => {
    const b = make(cap);
    b.set(a);
    return b;
  };
  tTok = grow(tTok, (n) => new Uint16Array(n));
  tStart = grow(tStart, (n) => new Int32Array(n));
  tEnd = grow(tEnd, (n) => new Int32Array(n));
  tCommentAfter = grow(tCommentAfter, (n) => new Uint8Array(n));
}

function push(type: number, sub: number, start: number, end: number): void {
  tTok[nTok] = type | (sub << 4);
  tStart[nTok] = start;
  tEnd[nTok] = end;
  nTok++;
}

/** Token `k` is one an `anywhere` rule starts from. */
function candidate(k: number): void {
  if (nCand === tCand.length) {
    const bigger = new Int32Array(nCand * 2);
    bigger.set(tCand);
    tCand = bigger;
  }
  tCand[nCand++] = k;
}

function markComment(): void {
  if (nTok > 0) {
    tCommentAfter[nTok - 1] = 1;
    tCommented = true;
  }
}

/** Where the next token of the kept reading to compare with starts (NEVER: no comparison, the own reading). */
const NEVER = 0x7fffffff;
let syncAt = NEVER;
let syncTok = 0;
/**
 * Comparisons left before a quoted reading stops comparing. A reading out of step with the kept one (strings where
 * the kept reading has code, as with quotes of the other parity) meets the kept reading's tokens one after another
 * and seldom falls in step again; one in step meets it at once, and prose seldom has a token where the other reading
 * has one without falling in step.
 */
const SYNC_TRIES = 64;
let syncTries = 0;

/**
 * The current reading has reached the kept reading's token `m` (at the same position): the rest is the kept
 * reading's. `anywhere` gets only token m as a candidate beyond those already read: the kept reading had no match
 * (else the quoted readings are not read), and a rule at a later token k looks at tokens k - 1 onward, all the same.
 */
function adopt(m: number): void {
  const count = sN - m; // one character each at least: tokenize reserved the room
  tTok.set(sTok.subarray(m, sN), nTok);
  tStart.set(sStart.subarray(m, sN), nTok);
  tEnd.set(sEnd.subarray(m, sN), nTok);
  tCommentAfter.set(sCommentAfter.subarray(m, sN), nTok);
  tCommented ||= sCommented;
  let c = 0;
  while (c < sNCand && (sCand[c] as number) < m) c++;
  if (c < sNCand && sCand[c] === m) candidate(nTok);
  nTok += count;
}

/**
 * Character kinds for the tokenizer, one load per character: spaces, characters of a word, letters among them, and
 * characters that are a token of their own whatever follows (their token in SINGLE).
 */
const enum Ch { SPACE = 1, WORD = 2, LETTER = 4, SINGLE = 8, KEYWORD = 16 }
const KIND = new Uint8Array(65536);
/** The token of a Ch.SINGLE character, as tTok holds it. */
const SINGLE = new Uint8Array(256);
for (let c = 0; c < 65536; c++) {
  if (c === 32 || (c >= 9 && c <= 13) || c === 0xa0) KIND[c] = Ch.SPACE;
  else if (c >= 48 && c <= 57) KIND[c] = Ch.WORD;
  else if ((c >= 97 && c <= 122) || c === 95 || c === 36 || (c >= 65 && c <= 90) || c >= 0xc0) {
    KIND[c] = Ch.WORD | Ch.LETTER | (c < 128 && KEYWORD_FIRST[c] !== 0 ? Ch.KEYWORD : 0);
  } else if (!'-#/*\'"`.@<>!=&|'.includes(String.fromCharCode(c))) {
    // the characters the tokenizer's switch reads with what follows them are left out
    KIND[c] = Ch.SINGLE;
    SINGLE[c] = Tok.OTHER;
  }
}
const SINGLE_TOKENS = [
  ['(', Tok.LPAREN, 0], [')', Tok.RPAREN, 0], [',', Tok.COMMA, 0], [';', Tok.SEMI, 0],
  ['+', Tok.OP, Op.ARITH], ['%', Tok.OP, Op.ARITH], ['^', Tok.OP, Op.BIT], ['~', Tok.OP, Op.BIT],
] as const;
for (const [ch, type, sub] of SINGLE_TOKENS) SINGLE[ch.charCodeAt(0)] = type | (sub << 4);
const isSpace = (c: number): boolean => KIND[c] === Ch.SPACE;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordChar = (c: number): boolean => ((KIND[c] as number) & Ch.WORD) !== 0;

/**
 * Tokenize lower-cased `v` from `from`. Comments are not tokens: the token before them is marked instead, so
 * `UNION/**\/SELECT` reads as `UNION SELECT`. MySQL's executable comments (/*!50000 … *\/) are read as code.
 * A quoted reading stops at the first position where the kept reading started a token, and takes its tokens on.
 */
function tokenize(v: string, from: number): void {
  const n = v.length;
  let i = from;
  backslash = -1;
  reserve(nTok + n - from); // a token has one character at least
  // The arrays held here: the commonest tokens (words, single characters, dots) are written without reloading them.
  const tok = tTok, start = tStart, end = tEnd;
  while (i < n) {
    const c = v.charCodeAt(i);
    const kind = KIND[c] as number;
    if (kind === Ch.SPACE) {
      i++;
      continue;
    }
    if (i >= syncAt) {
      // a quoted reading at or past the kept reading's next token: in step with it from here on if one starts here
      let m = syncTok;
      while (m < sN && (sStart[m] as number) < i) m++;
      syncTok = m;
      if (m < sN && sStart[m] === i) {
        adopt(m);
        return;
      }
      syncAt = m < sN && --syncTries > 0 ? (sStart[m] as number) : NEVER;
    }
    if ((kind & Ch.LETTER) !== 0) {
      // a word (the commonest token: tested first), hashed as it is read when a keyword starts with its letter
      let j = i + 1;
      let id = 0;
      if ((kind & Ch.KEYWORD) !== 0) {
        let h = hashStep(0, c);
        for (; j < n; j++) {
          const e = v.charCodeAt(j);
          if (((KIND[e] as number) & Ch.WORD) === 0) break;
          h = hashStep(h, e);
        }
        const slot = slotOf(h, KEYWORD_MIX);
        if (SLOT_HASH[slot] === h) id = keywordIn(v, i, j, slot);
      } else {
        while (j < n && ((KIND[v.charCodeAt(j)] as number) & Ch.WORD) !== 0) j++;
      }
      const k = nTok++;
      tok[k] = Tok.WORD | (id << 4); start[k] = i; end[k] = j;
      if (id !== 0 && ((CLASS[id] ?? 0) & (Cls.ANYWHERE | Cls.SYSTEM)) !== 0) candidate(nTok - 1);
      i = j;
      continue;
    }
    if (kind === Ch.WORD) {
      const j = numberEnd(v, i, c, i + 1 < n ? v.charCodeAt(i + 1) : 0);
      push(Tok.NUM, 0, i, j);
      i = j;
      continue;
    }
    if (kind === Ch.SINGLE) {
      const token = SINGLE[c] as number;
      const k = nTok++;
      tok[k] = token; start[k] = i; end[k] = i + 1;
      if (c === 59) candidate(nTok - 1); // ;
      i++;
      continue;
    }
    // Past the end, 0 rather than charCodeAt's NaN (here and below): a read that can give NaN makes V8 compare as
    // doubles from then on, which cost the tokenizer a third of its time on punctuation.
    const d = i + 1 < n ? v.charCodeAt(i + 1) : 0;
    // Everything else by its first character; operators longest first (each case that reads no operator goes on).
    let t = Tok.OP;
    let o: number = Op.ARITH;
    let length = 1;
    switch (c) {
      case 39:
      case 34: {
        const close = stringEnd(v, i + 1, c);
        const k = nTok++;
        tok[k] = Tok.STR | ((close < 0 ? StrFlag.OPEN : 0) << 4); start[k] = i; end[k] = i = close < 0 ? n : close;
        continue;
      }
      case 45: // -- to the end of the line, or minus
        if (d === 45 && (i + 2 >= n || v.charCodeAt(i + 2) <= 32)) {
          i = lineComment(v, i);
          continue;
        }
        break;
      case 35: // # to the end of the line
        if (i + 1 >= n || d <= 32 || d === 35 || d === 45) {
          i = lineComment(v, i);
          continue;
        }
        t = Tok.OTHER;
        o = 0;
        break;
      case 47: // /* … */ (/*! … */ is MySQL's executable comment: read as code), or division
        if (d === 42) {
          if (i + 2 < n && v.charCodeAt(i + 2) === 33) {
            i += 3;
            while (isDigit(v.charCodeAt(i))) i++;
            continue;
          }
          markComment();
          const close = find(COMMENT_CLOSE, v, i + 2, 2);
          i = close < 0 ? n : close + 2;
          continue;
        }
        break;
      case 42: // the end of an executable comment, or times
        if (d === 47) {
          i += 2;
          continue;
        }
        break;
      case 96: {
        const end = nameEnd(v, i + 1);
        push(Tok.WORD, 0, i, end);
        i = end;
        continue;
      }
      case 46: // .5 is a number
        if (!isDigit(d)) {
          const k = nTok++;
          tok[k] = Tok.DOT; start[k] = i; end[k] = i + 1;
          i++;
          continue;
        }
        {
          const j = numberEnd(v, i, c, d);
          push(Tok.NUM, 0, i, j);
          i = j;
        }
        continue;
      case 64: {
        let j = i + 1;
        const system = v.charCodeAt(j) === 64;
        if (system) j++;
        while (j < n && (isWordChar(v.charCodeAt(j)) || v.charCodeAt(j) === 46)) j++;
        push(j > i + 1 ? Tok.VAR : Tok.OTHER, 0, i, j);
        if (system) candidate(nTok - 1);
        i = j;
        continue;
      }
      case 60: // <=> <> <= << <
        if (d === 61 && i + 2 < n && v.charCodeAt(i + 2) === 62) { o = Op.CMP; length = 3; }
        else if (d === 62 || d === 61) { o = Op.CMP; length = 2; }
        else if (d === 60) { o = Op.BIT; length = 2; }
        else o = Op.CMP;
        break;
      case 62: // >= >> >
        if (d === 61) { o = Op.CMP; length = 2; }
        else if (d === 62) { o = Op.BIT; length = 2; }
        else o = Op.CMP;
        break;
      case 33: // != !
        if (d === 61) { o = Op.CMP; length = 2; }
        else o = Op.NOT;
        break;
      case 61: // == (not SQL) =
        if (d === 61) { o = Op.NONSQL; length = 2; }
        else o = Op.CMP;
        break;
      case 38: // && &
        if (d === 38) { o = Op.LOGIC; length = 2; }
        else o = Op.BIT;
        break;
      case 124: // || |
        if (d === 124) { o = Op.LOGIC; length = 2; }
        else o = Op.BIT;
        break;
    }
    // the operator (or lone #) read above, written here: no call, the held arrays
    const k = nTok++;
    tok[k] = t | (o << 4); start[k] = i; end[k] = i + length;
    i += length;
  }
}

/**
 * From this length on, a value is read from a copy of its code units (units.ts): about a third faster on 64 KB, which
 * pays for the copy; a chat message keeps `tokenize` (with the copy's call, one loop for both made chat slower).
 */
const UNITS_FROM = 1024;
const loadUnits = unitLoader();
/** The units of the long value being read, loaded once by detectSqli for its three readings. */
let units: Uint16Array = new Uint16Array(1);

/**
 * `tokenize` for a long value, read from `u`, its units: the 0 after them ends words and numbers without a length
 * check. The token count and every position are int32 locals: what a call returns is `| 0`'d, since one value of
 * unknown type in the loop made its compiled code check and convert the positions at every token (7-13% on 64 KB).
 */
function tokenizeUnits(v: string, u: Uint16Array, from: number): void {
  const n = v.length;
  let i = from | 0;
  backslash = -1;
  reserve(nTok + n - from); // a token has one character at least
  // as many candidates as tokens at most, and the one adopt may add: written with no call and no check (64 KB of
  // `char(1` is a candidate every three tokens: the SQL detector 10% faster on it)
  if (tCand.length < nCand + n - from + 1) {
    const bigger = new Int32Array(nCand + n - from + 1);
    bigger.set(tCand.subarray(0, nCand));
    tCand = bigger;
  }
  const tok = tTok, start = tStart, end = tEnd, cand = tCand;
  let nc = nCand | 0;
  const kinds = KIND, single = SINGLE, slotHash = SLOT_HASH, classes = CLASS, mix = KEYWORD_MIX;
  let k = nTok | 0;
  let sync = syncAt | 0;
  while (i < n) {
    const c = u[i] as number;
    const kind = kinds[c] as number;
    if (kind === Ch.SPACE) {
      i++;
      continue;
    }
    if (i >= sync) {
      // as in tokenize
      let m = syncTok;
      while (m < sN && (sStart[m] as number) < i) m++;
      syncTok = m;
      if (m < sN && sStart[m] === i) {
        nTok = k;
        nCand = nc;
        adopt(m);
        return;
      }
      syncAt = m < sN && --syncTries > 0 ? (sStart[m] as number) : NEVER;
      sync = syncAt | 0;
    }
    if ((kind & Ch.LETTER) !== 0) {
      let j = i + 1;
      let id = 0;
      /** The kind of the character after the word. */
      let after = 0;
      if ((kind & Ch.KEYWORD) !== 0) {
        let h = hashStep(0, c);
        for (; ; j++) {
          const e = u[j] as number;
          after = kinds[e] as number;
          if ((after & Ch.WORD) === 0) break;
          h = hashStep(h, e);
        }
        const slot = slotOf(h, mix);
        if (slotHash[slot] === h) id = keywordInUnits(u, i, j, slot) | 0;
      } else {
        for (; ; j++) {
          after = kinds[u[j] as number] as number;
          if ((after & Ch.WORD) === 0) break;
        }
      }
      tok[k] = Tok.WORD | (id << 4); start[k] = i; end[k] = j;
      if (id !== 0 && ((classes[id] as number) & (Cls.ANYWHERE | Cls.SYSTEM)) !== 0) cand[nc++] = k;
      k++;
      // the space after a word (prose has one after most) passed here, its kind known: a turn of the loop less (the
      // SQL detector 3-4% faster on 64 KB of English or of shell examples)
      i = after === Ch.SPACE ? j + 1 : j;
      continue;
    }
    if (kind === Ch.WORD) {
      const j = numberEnd(v, i, c, u[i + 1] as number) | 0;
      tok[k] = Tok.NUM; start[k] = i; end[k] = j;
      k++;
      i = j;
      continue;
    }
    if (kind === Ch.SINGLE) {
      const token = single[c] as number;
      tok[k] = token; start[k] = i; end[k] = i + 1;
      if (c === 59) cand[nc++] = k; // ;
      k++;
      i++;
      continue;
    }
    const d = u[i + 1] as number; // the 0 after the value at its end
    let t: number = Tok.OP;
    let o: number = Op.ARITH;
    let length = 1;
    switch (c) {
      case 39:
      case 34: {
        const close = stringEndUnits(v, u, i + 1, c) | 0;
        tok[k] = Tok.STR | ((close < 0 ? StrFlag.OPEN : 0) << 4); start[k] = i; end[k] = i = close < 0 ? n : close;
        k++;
        continue;
      }
      case 45:
        if (d === 45 && (i + 2 >= n || (u[i + 2] as number) <= 32)) {
          nTok = k;
          i = lineCommentUnits(v, u, i) | 0;
          continue;
        }
        break;
      case 35:
        if (i + 1 >= n || d <= 32 || d === 35 || d === 45) {
          nTok = k;
          i = lineCommentUnits(v, u, i) | 0;
          continue;
        }
        t = Tok.OTHER;
        o = 0;
        break;
      case 47:
        if (d === 42) {
          if (i + 2 < n && u[i + 2] === 33) {
            i += 3;
            while (isDigit(u[i] as number)) i++;
            continue;
          }
          nTok = k;
          markComment();
          i = commentEndUnits(v, u, i + 2) | 0;
          continue;
        }
        break;
      case 42:
        if (d === 47) {
          i += 2;
          continue;
        }
        break;
      case 96: {
        const j = nameEndUnits(v, u, i + 1) | 0;
        tok[k] = Tok.WORD; start[k] = i; end[k] = j;
        k++;
        i = j;
        continue;
      }
      case 46: {
        const j = isDigit(d) ? numberEnd(v, i, c, d) | 0 : i + 1;
        tok[k] = isDigit(d) ? Tok.NUM : Tok.DOT; start[k] = i; end[k] = j;
        k++;
        i = j;
        continue;
      }
      case 64: {
        let j = i + 1;
        const system = u[j] === 64;
        if (system) j++;
        while (((kinds[u[j] as number] as number) & Ch.WORD) !== 0 || u[j] === 46) j++;
        tok[k] = j > i + 1 ? Tok.VAR : Tok.OTHER; start[k] = i; end[k] = j;
        if (system) cand[nc++] = k;
        k++;
        i = j;
        continue;
      }
      case 60:
        if (d === 61 && i + 2 < n && u[i + 2] === 62) { o = Op.CMP; length = 3; }
        else if (d === 62 || d === 61) { o = Op.CMP; length = 2; }
        else if (d === 60) { o = Op.BIT; length = 2; }
        else o = Op.CMP;
        break;
      case 62:
        if (d === 61) { o = Op.CMP; length = 2; }
        else if (d === 62) { o = Op.BIT; length = 2; }
        else o = Op.CMP;
        break;
      case 33:
        if (d === 61) { o = Op.CMP; length = 2; }
        else o = Op.NOT;
        break;
      case 61:
        if (d === 61) { o = Op.NONSQL; length = 2; }
        else o = Op.CMP;
        break;
      case 38:
        if (d === 38) { o = Op.LOGIC; length = 2; }
        else o = Op.BIT;
        break;
      case 124:
        if (d === 124) { o = Op.LOGIC; length = 2; }
        else o = Op.BIT;
        break;
    }
    tok[k] = t | (o << 4); start[k] = i; end[k] = i + length;
    k++;
    i += length;
  }
  nTok = k;
  nCand = nc;
}

/**
 * The searches the tokenizer makes in its rarer branches (comments, long strings and quoted names) are regular
 * expressions, not `indexOf`. V8 treats `indexOf` as free of effects: once the tokenizer had been optimized after
 * values with comments, its comment search ran for every token of later values, each a search to the end of the
 * value (64 KB of `../` took 18 ms instead of 0.6 after 64 KB of `-- ` and of `# `: quadratic, and the order of the
 * values an attacker sends decides it). A regular expression's test sets its lastIndex, so it runs where it is
 * written; a one-character expression is still a memchr.
 */
const NEWLINE = /\n/g;
const COMMENT_CLOSE = /(?:\*\/)/g;
const SINGLE_QUOTE = /'/g;
const DOUBLE_QUOTE = /"/g;
const BACKSLASH = /\\/g;
const BACKTICK = /`/g;

/** A comment from `i` to the end of the line: the token before it is marked. Returns where the next token starts. */
function lineComment(v: string, i: number): number {
  markComment();
  const nl = find(NEWLINE, v, i, 1);
  return nl < 0 ? v.length : nl + 1;
}

/**
 * A comment's end is searched for after a few characters read one at a time: 64 KB of `#\n` or `/**\/` is a comment
 * every few characters, a search for each (0.3-0.6 ms). Few: reading 32 first cost prose and code with comments of a
 * line or more (a comment of a dozen characters took twice as long).
 */
const COMMENT_SCAN = 8;

/** `lineComment` over `u`, the units of `v`. */
function lineCommentUnits(v: string, u: Uint16Array, i: number): number {
  markComment();
  const stop = Math.min(i + COMMENT_SCAN, v.length);
  for (let j = i; j < stop; j++) if (u[j] === 10) return j + 1;
  const nl = find(NEWLINE, v, stop, 1);
  return nl < 0 ? v.length : nl + 1;
}

/** Where the next token starts after a comment whose text starts at `from` (/* … *\/), read from `u`, the units of `v`. */
function commentEndUnits(v: string, u: Uint16Array, from: number): number {
  const stop = Math.min(from + COMMENT_SCAN, v.length);
  for (let j = from; j < stop; j++) if (u[j] === 42 && u[j + 1] === 47) return j + 2;
  const close = find(COMMENT_CLOSE, v, stop, 2);
  return close < 0 ? v.length : close + 2;
}

/** The next backslash at or after the position being read (the value's length: none); -1 before a new reading. */
let backslash = -1;

/**
 * The position just after the `q` quote that closes a string whose text starts at `from` (\ escapes the next
 * character, a doubled quote is one quote), or -1 when none does. Its first characters are read one at a time (most
 * strings are short: this stays small enough to be inlined), a longer string by `farStringEnd`.
 */
function stringEnd(v: string, from: number, q: number): number {
  const n = v.length;
  let i = from;
  for (const stop = Math.min(from + 32, n); i < stop; ) {
    const c = v.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c !== q) i++;
    else if (i + 1 < n && v.charCodeAt(i + 1) === q) i += 2;
    else return i + 1;
  }
  return i < n ? farStringEnd(v, i, q) : -1;
}

/**
 * `stringEnd` from `i` on, hopping from quote to quote; with `backslash` kept while the positions only
 * grow, each stretch of the value is searched once per reading.
 */
function farStringEnd(v: string, from: number, q: number): number {
  const quote = q === 39 ? SINGLE_QUOTE : DOUBLE_QUOTE;
  let i = from;
  let close = -1;
  for (;;) {
    if (close < i) {
      close = find(quote, v, i, 1);
      if (close < 0) return -1;
    }
    if (backslash < i) {
      backslash = find(BACKSLASH, v, i, 1);
      if (backslash < 0) backslash = v.length;
    }
    if (backslash < close) i = backslash + 2;
    else if (close + 1 < v.length && v.charCodeAt(close + 1) === q) i = close + 2;
    else return close + 1;
  }
}

/**
 * `stringEnd` over `u`, the units of `v` (a string's first characters read from the units: 64 KB of quotes in a
 * quarter less time).
 */
function stringEndUnits(v: string, u: Uint16Array, from: number, q: number): number {
  const n = v.length;
  let i = from;
  for (const stop = Math.min(from + 32, n); i < stop; ) {
    const c = u[i] as number;
    if (c === 92) i += 2;
    else if (c !== q) i++;
    else if (u[i + 1] === q && i + 1 < n) i += 2;
    else return i + 1;
  }
  return i < n ? farStringEndUnits(v, u, i, q) : -1;
}

/** Characters read one at a time after a backslash or a doubled quote before `farStringEndUnits` searches again. */
const DENSE_GAP = 32;

/**
 * `farStringEnd` over `u`, the units of `v`. A search finds the next quote or backslash, but a search costs what
 * reading a few dozen characters costs: where they come close together (64 KB of `'\` or of `""`, a search for each
 * took 2 ms) the characters after one are read one at a time, and a search is made only past DENSE_GAP characters
 * without one.
 */
function farStringEndUnits(v: string, u: Uint16Array, from: number, q: number): number {
  const n = v.length;
  const quote = q === 39 ? SINGLE_QUOTE : DOUBLE_QUOTE;
  let i = from;
  let close = -1;
  for (;;) {
    if (close < i) {
      close = find(quote, v, i, 1);
      if (close < 0) return -1;
    }
    if (backslash < i) {
      backslash = find(BACKSLASH, v, i, 1);
      if (backslash < 0) backslash = n;
    }
    if (backslash > close) {
      if (close + 1 >= n || u[close + 1] !== q) return close + 1;
      i = close + 2;
    } else {
      i = backslash + 2;
    }
    // a backslash or a doubled quote: read on one character at a time while more come
    for (let quiet = i + DENSE_GAP; i < quiet && i < n; ) {
      const c = u[i] as number;
      if (c === 92) {
        i += 2;
        quiet = i + DENSE_GAP;
      } else if (c !== q) {
        i++;
      } else if (u[i + 1] === q && i + 1 < n) {
        i += 2;
        quiet = i + DENSE_GAP;
      } else {
        return i + 1;
      }
    }
    if (i >= n) return -1;
  }
}

/** `nameEnd` over `u`, the units of `v`. */
function nameEndUnits(v: string, u: Uint16Array, from: number): number {
  const stop = Math.min(from + 16, v.length);
  for (let i = from; i < stop; i++) if (u[i] === 96) return i + 1;
  const close = find(BACKTICK, v, stop, 1);
  return close < 0 ? v.length : close + 1;
}

/**
 * The position just after the backtick that closes a quoted name whose text starts at `from` (the value's length when
 * none does). Most names are short: the first characters are read one at a time, which costs less than a search.
 */
function nameEnd(v: string, from: number): number {
  const stop = Math.min(from + 16, v.length);
  for (let i = from; i < stop; i++) if (v.charCodeAt(i) === 96) return i + 1;
  const close = find(BACKTICK, v, stop, 1);
  return close < 0 ? v.length : close + 1;
}

/** A number token at `i` (`c`, then `d`): decimal, 0x hex, 0b binary, with a fraction and exponent. */
function numberEnd(v: string, i: number, c: number, d: number): number {
  const n = v.length;
  let j = i + 1;
  if (c === 48 && (d === 120 || d === 98)) {
    j = i + 2;
    while (j < n && (isDigit(v.charCodeAt(j)) || (v.charCodeAt(j) >= 97 && v.charCodeAt(j) <= 102))) j++;
  } else {
    while (j < n && (isDigit(v.charCodeAt(j)) || v.charCodeAt(j) === 46)) j++;
    if (v.charCodeAt(j) === 101 && (isDigit(v.charCodeAt(j + 1)) || v.charCodeAt(j + 1) === 45 || v.charCodeAt(j + 1) === 43)) {
      j += 2;
      while (j < n && isDigit(v.charCodeAt(j))) j++;
    }
  }
  return j;
}

// ---- Reading the tokens -------------------------------------------------------------------------------------------

/** Token `k`'s type and sub-type (any `k`: beyond the tokens, whatever the arrays hold). */
const typeAt = (k: number): number => (tTok[k] ?? 0) & 15;
const subAt = (k: number): number => (tTok[k] ?? 0) >> 4;
const kw = (k: number, id: number): boolean => k < nTok && tTok[k] === (Tok.WORD | (id << 4));
const cls = (k: number, c: number): boolean => k < nTok && typeAt(k) === Tok.WORD && ((CLASS[subAt(k)] ?? 0) & c) !== 0;
const isType = (k: number, t: number): boolean => k < nTok && typeAt(k) === t;
const isOp = (k: number, o: number): boolean => k < nTok && tTok[k] === (Tok.OP | (o << 4));
const isLogic = (k: number): boolean => cls(k, Cls.LOGIC) || isOp(k, Op.LOGIC);
const isCall = (k: number): boolean => k < nTok && typeAt(k) === Tok.WORD && isType(k + 1, Tok.LPAREN);
const isPlainWord = (k: number): boolean => k < nTok && tTok[k] === Tok.WORD;
const charAt = (v: string, k: number): string => v[tStart[k] ?? 0] ?? '';
const commentAfter = (k: number): boolean => k >= 0 && k < nTok && tCommentAfter[k] === 1;

// Runs of tokens, read with the token array in a local: a run can be the whole value (64 KB of `(` or of `a.`).

/** The first token from `k` that is not `token` (a bracket or a dot, as tTok holds them: they have no sub-type). */
function pastRun(k: number, token: number): number {
  const tok = tTok, n = nTok;
  let j = k;
  while (j < n && tok[j] === token) j++;
  return j;
}

/** Past `.name` and `..` from `k` (a dotted name's rest). */
function pastDots(k: number): number {
  const tok = tTok, n = nTok;
  let j = k;
  while (j + 1 < n && tok[j] === Tok.DOT) {
    const next = tok[j + 1] as number;
    if (next === Tok.DOT) j++;
    else if ((next & 15) === Tok.WORD) j += 2;
    else break;
  }
  return j;
}

/**
 * Index after the bracket group opening at `k` (the end of the tokens when it never closes). The rules ask at every
 * `(` of a run of them, each a scan to the end of the value when they never close (64 KB of `char(1` or `;if(` took
 * 0.25-0.4 s): once a reading's scans come to as many tokens as it has, its groups are read into `groupEnd` in one pass
 * and looked up there. A scan writes the ends of the groups it meets into `groupEnd` as it goes: one that reaches the
 * end of the value has then read every group from its `(` on (a group's end depends only on what follows it), and
 * those are looked up too. Without that, 64 KB of `;if(` or `char(1` read its tokens twice, the first scan to the end
 * and the pass (an eighth of the SQL detector's time on them).
 */
function skipGroup(k: number): number {
  const tok = tTok, n = nTok;
  if (tok[k] !== Tok.LPAREN) {
    // every caller starts at a `(`; any other start is scanned to the end
    let depth = 0;
    let j = k;
    for (; j < n; j++) {
      const t = tok[j] as number; // brackets have no sub-type: the whole value is the type
      if (t === Tok.LPAREN) depth++;
      else if (t === Tok.RPAREN && --depth === 0) break;
    }
    return j < n ? j + 1 : n;
  }
  if (k >= groupsFrom) return groupEnd[k] as number;
  if (groupEnd.length < n) {
    groupEnd = new Int32Array(cap);
    groupStack = new Int32Array(cap);
  }
  const ends = groupEnd, stack = groupStack;
  const stop = Math.min(n, k + Math.max(GROUP_SCAN, n - groupScanned));
  let depth = 0;
  let j = k;
  for (; j < stop; j++) {
    const t = tok[j] as number;
    if (t === Tok.LPAREN) {
      ends[j] = n; // (until its `)` is met: those still open at a stop short of the end are read again below)
      stack[depth++] = j;
    } else if (t === Tok.RPAREN) {
      ends[stack[--depth] as number] = j + 1;
      if (depth === 0) break;
    }
  }
  groupScanned += j - k;
  if (j < stop) return j + 1;
  if (j === n) {
    groupsFrom = k;
    return n;
  }
  readGroups();
  return groupEnd[k] as number;
}

/** What a scan may read once the budget is spent, and how many tokens this reading's scans have read. */
const GROUP_SCAN = 32;
let groupScanned = 0;
/**
 * For each `(` token of the current reading from token `groupsFrom` on (NEVER: none), the index after its group (reset
 * drops it).
 */
let groupEnd = new Int32Array(256);
let groupsFrom = NEVER;

/** The open brackets while `readGroups` or a scan reads (reused). */
let groupStack = new Int32Array(256);

/**
 * Fill `groupEnd` in one pass: a `)` closes the innermost open bracket, and those left open never close. Each `(` is
 * written as never closing when it is met, rather than by a loop over those left open after the pass. A process whose
 * first values are 64 KB of `;if(` compiles the pass while it runs (on-stack replacement) and keeps that code: the
 * loop after it had not run yet, its code had no types, and in one run in three the compiled pass fell back to the
 * interpreter there at every call, to run the loop over 16,384 brackets interpreted (1.2 ms a scan instead of 1.1).
 */
function readGroups(): void {
  const tok = tTok, n = nTok;
  if (groupEnd.length < n) {
    groupEnd = new Int32Array(cap);
    groupStack = new Int32Array(cap);
  }
  const ends = groupEnd, stack = groupStack;
  let depth = 0;
  for (let j = 0; j < n; j++) {
    const t = tok[j] as number;
    if (t === Tok.LPAREN) {
      ends[j] = n;
      stack[depth++] = j;
    } else if (t === Tok.RPAREN && depth > 0) {
      ends[stack[--depth] as number] = j + 1;
    }
  }
  groupsFrom = 0;
}

// What an operand is (`operand` returns it with its end: see there). A `const enum`, written in place: as module
// `const`s, the chain's compiled loop loaded and checked each of them at every link (see Tok).
const enum A {
  LITERAL = 1,
  WORD = 2,
  CALL = 3,
  GROUP = 4,
  KIND = 7,
  SQL = 8, // a call of a function only SQL has, or a subquery
}
/** Where an operand's end is in what `operand` returns. */
const enum AEnd { SHIFT = 4 }
/** Where the last A.WORD operand's text is (a name, dotted or not). */
let wordFrom = 0;
let wordTo = 0;

// Tokens as tTok holds them, for the rules' hottest tests.
/* eslint-disable @typescript-eslint/prefer-literal-enum-member -- each is its type and sub-type, as tTok packs them */
const enum OpTok {
  NOT = Tok.OP | (Op.NOT << 4),
  ARITH = Tok.OP | (Op.ARITH << 4),
  BIT = Tok.OP | (Op.BIT << 4),
}
/* eslint-enable @typescript-eslint/prefer-literal-enum-member */

/**
 * An operand starting at `k` (unary operators allowed): -1 when none, else the index after it `<< AEnd.SHIFT`, with
 * its kind (A.KIND bits) and A.SQL. The rules read a chain of these over every token of `a=a=a=…`: they return
 * their findings packed rather than through module variables, and name an A.WORD operand's text by its position.
 */
function operand(v: string, k: number): number {
  const tok = tTok, n = nTok, start = tStart;
  let j = k;
  for (; j < n; j++) {
    const t = tok[j] as number;
    if (t === OpTok.NOT) continue;
    if (t === OpTok.ARITH || t === OpTok.BIT) {
      const c = v.charCodeAt(start[j] as number);
      if (t === OpTok.ARITH ? c === 45 || c === 43 : c === 126) continue; // - + ~
      break;
    }
    if ((t & 15) === Tok.WORD && (t >> 4 === K.binary || ((CLASS[t >> 4] as number) & Cls.NOT) !== 0)) continue;
    break;
  }
  if (j >= n) return -1;
  const t = (tok[j] as number) & 15;
  if (t === Tok.NUM || t === Tok.STR || t === Tok.VAR) return ((j + 1) << AEnd.SHIFT) | A.LITERAL;
  if (t === Tok.LPAREN) {
    let inner = j + 1;
    while (inner < n && tok[inner] === Tok.LPAREN) inner++;
    return (skipGroup(j) << AEnd.SHIFT) | A.GROUP | (kw(inner, K.select) ? A.SQL : 0);
  }
  if (t === Tok.WORD) {
    const id = (tok[j] as number) >> 4;
    const classes = CLASS[id] as number;
    if (j + 1 < n && tok[j + 1] === Tok.LPAREN) return (skipGroup(j + 1) << AEnd.SHIFT) | A.CALL | ((classes & Cls.FUNC) !== 0 ? A.SQL : 0);
    if ((classes & Cls.LITERAL) !== 0) return ((j + 1) << AEnd.SHIFT) | A.LITERAL;
    if (id !== 0 && (classes & (Cls.FUNC | Cls.SYSTEM)) === 0) return -1; // a keyword is no operand
    const end = pastDots(j + 1);
    wordFrom = tStart[j] as number;
    wordTo = tEnd[end - 1] as number;
    return (end << AEnd.SHIFT) | A.WORD;
  }
  if (t === Tok.OTHER && charAt(v, j) === '\\' && v[(tStart[j] ?? 0) + 1] === 'n') {
    // MySQL's \N (NULL)
    return ((j + 2 <= n && isPlainWord(j + 1) ? j + 2 : j + 1) << AEnd.SHIFT) | A.LITERAL;
  }
  return -1;
}

/** Whether `v[a, a + length)` and `v[b, b + length)` are the same text. */
function sameText(v: string, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (v.charCodeAt(a + i) !== v.charCodeAt(b + i)) return false;
  return true;
}

/**
 * A binary operator at `k` (symbol or word: = LIKE DIV IS NOT …): -1 when none, else the index after it `<< 1`,
 * with 1 when it compares.
 */
function binaryOp(k: number): number {
  if (k >= nTok) return -1;
  const token = tTok[k] as number;
  const type = token & 15;
  const sub = token >> 4;
  if (type === Tok.OP) {
    if (sub === Op.NONSQL || sub === Op.NOT || sub === Op.LOGIC) return -1;
    return ((k + 1) << 1) | (sub === Op.CMP ? 1 : 0);
  }
  if (type !== Tok.WORD || sub === 0) return -1;
  const id = sub;
  if (id === K.like || id === K.rlike || id === K.regexp || id === K.glob || id === K.in) return ((k + 1) << 1) | 1;
  if (id === K.sounds) return kw(k + 1, K.like) ? ((k + 2) << 1) | 1 : -1;
  if (id === K.is) return ((cls(k + 1, Cls.NOT) ? k + 2 : k + 1) << 1) | 1;
  if (id === K.between) return ((k + 1) << 1) | 1;
  if (id === K.not && (kw(k + 1, K.like) || kw(k + 1, K.rlike) || kw(k + 1, K.regexp) || kw(k + 1, K.in) || kw(k + 1, K.between))) return ((k + 2) << 1) | 1;
  if (id === K.div || id === K.mod) return (k + 1) << 1;
  return -1;
}

// What the last chain held.
let chainOps = 0;
let chainCmp = 0; // 0 none, 1 words only (x=y), 2 with a literal, a call or equal words
let chainSql = false;
let chainWords = false;
let chainKind = 0;

/**
 * `operand (op operand)*` from `k`: the index after it, or -1. `leading`: `k` is at an operator already.
 *
 * The rules read a chain over every token of `a=a=a=…` or `x/x/x…`: the commonest links (a symbol operator, then a
 * literal or a lone plain name) are read here from the token arrays held in locals, the rest by binaryOp and operand.
 */
function chain(v: string, k: number, leading: boolean): number {
  const tok = tTok, n = nTok, start = tStart, end = tEnd;
  let ops = 0;
  let cmps = 0;
  let sql = false;
  let words = false;
  let e = k;
  let prevKind: number = A.LITERAL;
  let prevFrom = 0;
  let prevTo = 0;
  if (!leading) {
    const r = operand(v, k);
    if (r < 0) {
      chainOps = 0;
      chainCmp = 0;
      chainSql = false;
      chainWords = false;
      return -1;
    }
    e = r >> AEnd.SHIFT;
    prevKind = r & A.KIND;
    sql = (r & A.SQL) !== 0;
    words = prevKind === A.WORD;
    prevFrom = wordFrom;
    prevTo = wordTo;
  }
  while (e < n) {
    const t = tok[e] as number;
    let o: number;
    let cmp: boolean;
    if ((t & 15) === Tok.OP) {
      const sub = t >> 4;
      if (sub === Op.NONSQL || sub === Op.NOT || sub === Op.LOGIC) break;
      o = e + 1;
      cmp = sub === Op.CMP;
    } else {
      const b = binaryOp(e);
      if (b < 0) break;
      o = b >> 1;
      cmp = (b & 1) !== 0;
    }
    const u = o < n ? (tok[o] as number) : 0;
    const after = o + 1 < n ? (tok[o + 1] as number) : 0;
    let kind: number;
    let from = 0;
    let to = 0;
    if ((u & 15) === Tok.NUM || (u & 15) === Tok.STR || (u & 15) === Tok.VAR) {
      kind = A.LITERAL;
      e = o + 1;
    } else if (u === Tok.WORD && after !== Tok.LPAREN && after !== Tok.DOT) {
      kind = A.WORD;
      from = start[o] as number;
      to = end[o] as number;
      e = o + 1;
    } else {
      const r = operand(v, o);
      if (r < 0) break;
      kind = r & A.KIND;
      sql ||= (r & A.SQL) !== 0;
      from = wordFrom;
      to = wordTo;
      e = r >> AEnd.SHIFT;
    }
    ops++;
    if (kind === A.WORD) words = true;
    if (cmp && cmps !== 2) {
      const strong = prevKind !== A.WORD || kind !== A.WORD || (prevTo - prevFrom === to - from && sameText(v, prevFrom, from, to - from));
      cmps = strong ? 2 : 1;
    }
    prevKind = kind;
    prevFrom = from;
    prevTo = to;
  }
  chainOps = ops;
  chainCmp = cmps;
  chainSql = sql;
  chainWords = words;
  chainKind = prevKind;
  return e;
}

/** A statement terminator or the end: where a condition may stop. */
const ends = (k: number): boolean => k >= nTok || commentAfter(k - 1) || isType(k, Tok.SEMI) || isLogic(k) || isType(k, Tok.RPAREN);

/**
 * In the run of `(` from `k`, the first whose group closes, or the run's last when none before it does (what follows
 * the last decides whether `condition` passes it). The groups that never close are the run's first ones (a group
 * closes before any group around it does), so a binary search finds the first that closes: asked about one `(` after
 * another, `condition` took half a millisecond on `' or ` then 64 KB of `(`.
 */
function pastOpenGroups(k: number): number {
  let first = k;
  let last = pastRun(k, Tok.LPAREN) - 1;
  while (first < last) {
    const mid = (first + last) >>> 1;
    if (skipGroup(mid) === nTok) first = mid + 1;
    else last = mid;
  }
  return first;
}

/**
 * A boolean condition at `k` that only an injection writes: a literal comparison (1=1, 'a'='a', 2>1, x=x), a truthy
 * literal or SQL call standing alone (OR 1--, AND SLEEP(5)), a subquery, EXISTS. `loose`: also x=y (the value
 * started with the operator, so no prose precedes it).
 */
function condition(v: string, k: number, loose: boolean): boolean {
  const tok = tTok, n = nTok;
  let c = tok[k] === Tok.LPAREN ? pastOpenGroups(k) : k;
  while (c < n && tok[c] === Tok.LPAREN && !kw(c + 1, K.select) && skipGroup(c) === n) c++; // (1=1 left open
  if (kw(c, K.exists) || (isType(c, Tok.LPAREN) && kw(c + 1, K.select))) return true;
  const e = chain(v, c, false);
  if (e < 0) return false;
  if (chainCmp === 2 || (chainCmp === 1 && loose)) return true;
  if (chainOps === 0 && ends(e)) {
    if (chainKind === A.CALL || chainKind === A.GROUP) return chainSql || chainKind === A.GROUP;
    if (chainKind === A.LITERAL) {
      // "5 or 6" is an answer, "1 or 1--" is not: unquoted, a bare literal needs the query cut short after it
      if (!loose && !commentAfter(e - 1) && !isType(e, Tok.SEMI)) return false;
      const t = typeAt(c + (isOp(c, Op.ARITH) || isOp(c, Op.NOT) || cls(c, Cls.NOT) ? 1 : 0));
      if (t === Tok.NUM || t === Tok.VAR || cls(c, Cls.LITERAL)) return true;
      if (t === Tok.STR) {
        const body = v.slice((tStart[e - 1] ?? 0) + 1, tEnd[e - 1] ?? 0).replace(/['"]$/, '');
        return /^\s*-?\d/.test(body) || commentAfter(e - 1);
      }
    }
  }
  return chainOps > 0 && chainSql && ends(e);
}

const INFO_WORDS = new Set(['current_user', 'session_user', 'system_user', 'current_database', 'current_schema', 'banner']);
const INFO_CALLS = new Set([
  'version', 'database', 'user', 'current_user', 'session_user', 'system_user', 'schema', 'db_name', 'user_name',
  'suser_name', 'suser_sname', 'host_name', 'current_database', 'current_setting', 'current_schema', 'connection_id',
  'getpgusername', 'sys_context', 'last_insert_id',
]);
const wordAt = (v: string, k: number): string => (k < nTok && typeAt(k) === Tok.WORD ? v.slice(tStart[k] ?? 0, tEnd[k] ?? 0) : '');
const isInfo = (v: string, k: number): boolean => isType(k, Tok.WORD) && (isCall(k) ? INFO_CALLS.has(wordAt(v, k)) : INFO_WORDS.has(wordAt(v, k)));

/** After a table name: where a FROM clause can end. */
function tableTail(k: number): boolean {
  const j = pastDots(k);
  return (
    j >= nTok || commentAfter(j - 1) || isType(j, Tok.SEMI) || isType(j, Tok.RPAREN) || isType(j, Tok.COMMA) || kw(j, K.where) ||
    kw(j, K.limit) || kw(j, K.order) || kw(j, K.group) || kw(j, K.union) || kw(j, K.having) || kw(j, K.into) ||
    kw(j, K.as) || isPlainWord(j) && (j + 1 >= nTok || isType(j + 1, Tok.COMMA) || kw(j + 1, K.where) || kw(j + 1, K.join))
  );
}

/**
 * The statement each keyword `statement` has a case for starts (0: none). Its switch is over these small numbers, a
 * jump, where a switch over keyword ids compared with every case before the one that matched: 64 KB of `;if(` asks at
 * each `;`, and `if`, the last case but one, cost 18 ns a `;` (a quarter of the scan).
 */
const enum Stmt { SELECT = 1, DDL, DELETE, INSERT, UPDATE, EXEC, DECLARE, SHUTDOWN, WAITFOR, SET, LOAD, COPY, BACKUP, GRANT, CALL, BEGIN, IF, USE }
const STATEMENT_KIND = new Uint8Array(CLASS.length);
for (const [id, kind] of [
  [K.select, Stmt.SELECT], [K.drop, Stmt.DDL], [K.create, Stmt.DDL], [K.alter, Stmt.DDL], [K.truncate, Stmt.DDL],
  [K.delete, Stmt.DELETE], [K.insert, Stmt.INSERT], [K.update, Stmt.UPDATE], [K.exec, Stmt.EXEC], [K.execute, Stmt.EXEC],
  [K.declare, Stmt.DECLARE], [K.shutdown, Stmt.SHUTDOWN], [K.waitfor, Stmt.WAITFOR], [K.set, Stmt.SET],
  [K.load, Stmt.LOAD], [K.copy, Stmt.COPY], [K.backup, Stmt.BACKUP], [K.grant, Stmt.GRANT], [K.revoke, Stmt.GRANT],
  [K.call, Stmt.CALL], [K.begin, Stmt.BEGIN], [K.if, Stmt.IF], [K.use, Stmt.USE],
] as const) STATEMENT_KIND[id] = kind;
/** Token `k` is a word a statement may start with. */
const startsStatement = (k: number): boolean => k < nTok && typeAt(k) === Tok.WORD && STATEMENT_KIND[subAt(k)] !== 0;

/**
 * A statement at `k` with a shape prose does not have. `strict`: at the very start of the value (no semicolon or
 * breakout before it), where "select the best option" and "drop table talk" must pass.
 */
function statement(v: string, k: number, strict: boolean): boolean {
  if (!startsStatement(k)) return false;
  const id = subAt(k);
  const next = k + 1;
  switch (STATEMENT_KIND[id]) {
    case Stmt.SELECT: {
      if (isType(next, Tok.VAR) || isInfo(v, next)) return true;
      const valueLike =
        isOp(next, Op.ARITH) || isType(next, Tok.NUM) || isType(next, Tok.STR) || isType(next, Tok.LPAREN) || isCall(next) ||
        cls(next, Cls.LITERAL) || kw(next, K.distinct) || kw(next, K.all) || kw(next, K.top) ||
        (isPlainWord(next) && (isType(next + 1, Tok.COMMA) || kw(next + 1, K.from)));
      if (!valueLike) return false;
      if (!strict) return true;
      for (let j = next; j < nTok; j++) {
        if (kw(j, K.from)) return isType(j + 1, Tok.WORD) && tableTail(j + 2);
        if (isType(j, Tok.SEMI)) return false;
      }
      return false;
    }
    case Stmt.DDL: {
      const object = [K.table, K.database, K.schema, K.view, K.procedure, K.function, K.index, K.trigger, K.login, K.column, K.user].some((w) => kw(next, w));
      if (!object || !strict) return object;
      if (id === K.create || id === K.alter) return isType(next + 1, Tok.WORD) && (isType(next + 2, Tok.LPAREN) || isType(next + 2, Tok.WORD));
      return isType(next + 1, Tok.WORD) && tableTail(next + 2);
    }
    case Stmt.DELETE:
      return kw(next, K.from) || (isType(next, Tok.WORD) && kw(next + 1, K.from));
    case Stmt.INSERT:
      return kw(next, K.into);
    case Stmt.UPDATE:
      return isType(next, Tok.WORD) && (kw(next + 1, K.set) || (isType(next + 1, Tok.DOT) && kw(next + 3, K.set)));
    case Stmt.EXEC: {
      if (isType(next, Tok.VAR) || isType(next, Tok.LPAREN) || isType(next, Tok.STR) || kw(next, K.immediate)) return true;
      if (!isType(next, Tok.WORD)) return false;
      const name = wordAt(v, next);
      return name.startsWith('xp_') || name.startsWith('sp_') || kw(next, K.master) || cls(next, Cls.SYSTEM);
    }
    case Stmt.DECLARE:
      return isType(next, Tok.VAR);
    case Stmt.SHUTDOWN:
      return next >= nTok || commentAfter(k) || isType(next, Tok.SEMI) || kw(next, K.nowait) || kw(next, K.end);
    case Stmt.WAITFOR:
      return kw(next, K.delay) || kw(next, K.time);
    case Stmt.SET:
      return isType(next, Tok.VAR) && isOp(next + 1, Op.CMP);
    case Stmt.LOAD:
      return kw(next, K.data) || kw(next, K.xml);
    case Stmt.COPY:
      return isType(next, Tok.WORD) && (kw(next + 1, K.from) || kw(next + 1, K.to)) && (isType(next + 2, Tok.STR) || kw(next + 2, K.program));
    case Stmt.BACKUP:
      return kw(next, K.database) || kw(next, K.log);
    case Stmt.GRANT:
      for (let j = next; j < nTok && j < next + 8; j++) if (kw(j, K.to) || kw(j, K.on)) return true;
      return false;
    case Stmt.CALL:
      return isCall(next) && !strict;
    case Stmt.BEGIN:
      return statement(v, next, false);
    case Stmt.IF: {
      // IF(1=1) SELECT …, IF 1=1 DROP …
      const e = isType(next, Tok.LPAREN) ? skipGroup(next) : chain(v, next, false);
      return e > next && startsStatement(e) && statement(v, e, false);
    }
    case Stmt.USE:
      return !strict && isType(next, Tok.WORD) && (next + 1 >= nTok || isType(next + 1, Tok.SEMI) || commentAfter(next));
    default:
      return false;
  }
}

/**
 * What `anywhere` looks for in a call, by keyword id: one load per candidate, where sets of names cost a slice and a
 * hash of it at every call of 64 KB of `char(1`. Every word here is a keyword (checked as the table is made): a word
 * that is none has id 0 and is in none of these lists.
 */
const F_TIME = 1; // a time delay
const F_ERROR = 2; // a function error-based injections call
const F_CHAR = 4; // char(n) built from numbers
const F_EXTRACT_OUTER = 8; // ascii(substring(…)): one character at a time
const F_EXTRACT_INNER = 16;
const F_INFO_CALL = 32; // version(), database()
const CALL_FLAGS = new Uint8Array(CLASS.length);
for (const [flag, words] of [
  [F_TIME, 'sleep pg_sleep benchmark randomblob'],
  [F_ERROR, 'extractvalue updatexml name_const geometrycollection multipoint polygon linestring multilinestring multipolygon xmltype'],
  [F_CHAR, 'char chr nchar'],
  [F_EXTRACT_OUTER, 'ascii ord hex bin conv length unhex'],
  [F_EXTRACT_INNER, 'substring substr mid left right hex version user database'],
  [F_INFO_CALL, [...INFO_CALLS].join(' ')],
] as const) {
  for (const word of words.split(' ')) {
    const id = KEYWORD_ID.get(word);
    if (id === undefined) throw new Error(`sqli: ${word} is no keyword`);
    CALL_FLAGS[id] = (CALL_FLAGS[id] as number) | flag;
  }
}
/** Whether token `k` is a word with `flag` (any `k`). */
const hasFlag = (k: number, flag: number): boolean => k < nTok && typeAt(k) === Tok.WORD && ((CALL_FLAGS[subAt(k)] ?? 0) & flag) !== 0;

/**
 * The rule of `anywhere` a word's keyword id starts (0: none but the calls below them). A word starts one at most
 * (checked as the table is made), so its rule is found by a jump, where a chain of tests asked each word about the
 * rules before its own: 64 KB of `char(1`, a `char` every six characters, spent a third of its scan there.
 */
const enum Any { UNION = 1, TIME, WAITFOR, DBMS_LOCK, DBMS_PIPE, LOAD_FILE, INTO, LOAD, SYSTEM, MYSQL, ERROR, CHAR, CONCAT }
const ANYWHERE_RULE = new Uint8Array(CLASS.length);
for (let id = 1; id < CLASS.length; id++) {
  const flags = CALL_FLAGS[id] as number;
  const rules = [
    id === K.union && Any.UNION, (flags & F_TIME) !== 0 && Any.TIME, id === K.waitfor && Any.WAITFOR,
    id === K.dbms_lock && Any.DBMS_LOCK, id === K.dbms_pipe && Any.DBMS_PIPE, id === K.load_file && Any.LOAD_FILE,
    id === K.into && Any.INTO, id === K.load && Any.LOAD, ((CLASS[id] as number) & Cls.SYSTEM) !== 0 && Any.SYSTEM,
    id === K.mysql && Any.MYSQL, (flags & F_ERROR) !== 0 && Any.ERROR, (flags & F_CHAR) !== 0 && Any.CHAR,
    (id === K.concat || id === K.concat_ws) && Any.CONCAT,
  ].filter((rule) => rule !== false);
  if (rules.length > 1) throw new Error(`sqli: keyword ${id} starts ${rules.length} rules`);
  ANYWHERE_RULE[id] = rules[0] ?? 0;
}

/** Rules that need no breakout: SQL that no one writes in a chat message by accident. */
function anywhere(v: string): ScanRuleId | null {
  // Only the candidates: at any other token no rule below matches. (The arrays in locals: 64 KB of `;if(` is a
  // candidate every three tokens.)
  const tok = tTok, cands = tCand, count = nCand;
  for (let c = 0; c < count; c++) {
    const k = cands[c] as number;
    const token = tok[k] as number;
    const t = token & 15;
    if (t === Tok.WORD) {
      const id = token >> 4;
      switch (ANYWHERE_RULE[id]) {
        case Any.UNION: {
          let j = k + 1;
          while (kw(j, K.all) || kw(j, K.distinct) || isType(j, Tok.LPAREN)) j++;
          if (kw(j, K.select)) return 'sqli.union-select';
          break;
        }
        case Any.TIME:
          if (isCall(k) && !isType(k - 1, Tok.DOT)) return 'sqli.time-delay';
          break;
        case Any.WAITFOR:
          if ((kw(k + 1, K.delay) || kw(k + 1, K.time)) && isType(k + 2, Tok.STR)) return 'sqli.time-delay';
          break;
        case Any.DBMS_LOCK:
          if (isType(k + 1, Tok.DOT) && kw(k + 2, K.sleep)) return 'sqli.time-delay';
          break;
        case Any.DBMS_PIPE:
          if (isType(k + 1, Tok.DOT)) return 'sqli.time-delay';
          break;
        case Any.LOAD_FILE:
          if (isCall(k)) return 'sqli.file-access';
          break;
        case Any.INTO:
          if (kw(k + 1, K.outfile) || kw(k + 1, K.dumpfile)) return 'sqli.file-access';
          break;
        case Any.LOAD:
          if (kw(k + 1, K.data) && (kw(k + 2, K.infile) || (kw(k + 2, K.local) && kw(k + 3, K.infile)))) return 'sqli.file-access';
          break;
        case Any.SYSTEM:
          return 'sqli.system-object';
        case Any.MYSQL:
          if (isType(k + 1, Tok.DOT) && kw(k + 2, K.user)) return 'sqli.system-object';
          break;
        case Any.ERROR:
          if (isCall(k)) return 'sqli.error-function';
          break;
        case Any.CHAR:
          if (isCall(k) && isType(k + 2, Tok.NUM)) {
            const after = skipGroup(k + 1);
            if ((isOp(after, Op.ARITH) || isOp(after, Op.LOGIC)) && hasFlag(after + 1, F_CHAR) && isCall(after + 1)) {
              return 'sqli.error-function';
            }
          }
          break;
        case Any.CONCAT:
          if (isCall(k) && isType(k + 2, Tok.NUM) && v.startsWith('0x', tStart[k + 2] ?? 0)) return 'sqli.error-function';
          break;
      }
      const flags = CALL_FLAGS[id] as number;
      if ((flags & (F_EXTRACT_OUTER | F_INFO_CALL)) !== 0 && isCall(k)) {
        // ascii(substring(…)), ord(mid(…)): reading a value one character at a time
        if ((flags & F_EXTRACT_OUTER) !== 0 && isCall(k + 2) && hasFlag(k + 2, F_EXTRACT_INNER)) return 'sqli.error-function';
        // version(), database() inside an expression
        if ((flags & F_INFO_CALL) !== 0 && isType(k + 2, Tok.RPAREN) && k > 0 && (isType(k - 1, Tok.LPAREN) || isType(k - 1, Tok.COMMA) || isType(k - 1, Tok.OP) || kw(k - 1, K.select) || isLogic(k - 1))) {
          return 'sqli.system-object';
        }
      }
    } else if (t === Tok.SEMI) {
      // the word `statement` starts from, read here first: a `;` before none costs no call
      const next = k + 1 < nTok ? (tok[k + 1] as number) : 0;
      if ((next & 15) === Tok.WORD && STATEMENT_KIND[next >> 4] !== 0 && statement(v, k + 1, false)) return 'sqli.stacked-query';
    } else if (t === Tok.VAR && v.startsWith('@@', tStart[k] ?? 0)) {
      return 'sqli.system-object';
    }
  }
  return null;
}

const QUOTED = 1;
const START = 2; // the value itself starts with the operator or clause
const NUMERIC = 3; // after a leading number or name

/** Rules where the value leaves its context, at token `k`. `quote`: the context's quote character when QUOTED. */
function atBreakout(v: string, k: number, context: number, quote: string, glued: boolean): ScanRuleId | null {
  const j = pastRun(k, Tok.RPAREN);
  if (context === QUOTED) {
    // admin'--   admin')#   '; --
    if (commentAfter(j - 1) && (glued || j > k)) return 'sqli.comment-truncation';
    if (isType(j, Tok.SEMI) && (commentAfter(j) || j + 1 >= nTok)) return commentAfter(j) ? 'sqli.comment-truncation' : null;
  }
  if (j >= nTok) return null;
  // The value may extend the query's expression first: '+(SELECT …)+'  aa' LIKE md5(1) or '1
  let e = j;
  let ops = 0;
  let cmp = 0;
  let sql = false;
  let words = false;
  if (binaryOp(j) >= 0) {
    e = chain(v, j, true);
    ops = chainOps;
    cmp = chainCmp;
    sql = chainSql;
    words = chainWords;
    e = pastRun(e, Tok.RPAREN);
  }
  if (isLogic(e)) {
    if (condition(v, e + 1, context !== NUMERIC) || (cls(e + 1, Cls.NOT) && condition(v, e + 2, context !== NUMERIC))) {
      return 'sqli.tautology';
    }
  } else if (ops > 0 && context === QUOTED) {
    const last = e - 1;
    const closedByQuery = e >= nTok && typeAt(last) === Tok.STR && subAt(last) === StrFlag.OPEN && charAt(v, last) === quote;
    // The quotes must sit on the operands as an attacker writes them (a'&'b, ' = ', x' - 'y' - 0 = '1), not around
    // a quoted word in a phrase search ("LIKE" STAMP, BROWNING "LIKE", q="mod"&view=…).
    const tail = closedByQuery ? v.slice((tStart[last] ?? 0) + 1) : '';
    const tight = glued && (tail.trim() === '' || /^[a-z0-9]/.test(tail));
    const shaped = sql || (tight && (cmp === 2 || !words));
    if (shaped && (closedByQuery || commentAfter(last) || isType(e, Tok.SEMI))) return 'sqli.string-expression';
  }
  if (isType(e, Tok.SEMI)) return statement(v, e + 1, false) ? 'sqli.stacked-query' : null;
  if ((kw(e, K.order) || kw(e, K.group)) && kw(e + 1, K.by)) {
    const n = e + 2;
    const target = isType(n, Tok.NUM) || isCall(n) || (context !== START && isType(n, Tok.WORD));
    if (target && (context !== START || ends(n + 1) || isType(n + 1, Tok.COMMA))) return 'sqli.clause-injection';
  }
  if (kw(e, K.having) && condition(v, e + 1, true)) return 'sqli.clause-injection';
  if (kw(e, K.where) && condition(v, e + 1, context !== NUMERIC)) return 'sqli.clause-injection';
  if (kw(e, K.procedure) && (kw(e + 1, K.analyse) || kw(e + 1, K.analyze))) return 'sqli.clause-injection';
  if (kw(e, K.limit) && isType(e + 1, Tok.NUM) && (isType(e + 2, Tok.COMMA) || ends(e + 2))) return 'sqli.clause-injection';
  if (kw(e, K.as) && isType(e + 1, Tok.WORD) && kw(e + 2, K.where) && condition(v, e + 3, true)) return 'sqli.clause-injection';
  if (statement(v, e, false)) return 'sqli.clause-injection';
  if (context === QUOTED) {
    const p = pastRun(e, Tok.LPAREN);
    if (p > e && statement(v, p, false)) return 'sqli.clause-injection';
  }
  return null;
}

/** Every token from 0 is SQL syntax (no two words in a row, as prose has), and a comment ends it: 1--, (1) --. */
function sqlOnlyThenComment(v: string): boolean {
  if (nTok === 0 || !commentAfter(nTok - 1)) return false;
  // The comment only cuts the query off: nothing but a few characters after it (1 -- -, 1/*), not a sentence.
  const rest = v.slice(tEnd[nTok - 1] ?? 0).trim().replace(/^(--|#|\/\*)/, '');
  if (rest.length > 12 || /\s\S/.test(rest.trim())) return false;
  let sawSql = false;
  let sawOperand = false;
  // every token of a value read here (64 KB of `-`): the arrays in locals
  const tok = tTok, comments = tCommentAfter, n = nTok;
  for (let k = 0; k < n; k++) {
    const token = tok[k] as number;
    const t = token & 15;
    if (t === Tok.OTHER) return false;
    if (t === Tok.NUM || t === Tok.STR || t === Tok.VAR || t === Tok.LPAREN || t === Tok.WORD) sawOperand = true;
    if (t === Tok.WORD) {
      // a plain name that is not called: not next to another, nor alone
      const next = k + 1 < n ? (tok[k + 1] as number) : 0;
      if (token === Tok.WORD && next !== Tok.LPAREN && (next === Tok.WORD || (k > 0 && tok[k - 1] === Tok.WORD) || n === 1)) return false;
    } else {
      sawSql = true;
    }
    if (comments[k] === 1 && k < n - 1) return false;
  }
  return sawSql && sawOperand;
}

/**
 * The second tokens after a leading plain word that end every rule of `unquotedBreakout` but the comment one: the word
 * is an operand no operator follows, and no rule starts from what follows it (a plain word, a literal, a comma, a
 * character of no SQL). Most prose starts so: read here at once, where the rules below would ask each in turn.
 */
const AFTER_WORD_INERT = new Uint8Array(1 << 16);
for (const t of [Tok.WORD, Tok.NUM, Tok.STR, Tok.STR | (StrFlag.OPEN << 4), Tok.VAR, Tok.COMMA, Tok.OTHER]) AFTER_WORD_INERT[t] = 1;

/** The value read from its start, as a number or a name in the query. */
function unquotedBreakout(v: string): ScanRuleId | null {
  if (nTok === 0) return null;
  if (tTok[0] === Tok.WORD && (nTok === 1 || AFTER_WORD_INERT[tTok[1] as number] === 1)) {
    return sqlOnlyThenComment(v) ? 'sqli.comment-truncation' : null;
  }
  if (isLogic(0) || isType(0, Tok.RPAREN) || isType(0, Tok.SEMI)) {
    if (isType(0, Tok.SEMI) && (commentAfter(0) || nTok === 1)) return commentAfter(0) ? 'sqli.comment-truncation' : null;
    return atBreakout(v, 0, START, '', true);
  }
  if (kw(0, K.where) || kw(0, K.having) || kw(0, K.order) || kw(0, K.group) || kw(0, K.limit) || kw(0, K.procedure) || kw(0, K.as) || kw(0, K.into)) {
    return atBreakout(v, 0, START, '', true);
  }
  const p = pastRun(0, Tok.LPAREN);
  if (statement(v, p, p === 0)) return p === 0 ? 'sqli.statement' : 'sqli.clause-injection';
  const e = chain(v, 0, false);
  if (e > 0) {
    const leadingCmp = chainCmp;
    const leadingSql = chainSql;
    const r = atBreakout(v, e, NUMERIC, '', true);
    if (r !== null) return r;
    // DATABASE() LIKE SCHEMA(): a comparison of SQL functions where a value was expected
    if (leadingCmp === 2 && leadingSql && ends(e)) return 'sqli.tautology';
  }
  if (sqlOnlyThenComment(v)) return 'sqli.comment-truncation';
  return null;
}

function reset(): void {
  // the comment flags of the last tokenization in these arrays, cleared at once if it set any (push does not write
  // them; most values have no comment)
  if (tCommented) tCommentAfter.fill(0, 0, nTok);
  tCommented = false;
  nTok = 0;
  nCand = 0;
  groupsFrom = NEVER;
  groupScanned = 0;
}

// ---- Readings no rule can match ---------------------------------------------------------------------------------

/**
 * Text that every match of `anywhere` holds (as a substring, after the position the reading starts from): a `;` for
 * a stacked query, `@` for @@version, `(` for any call, and for the rest `union`, `waitfor`, `file` (into outfile,
 * into dumpfile, load data infile), `mysql` (mysql.user), `_` (dbms_lock, dbms_pipe and most catalogue names) and the
 * catalogue names without one (checked below). A chat line has none of it more often than not: its reading, read from
 * where no breakout rule can start either, needs no tokens at all.
 */
const ANYWHERE_TEXT = /[;@(_$]|union|waitfor|file|mysql|sys|open/g;
for (const [word, id] of KEYWORD_ID) {
  ANYWHERE_TEXT.lastIndex = 0;
  if (((CLASS[id] as number) & Cls.SYSTEM) !== 0 && !ANYWHERE_TEXT.test(word)) throw new Error(`sqli: ${word} is not in ANYWHERE_TEXT`);
}

/** The longest keyword. */
const KEYWORD_LONGEST = Math.max(...[...KEYWORD_ID.keys()].map((w) => w.length));

/** The id of the keyword `v[i, j)` (a run of word characters), or 0. */
function keywordAt(v: string, i: number, j: number): number {
  if (((KIND[v.charCodeAt(i)] as number) & Ch.KEYWORD) === 0 || j - i > KEYWORD_LONGEST) return 0;
  let h = 0;
  for (let k = i; k < j; k++) h = hashStep(h, v.charCodeAt(k));
  const slot = slotOf(h, KEYWORD_MIX);
  return SLOT_HASH[slot] === h ? keywordIn(v, i, j, slot) : 0;
}

// What `leadToken` found, in its low bits (the token's end above them).
const L_MORE = 0; // a token some rule may start from or read on past
const L_END = 1; // no token: the value ends
const L_WORD = 2; // a word that is no keyword
const L_NUM = 3;
const L_STR = 4; // (its end not read)
const L_COMMA = 5;
const L_OTHER = 6; // a character of no SQL (a token of its own), not the backslash of \N
const L_KEYWORD = 7; // a keyword (its id in leadId)
const L_SHIFT = 3;
/** The id of the keyword `leadToken` last found. */
let leadId = 0;

/**
 * Keywords that, as a value's first token, are no operand and start no rule of `unquotedBreakout` (no class: not
 * logic, not a literal, no function), unless a `(` follows them.
 */
const FIRST_INERT = new Uint8Array(CLASS.length);
/**
 * Keywords that, after a leading plain word or number (or as a quoted reading's first token), are no operator and
 * start no rule of `atBreakout`.
 */
const SECOND_INERT = new Uint8Array(CLASS.length);
{
  const clauses = [K.where, K.having, K.order, K.group, K.limit, K.procedure, K.as, K.into];
  const operators = [K.like, K.rlike, K.regexp, K.glob, K.in, K.sounds, K.is, K.between, K.not, K.div, K.mod];
  for (let id = 1; id < CLASS.length; id++) {
    const roles = STATEMENT_KIND[id] !== 0 || clauses.includes(id);
    FIRST_INERT[id] = !roles && CLASS[id] === 0 && id !== K.binary ? 1 : 0;
    SECOND_INERT[id] = !roles && !operators.includes(id) && ((CLASS[id] as number) & Cls.LOGIC) === 0 ? 1 : 0;
  }
}

/**
 * The token that `tokenize` reads first from `i` (its kind and end, as above): the leading tokens of a reading,
 * read before it is tokenized.
 */
function leadToken(v: string, i: number): number {
  const n = v.length;
  while (i < n && KIND[v.charCodeAt(i)] === Ch.SPACE) i++;
  if (i >= n) return L_END;
  const c = v.charCodeAt(i);
  const kind = KIND[c] as number;
  if ((kind & Ch.LETTER) !== 0) {
    // as in tokenize: a word is a keyword only when one starts with its first letter
    let j = i + 1;
    while (j < n && ((KIND[v.charCodeAt(j)] as number) & Ch.WORD) !== 0) j++;
    leadId = (kind & Ch.KEYWORD) === 0 ? 0 : keywordAt(v, i, j);
    return (j << L_SHIFT) | (leadId === 0 ? L_WORD : L_KEYWORD);
  }
  if (kind === Ch.WORD) return (numberEnd(v, i, c, i + 1 < n ? v.charCodeAt(i + 1) : 0) << L_SHIFT) | L_NUM;
  if (c === 39 || c === 34) return L_STR;
  if (c === 44) return L_COMMA;
  if (kind === Ch.SINGLE && SINGLE[c] === Tok.OTHER && c !== 92) return L_OTHER;
  return L_MORE;
}

/**
 * Whether `unquotedBreakout` finds nothing, by the value's first tokens (`leadToken`): a plain word or a number then a
 * character of no SQL, two plain words, a lone plain word, or a character of no SQL first. Each of them ends the
 * leading chain at once with nothing a rule starts from after it, and makes `sqlOnlyThenComment` false whatever
 * follows (a character of no SQL, two plain words in a row, a lone plain word). Other first tokens of no role (see
 * below) leave the comment rule its chance: they count only when the value has no comment.
 */
function inertStart(v: string): boolean {
  const first = leadToken(v, 0);
  const kind = first & 7;
  if (kind === L_OTHER) return true;
  if (kind === L_KEYWORD) {
    // a keyword of no role: no operand (the chain ends before it starts) unless called, and the comment rule only
    // with a comment (without one, the next token starts at the next character: neither ( nor the * of */)
    if (FIRST_INERT[leadId] !== 1) return false;
    let i = first >> L_SHIFT;
    while (i < v.length && KIND[v.charCodeAt(i)] === Ch.SPACE) i++;
    const c = v.charCodeAt(i);
    return c !== 40 && c !== 42 && noComment(v);
  }
  if (kind !== L_WORD && kind !== L_NUM) return false;
  const secondToken = leadToken(v, first >> L_SHIFT);
  const second = secondToken & 7;
  if (second === L_OTHER || (kind === L_WORD && (second === L_WORD || second === L_END))) return true;
  // after a plain word or a number, a number, a string, a comma or a keyword of no role ends the rules too, but the
  // comment one only when there is no comment
  return (second === L_KEYWORD ? SECOND_INERT[leadId] === 1 : second !== L_MORE) && noComment(v);
}

/**
 * Whether `v` has nothing that starts a comment (then no token is marked as one before a comment). A `#` starts one
 * only before a space, a control character, `#`, `-` or the end: the `#` of `&#39;`, of a URL's fragment or of a
 * number does not.
 */
const noComment = (v: string): boolean =>
  !v.includes('--') && !v.includes('/*') && (!v.includes('#') || !HASH_COMMENT.test(v));
/** A `#` before a character up to the space, `#`, `-`, or the end (the class names what may not follow). */
const HASH_COMMENT = /#(?:[^!"$-,.-\uffff]|$)/;

/**
 * Whether `atBreakout` at a quoted reading's token 1 finds nothing, by that token (`leadToken` from where the
 * value's first quote closed the query's string): none (and no comment), or one no operator, clause or statement
 * starts with (a plain word, a keyword of no role, a literal, a comma, a character of no SQL).
 */
function inertBreakout(v: string, p: number): boolean {
  const kind = leadToken(v, p) & 7;
  return kind === L_KEYWORD ? SECOND_INERT[leadId] === 1 : kind !== L_MORE;
}

/**
 * Whether the run of word characters that ends at `e` may hold a word `anywhere` starts from: a word token ends where
 * its run does and starts at a letter of it (after a number, a hex number or the digits of a /*! comment, not only
 * at the run's start), so each of the run's last KEYWORD_LONGEST letters is asked as a start.
 */
function candidateEndsAt(v: string, e: number): boolean {
  // the hash of v[t, e) as tokenize computes it, from that of v[t + 1, e): the letter times 31 to the power of the rest
  let h = 0;
  let power = 1;
  for (let t = e - 1; t >= 0 && t >= e - KEYWORD_LONGEST; t--) {
    const c = v.charCodeAt(t);
    const kind = KIND[c] as number;
    if ((kind & Ch.WORD) === 0) break;
    h = (Math.imul(c, power) + h) | 0;
    power = Math.imul(power, 31);
    if ((kind & Ch.KEYWORD) === 0) continue;
    const slot = slotOf(h, KEYWORD_MIX);
    if (SLOT_HASH[slot] !== h) continue;
    const id = keywordIn(v, t, e, slot);
    if (id !== 0 && ((CLASS[id] as number) & (Cls.ANYWHERE | Cls.SYSTEM)) !== 0) return true;
  }
  return false;
}

/**
 * Whether the `(` at `i` may open a call of a word `anywhere` starts from. Between the word and the bracket there are
 * only spaces and comments: a newline among the spaces (a line comment may end there), or a comment's end, is taken
 * as a call.
 */
function callMayOpen(v: string, i: number): boolean {
  let j = i - 1;
  for (; j >= 0; j--) {
    const c = v.charCodeAt(j);
    if (KIND[c] !== Ch.SPACE) break;
    if (c === 10) return true;
  }
  if (j < 0) return false;
  const c = v.charCodeAt(j);
  if (c === 47 || c === 33 || c === 42) return true; // */  /*!  (and a star)
  if (((KIND[c] as number) & Ch.WORD) === 0) return false;
  // the digits a /*! comment opens with are no token: a word before the comment may be the call's
  let s = j;
  while (s > 0 && ((KIND[v.charCodeAt(s - 1)] as number) & Ch.WORD) !== 0) s--;
  return (s > 0 && v.charCodeAt(s - 1) === 33) || candidateEndsAt(v, j + 1);
}

/** Whether the `;` that ends at `i` may be followed by a statement (its first word: after spaces, and no comment). */
function statementMayFollow(v: string, i: number): boolean {
  const n = v.length;
  while (i < n && KIND[v.charCodeAt(i)] === Ch.SPACE) i++;
  if (i >= n) return false;
  const c = v.charCodeAt(i);
  if (c === 45 || c === 35 || c === 47 || c === 42) return true; // a comment may come first
  if (((KIND[c] as number) & Ch.LETTER) === 0) return false;
  let e = i + 1;
  while (e < n && ((KIND[v.charCodeAt(e)] as number) & Ch.WORD) !== 0) e++;
  return STATEMENT_KIND[keywordAt(v, i, e)] !== 0;
}

/** Where ANYWHERE_TEXT was last searched from in the value (-1: not yet), and where the match it stopped at ends (-1: none). */
let anywhereFrom = -1;
let anywhereEnd = -1;
/** The longest match of ANYWHERE_TEXT (a character class matches one character). */
const ANYWHERE_LONGEST = Math.max(...ANYWHERE_TEXT.source.split('|').map((a) => (a.startsWith('[') ? 1 : a.length)));

/**
 * The matches a search may pass before it takes the next as one a rule could use: each costs a step of the search and
 * a look (tens of ns), and a value of nothing but `;` or `(` would cost several times what tokenizing it costs.
 */
const ANYWHERE_PASSES = 8;

/**
 * Whether `v` has no ANYWHERE_TEXT from `from` on that a rule could use. A `;` followed by no statement word, a `(`
 * after no word `anywhere` starts from, and a name (with `_`, `$`, sys, open, union, waitfor, mysql) whose run of
 * word characters holds none, are passed: every value has them, wherever its reading starts. One search per value
 * for the readings' starts, most often.
 */
function noAnywhere(v: string, from: number): boolean {
  // the last search tells when it started at or before `from` and found nothing, or stopped at a match that starts at
  // `from` or later
  if (anywhereFrom >= 0 && from >= anywhereFrom && (anywhereEnd < 0 || anywhereEnd - ANYWHERE_LONGEST >= from)) return anywhereEnd < 0;
  anywhereFrom = from;
  anywhereEnd = -1;
  const n = v.length;
  /** The end of the last run of word characters asked about (the names in it are passed at once). */
  let runEnd = -1;
  let passes = ANYWHERE_PASSES;
  ANYWHERE_TEXT.lastIndex = from;
  while (ANYWHERE_TEXT.test(v)) {
    const end = ANYWHERE_TEXT.lastIndex;
    const c = v.charCodeAt(end - 1);
    let live: boolean;
    // (@, and file: into outfile, load data infile, where the word is another, are not asked)
    if (--passes < 0 || c === 64 || c === 101) live = true;
    else if (c === 59) live = statementMayFollow(v, end);
    else if (c === 40) live = callMayOpen(v, end - 1);
    else if (end <= runEnd) live = false;
    else {
      // a name: its whole run
      runEnd = end;
      while (runEnd < n && ((KIND[v.charCodeAt(runEnd)] as number) & Ch.WORD) !== 0) runEnd++;
      live = candidateEndsAt(v, runEnd);
    }
    if (live) {
      anywhereEnd = end;
      break;
    }
  }
  return anywhereEnd < 0;
}

/**
 * `stringEnd(v, 0, q)` for a chat-length value: where its first `q` quote closes the query's string. Most often no
 * backslash comes before that quote nor another quote right after it, and it is found by a memchr for the quote and
 * one for a backslash (outside the tokenizer's loop, `indexOf` is safe: see above); else `stringEnd` reads on.
 */
function queryStringEnd(v: string, q: number): number {
  const i = v.indexOf(q === 39 ? "'" : '"');
  if (i < 0) return -1;
  if (i + 1 >= v.length || v.charCodeAt(i + 1) !== q) {
    const b = v.indexOf('\\');
    if (b < 0 || b > i) return i + 1;
  }
  return stringEnd(v, 0, q);
}

/**
 * Whether readings are asked first whether a rule can match them. Off only through `detectSqliReadingAll`: the test
 * that holds the pre-check to what the rules find reads every value both ways.
 */
let precheck = true;

/**
 * `detectSqli` with every reading tokenized and read by the rules, as before the pre-check: for tests. The pre-check
 * is proved by hand from the rules (see `inertStart`, `inertBreakout`, `noAnywhere`); a rule that changes without it
 * shows up there as a value the two read differently.
 */
export function detectSqliReadingAll(v: string, quotes: number): ScanRuleId | null {
  precheck = false;
  try {
    return detectSqli(v, quotes);
  } finally {
    precheck = true;
  }
}

/**
 * The SQL injection rule that `v` (lower case) triggers, or null. `quotes`: bit 1 when it has ', bit 2 when ".
 */
export function detectSqli(v: string, quotes: number): ScanRuleId | null {
  const long = v.length >= UNITS_FROM;
  if (long) units = loadUnits(v);
  // A chat-length value's readings are first asked whether any rule can match them (a search and a look at their
  // first tokens): most cannot, and are not tokenized. (Not a long value's: where its tokens would have ended the
  // search early, the search would be a pass too many.)
  anywhereFrom = -1;
  reset();
  syncAt = NEVER;
  /** Whether the value's own reading was tokenized (then kept while the quoted readings are read). */
  const read = long || !precheck || !inertStart(v) || !noAnywhere(v, 0);
  if (read) {
    if (long) tokenizeUnits(v, units, 0);
    else tokenize(v, 0);
    const r = (nCand > 0 ? anywhere(v) : null) ?? unquotedBreakout(v);
    if (r !== null) return r;
  }
  let kept = false;
  for (let q = 39; q !== 0; q = q === 39 ? 34 : 0) {
    if ((quotes & (q === 39 ? 1 : 2)) === 0) continue;
    backslash = -1;
    const p = long ? stringEndUnits(v, units, 0, q) : queryStringEnd(v, q);
    if (p < 0) continue;
    if (!long && precheck && inertBreakout(v, p) && noAnywhere(v, p)) continue;
    if (read && !kept) swapReadings();
    kept = read;
    reset();
    // The query's own string, closed by the value's first quote.
    push(Tok.STR, 0, 0, p);
    syncTok = 0;
    // (read from the kept reading where it is in step with it: none when the value's own reading was not read)
    syncAt = read ? 0 : NEVER;
    syncTries = SYNC_TRIES;
    if (long) tokenizeUnits(v, units, p);
    else tokenize(v, p);
    const glued = p === 1 || !isSpace(v.charCodeAt(p - 2));
    const found = atBreakout(v, 1, QUOTED, q === 39 ? "'" : '"', glued) ?? (nCand > 0 ? anywhere(v) : null);
    if (found !== null) return found;
  }
  return null;
}
