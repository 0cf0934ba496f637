/**
 * Path traversal and file inclusion. A path is read as a file API would read it: segments between `/` and `\`,
 * where an all-dots segment (`..`, `...`, `..;`) climbs and `.` or an empty segment stays put. One climb in prose
 * ("see ../docs/readme") is ordinary; a climb that lands on a system file, three climbs in a row, or a climb that was
 * encoded (the raw text has none, the decoded text has one) is an attack. So are NUL bytes, PHP-style stream
 * wrappers and a value that is nothing but an absolute path into a system location.
 */

import { find } from './literal.js';
import type { ScanRuleId } from './rules.js';

/** Where a climb must not land (the path after the ../ steps starts with one of these). */
const SENSITIVE_AFTER_CLIMB = [
  'etc/', 'proc/', 'var/', 'usr/', 'root/', 'home/', 'opt/', 'sys/', 'dev/', 'bin/', 'boot/', 'windows/', 'winnt/',
  'boot.ini', 'win.ini', 'system.ini', 'system32/', 'inetpub/', 'program files', '.ssh/', '.htpasswd', '.htaccess',
  '.env', '.git/', 'web.config', 'wp-config', 'apache', 'xampp', 'wamp', 'php.ini', 'etc\\', 'windows\\', 'winnt\\',
];
/** First segment of an absolute path (a whole value) that points into the system. */
const SYSTEM_ROOTS = new Set([
  'etc', 'proc', 'sys', 'var', 'usr', 'opt', 'root', 'bin', 'sbin', 'boot', 'dev', 'lib', 'srv', 'windows', 'winnt',
  'inetpub', 'system32', 'program files', 'apache', 'apache2', 'xampp', 'wamp', 'appserv', 'php', 'mysql', 'nginx',
  'logs', 'log', 'usr', 'private', 'library', 'system',
]);
const ROOT_LONGEST = Math.max(...[...SYSTEM_ROOTS].map((r) => r.length));
/** File names that are targets on their own, wherever they sit in a path-only value. */
const SENSITIVE_FILES = [
  'passwd', 'shadow', '.htpasswd', '.htaccess', 'boot.ini', 'win.ini', 'web.config', 'php.ini', 'httpd.conf',
  'my.cnf', 'id_rsa', 'id_dsa', 'authorized_keys', 'known_hosts', '.bash_history', '.bash_profile', '.bashrc',
  'wp-config.php', 'global.asa', 'metabase.xml', 'access.log', 'error.log', 'access_log', 'error_log', 'environ',
];
const WRAPPERS = new Set(['php', 'zip', 'phar', 'expect', 'glob', 'data', 'zlib', 'ogg', 'rar', 'ssh2', 'jar', 'netdoc', 'compress.zlib', 'compress.bzip2']);

const isSeparator = (c: number): boolean => c === 47 || c === 92;

/**
 * Literals the detector searches for (grouped: see literal.ts). `://` is searched with the character before it, one a
 * scheme name can end with: the others have no scheme to look at.
 */
const SCHEME_END = /[a-z\d.]:\/\//g;
const DOTS = /(?:\.\.)/g;
/** A run of `../` (or `..\`) steps, read in one search from where it starts. */
const CLIMB_RUN = /(?:\.\.[/\\])+/y;
/**
 * What `hexLiterals` turns into a dot or a separator next to a climb. Its last rewrite (`a2f` to `a/`) puts a
 * separator after a letter or digit, which makes no climb of its own: without one of these the rewrite cannot raise
 * the run it is read for, so a value with other hex (0xff in shell examples) is not rewritten, 5 passes over it.
 */
const HEX_SPELLING = /0x(?:2e|2f|5c)|\.\.(?:2f|5c)/;
const DOTS_TRICK = /\.\.(?:\.\.|;)/;
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
/** What `isSpace` accepts. */
const SPACE = /[\t-\r ]/g;

interface Climb {
  /** The longest run of ../ steps. */
  run: number;
  /** A run that lands on a sensitive target. */
  sensitive: boolean;
}

/**
 * The first `ch` at or after `from` in `w`, or `n` (its length) when there is none. `indexOf` on one character is a
 * memchr: much faster than a test per character over text with few separators.
 */
const nextOf = (w: string, ch: string, from: number, n: number): number => {
  const i = w.indexOf(ch, from);
  return i < 0 ? n : i;
};

