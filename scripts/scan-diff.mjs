#!/usr/bin/env node
/* global process, console */
/**
 * Whole-scan differential between two builds of wsguard: `node scripts/scan-diff.mjs OLD NEW [RANDOM]`, where OLD and
 * NEW are checkouts that ran `npm run build` (their `dist/index.js` is loaded). Every speed change to the scanner is
 * meant to keep every verdict; this compares `scanPayload`'s findings on the values that reach its edges and prints
 * the first differences. Exit code 1 when any value is scanned differently.
 *
 * The values: every corpus line (as it is, percent-encoded, upper-cased, and as `{ text, room }`); slices of long texts
 * at lengths around the detectors' 1,024-character thresholds; fills of one or two units (punctuation, escapes,
 * keywords, fullwidth forms) at 64, 1,023, 1,024 and 5,000 characters and at 64 K; RANDOM (default 300,000) random
 * strings of trigger characters and attack words. The corpus is `WSGUARD_CORPUS` or `../shared/corpus`.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [oldRoot, newRoot, randomArg = '300000'] = process.argv.slice(2);
if (!oldRoot || !newRoot) {
  console.error('usage: node scripts/scan-diff.mjs OLD_CHECKOUT NEW_CHECKOUT [RANDOM_STRINGS]');
  process.exit(2);
}
const load = async (root) => {
  const entry = join(resolve(root), 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build in ${root}`);
  return (await import(pathToFileURL(entry).href)).scanPayload;
};
const scanOld = await load(oldRoot);
const scanNew = await load(newRoot);

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.env.WSGUARD_CORPUS ?? join(repoRoot, '..', 'shared', 'corpus');
if (!existsSync(corpus)) {
  console.error(`no corpus at ${corpus} (set WSGUARD_CORPUS)`);
  process.exit(2);
}

let checks = 0;
let differences = 0;
function compare(value) {
  checks++;
  const a = JSON.stringify(scanOld(value));
  const b = JSON.stringify(scanNew(value));
  if (a === b) return;
  if (differences++ < 10) console.log(`differs: ${JSON.stringify(value).slice(0, 200)}\n  old ${a}\n  new ${b}`);
}

const lines = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(corpus, d.name)).filter((f) => f.endsWith('.txt')).map((f) => join(corpus, d.name, f)))
  .sort()
  .flatMap((file) => readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0));
for (const line of lines) {
  compare(line);
  compare(encodeURIComponent(line));
  compare(line.toUpperCase());
  compare({ text: line, room: 'general' });
}

const readIfThere = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
const longTexts = [
  readIfThere(join(repoRoot, 'README.md')),
  readIfThere(join(corpus, 'benign', 'ud-english-ewt-sentences.txt')).slice(0, 200_000),
  readIfThere(join(corpus, 'benign', 'tldr-command-examples.txt')).slice(0, 200_000),
  readIfThere(join(repoRoot, 'src', 'core', 'guard.ts')).repeat(3),
].filter((t) => t.length > 0);
for (const text of longTexts) {
  for (let at = 0; at < 60_000; at += 997) {
    for (const length of [100, 1000, 1023, 1024, 1025, 2000, 4096, 5000, 16_384]) compare(text.slice(at, at + length));
  }
  compare(text.slice(0, 65_536));
}

const units = [
  ...'<>=:;"\'`/\\()[]{}$&|%#.-+*!?@,_ \nxaosu0', '＜', 'ｓ', '’', 'é',
  '<x><onabc=', ';if(', 'char(1', 'a$(', "' or (", 'union select ', '1 or 1=1 ', '<a onload=', '&#x3c;', '%3c', '\\u003c',
  'javascript:', '../', '__proto__[', 'alert(', 'or 1=1--', "' or 'a'='a", '+AB', '+AAAAAAA',
];
const pairs = new Set(units);
for (const a of units.slice(0, 46)) for (const b of units.slice(0, 46)) pairs.add(a + b);
const fill = (unit, size) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
for (const unit of pairs) for (const size of [64, 1023, 1024, 5000]) compare(fill(unit, size));
for (const unit of units) compare(fill(unit, 65_536));

// (a fixed seed: the same strings every run)
let seed = 12_345;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 4_294_967_296;
const alphabet = ' \t\n<>=:;"\'`/\\()[]{}$&|%#.-+*!?@,_abcdefghijklmnopqrstuvwxyzORSELECTUNION0123456789＜ｓé’\u200b';
const words = [
  'select', 'union', 'or', 'and', 'from', 'where', 'script', 'onload', 'alert', 'eval', 'sleep', 'char', 'exec', 'cat',
  'etc/passwd', '--', '/*', '*/', '&#39;', '%27', '\\x3c', 'javascript', 'data', 'base64', 'constructor', 'prototype',
  '__proto__', 'id', 'ls', 'wget', 'ping', 'if', 'then', 'drop', 'table', 'insert', 'into', 'values', 'benchmark',
  'waitfor', 'delay', '1=1', "'1'='1", 'null', 'true', 'document', 'cookie', 'img', 'src', 'svg', 'iframe', '+ADw-',
];
for (let k = 0; k < Number(randomArg); k++) {
  let s = '';
  const n = 1 + Math.floor(random() * 60);
  for (let p = 0; p < n; p++) {
    s += random() < 0.3 ? words[Math.floor(random() * words.length)] + (random() < 0.5 ? ' ' : '') : alphabet[Math.floor(random() * alphabet.length)];
  }
  compare(s);
}

console.log(`${checks} values scanned by both builds: ${differences} scanned differently`);
process.exit(differences === 0 ? 0 : 1);
