/**
 * Command injection: a value that, pasted into a shell command as an argument, starts a command of its own.
 *
 * What makes an injection is where the separator sits, not that a command is named. An attacker's value is appended
 * to an argument, so the separator (`;`, `|`, `&`, a newline) comes first — at the start of the value, right after
 * its first token (`a;id`, `/index.html|id`) or right after the quote that closes the argument (`'; whoami`) — and a
 * command follows. Substitution (`$(…)`, backticks) counts when glued to a parameter, an `=` or a quote. A chat message
 * that quotes a command (`` `cat file | nc host 80` ``, "use `ls -la` to list files") has its separators in the middle
 * of a command it shows, and passes. Shellshock, SSI, reverse shells, `$IFS` and code-exec calls are flagged anywhere.
 */

import { find, Hopper } from './literal.js';
import type { ScanRuleId } from './rules.js';
import { T_AMP, T_AMP_SPACED, T_BACKTICK, T_CALL, T_CONTROL, T_DOLLAR, T_DOUBLE, T_PIPE, T_SEMI } from './triggers.js';

/** Commands that are not English words: named after a separator, they are enough. */
export const COMMANDS: ReadonlySet<string> = new Set(
  (
    'id whoami uname hostname ifconfig ipconfig netstat nslookup ping traceroute tracert nc ncat netcat telnet curl ' +
    'wget bash sh zsh ksh csh tcsh dash powershell pwsh cmd python python2 python3 perl php ruby node lua ' +
    'systeminfo sysinfo tasklist taskkill net netsh reg wmic certutil bitsadmin mshta rundll32 regsvr32 cscript ' +
    'wscript ls dir pwd env printenv chmod chown mkfifo rm del rmdir useradd adduser usermod sudo su crontab xterm ' +
    'nmap socat gcc base64 xxd uptime ps ifup arp killall pkill nohup tftp ftp scp ssh whereis dig ver getent ' +
    'phpinfo busybox awk gawk xargs'
  ).split(' '),
);
/** Commands that are also words ("; cat is fine"): they need a command-like argument or nothing after them. */
export const WORD_COMMANDS: ReadonlySet<string> = new Set(
  (
    'cat echo type find more less set start call host kill which where who last head tail touch sleep date time ' +
    'sort exit exec eval source export alias history locate route shutdown reboot halt tree vol copy move cp mv ' +
    'print printf read open file grep sed'
  ).split(' '),
);

/** What a word of the tables below is: a command, a word command, an extension (bits: `cmd` and `sh` are two). */
const COMMAND = 1;
const WORD_COMMAND = 2;
const EXTENSION = 4;

/**
 * The words of COMMANDS, WORD_COMMANDS and EXTENSIONS, looked up by a hash of a value's characters where they are:
 * the name after each glued `$(` or backtick is looked up, and a slice for each (an allocation, then a hash of the new
 * string, then two set lookups) made most of the cost of a value dense with them. Every word is a name: two to ten
 * letters and digits, a letter first. Open addressing, at most half full.
 */
class WordTable {
  private readonly words: string[] = [];
  private readonly kinds: number[] = [];
  /** In each slot, the word's index + 1 (0: empty), and the word's hash. */
  private readonly slots: Int32Array;
  private readonly hashes: Int32Array;
  private readonly mask: number;
  /** The longest word's length: a longer stretch is none, and is not hashed. */
  private readonly longest: number = 0;
  private readonly shortest: number = Infinity;

  constructor(entries: Iterable<[string, number]>) {
    const kinds = new Map<string, number>();
    for (const [word, kind] of entries) kinds.set(word, (kinds.get(word) ?? 0) | kind);
    let size = 16;
    while (size < kinds.size * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(size);
    this.mask = size - 1;
    for (const [word, kind] of kinds) {
      const h = WordTable.hash(word, 0, word.length);
      let slot = h & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.words.push(word);
      this.kinds.push(kind);
      this.slots[slot] = this.words.length;
      this.hashes[slot] = h;
      this.longest = Math.max(this.longest, word.length);
      this.shortest = Math.min(this.shortest, word.length);
    }
  }

  /** FNV-1a over the characters `from` to `to` of `v`. */
  static hash(v: string, from: number, to: number): number {
    let h = 0x811c9dc5 | 0;
    for (let k = from; k < to; k++) h = Math.imul(h ^ v.charCodeAt(k), 0x01000193);
    return h;
  }

  /** The kind bits of the word that is `v`'s characters `from` to `to` (`to` ≤ its length), or 0. */
  kindOf(v: string, from: number, to: number): number {
    if (to - from > this.longest || to - from < this.shortest) return 0;
    const h = WordTable.hash(v, from, to);
    for (let slot = h & this.mask; this.slots[slot] !== 0; slot = (slot + 1) & this.mask) {
      if (this.hashes[slot] !== h) continue;
      const index = (this.slots[slot] as number) - 1;
      const word = this.words[index] as string;
      if (word.length === to - from && v.startsWith(word, from)) return this.kinds[index] as number;
    }
    return 0;
  }
}

const EXTENSIONS = ['exe', 'com', 'bat', 'cmd', 'sh'];
const WORDS = new WordTable([
  ...[...COMMANDS].map((w): [string, number] => [w, COMMAND]),
  ...[...WORD_COMMANDS].map((w): [string, number] => [w, WORD_COMMAND]),
  ...EXTENSIONS.map((w): [string, number] => [w, EXTENSION]),
]);

/**
 * The character at `i` (≥ 0), or -1 past the end: the end of a token is often the value's, and a read past it (NaN)
 * deoptimizes the function that makes it.
 */
const at = (v: string, i: number): number => (i < v.length ? v.charCodeAt(i) : -1);
const isSpace = (c: number): boolean => c === 32 || c === 9;
const isLetter = (c: number): boolean => c >= 97 && c <= 122;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlnum = (c: number): boolean => isLetter(c) || isDigit(c) || (c >= 65 && c <= 90);
/** ; | & newline CR */
const isSeparator = (c: number): boolean => c === 59 || c === 124 || c === 38 || c === 10 || c === 13;
const isTokenChar = (c: number): boolean =>
  isAlnum(c) || c === 95 || c === 45 || c === 46 || c === 47 || c === 92 || c === 58 || c === 36 || c === 126;

/** After a command name: nothing, an option, a path, a number, a quote, a URL, a redirection or another separator. */
function argumentLike(v: string, i: number): boolean {
  let j = i;
  while (isSpace(at(v, j))) j++;
  if (j >= v.length) return true;
  const c = v.charCodeAt(j);
  if (isSeparator(c) || c === 45 || c === 47 || c === 92 || c === 126 || c === 46 || c === 36 || c === 37) return true;
  if (c === 39 || c === 34 || c === 96 || c === 62 || c === 60 || c === 42 || c === 40 || c === 41 || isDigit(c)) return true;
  // a drive (c:\) or a URL (http://)
  if (isLetter(c) && at(v, j + 1) === 58) return true;
  let k = j;
  while (isLetter(at(v, k))) k++;
  return v.startsWith('://', k);
}

/**
 * What a character is to `commandAt`, by ASCII character (a table: the chain of comparisons isTokenChar makes for each
 * character of a token cost a sixth of the detector's time on 64 K of `a$(`, where every `$(` has its token read): a
 * token's character (a path separator and a dot apart), or one skipped before the token (space, tab, `(` and `{`).
 */
const TOKEN_CHAR = 1;
const PATH_SEPARATOR = 2;
const DOT = 3;
const SKIPPED = 4;
const COMMAND_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (isTokenChar(c)) COMMAND_CHARS[c] = c === 47 || c === 92 ? PATH_SEPARATOR : c === 46 ? DOT : TOKEN_CHAR;
  else if (isSpace(c) || c === 40 || c === 123) COMMAND_CHARS[c] = SKIPPED;
}
const commandChar = (c: number): number => (c >= 0 && c < 128 ? (COMMAND_CHARS[c] as number) : 0);