/** Whether `w` holds `target` (lower-case ASCII) at `at`, ASCII capitals read as small letters. */
function holdsLower(w: string, target: string, at: number): boolean {
  if (at + target.length > w.length) return false;
  for (let k = 0; k < target.length; k++) {
    const c = w.charCodeAt(at + k);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== target.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Reads `w` segment by segment (no allocation but the result). `w` is lower-case, or the value as it came (the raw
 * reading of a long value is not made when only this reads it): the names it compares are read with ASCII capitals
 * as small letters, and everything else it looks at (dots, separators, ;) is the same in both.
 */
function climbs(w: string): Climb {
  const n = w.length;
  let run = 0;
  let best = 0;
  let sensitive = false;
  let start = 0;
  // The next / and the next \ at or after where each was last searched from (-1: not searched yet).
  let slash = -1;
  let back = -1;
  // how many short segments in a row were just read
  let short = 0;
  for (;;) {
    let dotted = w.charCodeAt(start) === 46 && w.charCodeAt(start + 1) === 46;
    if (!dotted && run === 0 && short >= 8) {
      // With no run open, a segment that does not climb changes nothing: where segments are dense (a:/b:/c, not
      // prose, where a memchr to the next separator is cheaper) hop to the next one that starts with ..
      short = 0;
      let s = find(DOTS, w, start, 2);
      while (s > start && !isSeparator(w.charCodeAt(s - 1))) {
        // dots inside a segment (a..b): past them, read once
        let e = s + 2;
        while (w.charCodeAt(e) === 46) e++;
        s = find(DOTS, w, e, 2);
      }
      if (s < 0) break;
      start = s;
      dotted = true;
    }
    if (dotted) {
      CLIMB_RUN.lastIndex = start;
      if (CLIMB_RUN.test(w)) {
        run += (CLIMB_RUN.lastIndex - start) / 3;
        if (run > best) best = run;
        start = CLIMB_RUN.lastIndex;
      }
    }
    // the end of the segment: a short look first (path segments are short), then the next separator of each kind
    let i = start;
    const near = Math.min(n, start + 16);
    while (i < near && !isSeparator(w.charCodeAt(i))) i++;
    if (i === near && i < n) {
      if (slash < i) slash = nextOf(w, '/', i, n);
      if (back < i) back = nextOf(w, '\\', i, n);
      i = slash < back ? slash : back;
    }
    // segment [start, i)
    short = i < near ? short + 1 : 0;
    let dots = 0;
    let j = start;
    while (j < i && w.charCodeAt(j) === 46) {
      dots++;
      j++;
    }
    const up = dots >= 2 && (j === i || (j === i - 1 && w.charCodeAt(j) === 59)); // .. … ..;
    const stay = i === start || (dots === 1 && j === i);
    if (up) {
      run++;
      if (run > best) best = run;
    } else if (!stay) {
      if (run > 0 && !sensitive) {
        // ../.env, ../.htpasswd: a hidden file one level up is a secret, not a document
        sensitive = dots === 1 && j < i && (w.charCodeAt(j) | 0x20) >= 97 && (w.charCodeAt(j) | 0x20) <= 122;
        for (const target of SENSITIVE_AFTER_CLIMB) {
          if (sensitive) break;
          sensitive = holdsLower(w, target, start);
        }
      }
      run = 0;
    }
    if (i >= n) break;
    start = i + 1;
  }
  return { run: best, sensitive };
}

/** `name://` with a file-inclusion wrapper name before it; `file://` only when it points into the system. */
function wrapper(v: string): boolean {
  for (let k = find(SCHEME_END, v, 0, 4); k >= 0; k = find(SCHEME_END, v, k + 1, 4)) {
    const i = k + 1;
    let j = i;
    while (j > 0 && i - j < 16 && ((v.charCodeAt(j - 1) >= 97 && v.charCodeAt(j - 1) <= 122) || v.charCodeAt(j - 1) === 46 || (v.charCodeAt(j - 1) >= 48 && v.charCodeAt(j - 1) <= 57))) j--;
    const scheme = v.slice(j, i);
    if (scheme === 'file') {
      let p = i + 3;
      while (isSeparator(v.charCodeAt(p))) p++;
      if (v.charCodeAt(p + 1) === 58) p += 2; // file:///c:/
      while (isSeparator(v.charCodeAt(p))) p++;
      let q = p;
      while (q < v.length && !isSeparator(v.charCodeAt(q)) && !isSpace(v.charCodeAt(q))) q++;
      if (SYSTEM_ROOTS.has(v.slice(p, q)) || SENSITIVE_FILES.some((f) => v.startsWith(f, p))) return true;
    } else if (WRAPPERS.has(scheme)) {
      return true;
    }
  }
  return false;
}

/**
 * Hex literals and %-less hex that some lists use for dots and slashes: 0x2e0x2e0x2f, ..0x5c, ..2f. The literals are
 * grouped (see literal.ts): bare, the engine compared at every 0 of the value, 0.5 ms on 64 KB of `0x`.
 */
function hexLiterals(v: string): string {
  return v.replace(/(?:0x2e)/g, '.').replace(/(?:0x2f)/g, '/').replace(/(?:0x5c)/g, '\\').replace(/\.\.(2f|5c)/g, (_m, h: string) => (h === '2f' ? '../' : '..\\')).replace(/([a-z0-9])2f/g, '$1/');
}

/**
 * `SENSITIVE_FILES` by their last character (ASCII): a value that ends in any other names none of them, which one
 * lookup tells instead of a comparison with each.
 */
const FILES_BY_LAST: ReadonlyArray<readonly string[] | undefined> = (() => {
  const table: (string[] | undefined)[] = new Array<string[] | undefined>(128).fill(undefined);
  for (const file of SENSITIVE_FILES) (table[file.charCodeAt(file.length - 1)] ??= []).push(file);
  return table;
})();

/** The whole value is an absolute path (no spaces) into a system location, or names a sensitive file. */
function systemPath(v: string): boolean {
  const s = v.trim();
  if (s.length < 4) return false;
  const drive = s.charCodeAt(1) === 58 && isSeparator(s.charCodeAt(2));
  const rooted = isSeparator(s.charCodeAt(0)) || drive;
  const last = s.charCodeAt(s.length - 1);
  const files = last < 128 ? FILES_BY_LAST[last] : undefined;
  // neither rooted nor ending like a sensitive file: nothing below can hold, whatever spaces the value has (their
  // search read all of a value without one: a URL, a 64 KB fill)
  if (!rooted && files === undefined) return false;
  // from space to space (the regular expression engine skips the rest): any but the one in `program files` ends it
  for (let i = find(SPACE, s, 0, 1); i >= 0; i = find(SPACE, s, i + 1, 1)) if (!s.startsWith('program files', i - 7)) return false;
  if (rooted) {
    let first = drive ? 3 : 0;
    while (first < s.length && isSeparator(s.charCodeAt(first))) first++;
    // a first segment longer than any system root is none: its end need not be found
    const limit = Math.min(s.length, first + ROOT_LONGEST + 1);
    let end = first;
    while (end < limit && !isSeparator(s.charCodeAt(end))) end++;
    if (end < s.length && SYSTEM_ROOTS.has(s.slice(first, end))) return true;
  }
  if (files === undefined) return false;
  for (const file of files) {
    if (s.endsWith(file)) {
      const c = s.charCodeAt(s.length - file.length - 1);
      // members/.htpasswd, /etc/passwd, or the bare hidden file (.htaccess) as the whole value
      if (isSeparator(c) || (file.startsWith('.') && (s.length === file.length || rooted || s.includes('/')))) return true;
    }
  }
  return false;
}

/**
 * The path rule that `raw` (the value lower-cased, or as it came: see `climbs`) and its decoded form `v` trigger, or
 * null. `nul`: a NUL byte was seen, raw or decoded.
 */
export function detectPath(raw: string, v: string, nul: boolean): ScanRuleId | null {
  const plain = climbs(raw);
  let decoded = v === raw ? plain : climbs(v);
  if (HEX_SPELLING.test(v)) {
    const hex = climbs(hexLiterals(v));
    if (hex.run > decoded.run) decoded = { run: hex.run, sensitive: decoded.sensitive };
  }
  if (plain.sensitive || decoded.sensitive) return 'path.traversal-sensitive';
  if (decoded.run > plain.run) return 'path.traversal-encoded';
  if (decoded.run >= 3) return 'path.traversal';
  if (plain.run > 0 && DOTS_TRICK.test(raw)) return 'path.traversal-encoded';
  if (nul) return 'path.null-byte';
  if (wrapper(v)) return 'path.wrapper';
  if (systemPath(v)) return 'path.system-file';
  return null;
}
