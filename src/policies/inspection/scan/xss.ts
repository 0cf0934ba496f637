/**
 * Cross-site scripting: what would run if the value reached an HTML page, an attribute, a URL or a script block.
 * Markup is read the way a browser tokenizer does (a tag is `<` then a letter; attributes run to `>` or the end), so
 * "a < b && c > d" and "I <3 you" are text, while `<svg/onload=alert(1)>` is an element with a handler. Every scan is
 * a forward walk with `indexOf`, linear in the input.
 */

import { find, Hopper } from './literal.js';
import type { ScanRuleId } from './rules.js';
import { T_BACKTICK, T_BRACKET, T_CALL, T_EQUALS, T_LT } from './triggers.js';

const DANGEROUS_TAGS = new Set([
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'meta', 'link', 'style', 'svg', 'math', 'xml',
  'import', 'isindex', 'portal', 'bgsound', 'layer', 'ilayer', 'vmlframe', 'xss', 'script', 'plaintext', 'xmp',
  'listing', 'noembed', 'noframes', 'entity', 'xml-stylesheet', 'stylesheet', 'handler', 'listener',
]);
/** Attributes that load, bind or style content, or run script through other means than on*. */
const DANGEROUS_ATTRIBUTES = [
  'style', 'srcdoc', 'formaction', 'datasrc', 'datafld', 'dataformatas', 'handler', 'ev:handler', 'ev:event',
  'attributename', 'xlink:href', 'behavior', 'folder', 'dynsrc', 'lowsrc', 'seekSegmentTime'.toLowerCase(),
];
const SCRIPT_SCHEMES = ['javascript', 'vbscript', 'livescript', 'mocha'];
const DATA_TYPES = [
  'text/html', 'image/svg', 'application/xhtml', 'text/xml', 'application/xml', 'text/javascript',
  'application/javascript', 'application/x-javascript', 'text/x-scriptlet', 'application/ecmascript', 'text/vbscript',
];
const SINKS = ['alert', 'prompt', 'confirm', 'eval', 'settimeout', 'setinterval', 'execscript', 'msgbox', 'fromcharcode'];
const SINK_PROPERTIES = [
  'document.cookie', 'document.domain', 'document.write', 'document.location', 'window.location', 'location.href',
  'location.hash', 'location.replace', 'location.assign', '.innerhtml', '.outerhtml', '.insertadjacenthtml', '.srcdoc',
];
const GLOBAL_INDEXING = ['top', 'window', 'self', 'parent', 'this', 'globalthis', 'frames', 'content', 'document'].map((g) => g + '[');

const isLetter = (c: number): boolean => c >= 97 && c <= 122;
const isIdentChar = (c: number): boolean => isLetter(c) || (c >= 48 && c <= 57) || c === 95 || c === 36 || (c >= 65 && c <= 90);
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

/**
 * Names grouped by length (an entry for every length up to the longest), so that `nameAt` looks at a place of a value
 * without a substring, and without a read past the end of the array.
 */
function byLength(names: readonly string[]): string[][] {
  const groups: string[][] = Array.from({ length: Math.max(...names.map((n) => n.length)) + 1 }, () => []);
  for (const name of names) (groups[name.length] as string[]).push(name);
  return groups;
}

/** Whether `v[from, to)` is one of the names in `groups` (from `byLength`). */
function nameAt(v: string, from: number, to: number, groups: readonly string[][]): boolean {
  const length = to - from;
  if (length >= groups.length) return false;
  for (const name of groups[length] as string[]) if (v.startsWith(name, from)) return true;
  return false;
}

/** Is there JavaScript code at `p` (after `=` or `:`): `alert(1)`, `(alert)(1)`, `` x`1` ``, `top[…]`. */
function codeAt(v: string, p: number): boolean {
  let i = p;
  while (isSpace(v.charCodeAt(i)) || v.charCodeAt(i) === 34 || v.charCodeAt(i) === 39 || v.charCodeAt(i) === 96) i++;
  const start = i;
  while (isIdentChar(v.charCodeAt(i))) i++;
  const c = v.charCodeAt(i);
  if (i === start) return c === 40 || c === 91 || c === 123 || c === 33 || c === 43 || c === 45 || c === 126 || c === 47;
  while (isSpace(v.charCodeAt(i))) i++;
  const d = v.charCodeAt(i);
  return d === 40 || d === 96 || d === 61 || d === 46 || d === 91 || d === 58 || d === 59 || (d === 44 && c !== 32);
}

/** Whether the letters just before `end` (spaces between them skipped) end with the name of a script scheme. */
function scriptSchemeBefore(v: string, end: number): boolean {
  for (const scheme of SCRIPT_SCHEMES) if (lettersEndWith(v, end, scheme)) return true;
  return false;
}

/** Whether the letters just before `end`, spaces between them skipped (java\tscript), end with `word`. */
function lettersEndWith(v: string, end: number, word: string): boolean {
  let i = end - 1;
  for (let k = word.length - 1; k >= 0; k--) {
    while (i >= 0 && isSpace(v.charCodeAt(i))) i--;
    if (i < 0 || v.charCodeAt(i) !== word.charCodeAt(k)) return false;
    i--;
  }
  return true;
}

/**
 * The colons of the value being read that end a `behavior:` (spaces before them skipped): `urlKind` notes them as it
 * passes every colon, `cssExpression` reads them, so the walk over the colons is made once. Reused from value to
 * value (emptied by `detectXss`, which hands it to both). Where the colons come dense, `urlKind` has the engine skip
 * them, and notes only where it started to: `cssExpression` searches for the rest (BEHAVIOR) from there.
 */
const behaviorColons: number[] = [];
/** Where `behaviorColons` stops being complete (Infinity: it is). */
let behaviorColonsEnd = Infinity;

const URL_NONE = 0;
const URL_DATA = 1;
const URL_SCRIPT = 2;

/**
 * The URLs in `v`, read from colon to colon: URL_SCRIPT for `javascript:` (and friends) followed by code, tolerant of
 * whitespace inside the scheme; else URL_DATA for a `data:` URL of a markup or script type; else URL_NONE. The colons
 * are hopped to with indexOf while they are few (prose, most code, JSON); where they come dense (a call per colon:
 * 64 K of `pt:` took 1 ms), the engine finds the colons worth a look (see `urlKindFrom`).
 */
function urlKind(v: string, colons: number[]): number {
  let kind = URL_NONE;
  let cost = 0;
  for (let i = v.indexOf(':'); i >= 0; i = v.indexOf(':', i + 1)) {
    // (most colons have no letter of a scheme's end, nor a space, before them: readColon would pass them at once)
    const c = v.charCodeAt(i - 1);
    if (c === 116 || c === 97 || c === 114 || isSpace(c)) {
      kind = readColon(v, i, kind, colons);
      if (kind === URL_SCRIPT) return kind;
      // (a colon whose scheme was read costs more than one passed at a look at the letters before it)
      cost += schemeRead ? COLON_READ : 1;
    } else {
      cost++;
    }
    // (the scheme before the next colon starts after this one)
    if (cost > COLONS_BEFORE_SEARCH + i / COLON_GAP) return urlKindFrom(v, i + 1, kind, colons);
  }
  return kind;
}