/** Can a command start with `c` (what commandAt skips or reads first)? A cheap look before the call. */
const startsToken = (c: number): boolean => commandChar(c) !== 0;

/**
 * Where the last `commandAt` stopped reading: the end of the token it read. Before it, from where it started, lies no
 * backtick and no `$(` (spaces, `(` and `{`, then token characters: a `$` among them is followed by no `(` but the
 * last), so a walk over them may go on from the token's last character.
 */
let commandEnd = 0;

/** Is there a command at `i` (spaces, `(` and `{` skipped)? */
function commandAt(v: string, i: number): boolean {
  let j = i;
  let c = at(v, j);
  while (isSpace(c) || c === 40 || c === 123) c = at(v, ++j);
  if (c === 36) {
    const d = at(v, j + 1);
    if (isLetter(d) || d === 123) return true; // ;$CMD
  }
  const start = j;
  // the token, where its first and last path separators are, its last dot and its last character
  let firstSep = -1;
  let lastSep = -1;
  let dot = -1;
  let last = -1;
  for (let kind = commandChar(c); kind !== 0 && kind !== SKIPPED; c = at(v, ++j), kind = commandChar(c)) {
    if (kind === PATH_SEPARATOR) {
      if (firstSep < 0) firstSep = j;
      lastSep = j;
    } else if (kind === DOT) {
      dot = j;
    }
    last = c;
  }
  commandEnd = j;
  if (j === start) return false;
  if (c === 61) {
    const d = at(v, j + 1);
    if (d === 36 || d === 96) return true; // CMD=$'…'
  }
  // (a name, and an extension, end in a letter or a digit: most tokens that are no command are read no further)
  if (isLetter(last) || isDigit(last)) {
    const nameStart = lastSep >= 0 ? lastSep + 1 : start;
    // name.exe, name.sh: the extension (a dot among the last four characters) is not part of the name
    const nameEnd = dot > nameStart && dot >= j - 4 && (WORDS.kindOf(v, dot + 1, j) & EXTENSION) !== 0 ? dot : j;
    const kind = WORDS.kindOf(v, nameStart, nameEnd);
    if ((kind & COMMAND) !== 0) return true;
    if ((kind & WORD_COMMAND) !== 0) return nameStart > start || !argumentsRequired || argumentLike(v, j);
  }
  // id/n, whoami\n: the first path segment may be the command
  if (lastSep >= 0 && v.charCodeAt(start) !== 47 && v.charCodeAt(start) !== 46) {
    return (WORDS.kindOf(v, start, firstSep) & COMMAND) !== 0;
  }
  return false;
}
/** Word commands ("echo", "cat") need a command-like argument, except after a leading newline. */
let argumentsRequired = true;

/** A run of separators and spaces (read by the engine: a value of 64 K `&` is one run). */
const SEPARATOR_RUN = /[;|&\n\r \t]*/y;

/** After the separator(s) at `i`: a command? */
function separatorThenCommand(v: string, i: number): boolean {
  let j = i;
  while (isSpace(at(v, j))) j++;
  if (!isSeparator(at(v, j))) return false;
  SEPARATOR_RUN.lastIndex = j;
  SEPARATOR_RUN.test(v);
  return commandAt(v, SEPARATOR_RUN.lastIndex);
}

/** `$(` or a backtick at `i` followed by a command. */
function substitutionAt(v: string, i: number): boolean {
  const c = v.charCodeAt(i);
  if (c === 36 && at(v, i + 1) === 40) return commandAt(v, i + 2) || at(v, i + 2) === 96;
  if (c === 96) return startsToken(at(v, i + 1)) && commandAt(v, i + 1);
  return false;
}

/**
 * What glues an opening to what comes before it, by ASCII character (a table: the walk looks at the character before
 * each backtick and `$(`): a parameter's letter or digit, an =, a quote, a $ or a separator. After a `(`, only a `$(`
 * is glued: "(`sh`)" in prose is a code span, $( after ( is not.
 */
const GLUED_ANY = 1;
const GLUED_DOLLAR = 2;
const GLUED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (isAlnum(c) || c === 61 || c === 39 || c === 34 || c === 36 || isSeparator(c)) GLUED[c] = GLUED_ANY | GLUED_DOLLAR;
}
GLUED[40] = GLUED_DOLLAR;

