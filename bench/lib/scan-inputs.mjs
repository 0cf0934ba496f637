/**
 * The scanner's benchmark inputs, shared by the micro-benchmark (bench/micro.mjs) and the instruction count of two
 * builds (scripts/scan-cost.mjs), so that both measure the same values: the chat payloads the 4 million calls a second
 * target is stated on, and 64 KB values.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The length of the long values. */
export const SIZE = 65_536;

/** The rooms the chat payloads cycle through. */
export const CHAT_ROOMS = ['general', 'random', 'support', 'dev', 'off-topic'];

/** `unit` repeated to SIZE characters, parsed from JSON as a server gets it (a repeated string is a rope, slower to read). */
export const fill = (unit) => JSON.parse(JSON.stringify(unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE)));

/** SIZE printable ASCII characters in a fixed scramble. */
export const randomPrintableAscii = () => Array.from({ length: SIZE }, (_, k) => String.fromCharCode(32 + ((k * 7919) % 95))).join('');

/**
 * Chat-like payloads: every prose line of the benign corpus in `corpusDir` (Universal Dependencies sentences in eleven
 * languages, the benign sections of the Big List of Naughty Strings, fuzzdb's Unicode lists; not the tldr command lines
 * nor libinjection's SQL-like false positives) as the text of `{ text, room }`, parsed from JSON as a server gets it.
 * Null when the corpus is not there.
 */
export function chatPayloads(corpusDir) {
  const benignDir = join(corpusDir, 'benign');
  if (!existsSync(benignDir)) return null;
  return readdirSync(benignDir)
    .filter((f) => f.endsWith('.txt') && !f.startsWith('tldr') && !f.startsWith('libinjection'))
    .sort()
    .flatMap((f) => readFileSync(join(benignDir, f), 'utf8').split('\n').filter((l) => l.length > 0))
    .map((text, i) => JSON.parse(JSON.stringify({ text, room: CHAT_ROOMS[i % CHAT_ROOMS.length] })));
}
