/**
 * Searching a reading for a literal. V8 runs `indexOf`, `includes` and a regular expression that is nothing but a
 * literal (`/on/`) with one search that compares at every occurrence of the literal's first character: 0.5 ms for
 * `on` in 64 K of `o`, or `..2f` in 64 K of `..\`. The same literal in a group (`/(?:on)/`) is compiled by the
 * regular expression engine with a Boyer-Moore skip table: a few µs. So the detectors search for literals of two or
 * more characters through grouped, global expressions and `find`; one-character searches stay `indexOf` (those are
 * a memchr).
 */

/** The start of the next match of `re` (a global expression whose matches are `length` characters) from `from`, or -1. */
export function find(re: RegExp, v: string, from: number, length: number): number {
  re.lastIndex = from;
  return re.test(v) ? re.lastIndex - length : -1;
}

/**
 * A try (a memchr to the next character and the sticky expression there: 25–40 ns) costs about what the engine's scan
 * of this many characters costs (1–2 ns each).
 */
const HOP_GAP = 32;
/** Below this many characters from the search's start, the engine searches at once (most chat messages). */
const HOP_MIN = 128;
/**
 * The tries a search may make before its characters have paid for them: where they come a few in a row at the start
 * of a long value (a heading, an indented line), the engine would otherwise read all that follows.
 */
const HOP_START_CREDIT = 16;
/** What a look at an occurrence's neighbour (a memchr and a table load, no expression) costs, in tries. */
const LOOK_COST = 0.5;

/**
 * A character at a fixed distance (`offset`) from each of a search's own characters: in every match, one of `chars`
 * (ASCII).
 */
export interface Neighbour {
  offset: number;
  chars: string;
}

/**
 * A search for `re` (global) that hops from one occurrence of its characters (`chars`, one or two) to the next where
 * they are few. The engine reads every character of a value (an expression that starts with a character class or a
 * lookbehind gets no skip table: 30–80 µs on 64 K); a memchr to each `<`, `[` or `(` of prose and a try there cost far
 * less.
 *
 * Every match of `re` holds one of `chars` of its own, at least `lead` characters after its start, and the matches'
 * own characters come in the order of the matches. `at` (sticky), tried at an occurrence, matches exactly when a match
 * of `re` holds it as its own, and ends where that match ends. Where the characters are dense, the tries would cost
 * more than the engine's scan: a try spends a credit, earned at one per HOP_GAP characters hopped over (a search
 * starts with HOP_START_CREDIT), and with none the engine searches from there. So a search makes at most one try per
 * HOP_GAP characters of the value, and a few more, and a value shorter than HOP_MIN (a chat message) goes to the
 * engine at once, as without the hops.
 *
 * With a `neighbour`, an occurrence whose neighbour is none of its characters is passed without a try (most `.` of
 * prose have a space after them, most `(` of code no sink name before them): a look costs LOOK_COST of a try's credit.
 */
export class Hopper {
  private credit = 0;
  /** The next occurrence of each character from where it was last looked for (-1: none left, -2: not looked for). */
  private nextA = -2;
  private nextB = -2;
  private readonly a: string;
  private readonly b: string;
  /** 1 for each ASCII character the neighbour may be, when there is a neighbour to look at. */
  private readonly neighbours: Uint8Array | null = null;
  private readonly neighbourOffset: number = 0;
  constructor(
    private readonly re: RegExp,
    private readonly at: RegExp,
    chars: string,
    private readonly lead: number,
    neighbour?: Neighbour,
  ) {
    this.a = chars.charAt(0);
    this.b = chars.charAt(1);
    if (neighbour !== undefined) {
      this.neighbours = new Uint8Array(128);
      for (let k = 0; k < neighbour.chars.length; k++) this.neighbours[neighbour.chars.charCodeAt(k) & 127] = 1;
      this.neighbourOffset = neighbour.offset;
    }
  }

  /** A new value's search starts. */
  start(): void {
    this.credit = HOP_START_CREDIT;
    this.nextA = this.nextB = -2;
  }

  /** `start`, then the end of the first match in `v` from `from`, or -1. */
  first(v: string, from: number): number {
    this.start();
    return this.next(v, from);
  }

  /** The end of the next match in `v` from `from`, or -1 (`start` was called for `v`, and `from` never goes back). */
  next(v: string, from: number): number {
    // too short to hop (most chat messages): the engine, as without the hops
    if (v.length - from < HOP_MIN) return this.search(v, from);
    for (let pos = from; ; ) {
      const c = this.occurrence(v, pos + this.lead);
      // every match holds one: none left, no match
      if (c < 0) return -1;
      this.credit += (c - pos) / HOP_GAP;
      if (this.credit < 1) return this.search(v, pos);
      // (outside the value, or beyond ASCII, the neighbour is no character of the table: undefined)
      if (this.neighbours !== null && this.neighbours[v.charCodeAt(c + this.neighbourOffset)] !== 1) {
        this.credit -= LOOK_COST;
      } else {
        this.credit--;
        this.at.lastIndex = c;
        if (this.at.test(v)) return this.at.lastIndex;
      }
      // no match holds this one as its own: the next match holds a later one
      pos = c + 1 - this.lead;
    }
  }

  /** The engine's search from `from`. */
  private search(v: string, from: number): number {
    this.re.lastIndex = from;
    return this.re.test(v) ? this.re.lastIndex : -1;
  }

  /** The first occurrence of either character from `from`, or -1 (a memchr for each, redone once passed). */
  private occurrence(v: string, from: number): number {
    if (this.nextA !== -1 && this.nextA < from) this.nextA = v.indexOf(this.a, from);
    if (this.b === '') return this.nextA;
    if (this.nextB !== -1 && this.nextB < from) this.nextB = v.indexOf(this.b, from);
    if (this.nextA < 0) return this.nextB;
    return this.nextB < 0 || this.nextA < this.nextB ? this.nextA : this.nextB;
  }
}