/** A run of `$(`: each but the last opens nothing (a `$(` is no command), so the engine reads a long run at once. */
const SUBSTITUTION_RUN = /(?:\$\()+/y;

/** Where the walk goes on after `openingAt` found no command. */
let resumeAt = 0;

/**
 * Does the `$(` or the opening backtick (`c`) at `i`, after `before` (-1 at the start), open a substitution glued to
 * what comes before it, with a command after it? If not, `resumeAt` says where the next backtick or `$(` may start.
 */
function openingAt(v: string, i: number, before: number, c: number): boolean {
  const glue = before >= 0 && before < 128 ? (GLUED[before] as number) : 0;
  if (c === 36) {
    const next = at(v, i + 2);
    if (next === 36 && at(v, i + 3) === 40) {
      // $($(…: only the last $( of a run may be followed by a command
      if (at(v, i + 4) === 36 && at(v, i + 5) === 40) {
        SUBSTITUTION_RUN.lastIndex = i;
        SUBSTITUTION_RUN.test(v);
        resumeAt = SUBSTITUTION_RUN.lastIndex - 2;
      } else {
        resumeAt = i + 2;
      }
      return false;
    }
    resumeAt = i + 2;
    if ((glue & GLUED_DOLLAR) === 0) return false;
    if (next === 96) return true;
    // (no command can start there: a call that reads nothing made a third of the cost of 64 K of `"$(`)
    if (!startsToken(next)) return false;
    if (commandAt(v, i + 2)) return true;
  } else {
    resumeAt = i + 1;
    if ((glue & GLUED_ANY) === 0 || !startsToken(at(v, i + 1))) return false;
    if (commandAt(v, i + 1)) return true;
  }
  // the command's token holds none (see commandEnd)
  if (commandEnd - 1 > resumeAt) resumeAt = commandEnd - 1;
  return false;
}

/** `$(`, found from its $ (see Hopper): only a $ with a ( after it is tried. */
const DOLLAR_PAREN = /(?:\$\()/g;
const DOLLAR_PAREN_HOPPER = new Hopper(DOLLAR_PAREN, /\$\(/y, '$', 0, { offset: 1, chars: '(' });

/** How far `gluedSubstitution` reads on its own after a backtick or `$(`, where they come close together. */
const NEAR = 16;

/**
 * Where the next backtick and the next `$(` are in the value being walked (-2: not looked for yet, -1: none left),
 * for `farSubstitution`.
 */
let nextTick = -2;
let nextDollarParen = -2;

/**
 * A backtick or `$(` that opens a substitution glued to a parameter, an =, a quote or a separator, and a command after
 * it: every other backtick opens, and each `$(` but one followed by another.
 *
 * Two regimes. Where they are far apart (the code spans of Markdown close within a few characters and open again far
 * on), a memchr hops to the next. After two found within NEAR characters of their search's start, the characters are
 * read here, in one loop with its state in locals, until NEAR pass with none: a value dense with them (64 K of
 * backticks, of `a$(`) paid a search call and loads of the walk's state for each. After a command check, the walk
 * goes on where the check's token ended (see commandEnd), so a dense value is read about once, not twice; where
 * nothing a command needs (COMMAND_SIGN) comes for a while, it is not read at all (see pastSignless).
 */
function gluedSubstitution(v: string): boolean {
  const n = v.length;
  nextTick = -2;
  // (most values with a backtick have no $: no search for `$(` at all)
  nextDollarParen = v.includes('$') ? -2 : -1;
  DOLLAR_PAREN_HOPPER.start();
  nextSign = -2;
  signGap = SIGN_GAP;
  // the backticks passed; how many found in a row within NEAR of their search's start
  let ticks = 0;
  let closeInARow = 0;
  let from = 0;
  while (from < n) {
    if (closeInARow >= 2) {
      from = pastSignless(v, from);
      if (from < 0) return false;
      // read on while the next comes within NEAR characters of the last
      let before = from > 0 ? v.charCodeAt(from - 1) : -1;
      let k = from;
      let end = Math.min(n, from + NEAR);
      while (k < end) {
        const c = v.charCodeAt(k);
        if (c === 96 || (c === 36 && at(v, k + 1) === 40)) {
          if (c === 36 || (ticks++ & 1) === 0) {
            if (openingAt(v, k, before, c)) return true;
            if (resumeAt === k + 1) {
              before = c;
              k++;
            } else {
              // (asked only past more than the opening: asked after each backtick too, 64 K of them ran 5% slower)
              k = resumeAt > nextSign ? pastSignless(v, resumeAt) : resumeAt;
              if (k < 0) return false;
              before = v.charCodeAt(k - 1);
            }
          } else {
            before = c;
            k++;
          }
          end = k + NEAR < n ? k + NEAR : n;
        } else {
          before = c;
          k++;
        }
      }
      closeInARow = 0;
      from = k;
      continue;
    }
    const i = farSubstitution(v, from);
    if (i < 0) return false;
    closeInARow = i - from < NEAR ? closeInARow + 1 : 0;
    from = i + 1;
    const c = v.charCodeAt(i);
    if (c === 36 || (ticks++ & 1) === 0) {
      if (openingAt(v, i, i > 0 ? v.charCodeAt(i - 1) : -1, c)) return true;
      from = resumeAt;
    }
  }
  return false;
}

/**
 * What a command after an opening shows somewhere between where it starts and the character after its token, for
 * commandAt to find it: a backtick (`$(` then one, or an opening backtick), `$` and a letter or `{` (;$CMD), `=$`
 * (CMD=$'…'), or two letters or digits that end a word of WORDS (a name or an extension: a token's character other
 * than a letter or a digit may not follow) or a first path segment (a / or \ follows). An opening none comes after
 * opens nothing.
 */
const COMMAND_SIGN = /`|\$[a-z{]|=\$|[a-z0-9]{2}(?:[/\\]|(?![\w\-.:$~/\\]))/g;

/**
 * Past where the walk looks for the next COMMAND_SIGN (-2: from the start, -1: none is left): the end of the last one
 * found, and at least `signGap` characters past where that search started. A search costs what reading a few dozen
 * characters does: where signs come close together (prose, code), a search that passed nothing doubles the gap, so the
 * walk reads on without them (the README, dense with backticks, made 138 searches with a fixed gap of 256: a fifth
 * more time).
 */
let nextSign = -2;
let signGap = 0;
const SIGN_GAP = 256;

/**
 * Where the dense walk from `from` goes on (-1: no opening from there on counts, no COMMAND_SIGN follows): the last
 * `$(` that starts before the next sign, if that is past `from`. An opening's sign lies in its command, which ends at
 * the latest at the next `$(`'s `(` (a token holds no `$(` but as its last character): every opening before that
 * last `$(` would need a sign before the one found. The stretch holds no backtick (a sign): the count of those passed
 * stays right. On 64 K of `a$(`, which shows none, reading each opening's command cost 0.5 ms; one search now.
 */
function pastSignless(v: string, from: number): number {
  if (nextSign === -1) return -1;
  if (nextSign >= from) return from;
  COMMAND_SIGN.lastIndex = from;
  if (!COMMAND_SIGN.test(v)) {
    nextSign = -1;
    return -1;
  }
  const end = COMMAND_SIGN.lastIndex;
  // (a sign holds no `$(` before its last character: the last one that starts before it ends in it at the latest;
  // searched in the stretch alone, which a search back from the sign would not stop at)
  const last = v.slice(from, end).lastIndexOf('$(');
  signGap = last > 0 ? SIGN_GAP : signGap * 2;
  nextSign = end > from + signGap ? end : from + signGap;
  return last > 0 ? from + last : from;
}

/** The first backtick or `$(` from `from`, or -1: the next of each, looked for again only once passed. */
function farSubstitution(v: string, from: number): number {
  if (nextTick !== -1 && nextTick < from) nextTick = v.indexOf('`', from);
  if (nextDollarParen !== -1 && nextDollarParen < from) {
    const end = DOLLAR_PAREN_HOPPER.next(v, from);
    nextDollarParen = end < 0 ? -1 : end - 2;
  }
  if (nextTick < 0) return nextDollarParen;
  return nextDollarParen < 0 || nextTick < nextDollarParen ? nextTick : nextDollarParen;
}

/** Literals the detector searches for (grouped: see literal.ts). */
const IFS = /(?:ifs)/g;
const OPTION_E = /(?:-e )/g;
const BASH_I = /(?:bash -i)/g;
const REDIRECT_BOTH = /(?:>&)/g;
const PHP_OPEN = /(?:<\?)/g;
/** Those tried at their `&` and `<`, where prose has few (see Hopper). */
const REDIRECT_BOTH_HOPPER = new Hopper(REDIRECT_BOTH, /&(?<=>&)/y, '&', 1, { offset: -1, chars: '>' });
const PHP_OPEN_HOPPER = new Hopper(PHP_OPEN, /<\?/y, '<', 0, { offset: 1, chars: '?' });

/** The $ `ifsVariable` hops to before it searches for the word: 16, and one per 32 characters (a memchr's cost). */
const DOLLARS_BEFORE_SEARCH = 16;
const DOLLAR_GAP = 32;

/**
 * `$IFS` or `${IFS}` not followed by a letter. Found from each $ where they are few (code has a few template
 * literals, prose none); where they are many, from each `ifs` from there on, so a value of many $ costs one search
 * (an engine search for the word reads all that follows the first $: 20–30 µs on 64 K of code).
 */
function ifsVariable(v: string): boolean {
  for (let d = v.indexOf('$'), hops = 0; d >= 0; d = v.indexOf('$', d + 1)) {
    if (++hops > DOLLARS_BEFORE_SEARCH + d / DOLLAR_GAP) return ifsFrom(v, d);
    const c = at(v, d + 1);
    if (c === 105 && v.startsWith('ifs', d + 1) && !isLetter(at(v, d + 4))) return true;
    if (c === 123 && v.startsWith('ifs}', d + 2) && !isLetter(at(v, d + 6))) return true;
  }
  return false;
}

/** `ifsVariable` for the matches whose $ is at `from` or after, read from each `ifs` (all of them after `from`). */
function ifsFrom(v: string, from: number): boolean {
  for (let i = find(IFS, v, from, 3); i >= 0; i = find(IFS, v, i + 3, 3)) {
    if (v.charCodeAt(i - 1) === 36 && !isLetter(at(v, i + 3))) return true;
    if (v.charCodeAt(i - 1) === 123 && v.charCodeAt(i - 2) === 36 && at(v, i + 3) === 125 && !isLetter(at(v, i + 4))) return true;
  }
  return false;
}

/**
 * Fixed patterns, by rule: one regular expression per rule (a literal prefix then a few endings), one native pass
 * each whatever the number of near misses in the value. The reverse shells' alternatives start where the engine can
 * skip to (the / or - of a path or an option, the last two letters of a function name and its `(`), the words before
 * that looked behind for: tried at every position, the words made the engine read prose letter by letter. After the
 * / or -, the rest of the literal is read first and the words looked behind for last (at every / of 64 K of them, the
 * look behind cost 4 ns; a second character that is no d t e u ends the try at once).
 */
const REVERSE_SHELL_PATH =
  /\/(?:dev\/(?:tcp|udp)\/|t(?:mp\/(?<=mkfifo \/tmp\/)|ransfer(?<=bitsadmin \/transfer)))|-(?:e (?:\/bin\/|cmd)|urlcache(?<=certutil -urlcache))/g;
const REVERSE_SHELL_CALL = /(?:en|wn|ng)\((?<=(?:fsockopen|pty\.spawn|downloadstring)\()|et\(s,pf_inet(?<=socket\(s,pf_inet)/g;
const SSI = /<!--#(?:exec|include|echo|config|printenv)/g;
/**
 * Those tried at their / or -, `(` and `<`, where prose has few (see Hopper), and only where the character after or
 * before them can be part of a match: d t (/dev/, /tmp/, /transfer) e u (-e, -urlcache); n g t before the `(`.
 */
const REVERSE_SHELL_PATH_HOPPER = new Hopper(REVERSE_SHELL_PATH, new RegExp(REVERSE_SHELL_PATH.source, 'y'), '/-', 0, { offset: 1, chars: 'dteu' });
const REVERSE_SHELL_CALL_HOPPER = new Hopper(
  REVERSE_SHELL_CALL,
  /\((?:(?<=(?:fsockopen|pty\.spawn|downloadstring)\()|s,pf_inet(?<=socket\(s,pf_inet))/y,
  '(',
  2,
  { offset: -1, chars: 'ngt' },
);
const SSI_HOPPER = new Hopper(SSI, /<!--#(?:exec|include|echo|config|printenv)/y, '<', 0, { offset: 1, chars: '!' });
/** Its literals grouped, so the engine skips between them (see literal.ts). */
const CODE_EXEC = /(?:\{\$\{|\{\$_get\[|\{\$_post\[|\{\$_request\[|\$\{@|@\{\[)/g;
/**
 * CODE_EXEC tried at its $ or @ (see Hopper), with a { or _ after it: code has many { and few of those. Only whether
 * there is a match counts (where two overlap, {${@, either will do).
 */
const CODE_EXEC_HOPPER = new Hopper(CODE_EXEC, /\$(?:(?<=\{\$)(?:\{|_get\[|_post\[|_request\[)|\{@)|@\{\[/y, '$@', 0, { offset: 1, chars: '{_' });

/**
 * Each expression reads the whole value when it finds nothing: one it cannot match (a character all its matches need
 * is missing, which a one-character search proves at once) is not run.
 */
function patternRule(v: string): ScanRuleId | null {
  if ((v.includes('/') || v.includes('-')) && REVERSE_SHELL_PATH_HOPPER.first(v, 0) >= 0) return 'cmdi.reverse-shell';
  // all four hold a ( and an n: a value of `(` and symbols needs no search
  if (v.includes('(') && v.includes('n') && REVERSE_SHELL_CALL_HOPPER.first(v, 0) >= 0) return 'cmdi.reverse-shell';
  if (v.includes('<') && SSI_HOPPER.first(v, 0) >= 0) return 'cmdi.ssi';
  if (v.includes('{') && CODE_EXEC_HOPPER.first(v, 0) >= 0) return 'cmdi.code-exec';
  return null;
}

/** Functions that run a command or code when given a string. */
export const EXEC_CALLS: readonly string[] = [
  'system', 'exec', 'shell_exec', 'passthru', 'popen', 'proc_open', 'pcntl_exec', 'eval', 'assert', 'os.system',
  'os.popen', 'subprocess.call', 'subprocess.run', 'subprocess.popen', 'subprocess.check_output', 'kernel.exec',
  'kernel.system', 'runtime.getruntime().exec', 'child_process.exec', 'execsync', 'spawnsync', '%x',
];
/** Calls that give away PHP whatever their argument. */
export const INFO_CALLS: readonly string[] = ['phpinfo', 'phpversion'];
/** What makes PHP code dangerous: calls that run or write, includes, request input. */
const PHP_DANGER = /system\(|exec\(|passthru\(|shell_exec\(|popen\(|proc_open\(|eval\(|assert\(|include[( ]|require[( ]|\$_(?:get|post|request)|base64_decode\(|file_put_contents\(|fwrite\(|phpinfo\(/g;

/**
 * A call's name is read back from its `(` (spaces skipped) over the characters a dotted name is made of: letters,
 * digits, _ . % ( ), at most 32. The name is that run, or the part of it after one of its dots, whichever is a known
 * one. So a known name counts where it ends right before the `(` (spaces between) and what comes before it is the
 * start of the value, a dot, or a character of none of those kinds: a boundary (every name is shorter than 32, so the
 * run always reaches the character before it). A name whose last segment is itself a name (os.system) counts exactly
 * where that segment does, after its dot: only the others are looked for.
 */
const isWordChar = (c: number): boolean => isAlnum(c) || c === 95 || c === 37;
const isBoundary = (c: number): boolean => c === 46 || !(isWordChar(c) || c === 40 || c === 41);
const CALL_NAMES = [
  ...EXEC_CALLS.filter((name) => !name.includes('.') || !EXEC_CALLS.includes(name.slice(name.lastIndexOf('.') + 1))),
  ...INFO_CALLS,
];
const LONGEST_CALL_NAME = Math.max(...CALL_NAMES.map((name) => name.length));
// (the automaton below takes a `(` to end every name, and the run read back to reach the character before one)
if (CALL_NAMES.some((name) => name.length >= 32 || !/^[a-z0-9_%.]+$/i.test(name))) {
  throw new Error('cmdi: a call name is too long or holds a character other than a letter, a digit, _ % or .');
}

/**
 * phpinfo( and phpversion( where they count: after a boundary (the engine skips to each `php`). Derived from
 * INFO_CALLS, which all start with php.
 */
const INFO_CALL_SOURCE = `php(?<![\\w%()]php)(?:${INFO_CALLS.map((name) => name.slice(3)).join('|')})[ \\t]*\\(`;

/** Bits of CALL_DONE and CALL_ENDS: a name that counts with a string argument; one that counts with any (phpinfo). */
const ENDS_CALL = 1;
const ENDS_INFO_CALL = 2;

/** Columns of the automaton: a space or tab, another boundary, another character of a dotted name, then the names'. */
const SPACE_COLUMN = 0;
const BOUNDARY_COLUMN = 1;
const JOINING_COLUMN = 2;

/**
 * The names as an automaton read forwards: the state after a character is `CALL_NEXT[state + column]` (states are
 * numbered by the number of columns; the column of an ASCII character is `CALL_COLUMN[c]`, beyond ASCII BOUNDARY_COLUMN), and
 * `CALL_DONE[state]` says what kind of name ends right before the next character (spaces between). State 0 follows a
 * character that joins what comes after it to a longer run (a `(`); CALL_START is the state before a value's first
 * character, which a name may start at. A state is a set of names partly read (each with how far), whether the last
 * character was a boundary, and the kinds of the names that ended before the spaces since.
 */
function callAutomaton(): { next: Int32Array; done: Uint8Array; column: Uint8Array; start: number } {
  const column = new Uint8Array(128);
  /** A character of each column, the one it stands for. */
  const members = [' ', ';', '('];
  for (let c = 0; c < 128; c++) column[c] = isSpace(c) ? SPACE_COLUMN : isBoundary(c) ? BOUNDARY_COLUMN : JOINING_COLUMN;
  for (const ch of new Set(CALL_NAMES.join(''))) {
    column[ch.charCodeAt(0)] = members.length;
    members.push(ch);
  }
  const kinds = CALL_NAMES.map((name) => (INFO_CALLS.includes(name) ? ENDS_INFO_CALL : ENDS_CALL));
  interface State {
    /** `name index * 64 + characters read`, sorted. */
    partial: number[];
    boundary: boolean;
    done: number;
  }
  const keyOf = (s: State): string => `${s.boundary ? 1 : 0}${s.done}:${s.partial.join(',')}`;
  const step = (s: State, ch: string): State => {
    const c = ch.charCodeAt(0);
    const partial = new Set<number>();
    let done = isSpace(c) ? s.done : 0;
    const advance = (name: number, read: number): void => {
      if ((CALL_NAMES[name] as string)[read] !== ch) return;
      if (read + 1 === (CALL_NAMES[name] as string).length) done |= kinds[name] as number;
      else partial.add(name * 64 + read + 1);
    };
    for (const p of s.partial) advance(p >> 6, p & 63);
    if (s.boundary) CALL_NAMES.forEach((_, name) => advance(name, 0));
    return { partial: [...partial].sort((x, y) => x - y), boundary: isBoundary(c), done };
  };
  const states: State[] = [];
  const index = new Map<string, number>();
  const add = (s: State): number => {
    const key = keyOf(s);
    let k = index.get(key);
    if (k === undefined) {
      k = states.length;
      index.set(key, k);
      states.push(s);
    }
    return k;
  };
  add({ partial: [], boundary: false, done: 0 });
  const start = add({ partial: [], boundary: true, done: 0 });
  const columns = members.length;
  const next: number[] = [];
  for (let k = 0; k < states.length; k++) {
    members.forEach((ch, col) => {
      next[k * columns + col] = add(step(states[k] as State, ch)) * columns;
    });
  }
  const done = new Uint8Array(states.length * columns);
  states.forEach((s, k) => {
    done[k * columns] = s.done;
  });
  return { next: Int32Array.from(next), done, column, start: start * columns };
}
const { next: CALL_NEXT, done: CALL_DONE, column: CALL_COLUMN, start: CALL_START } = callAutomaton();
const callColumn = (c: number): number => (c < 128 ? (CALL_COLUMN[c] as number) : BOUNDARY_COLUMN);

/**
 * By the last two characters of the names (`(second & 127) << 7 | (last & 127)`): the first look at a `(` the walk hops
 * to. Beyond ASCII, a character folds onto one of the table: a look for nothing, which the automaton undoes.
 */
const CALL_ENDS = new Uint8Array(128 * 128);
const pairOf = (second: number, last: number): number => ((second & 127) << 7) | (last & 127);
CALL_NAMES.forEach((name) => {
  const pair = pairOf(name.charCodeAt(name.length - 2), name.charCodeAt(name.length - 1));
  CALL_ENDS[pair] = (CALL_ENDS[pair] as number) | (INFO_CALLS.includes(name) ? ENDS_INFO_CALL : ENDS_CALL);
});

/** Can a string argument start with `c`, right after a `(` (spaces first, or request input: $_GET)? */
const opensArgument = (c: number): boolean => c === 39 || c === 34 || c === 96 || c === 36 || isSpace(c);

/**
 * A first look at the `(` at `i`: false where no known name ends before it (its last two characters say), or where
 * only a string argument would make the call count and none can start right after it.
 */
function mayCall(v: string, i: number): boolean {
  let k = i;
  while (k > 0 && isSpace(v.charCodeAt(k - 1))) k--;
  return k >= 2 && worthReading(CALL_ENDS[pairOf(v.charCodeAt(k - 2), v.charCodeAt(k - 1))] as number, v, i);
}

/** With the bits of the two characters before the `(` at `i` (CALL_ENDS), is the call worth reading back from? */
const worthReading = (ends: number, v: string, i: number): boolean =>
  (ends & ENDS_INFO_CALL) !== 0 || ((ends & ENDS_CALL) !== 0 && opensArgument(at(v, i + 1)));

/** After a call's `(` at `i`: spaces, then a string (a quote or a backtick) or request input ($_GET…). */
function stringArgument(v: string, i: number): boolean {
  let j = i + 1;
  while (isSpace(at(v, j))) j++;
  const c = at(v, j);
  return c === 39 || c === 34 || c === 96 || (c === 36 && at(v, j + 1) === 95);
}

/** With the kinds of name that end before the `(` at `i` (CALL_DONE), does the call count? */
const counts = (done: number, v: string, i: number): boolean =>
  done !== 0 && ((done & ENDS_INFO_CALL) !== 0 || stringArgument(v, i));

/** The columns of the names' own characters (after SPACE_COLUMN, BOUNDARY_COLUMN and JOINING_COLUMN). */
const NAME_COLUMN = JOINING_COLUMN + 1;

/**
 * The kinds of name that end before the `(` at `i` (spaces skipped: they keep what ended): the automaton from the
 * start of the run of the names' characters before it, in the state the character before the run leaves (a boundary:
 * CALL_START; another: 0), or from 0 at most the longest name and one character back.
 */
function namesBefore(v: string, i: number): number {
  let k = i;
  while (k > 0 && isSpace(v.charCodeAt(k - 1))) k--;
  let p = k;
  while (p > 0 && k - p <= LONGEST_CALL_NAME && callColumn(v.charCodeAt(p - 1)) >= NAME_COLUMN) p--;
  let state = 0;
  if (p === 0 || (k - p <= LONGEST_CALL_NAME && callColumn(v.charCodeAt(p - 1)) !== JOINING_COLUMN)) state = CALL_START;
  for (; p < k; p++) state = CALL_NEXT[state + callColumn(v.charCodeAt(p))] as number;
  return CALL_DONE[state] as number;
}

/** Two `(` within this many characters are close together (readCalls reads on while they come so). */
const NEAR_CALL = 16;
/** After this many `(` found by a memchr each close to the last, `execCall` reads the rest with readDense. */
const CLOSE_CALLS = 4;
/** After this many `(` close together, then twice as many, …, `readDense` looks for a long stretch with no opener. */
const DENSE_CALLS = 8;

/**
 * A call of a command-running function with a string argument: system('id'), os.system("…"), eval(`…`), or of
 * phpinfo. Where `(` are far apart, a memchr hops to each, and the automaton reads back from those the first look
 * lets through; after CLOSE_CALLS found each close to the last, readDense reads the rest of the value.
 */
function execCall(v: string): boolean {
  // every name holds an e, an n or an a (%x its %): a value of `(` and symbols has no call
  if (!(v.includes('e') || v.includes('n') || v.includes('a') || v.includes('%'))) return false;
  nextQuote = nextDoubleQuote = nextBacktick = nextDollar = -2;
  noInfoCallAhead = false;
  sitesRead = 0;
  // the `(` found by a memchr each within NEAR_CALL of the last, in a row
  let close = 0;
  for (let i = v.indexOf('('), last = -NEAR_CALL - 1; i >= 0; ) {
    if (mayCall(v, i) && counts(namesBefore(v, i), v, i)) return true;
    close = i - last <= NEAR_CALL ? close + 1 : 0;
    last = i;
    let from = i + 1;
    if (close >= CLOSE_CALLS) {
      from = readDense(v, from);
      if (from < 0) return true;
      close = 0;
    }
    i = v.indexOf('(', from);
  }
  return false;
}

/**
 * After a `(` (at `k` - 1) among others close together: -1 if a call counts, else where the walk hops on from. A call
 * that counts has a string opener (' " ` $) after its `(` and spaces, or is phpinfo's. Where the next opener is far,
 * the stretch before it is passed at once (passStringless). Then the engine searches the rest of the value for the
 * `(` that the first look lets through (CALL_SITE), and the automaton reads back from each; where they are many, the
 * characters are read through the automaton instead (readCalls), until NEAR_CALL pass with no `(` (a search call for
 * each `(` of 64 K of `eval(`, then a look back from it, cost several times more than reading them).
 */
function readDense(v: string, k: number): number {
  const next = passStringless(v, k - 1);
  if (next !== k) return next;
  if (sitesRead <= SITES_READ + k / SITE_GAP) {
    k = readSites(v, k);
    if (k < 0 || k >= v.length) return k;
  }
  for (let count = DENSE_CALLS; ; count *= 2) {
    const stop = readCalls(v, k, count);
    if (stop < 0) return stop === -1 ? -1 : -2 - stop;
    const after = passStringless(v, stop);
    if (after !== stop + 1) return after;
    k = after;
  }
}

/**
 * Where the first look (mayCall) lets a `(` through: the last two characters of a name, spaces, the `(`, spaces and a
 * string opener. Or phpinfo's call (INFO_CALL), which counts. The engine skips to the pairs of characters.
 */
const CALL_SITE = new RegExp(
  `(?:${[...new Set(CALL_NAMES.filter((name) => !INFO_CALLS.includes(name)).map((name) => name.slice(-2).replace('.', '\\.')))].join('|')})[ \\t]*\\([ \\t]*['"\`$]|${INFO_CALL_SOURCE}`,
  'g',
);

/**
 * The `(` that readSites read back from, in the value `execCall` reads. Reading back from one costs about what the
 * automaton costs over SITE_GAP characters: past SITES_READ and one per SITE_GAP characters, readDense reads through
 * the automaton.
 */
let sitesRead = 0;
const SITES_READ = 16;
const SITE_GAP = 128;

/**
 * The engine's search from `k` for CALL_SITE, and the automaton's reading back from each: -1 if a call counts, the
 * value's length if none does, else (too many read) where the automaton reads on from.
 */
function readSites(v: string, k: number): number {
  CALL_SITE.lastIndex = k;
  while (CALL_SITE.test(v)) {
    const end = CALL_SITE.lastIndex;
    // (phpinfo's call ends with its `(`, a pair's site with its opener)
    if (v.charCodeAt(end - 1) === 40) return -1;
    const paren = v.lastIndexOf('(', end - 1);
    if (counts(namesBefore(v, paren), v, paren)) return -1;
    if (++sitesRead > SITES_READ + paren / SITE_GAP) return paren + 1;
    CALL_SITE.lastIndex = paren + 1;
  }
  return v.length;
}

/**
 * The characters from `k` (after a `(`) through the automaton: -1 if a call counts; the `count`-th `(` (read); or, as
 * -2 - the position, where NEAR_CALL characters passed with no `(`. (The loop is kept apart from the rest of
 * readDense: with it, it ran a fifth slower.)
 */
function readCalls(v: string, k: number, count: number): number {
  const n = v.length;
  // (after a `(`, no name has started: state 0)
  let state = 0;
  let end = k + NEAR_CALL < n ? k + NEAR_CALL : n;
  for (; k < end; k++) {
    const c = v.charCodeAt(k);
    if (c === 40) {
      const done = CALL_DONE[state] as number;
      if (done !== 0 && counts(done, v, k)) return -1;
      if (--count === 0) return k;
      end = k + 1 + NEAR_CALL < n ? k + 1 + NEAR_CALL : n;
    }
    state = CALL_NEXT[state + callColumn(c)] as number;
  }
  return -2 - k;
}

/**
 * Where to go on from after the `(` at `i`, among many close together (-1: a phpinfo call counts). A call that counts
 * has a string opener after its `(` and spaces, or is phpinfo's: where the next opener is far, the stretch before it
 * is passed, once the engine has found no phpinfo call after `i` (one that it finds counts).
 */
function passStringless(v: string, i: number): number {
  const end = stringlessStretch(v, i + 1);
  if (end - i <= NEAR_CALL) return i + 1;
  if (!noInfoCallAhead) {
    INFO_CALL.lastIndex = i + 1;
    if (INFO_CALL.test(v)) return -1;
    noInfoCallAhead = true;
  }
  return end;
}

/** phpinfo's calls (see INFO_CALL_SOURCE). */
const INFO_CALL = new RegExp(INFO_CALL_SOURCE, 'g');
/** The engine found no INFO_CALL match after the `(` it looked from, in the value `execCall` reads (then none later). */
let noInfoCallAhead = false;

/** The next ' " ` and $ of the value `execCall` reads (-2: not looked for, -1: none left), looked for once passed. */
let nextQuote = -2;
let nextDoubleQuote = -2;
let nextBacktick = -2;
let nextDollar = -2;

/** The earlier of two positions (-1: none). */
const earlier = (a: number, b: number): number => (a < 0 ? b : b < 0 || a < b ? a : b);

/**
 * Where the stretch from `i` that no call with a string argument can end in ends: every `(` before it is followed,
 * after its spaces, by no ' " ` or $ (the `(` just before the next one's spaces may be; the value's end if none).
 */
function stringlessStretch(v: string, i: number): number {
  if (nextQuote !== -1 && nextQuote < i) nextQuote = v.indexOf("'", i);
  if (nextDoubleQuote !== -1 && nextDoubleQuote < i) nextDoubleQuote = v.indexOf('"', i);
  if (nextBacktick !== -1 && nextBacktick < i) nextBacktick = v.indexOf('`', i);
  if (nextDollar !== -1 && nextDollar < i) nextDollar = v.indexOf('$', i);
  let opener = earlier(earlier(nextQuote, nextDoubleQuote), earlier(nextBacktick, nextDollar));
  if (opener < 0) return v.length;
  while (opener > i && isSpace(v.charCodeAt(opener - 1))) opener--;
  return opener > i ? opener - 1 : i;
}

/** `()` then spaces and `{`: where a Shellshock definition may start (grouped: the engine skips the rest of the value). */
const FUNCTION_DEFINITION = /(?:\(\)[ \t]*\{)/g;
/** FUNCTION_DEFINITION tried at a { (see Hopper): code has few, and the search for `()` stops at every call. */
const DEFINITION_HOPPER = new Hopper(FUNCTION_DEFINITION, /\{(?<=\(\)[ \t]*\{)/y, '{', 2, { offset: -1, chars: ') \t' });

function shellshock(v: string): boolean {
  // no { (a one-character search), no definition: the search would read the whole value for nothing
  if (!v.includes('{')) return false;
  // the first ; and } after the current {, looked for again only once passed
  let semi = -2;
  let close = -2;
  for (let end = DEFINITION_HOPPER.first(v, 0); end >= 0; end = DEFINITION_HOPPER.next(v, end)) {
    // the { (only spaces lie between it and the (): the next definition starts after it
    const j = end - 1;
    if (semi < j) semi = v.indexOf(';', j + 1);
    if (close < j) close = v.indexOf('}', j + 1);
    // none after this definition: none after the next ones either
    if (semi < 0 || close < 0) return false;
    // () { :;}; — a short body with a semicolon, closed within a few characters
    if (semi < close && close < j + 40) return true;
  }
  return false;
}

/** What ends a value's first token: a space, a separator or a backtick. */
const TOKEN_ENDS = [' ', '\t', ';', '|', '&', '\n', '\r', '`'];
/** Past this many characters (a value of 64 K `<` is one token), the first token's end is found by memchrs. */
const SHORT_TOKEN = 64;

/** The first space, separator or backtick from `from` (the end of a long first token), or the length. */
function tokenEnd(v: string, from: number): number {
  let end = v.length;
  for (const ch of TOKEN_ENDS) {
    const j = v.indexOf(ch, from);
    if (j >= 0 && j < end) end = j;
  }
  return end;
}

const SEPARATORS = T_SEMI | T_PIPE | T_DOUBLE | T_AMP | T_AMP_SPACED | T_CONTROL;

/** Below this length a value is first asked whether any rule read anywhere in it can match (CMDI_NEEDED). */
const CHAT_LENGTH = 1024;

/**
 * Text that every rule read anywhere in a value needs (a superset, one search): the literals of the reverse shells'
 * paths and options (REVERSE_SHELL_PATH), `>&`, an SSI's or PHP's opening, CODE_EXEC's openings, a Shellshock
 * definition's `() {`, and a call that may count (`execCall`): a `(` with a string or request input after it, or
 * after phpinfo, phpversion or a reverse shell's call (REVERSE_SHELL_CALL). The separators and the substitutions,
 * read where they are, are not asked.
 */
const CMDI_NEEDED = new RegExp(
  [
    '\\/(?:dev\\/|tmp\\/|transfer)',
    '-(?:e |urlcache)',
    '<(?:!--#|\\?)',
    '\\{\\$|\\$\\{@|@\\{\\[|>&',
    '\\((?:\\)[ \\t]*\\{|[ \\t]*(?:[\'"`]|\\$_)|s,pf_inet)',
    `\\((?<=(?:fsockopen|pty\\.spawn|downloadstring|php(?:${INFO_CALLS.map((name) => name.slice(3)).join('|')})[ \\t]*)\\()`,
  ].join('|'),
);

/**
 * Whether chat-length values are asked first whether a rule read anywhere can match them. Off only through
 * `detectCmdiReadingAll`: the test that holds the pre-check to what the rules find reads every value both ways.
 */
let precheck = true;

/**
 * `detectCmdi` with every value read by all the rules, as before the pre-check: for tests. The pre-check is proved by
 * hand from the rules (see CMDI_NEEDED); a rule that changes without it shows up there as a value the two read
 * differently.
 */
export function detectCmdiReadingAll(v: string, mask: number): ScanRuleId | null {
  precheck = false;
  try {
    return detectCmdi(v, mask);
  } finally {
    precheck = true;
  }
}

/** The command-injection rule that lower-case `v` (trigger mask `mask`) triggers, or null. */
export function detectCmdi(v: string, mask: number): ScanRuleId | null {
  const n = v.length;
  if ((mask & SEPARATORS) !== 0) {
    // Injection points: the start, after the first token, after the first quote of each kind.
    let first = 0;
    while (first < n && isSpace(v.charCodeAt(first))) first++;
    let lead = first;
    const near = Math.min(n, first + SHORT_TOKEN);
    while (lead < near && !isSpace(v.charCodeAt(lead)) && !isSeparator(v.charCodeAt(lead)) && v.charCodeAt(lead) !== 96) lead++;
    if (lead === near && lead < n) lead = tokenEnd(v, lead);
    // A value that starts with a newline is never prose: any command word on the next line counts.
    argumentsRequired = !(at(v, first) === 10 || at(v, first) === 13);
    const leading = separatorThenCommand(v, first);
    // (reset before returning: left false, the next value's substitutions would be read the loose way)
    argumentsRequired = true;
    if (leading) return 'cmdi.separator-command';
    // (from the same place, the stricter reading finds nothing the first did not)
    if (lead !== first && separatorThenCommand(v, lead)) return 'cmdi.separator-command';
    const single = v.indexOf("'");
    if (single >= 0 && separatorThenCommand(v, single + 1)) return 'cmdi.separator-command';
    const double = v.indexOf('"');
    if (double >= 0 && separatorThenCommand(v, double + 1)) return 'cmdi.separator-command';
  }
  if ((mask & (T_DOLLAR | T_BACKTICK)) !== 0) {
    if (at(v, 0) === 36 && substitutionAt(v, 0)) return 'cmdi.substitution';
    if (gluedSubstitution(v)) return 'cmdi.substitution';
    if (ifsVariable(v)) return 'cmdi.ifs';
  }
  // a chat-length value with none of what the rules below need is read no further (one search, where they make several)
  if (precheck && n < CHAT_LENGTH && !CMDI_NEEDED.test(v)) return null;
  if (v.includes('/') || v.includes('<') || v.includes('{') || v.includes('(') || (v.includes('-') && find(OPTION_E, v, 0, 3) >= 0)) {
    const rule = patternRule(v);
    if (rule !== null) return rule;
    // >& first: tried at each & (prose has few), it spares the search for bash -i
    if (v.includes('&') && REDIRECT_BOTH_HOPPER.first(v, 0) >= 0 && find(BASH_I, v, 0, 7) >= 0) return 'cmdi.reverse-shell';
  }
  if (shellshock(v)) return 'cmdi.shellshock';
  const phpEnd = v.includes('<') ? PHP_OPEN_HOPPER.first(v, 0) : -1;
  const php = phpEnd < 0 ? -1 : phpEnd - 2;
  if (php >= 0 && (v.startsWith('php', php + 2) || at(v, php + 2) === 61 || isSpace(at(v, php + 2)))) {
    PHP_DANGER.lastIndex = php;
    if (PHP_DANGER.test(v)) return 'cmdi.code-exec';
  }
  if ((mask & T_CALL) !== 0 && execCall(v)) return 'cmdi.code-exec';
  return null;
}