/**
 * The colons `urlKind` hops to before the engine searches: 64, and one per 8 characters (a colon passed at once costs
 * about what the engine's searches of 8 characters cost), a colon whose scheme is read counting for COLON_READ.
 */
const COLONS_BEFORE_SEARCH = 64;
const COLON_GAP = 8;
const COLON_READ = 4;

/**
 * Whether the last `readColon` read a scheme further than its last letters (those of …pt, mocha or data were there),
 * or noted a behavior: colon.
 */
let schemeRead = false;

/**
 * The kind of URL given by the colon at `i` (the kind found so far is `kind`); a `behavior:` colon is noted in
 * `colons`.
 */
function readColon(v: string, i: number, kind: number, colons: number[]): number {
  // the scheme's last letter (spaces skipped) is the t of javascript, vbscript, livescript or the a of mocha (and
  // data): any other colon is passed without reading the scheme
  schemeRead = false;
  let k = i - 1;
  while (k >= 0 && isSpace(v.charCodeAt(k))) k--;
  const last = v.charCodeAt(k);
  if (last !== 116 && last !== 97) {
    // (CSS's behavior: is read from the same colons)
    if (last === 114 && v.charCodeAt(k - 1) === 111 && k >= 7 && v.startsWith('behavior', k - 7)) {
      colons.push(i);
      schemeRead = true;
    }
    return kind;
  }
  // (data: has its a right before the colon)
  if (kind === URL_NONE && last === 97 && k === i - 1 && v.startsWith('data', i - 4)) {
    schemeRead = true;
    if (dataUrlAt(v, i)) kind = URL_DATA;
  }
  // the letter before (spaces skipped) is the p of …script or the h of mocha, or the scheme is none of them
  let p = k - 1;
  while (p >= 0 && isSpace(v.charCodeAt(p))) p--;
  if (v.charCodeAt(p) !== (last === 116 ? 112 : 104)) return kind;
  schemeRead = true;
  if (!scriptSchemeBefore(v, i)) return kind;
  let j = i + 1;
  while (isSpace(v.charCodeAt(j))) j++;
  if (j >= v.length) return kind;
  // javascript:anything is code; after a space ("javascript: the good parts") it must look like code
  return j === i + 1 || !isLetter(v.charCodeAt(j)) || codeAt(v, j) ? URL_SCRIPT : kind;
}

const SPACE = '[ \\t\\n\\f\\r]';
/** A word whose letters may have spaces between them (as `lettersEndWith` reads them). */
const spaced = (word: string): string => word.split('').join(`${SPACE}*`);
/**
 * What follows the colon of a script scheme that `readColon` takes for code: a character right after it, or after
 * spaces one that is no letter, or a word and what `codeAt` wants after it (a superset: a comma after a space too).
 */
const CODE_AFTER = `(?=[^ \\t\\n\\f\\r]|${SPACE}+(?:[^a-z \\t\\n\\f\\r]|[a-z][\\w$]*${SPACE}*[(\`=.[:;,]))`;
/**
 * The colons that may give `readColon` a URL, the scheme whole (the engine skips from one to the next); not those of
 * behavior: (see `behaviorColons`).
 */
const WHOLE_SCHEME_COLON = `(?:${SCRIPT_SCHEMES.join('|')})${SPACE}*:${CODE_AFTER}`;
const DATA_COLON = `(?<![a-z])data:(?=${SPACE}*(?:${DATA_TYPES.join('|')}))`;
/** The colon of a URL whose scheme has no space inside: with a data: URL, and without. */
const URL_COLON = new RegExp(`${WHOLE_SCHEME_COLON}|${DATA_COLON}`, 'g');
const SCRIPT_COLON = new RegExp(WHOLE_SCHEME_COLON, 'g');

/** `word` with spaces inside it: its first letters, one or more spaces, the rest with spaces anywhere (a trie). */
function withSpaceInside(word: string): string {
  let tail = '';
  for (let k = word.length - 1; k >= 1; k--) {
    const run = `${SPACE}+${spaced(word.slice(k))}`;
    tail = k === word.length - 1 ? run : `(?:${run}|${word.charAt(k)}${tail})`;
  }
  return word.charAt(0) + tail;
}
/**
 * The colon of a script scheme with a space inside (java script:, j a v a s c r i p t:). A search of its own: the
 * engine skips through the schemes written whole (URL_COLON) far faster than through this one.
 */
const SPACED_SCRIPT_COLON = new RegExp(`(?:${SCRIPT_SCHEMES.map(withSpaceInside).join('|')})${SPACE}*:${CODE_AFTER}`, 'g');
const ANY_SPACE = /[ \t\n\f\r]/g;

/**
 * `urlKind` for the colons whose scheme starts at `from` or later, where the colons come dense: the engine finds the
 * next colon whose scheme is written whole and the next whose scheme has a space inside (that search only when there
 * is a space), and `readColon` reads only those. Each part of the value is read once by each search. The behavior:
 * colons from `from` on are left to `cssExpression`.
 */
function urlKindFrom(v: string, from: number, kind: number, colons: number[]): number {
  behaviorColonsEnd = from;
  let whole = -2;
  let spacedColon = find(ANY_SPACE, v, from, 1) >= 0 ? -2 : -1;
  for (let pos = from; ; ) {
    if (whole !== -1 && whole < pos) whole = find(kind === URL_NONE ? URL_COLON : SCRIPT_COLON, v, pos, 1);
    if (spacedColon !== -1 && spacedColon < pos) spacedColon = find(SPACED_SCRIPT_COLON, v, pos, 1);
    const i = whole < 0 || (spacedColon >= 0 && spacedColon < whole) ? spacedColon : whole;
    if (i < 0) return kind;
    kind = readColon(v, i, kind, colons);
    if (kind === URL_SCRIPT) return kind;
    pos = i + 1;
  }
}

/** A `data:` URL of a markup or script type whose colon is at `i`. */
function dataUrlAt(v: string, i: number): boolean {
  const d = i - 4;
  if (d < 0 || !v.startsWith('data', d) || (d > 0 && isLetter(v.charCodeAt(d - 1)))) return false;
  let j = i + 1;
  while (isSpace(v.charCodeAt(j))) j++;
  return DATA_TYPES.some((t) => v.startsWith(t, j));
}

/** Events whose handler runs whatever it holds; an unknown on*= needs a value that looks like code. */
const KNOWN_EVENTS = new Set(
  (
    'load error click dblclick mouseover mouseout mousemove mouseenter mouseleave mousedown mouseup focus blur ' +
    'focusin focusout change input submit reset keyup keydown keypress scroll resize select toggle begin end ' +
    'animationstart animationend animationiteration transitionend transitionrun pageshow pagehide hashchange ' +
    'popstate message beforeunload unload drag dragstart dragend dragenter dragleave dragover drop copy cut paste ' +
    'contextmenu wheel pointerover pointerdown pointerup pointerenter pointerleave pointermove touchstart touchend ' +
    'touchmove play playing pause ended canplay loadstart loadeddata loadedmetadata progress readystatechange ' +
    'afterprint beforeprint search invalid abort start finish bounce activate beforeactivate filterchange ' +
    'propertychange repeat seek auxclick securitypolicyviolation'
  ).split(' '),
);

/** Literals the detector searches for (grouped: see literal.ts). */
const COMMENT_OPEN = /(?:\/\*)/g;
const COMMENT_CLOSE = /(?:\*\/)/g;
/** COMMENT_OPEN and COMMENT_CLOSE tried at a `*` (see Hopper): prose has few. */
const COMMENT_HOPPER = new Hopper(COMMENT_OPEN, /\*(?<=\/\*)/y, '*', 1, { offset: -1, chars: '/' });
const COMMENT_CLOSE_HOPPER = new Hopper(COMMENT_CLOSE, /\*\//y, '*', 0, { offset: 1, chars: '/' });
/**
 * The words of CSS that run code: `expression` and `-moz-binding` in one search, tried at their x and z (see
 * Hopper), which prose and code have few of. The engine's search for the words read every character: the CSS pass
 * cost 120–130 µs on 64 K of prose or code.
 */
const CSS_CALL_WORD = /(?:expression|-moz-binding)/g;
const CSS_CALL_HOPPER = new Hopper(CSS_CALL_WORD, /(?:x(?<=ex)pression|z(?<=-moz)-binding)/y, 'xz', 1, { offset: 1, chars: 'p-' });
/**
 * `behavior` then a colon (spaces between them), tried at each colon (see Hopper): in the text without comments only
 * (`cssExpression`); in the value itself `urlKind` finds them.
 */
const BEHAVIOR = /(?:behavior)[ \t\n\f\r]*:/g;
const BEHAVIOR_HOPPER = new Hopper(BEHAVIOR, /:(?<=behavior[ \t\n\f\r]*:)/y, ':', 8, { offset: -1, chars: 'r \t\n\f\r' });
const SINK = new RegExp(`(?:${SINKS.join('|')})`);
/** What follows the dot in each of SINK_PROPERTIES. */
const PROPERTY_NAMES = [...new Set(SINK_PROPERTIES.map((p) => p.slice(p.indexOf('.') + 1)))];
/**
 * The dot of any of SINK_PROPERTIES: the engine skips from dot to dot, reads what follows, and only then looks behind
 * for the whole name (global for the engine's search, sticky for a try at one dot).
 */
const SINK_PROPERTY_SOURCE = `\\.(?:${PROPERTY_NAMES.join('|')})(?<=${SINK_PROPERTIES.map((p) => p.replace('.', '\\.')).join('|')})`;
/**
 * SINK_PROPERTY from dot to dot (see Hopper): most dots of prose and code have no letter after them that starts a
 * property name, and are passed without a try.
 */
const SINK_PROPERTY_HOPPER = new Hopper(new RegExp(SINK_PROPERTY_SOURCE, 'g'), new RegExp(SINK_PROPERTY_SOURCE, 'y'), '.', 0, {
  offset: 1,
  chars: PROPERTY_NAMES.map((name) => name.charAt(0)).join(''),
});
/** A [ after a global name: the engine skips to a [ after the last letter of one and looks behind it for the names. */
const GLOBAL_INDEX = new RegExp(
  `[${GLOBAL_INDEXING.map((g) => g.charAt(g.length - 2)).join('')}]\\[(?<=(?:${GLOBAL_INDEXING.map((g) => g.slice(0, -1)).join('|')})\\[)`,
  'g',
);
/** GLOBAL_INDEX tried at one [ (see Hopper): the names end in the letters it skips to, so the lookbehind says it all. */
const GLOBAL_INDEX_AT = new RegExp(`\\[(?<=(?:${GLOBAL_INDEXING.map((g) => g.slice(0, -1)).join('|')})\\[)`, 'y');

/** GLOBAL_INDEX, from [ to [ where prose has few. */
const GLOBAL_INDEX_HOPPER = new Hopper(GLOBAL_INDEX, GLOBAL_INDEX_AT, '[', 1, {
  offset: -1,
  chars: GLOBAL_INDEXING.map((g) => g.charAt(g.length - 2)).join(''),
});

/**
 * The = a search for a handler hops to before it hands over to the engine: 16, and one per 32 characters (a memchr's
 * cost); and the length from which it hops at all.
 */
const EQUALS_BEFORE_SEARCH = 16;
const EQUALS_GAP = 32;
const EQUALS_FROM_LENGTH = 128;

/**
 * A handler attribute's name and its =: "on" that starts a word (no letter, digit, _ $ - . or : before it), three
 * letters or more, spaces, =. The engine skips from "on" to "on" and reads each word once (one that starts with "on"
 * does not start again inside itself), so the search is linear however dense the "on"s and the =s come.
 */
const HANDLER = /on(?<![\w$.:-]on)[a-z]{3,}[ \t\n\f\r]*=/g;

/**
 * Finds `on…=` handler attributes (HANDLER) in one value, for any number of readings of it. Remembers the last search
 * (where it started, what it found), which answers every later one that starts between the two: the readings search
 * forward, each part of the value once.
 */
class HandlerFinder {
  /** Whether the last handler found names a real event. */
  known = false;
  /** Where the last search started, and the "on" and the = of the handler it found (-1: none, -2: no search yet). */
  private searchedFrom = 0;
  private nextOn = -2;
  private nextEq = -1;
  /** The = looked at so far (by all the searches), and whether the engine searches now. */
  private hops = 0;
  private dense = false;
  constructor(private readonly v: string) {}

  /** The `=` of the first handler attribute, or -1. */
  first(): number {
    return this.find(0, this.v.length);
  }

  /** The `=` of the first handler attribute whose name starts in [from, end), or -1. */
  find(from: number, end: number): number {
    if (this.nextOn === -2 || from < this.searchedFrom || (this.nextOn !== -1 && from > this.nextOn)) this.search(from);
    if (this.nextOn < 0 || this.nextOn >= end) return -1;
    const v = this.v;
    let wordEnd = this.nextEq;
    while (isSpace(v.charCodeAt(wordEnd - 1))) wordEnd--;
    this.known = KNOWN_EVENTS.has(v.slice(this.nextOn + 2, wordEnd));
    return this.nextEq;
  }

  /**
   * The first handler from `from`: read from = to = (each with the word before it) while they are few, as in prose
   * and most code, where the engine would stop at every "on" (function, const, only, one); once the searches have
   * looked at more than EQUALS_BEFORE_SEARCH of them and one per EQUALS_GAP characters, and in a short value (a chat
   * message), the engine's search.
   */
  private search(from: number): void {
    const v = this.v;
    this.searchedFrom = from;
    let passed = from - 1;
    if (!this.dense && v.length - from >= EQUALS_FROM_LENGTH) {
      for (let e = v.indexOf('=', from); ; passed = e, e = v.indexOf('=', e + 1)) {
        if (e < 0) {
          this.nextOn = -1;
          return;
        }
        if (++this.hops > EQUALS_BEFORE_SEARCH + e / EQUALS_GAP) {
          this.dense = true;
          break;
        }
        // (the name before this = starts after the one passed last)
        const on = handlerBefore(v, e);
        if (on >= from) {
          this.nextOn = on;
          this.nextEq = e;
          return;
        }
      }
    }
    HANDLER.lastIndex = passed + 1;
    if (!HANDLER.test(v)) {
      this.nextOn = -1;
      return;
    }
    this.nextEq = HANDLER.lastIndex - 1;
    this.nextOn = handlerBefore(v, this.nextEq);
  }
}

/** The "on" of the handler attribute whose = is at `e` (HANDLER ends there), or -1. */
function handlerBefore(v: string, e: number): number {
  let i = e;
  while (i > 0 && isSpace(v.charCodeAt(i - 1))) i--;
  const wordEnd = i;
  while (i > 0 && isLetter(v.charCodeAt(i - 1))) i--;
  if (wordEnd - i < 5 || v.charCodeAt(i) !== 111 || v.charCodeAt(i + 1) !== 110) return -1;
  const before = i > 0 ? v.charCodeAt(i - 1) : 32;
  return isIdentChar(before) || before === 45 || before === 46 || before === 58 ? -1 : i;
}

/**
 * The /* … *\/ comments of the value being read, as [start, end) pairs in order (end past the *\/, or the length for
 * one never closed), found by forward searches only: linear even when a comment never closes.
 */
const comments: number[] = [];

/** Fill `comments` for `v`, whose first opening is at `first`. */
function findComments(v: string, first: number): void {
  if (comments.length !== 0) comments.length = 0;
  COMMENT_CLOSE_HOPPER.start();
  for (let i = first; i >= 0; ) {
    const close = COMMENT_CLOSE_HOPPER.next(v, i + 2);
    comments.push(i, close < 0 ? v.length : close);
    if (close < 0) return;
    const open = COMMENT_HOPPER.next(v, close);
    i = open < 0 ? -1 : open - 2;
  }
}

/** `v` without the comments in `comments` (exp/**\/ression). */
function withoutComments(v: string): string {
  let out = '';
  let from = 0;
  for (let k = 0; k < comments.length; k += 2) {
    out += v.slice(from, comments[k]);
    from = comments[k + 1] as number;
  }
  return out + v.slice(from);
}

const isCssWordChar = (c: number): boolean => isLetter(c) || c === 45;

/**
 * Whether taking the comments out could make CSS code that the value's own text does not hold: a word that a comment
 * splits (exp/**\/ression), or a word and what must come before or after it on the two sides of one (expression
 * /**\/ (, { /**\/ expression(, behavior /**\/ :). Also when the text between two comments is blank or empty: the
 * joins then chain, and are left to the reading without comments.
 */
function commentsJoinCode(v: string): boolean {
  for (let k = 0; k < comments.length; k += 2) {
    const start = comments[k] as number;
    const end = comments[k + 1] as number;
    // after a comment that runs to the end, nothing is joined
    if (end >= v.length) return false;
    const pieceStart = k === 0 ? 0 : (comments[k - 1] as number);
    const nextStart = k + 2 < comments.length ? (comments[k + 2] as number) : v.length;
    if (isCssWordChar(v.charCodeAt(start - 1)) && isCssWordChar(v.charCodeAt(end))) return true;
    let before = start - 1;
    while (before >= pieceStart && isSpace(v.charCodeAt(before))) before--;
    let after = end;
    while (after < nextStart && isSpace(v.charCodeAt(after))) after++;
    // blank before (but at the start of the value) or after (but at its end): chained joins
    if ((before < pieceStart && k > 0) || (after >= nextStart && nextStart < v.length)) return true;
    if (before < pieceStart || after >= nextStart) continue;
    const c = v.charCodeAt(after);
    const b = v.charCodeAt(before);
    if (c === 40 && v.startsWith('expression', before - 9)) return true;
    if (c === 58 && v.startsWith('behavior', before - 7)) return true;
    if ((b === 58 || b === 61 || b === 34 || b === 39 || b === 123) && v.startsWith('expression', after)) return true;
  }
  return false;
}

/** Whether `i` is inside one of `comments`, looked at from `k` on (the index of a pair): the pair's index it reached. */
function commentAt(i: number, k: number): number {
  while (k < comments.length && (comments[k + 1] as number) <= i) k += 2;
  return k;
}

const DANGEROUS_ATTRIBUTES_BY_LENGTH = byLength(DANGEROUS_ATTRIBUTES);

const isNameChar = (c: number): boolean => isIdentChar(c) || c === 45 || c === 58;

/**
 * Whether the = at `e` ends a dangerous attribute name (`style=`, `srcdoc=`, …) that starts at `from` (just after a
 * tag's name) or later: the run of name characters before it (spaces skipped), from its start, or from its first
 * letter after a colon when it starts with none (-:style=, but x:style= is the name x:style).
 */
function dangerousAttributeAt(v: string, from: number, e: number): boolean {
  let nameEnd = e;
  while (nameEnd > from && isSpace(v.charCodeAt(nameEnd - 1))) nameEnd--;
  let run = nameEnd;
  while (run > from && isNameChar(v.charCodeAt(run - 1))) run--;
  let i = run;
  while (i < nameEnd && !(isLetter(v.charCodeAt(i)) && (i === run || v.charCodeAt(i - 1) === 58))) i++;
  return i < nameEnd && nameAt(v, i, nameEnd, DANGEROUS_ATTRIBUTES_BY_LENGTH);
}

/** A dangerous attribute's name and its = (a superset of `dangerousAttributeAt`'s: the name may start anywhere). */
const DANGEROUS_ATTRIBUTE = new RegExp(`(?:${DANGEROUS_ATTRIBUTES.join('|')})[ \\t\\n\\f\\r]*=`, 'g');

/**
 * A search of one value for a global expression whose matches hold no character that ends another (an = for
 * DANGEROUS_ATTRIBUTE), made forward: it remembers where it last started and where the match it found ends, which
 * answers every later search that starts between the two (no match starts there and ends before it).
 */
class ForwardSearch {
  /** Where the last search started, and where its match ends (-1: none, -2: no search yet). */
  private searchedFrom = 0;
  private next = -2;
  constructor(
    private readonly re: RegExp,
    private readonly v: string,
  ) {}

  /** Where the first match from `from` on ends (or a later one, when that one starts before `from`), or -1. */
  first(from: number): number {
    // (a match that ends at `from` or before starts before it)
    if (this.next === -2 || from < this.searchedFrom || (this.next !== -1 && from >= this.next)) {
      this.searchedFrom = from;
      this.next = find(this.re, this.v, from, 0);
    }
    return this.next;
  }
}

/**
 * Finds dangerous attributes in the tags of one value, read forward. Every one is followed by =: read from = to =
 * while they are few; once the = looked at are more than EQUALS_BEFORE_SEARCH and one per EQUALS_GAP characters (a
 * tag of 64 K of `a=`, 0.2 ms), the engine finds the = after a dangerous name (DANGEROUS_ATTRIBUTE), and only those
 * are read. Remembers its last search, which answers every later one that starts between it and what it found.
 */
class AttributeFinder {
  private hops = 0;
  private dense = false;
  private readonly search: ForwardSearch;
  constructor(private readonly v: string) {
    this.search = new ForwardSearch(DANGEROUS_ATTRIBUTE, v);
  }

  /** Whether a dangerous attribute lies between `from` (just after a tag's name) and `end`, the first = at `eq` (or -1). */
  has(from: number, end: number, eq: number): boolean {
    const v = this.v;
    // (the name before an = starts after the = passed last)
    let passed = from - 1;
    if (!this.dense) {
      for (let e = eq; e >= 0 && e < end; passed = e, e = v.indexOf('=', e + 1)) {
        if (++this.hops > EQUALS_BEFORE_SEARCH + e / EQUALS_GAP) {
          this.dense = true;
          break;
        }
        if (dangerousAttributeAt(v, from, e)) return true;
      }
      if (!this.dense) return false;
    }
    for (let e = this.first(passed + 1); e >= 0 && e < end; e = this.first(e + 1)) {
      if (dangerousAttributeAt(v, from, e)) return true;
    }
    return false;
  }

  /** The = of the first match of DANGEROUS_ATTRIBUTE that starts at `from` or later, or -1 (a later one may be given). */
  first(from: number): number {
    const end = this.search.first(from);
    return end < 0 ? -1 : end - 1;
  }
}

/**
 * `expression(` after : = a quote or {, `-moz-binding`, or `behavior:`, comments taken out. Every occurrence of
 * `expression` is looked at (the words end in different letters, which tell which one was found); any `behavior:` is
 * enough (`colons`: those `urlKind` noted in `v`, all those before `colonsEnd`). Comments are taken out of the text
 * only where that could join code (`commentsJoinCode`); elsewhere the words are read in the value itself, those
 * inside a comment passed over.
 */
function cssExpression(v: string, colons: readonly number[], colonsEnd: number): boolean {
  const open = COMMENT_HOPPER.first(v, 0);
  if (open < 0) return cssCall(v, false) || colons.length > 0 || (colonsEnd < v.length && find(BEHAVIOR, v, colonsEnd, 1) >= 0);
  findComments(v, open - 2);
  if (commentsJoinCode(v)) {
    const w = withoutComments(v);
    return cssCall(w, false) || (w.includes(':') && BEHAVIOR_HOPPER.first(w, 0) >= 0);
  }
  return cssCall(v, true) || behaviorOutsideComments(v, colons, colonsEnd);
}

/** Whether a `behavior:` colon is outside `comments`: one of `colons`, or one after `colonsEnd` (BEHAVIOR finds them). */
function behaviorOutsideComments(v: string, colons: readonly number[], colonsEnd: number): boolean {
  let k = 0;
  for (let c = 0; c < colons.length; c++) {
    const colon = colons[c] as number;
    k = commentAt(colon, k);
    if (k >= comments.length || (comments[k] as number) > colon) return true;
  }
  if (colonsEnd >= v.length) return false;
  for (let colon = find(BEHAVIOR, v, colonsEnd, 1); colon >= 0; colon = find(BEHAVIOR, v, colon + 1, 1)) {
    k = commentAt(colon, k);
    if (k >= comments.length || (comments[k] as number) > colon) return true;
  }
  return false;
}

/** `expression(` after : = a quote or {, or `-moz-binding`, in `w` (outside `comments` when `outsideComments`). */
function cssCall(w: string, outsideComments: boolean): boolean {
  CSS_CALL_HOPPER.start();
  for (let end = CSS_CALL_HOPPER.next(w, 0), k = 0; end >= 0; end = CSS_CALL_HOPPER.next(w, end - 9)) {
    if (outsideComments) {
      k = commentAt(end - 1, k);
      if (k < comments.length && (comments[k] as number) < end) continue;
    }
    // -moz-binding (the next search starts inside expression: no occurrence is skipped)
    if (w.charCodeAt(end - 1) === 103) return true;
    let j = end;
    while (isSpace(w.charCodeAt(j))) j++;
    if (w.charCodeAt(j) !== 40) continue;
    let before = end - 11;
    while (before >= 0 && isSpace(w.charCodeAt(before))) before--;
    const c = w.charCodeAt(before);
    if (c === 58 || c === 61 || c === 34 || c === 39 || c === 123) return true;
  }
  return false;
}

/** A quote, ; } or >: an apostrophe between two letters (don't) is none. */
const BREAKOUT = /[;}>"`]|(?<![a-z])'|'(?![a-z])/g;

/** The first position where the value could leave a script string or statement (a quote, ; } >), or length. */
function firstBreakout(v: string): number {
  BREAKOUT.lastIndex = 0;
  return BREAKOUT.test(v) ? BREAKOUT.lastIndex - 1 : v.length;
}

/** Sink names by length: a name is checked in place (no substring per call site). */
const SINKS_BY_LENGTH = byLength(SINKS);

/** Whether `v[from, to)` is a sink name. */
const sinkAt = (v: string, from: number, to: number): boolean => nameAt(v, from, to, SINKS_BY_LENGTH);

/** 1 for the first and for the last letters of the sink names: a call site with none there names no sink. */
const SINK_FIRST = new Uint8Array(128);
const SINK_LAST = new Uint8Array(128);
for (const name of SINKS) {
  SINK_FIRST[name.charCodeAt(0)] = 1;
  SINK_LAST[name.charCodeAt(name.length - 1)] = 1;
}

/** Where the identifier that ends just before `end` (letters, digits, _ $) starts, when it could be a sink name; else `end`. */
function identBefore(v: string, end: number): number {
  // (most call sites of code: the walk back would find a name, and no sink)
  if (SINK_LAST[v.charCodeAt(end - 1)] !== 1) return end;
  let i = end;
  while (i > 0 && end - i <= SINK_LONGEST && isIdentChar(v.charCodeAt(i - 1))) i--;
  return end - i >= SINK_SHORTEST && end - i <= SINK_LONGEST ? i : end;
}
const SINK_SHORTEST = Math.min(...SINKS.map((n) => n.length));
const SINK_LONGEST = Math.max(...SINKS.map((n) => n.length));

/** Call sites `jsSink` looks at before it searches for the names: SITES_BEFORE_SEARCH, and one per SITE_GAP characters. */
const SITES_BEFORE_SEARCH = 16;
const SITE_GAP = 32;

/**
 * A JavaScript sink: 2 when reached after a breakout, 1 when bare, 0 when absent. One pass over ( and `, hopping from
 * one to the next with indexOf (the text between them is not looked at).
 */
function jsSink(v: string, mask: number): number {
  const breakout = firstBreakout(v);
  let bare = 0;
  // Whether SINK has been searched for: a search that finds no name proves no call site holds one, but it is a pass of
  // the engine over the whole value (100 µs and more on 64 K: nine words give it no skip table). The call sites of
  // prose and code are few, and looked at without it; only where they come dense is it run.
  let searched = false;
  let sites = 0;
  let paren = v.indexOf('(');
  let tick = v.indexOf('`');
  while (paren >= 0 || tick >= 0) {
    const i = tick >= 0 && (paren < 0 || tick < paren) ? tick : paren;
    if (!searched && ++sites > SITES_BEFORE_SEARCH + i / SITE_GAP) {
      searched = true;
      if (!SINK.test(v)) break;
    }
    // the sink name found at this call site, as [at, to)
    let at = i;
    let to = i;
    if (i === tick) {
      // a template call needs its closing backtick: alert`1`
      const close = v.indexOf('`', i + 1);
      if (close < 0) break;
      at = identBefore(v, i);
      to = i;
      // the template's body is not code to look at again
      tick = v.indexOf('`', close + 1);
      if (paren >= 0 && paren < close) paren = v.indexOf('(', close + 1);
    } else {
      paren = v.indexOf('(', i + 1);
      let k = i;
      while (k > 0 && isSpace(v.charCodeAt(k - 1))) k--;
      if (v.charCodeAt(k - 1) === 41) {
        // (alert)(1)
        let m = k - 1;
        while (m > 0 && isSpace(v.charCodeAt(m - 1))) m--;
        at = identBefore(v, m);
        to = m;
        if (v.charCodeAt(at - 1) !== 40) at = to;
      } else {
        at = identBefore(v, k);
        to = k;
      }
      if (!sinkAt(v, at, to)) {
        // a reference handed on: [1].find(alert), a=alert,a(1)
        let m = i + 1;
        while (isSpace(v.charCodeAt(m))) m++;
        if (SINK_FIRST[v.charCodeAt(m)] === 1) {
          let e = m;
          while (e - m <= SINK_LONGEST && isIdentChar(v.charCodeAt(e))) e++;
          const after = v.charCodeAt(e);
          if ((after === 41 || after === 44) && sinkAt(v, m, e)) {
            at = m;
            to = e;
          }
        }
      }
    }
    if (!sinkAt(v, at, to) || (at > 0 && isIdentChar(v.charCodeAt(at - 1)))) continue;
    if (breakout < at) return 2;
    if (breakout === v.length) return 1; // no breakout anywhere: bare is all it can be
    bare = 1;
  }
  if (breakout < v.length && v.includes('.')) {
    // a search for the dot of any of them after the breakout (a name may start before it: the loop below decides),
    // before the first occurrence of each is looked for
    if (SINK_PROPERTY_HOPPER.first(v, breakout + 1) >= 0) {
      for (const name of SINK_PROPERTIES) {
        const i = v.indexOf(name);
        if (i > breakout && !isIdentChar(v.charCodeAt(i + name.length))) return 2;
      }
    }
  }
  if (bare === 0 && (mask & T_BRACKET) !== 0) {
    // top['al'+'ert'], self[`eval`], window[1]: every [ after a global name (when two names end there, as "self["
    // inside "myself[", both are looked at)
    for (let end = GLOBAL_INDEX_HOPPER.first(v, 0); end >= 0; end = GLOBAL_INDEX_HOPPER.next(v, end)) {
      const c = v.charCodeAt(end);
      if (c !== 34 && c !== 39 && c !== 47 && c !== 96 && !(c >= 48 && c <= 57)) continue;
      for (const g of GLOBAL_INDEXING) {
        const i = end - g.length;
        if (i >= 0 && v.startsWith(g, i) && !(i > 0 && isIdentChar(v.charCodeAt(i - 1)))) return 1;
      }
    }
  }
  return bare;
}

/** Where a tag may start: `<`, up to three of / % ! ?, a letter (what `tagAt` accepts). */
const TAG_START = /<[/%!?]{0,3}[a-z]/g;
/** TAG_START tried at one `<` (see Hopper), and the search that hops from `<` to `<` (`detectXss` starts it). */
const TAG_START_AT = /<[/%!?]{0,3}[a-z]/y;
const TAG_HOPPER = new Hopper(TAG_START, TAG_START_AT, '<', 0);

/**
 * The next `<` from `from` that may start a tag, or -1. The next few characters are looked at here (a value dense
 * with tags would pay a call per tag otherwise); past them a Hopper finds the next tag: in prose, from `<` to `<`; in a
 * value of 64 K `<` that start none, with one search of the engine.
 */
function nextTag(v: string, from: number): number {
  const near = Math.min(v.length, from + 16);
  for (let i = from; i < near; i++) {
    if (v.charCodeAt(i) !== 60) continue;
    const d = v.charCodeAt(i + 1);
    if (isLetter(d) || d === 47 || d === 37 || d === 33 || d === 63) return i;
  }
  if (near >= v.length) return -1;
  const end = TAG_HOPPER.next(v, near);
  return end < 0 ? -1 : v.lastIndexOf('<', end - 1);
}

/** A tag name at `i` (the `<`): the index after the name, or -1. Sets `tagName` (prefix:local kept whole). */
let tagName = '';
function tagAt(v: string, i: number): number {
  let j = i + 1;
  // </script, <%00script>, <!--, <?xml: a few characters a filter may not expect before the name
  while (j < i + 4 && (v.charCodeAt(j) === 47 || v.charCodeAt(j) === 37 || v.charCodeAt(j) === 33 || v.charCodeAt(j) === 63)) j++;
  const nameStart = j;
  if (!isLetter(v.charCodeAt(j))) return -1;
  while (isNameChar(v.charCodeAt(j))) j++;
  // only names that could be in DANGEROUS_TAGS (prefix:local included) are worth a string
  tagName = j - nameStart >= 3 && j - nameStart <= 40 ? v.slice(nameStart, j) : '';
  return j;
}

/** The searches of one value's tags, shared by both readings of the markup. */
interface TagFinders {
  handlers: HandlerFinder;
  attributes: AttributeFinder;
  /** The searches for NEEDED_NAME and SCRIPT_NAME. */
  names: ForwardSearch;
  scriptNames: ForwardSearch;
  /** The searches for HANDLER_NOT_AFTER_CLOSE and QUOTED_VALUE (`handlerThatMayCount`). */
  handlersNotAfterClose: ForwardSearch;
  quotedValues: ForwardSearch;
}

/**
 * The rule for the tag named `tagName` whose attributes are in [from, end) (the first = from `from` on at `eq`), or
 * null. With `dangerous` false, the tag is not looked at for dangerous markup (one found before already counts).
 */
function tagRule(finders: TagFinders, from: number, end: number, eq: number, dangerous: boolean): ScanRuleId | null {
  const colon = tagName.indexOf(':');
  // svg:svg, xml:namespace: the prefix and the local name both count
  const prefix = colon > 0 ? tagName.slice(0, colon) : tagName;
  const local = colon > 0 ? tagName.slice(tagName.lastIndexOf(':') + 1) : tagName;
  if (prefix === 'script' || local === 'script') return 'xss.script-tag';
  if (finders.handlers.find(from, end) >= 0) return 'xss.event-handler';
  if (dangerous && (DANGEROUS_TAGS.has(prefix) || DANGEROUS_TAGS.has(local) || finders.attributes.has(from, end, eq))) {
    return 'xss.dangerous-markup';
  }
  return null;
}

/** Where a quoted attribute value opens. */
const QUOTED_VALUE = /=["']/g;

/**
 * The end of a tag's attributes as a browser reads them: the first > outside a quoted value (or the end). Hops with
 * indexOf from > to > and from = to = (a quoted value opens with =" or '), and remembers where the next of each is,
 * so a value with many tags is read once. Where the = come dense (an = with no quote after it every few characters),
 * the engine finds the next quoted value instead (see `quotedValue`).
 */
class TagEnds {
  private gt = -2;
  /** The = of the next quoted value (-1: none left, -2: not looked for). */
  private eq = -2;
  /** The = looked at so far, and whether the engine searches now. */
  private hops = 0;
  private dense = false;
  constructor(private readonly v: string) {}

  /** The = of the first quoted value from `from`, or -1. */
  private quotedValue(from: number): number {
    const v = this.v;
    if (!this.dense) {
      for (let e = v.indexOf('=', from); e >= 0; e = v.indexOf('=', e + 1)) {
        const c = v.charCodeAt(e + 1);
        if (c === 34 || c === 39) return e;
        if (++this.hops > EQUALS_BEFORE_SEARCH + e / EQUALS_GAP) {
          this.dense = true;
          return find(QUOTED_VALUE, v, e + 1, 2);
        }
      }
      return -1;
    }
    return find(QUOTED_VALUE, v, from, 2);
  }

  /** The end of the attributes of the tag whose name ends at `from`. */
  end(from: number): number {
    const v = this.v;
    for (let i = from; ; ) {
      if (this.gt !== -1 && this.gt < i) this.gt = v.indexOf('>', i);
      const gt = this.gt;
      // the next = before a quote at or after i, when it comes before the >
      if (this.eq !== -1 && this.eq < i - 1) this.eq = this.quotedValue(i - 1);
      const e = this.eq;
      if (e < 0 || (gt >= 0 && gt < e)) return gt < 0 ? v.length : gt;
      // (a quoted value costs two searches: where they come dense, the engine reads the rest of the tag)
      if (this.dense || ++this.hops > EQUALS_BEFORE_SEARCH + e / EQUALS_GAP) {
        this.dense = true;
        return attributesEnd(v, e);
      }
      const close = v.indexOf(v.charAt(e + 1), e + 2);
      if (close < 0) return v.length;
      i = close + 1;
    }
  }
}

/** A tag's attributes: any character but > and =, an = that opens no quoted value, a quoted value (closed). */
const ATTRIBUTES = /(?:[^>=]+|=(?!["'])|="[^"]*"|='[^']*')*/y;

/**
 * `TagEnds.end` read by the engine in one pass from `from` (in a tag's attributes): the > after ATTRIBUTES, or the
 * length (at the end, or at a quoted value that never closes).
 */
function attributesEnd(v: string, from: number): number {
  ATTRIBUTES.lastIndex = from;
  ATTRIBUTES.test(v);
  const k = ATTRIBUTES.lastIndex;
  return v.charCodeAt(k) === 62 ? k : v.length;
}

/**
 * A script name, or a dangerous tag name, where a tag's name may hold it whole (as `tagRule` reads it): after < and up
 * to three of / % ! ?, or after a colon (svg:svg), and before no character of a name but a colon.
 */
const SCRIPT_NAME = /(?:<[/%!?]{0,3}|:)script(?![\w$-])/g;
const NEEDED_NAME = new RegExp(`(?:<[/%!?]{0,3}|:)(?:script|${[...DANGEROUS_TAGS].join('|')})(?![\\w$-])`, 'g');

/**
 * Where a thing that a tag's rule needs is, from `from` on, or -1 when there is none (a superset: any tag from there on
 * that gives a rule holds one): a handler or a script name, and with `dangerous` also a dangerous attribute or tag
 * name. Not always the first: the next search is made once the tags read have passed it. The handlers and attributes
 * are those the tags' own searches find (each makes one pass over the value).
 */
function nextNeeded(v: string, finders: TagFinders, from: number, dangerous: boolean): number {
  // (handlers and dangerous attributes end in =)
  if (v.indexOf('=', from) >= 0) {
    const handler = handlerThatMayCount(finders, from);
    if (handler >= 0) return handler;
    const attribute = dangerous ? finders.attributes.first(from) : -1;
    if (attribute >= 0) return attribute;
  }
  return dangerous ? finders.names.first(from) : finders.scriptNames.first(from);
}

/**
 * HANDLER, but not one right after a `>`, spaces between them skipped (`>onload=`, `> onload=`), nor one that starts
 * the name of a tag with a `>` before its `<` and no `<` between them (`><onload=`, `>text <onload=`). What the
 * lookbehinds read back ends at the first character that is no space, or at the first `<` or `>` before the
 * handler's own `<`: each part of the value is read back once.
 */
const HANDLER_NOT_AFTER_CLOSE = /on(?<![\w$.:-]on)(?<!>[ \t\n\f\r]*on)(?<!>[^<>]*<[/%!?]{0,3}on)[a-z]{3,}[ \t\n\f\r]*=/g;

/**
 * The = of the first handler from `from` on that a tag from there on may count, or -1 (a superset; a later one may be
 * given). A tag's handlers start in its attributes, after its name: a handler that is a tag's own name (<onabc=)
 * counts only in the attributes of a tag before it, and only as the browser reads them (a stripped tag's end at the
 * next `<`). After a `>` with no `<` since, no tag from `from` on is open, unless a quoted value opened in between
 * (where a > does not close): those handlers are passed up to the first quoted value from `from`. In 64 K of
 * `<x><onabc=`, `<x>a<onabc=` or `<x>onabc=`, every tag was read (1.6 ms, 0.5 ms) for want of a search that finds
 * none of their handlers.
 */
function handlerThatMayCount(finders: TagFinders, from: number): number {
  // (most values hold no handler: the tags' own search answers, and the two below are not made)
  if (finders.handlers.find(from, Infinity) < 0) return -1;
  const handlerEnd = finders.handlersNotAfterClose.first(from);
  if (handlerEnd >= 0) return handlerEnd - 1;
  // (only an answer of none ends the tags' loop: the quoted values are looked for only then)
  const quotedEnd = finders.quotedValues.first(from);
  return quotedEnd < 0 ? -1 : finders.handlers.find(quotedEnd - 2, Infinity);
}

/**
 * Tags the markup loop reads before it searches the rest of the value for what a rule needs (`nextNeeded`):
 * TAGS_BEFORE_NEEDED, and one per TAG_GAP characters. A tag costs 20–40 ns, the engine's search 1–2 ns a character:
 * where tags come denser than that (<a><a>…, 600 µs on 64 K), a search that finds nothing ends the loop.
 */
const TAGS_BEFORE_NEEDED = 16;
const TAG_GAP = 32;

/** Where a tag whose name has three characters or more may start (what `tagAt` gives a `tagName` for). */
const NAMED_TAG = /<[/%!?]{0,3}[a-z][\w$:-]{2}/g;

/** Below this length a value is first asked whether any rule can match it (XSS_NEEDED). */
const CHAT_LENGTH = 1024;

/**
 * Text that every rule needs (a superset, one search): the = of a handler or a dangerous attribute (the tags' rules
 * and the attribute breakout), a script or dangerous tag name where a tag's name may hold it (NEEDED_NAME), the colon
 * of a script scheme, of data: or of behavior: (`readColon` reads no other), a comment's opening, `expression(` and
 * `-moz-binding`, a sink name before a call's `(`, a template's backtick or a `)` or `,` (the call sites `jsSink`
 * reads, and a reference handed on), the dot of a sink property and the [ after a global name. Each alternative starts
 * at, or looks behind from, a character prose has few of, so the engine skips to them.
 */
const XSS_NEEDED = new RegExp(
  [
    `=(?<=[a-z \\t\\n\\f\\r]=)(?<=(?:on[a-z]{3,}|${DANGEROUS_ATTRIBUTES.join('|')})${SPACE}*=)`,
    NEEDED_NAME.source,
    `:(?<=(?:p${SPACE}*t|h${SPACE}*a|data|behavior)${SPACE}*:)`,
    '\\/\\*',
    `\\((?<=expression${SPACE}*\\()`,
    '-moz-binding',
    `[(\`),](?<=(?:${SINKS.join('|')})${SPACE}*[(\`),])`,
    `\\.(?:${PROPERTY_NAMES.join('|')})`,
    `\\[(?<=(?:${GLOBAL_INDEXING.map((g) => g.slice(0, -1)).join('|')})\\[)`,
  ].join('|'),
);

/**
 * Whether chat-length values are asked first whether a rule can match them. Off only through `detectXssReadingAll`:
 * the test that holds the pre-check to what the rules find reads every value both ways.
 */
let precheck = true;

/**
 * `detectXss` with every value read by the rules, as before the pre-check: for tests. The pre-check is proved by hand
 * from the rules (see XSS_NEEDED); a rule that changes without it shows up there as a value the two read differently.
 */
export function detectXssReadingAll(v: string, mask: number): ScanRuleId | null {
  precheck = false;
  try {
    return detectXss(v, mask);
  } finally {
    precheck = true;
  }
}

/** The XSS rule that lower-case `v` (trigger mask `mask`) triggers, or null. */
export function detectXss(v: string, mask: number): ScanRuleId | null {
  // A chat-length value with nothing any rule needs is not read (one search, where the rules make several)
  if (precheck && v.length < CHAT_LENGTH && !XSS_NEEDED.test(v)) return null;
  let weakest: ScanRuleId | null = null;
  if ((mask & T_LT) !== 0) {
    // Every tag is read two ways in one pass. As the browser tokenizes: a tag's attributes run to its > (quotes
    // respected) and the next tag starts after it. As a filter that strips tags once would leave it
    // (<scr<script>ipt>): every < starts a tag whose attributes run to the next < or >. The engine finds the tags
    // (`<` then a name); a `<` that starts none costs nothing here.
    // (both readings share it)
    const finders: TagFinders = {
      handlers: new HandlerFinder(v),
      attributes: new AttributeFinder(v),
      names: new ForwardSearch(NEEDED_NAME, v),
      scriptNames: new ForwardSearch(SCRIPT_NAME, v),
      handlersNotAfterClose: new ForwardSearch(HANDLER_NOT_AFTER_CLOSE, v),
      quotedValues: new ForwardSearch(QUOTED_VALUE, v),
    };
    const ends = new TagEnds(v);
    let tagClose = -1; // the > (or end) of the tag the browser is in
    let gt = v.indexOf('>');
    let eq = v.indexOf('=');
    // the tags read since the last search for what a rule needs, from where it was made, and what it found
    let tags = 0;
    let searchedAt = 0;
    let needed = -1;
    TAG_HOPPER.start();
    for (let i = nextTag(v, 0); i >= 0; i = nextTag(v, i + 1)) {
      if (i > needed && ++tags > TAGS_BEFORE_NEEDED + (i - searchedAt) / TAG_GAP) {
        // no tag from here on has what any rule needs (or a stronger one than found): no rule left to find
        needed = nextNeeded(v, finders, i, weakest === null);
        if (needed < 0) break;
        tags = 0;
        searchedAt = i;
      }
      if (eq < 0 && tagClose >= v.length) {
        // The browser's last tag runs to the end, and no = is left: only a tag's name can matter now (<s<s<s…, <a <a
        // <a …): the engine hops to the next one that has a name worth a look.
        NAMED_TAG.lastIndex = i;
        if (!NAMED_TAG.test(v)) break;
        i = v.lastIndexOf('<', NAMED_TAG.lastIndex - 1);
      }
      const j = tagAt(v, i);
      if (j < 0) continue;
      if (i > tagClose) {
        tagClose = ends.end(j);
        // No name worth a look and no attributes (<a>): nothing to find, and no work per tag, not even the search for
        // the next = (a tenth of the detector's time on 64 K of `<x>a onabc=`). (The stripped reading's tags of the
        // kind never reach `tagRule`: their = comes at their end or later.)
        if (tagName === '' && j >= tagClose) continue;
        if (eq >= 0 && eq < j) eq = v.indexOf('=', j);
        const r = tagRule(finders, j, tagClose, eq, weakest === null);
        if (r === 'xss.dangerous-markup') weakest ??= r;
        else if (r !== null) return r;
        // The stripped reading of this same tag looks at a part of what the browser reading just read.
        continue;
      }
      // without an = in it, a tag's attributes hold no handler and no dangerous attribute: only its name can matter
      if (eq >= 0 && eq < j) eq = v.indexOf('=', j);
      if (eq < 0 && tagName === '') continue;
      if (gt >= 0 && gt < j) gt = v.indexOf('>', j);
      const nextLt = v.indexOf('<', i + 1);
      let end = gt < 0 ? v.length : gt;
      if (nextLt >= 0 && nextLt < end) end = nextLt;
      if (eq >= end && tagName === '') continue;
      const r = tagRule(finders, j, end, eq, weakest === null);
      if (r === 'xss.dangerous-markup') weakest ??= r;
      else if (r !== null) return r;
    }
  }
  // (setting an array's length is a call into the runtime: not for every value)
  if (behaviorColons.length !== 0) behaviorColons.length = 0;
  if (behaviorColonsEnd !== Infinity) behaviorColonsEnd = Infinity;
  if (v.includes(':')) {
    const url = urlKind(v, behaviorColons);
    if (url === URL_SCRIPT) return 'xss.js-url';
    if (weakest !== null) return weakest;
    if (url === URL_DATA) return 'xss.data-url';
  }
  if (weakest !== null) return weakest;
  // (a value without a colon has no behavior: either, and left `behaviorColons` empty)
  if ((mask & (T_CALL | T_EQUALS)) !== 0 && cssExpression(v, behaviorColons, behaviorColonsEnd)) return 'xss.css-expression';
  if ((mask & T_EQUALS) !== 0) {
    // An attribute left through a quote: " onmouseover="alert(1)
    // (a finder of its own: the = before the tags' are read again with a budget of their own)
    const handlers = new HandlerFinder(v);
    const handler = handlers.first();
    if (handler >= 0) {
      let quote = v.length;
      for (const q of QUOTES) {
        const at = v.indexOf(q);
        if (at >= 0 && at < quote) quote = at;
      }
      if ((handlers.known && quote < handler) || codeAt(v, handler + 1)) return 'xss.attribute-breakout';
    }
  }
  if ((mask & (T_CALL | T_BACKTICK | T_BRACKET | T_EQUALS)) !== 0) {
    const sink = jsSink(v, mask);
    if (sink === 2) return 'xss.js-sink';
    if (sink === 1) return 'xss.js-call';
  }
  return null;
}
const QUOTES = ['"', "'", '`'];
