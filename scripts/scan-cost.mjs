#!/usr/bin/env node
/* global process, console */
/**
 * Instructions per scan, one build against another: `node scripts/scan-cost.mjs OLD NEW [WORKLOAD…]`, where OLD and
 * NEW are checkouts that ran `npm run build`. Each workload is scanned under `valgrind --tool=callgrind` (node with
 * `--single-threaded`, so the compiler works at the same points in every run) for two numbers of passes; the
 * difference of the two instruction counts, per value scanned, leaves out the start-up and the warm-up. Timings on a
 * shared 2-core machine moved by 2× between samples of one run; these counts move by about 0.3% from run to run, so a
 * change of a percent or two shows. (Instructions are not time: a cache miss or a mispredicted branch costs none
 * here. Confirm a change by timing it too, where the machine allows.)
 *
 * Workloads (all by default): `chat`, the bench's chat payloads (every prose line of the benign corpus as
 * `{ text, room }`; the corpus is `WSGUARD_CORPUS` or `../shared/corpus`), and 64 KB values: `+AB`, `;if(`, `a＜`,
 * `%25` (fills), `random` (printable ASCII), `readme` (this README). About 20–40 s per run, two runs per workload and
 * build, two at a time.
 *
 * `--worker ROOT WORKLOAD PASSES` is the process valgrind runs: it scans the workload PASSES times with ROOT's build.
 */

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chatPayloads, fill, randomPrintableAscii, SIZE } from '../bench/lib/scan-inputs.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each workload: its values, and the two numbers of passes over them (enough to outweigh the warm-up). */
const WORKLOADS = {
  chat: { passes: [4, 12], values: chatWorkload },
  '+AB': { passes: [8, 24], values: () => [{ text: fill('+AB') }] },
  ';if(': { passes: [8, 24], values: () => [{ text: fill(';if(') }] },
  'a＜': { passes: [8, 24], values: () => [{ text: fill('a＜') }] },
  '%25': { passes: [8, 24], values: () => [{ text: fill('%25') }] },
  random: { passes: [8, 24], values: () => [{ text: randomPrintableAscii() }] },
  readme: { passes: [8, 24], values: () => [{ text: JSON.parse(JSON.stringify(readFileSync(join(repoRoot, 'README.md'), 'utf8').slice(0, SIZE))) }] },
};

function chatWorkload() {
  const corpus = process.env.WSGUARD_CORPUS ?? join(repoRoot, '..', 'shared', 'corpus');
  const payloads = chatPayloads(corpus);
  if (payloads === null) throw new Error(`no corpus at ${corpus} (set WSGUARD_CORPUS)`);
  return payloads;
}

async function loadScanner(root) {
  const entry = join(resolve(root), 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build in ${root}`);
  return (await import(pathToFileURL(entry).href)).scanPayload;
}

if (process.argv[2] === '--worker') {
  const [root, name, passesArg] = process.argv.slice(3);
  const scan = await loadScanner(root);
  const values = WORKLOADS[name].values();
  let findings = 0;
  for (let pass = Number(passesArg); pass > 0; pass--) for (const value of values) findings += scan(value).length;
  console.log(`values ${values.length} findings ${findings}`);
  process.exit(0);
}

const args = process.argv.slice(2);
const [oldRoot, newRoot, ...chosen] = args;
if (!oldRoot || !newRoot) {
  console.error(`usage: node scripts/scan-cost.mjs OLD_CHECKOUT NEW_CHECKOUT [${Object.keys(WORKLOADS).join(' ')}]`);
  process.exit(2);
}
const names = chosen.length > 0 ? chosen : Object.keys(WORKLOADS);
for (const name of names) {
  if (!(name in WORKLOADS)) {
    console.error(`unknown workload ${JSON.stringify(name)} (known: ${Object.keys(WORKLOADS).join(', ')})`);
    process.exit(2);
  }
}
await loadScanner(oldRoot);
await loadScanner(newRoot);

const run = (file, argv) =>
  new Promise((done, fail) => {
    execFile(file, argv, { maxBuffer: 1 << 24 }, (error, stdout, stderr) => (error ? fail(Object.assign(error, { stderr })) : done({ stdout, stderr })));
  });
try {
  await run('valgrind', ['--version']);
} catch {
  console.error('valgrind is not installed (apt-get install valgrind)');
  process.exit(2);
}

/** Instructions and values of one worker run under callgrind. */
async function count(root, name, passes) {
  const { stdout, stderr } = await run('valgrind', [
    '--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null',
    process.execPath, '--single-threaded', fileURLToPath(import.meta.url), '--worker', resolve(root), name, String(passes),
  ]);
  const collected = /Collected\s*:\s*(\d+)/.exec(stderr);
  const values = /values (\d+)/.exec(stdout);
  if (!collected || !values) throw new Error(`no count from valgrind for ${name} on ${root}:\n${stderr.slice(-2000)}`);
  return { instructions: Number(collected[1]), values: Number(values[1]) };
}

// every run, two at a time (each is one process on one core)
const jobs = [];
for (const name of names) {
  for (const root of [oldRoot, newRoot]) for (const passes of WORKLOADS[name].passes) jobs.push({ name, root, passes });
}
const results = new Map();
let next = 0;
const lanes = Array.from({ length: Math.max(1, Math.min(2, availableParallelism())) }, async () => {
  while (next < jobs.length) {
    const job = jobs[next++];
    results.set(`${job.name} ${job.root} ${job.passes}`, await count(job.root, job.name, job.passes));
    process.stderr.write('.');
  }
});
await Promise.all(lanes);
process.stderr.write('\n');

const perScan = (name, root) => {
  const [few, many] = WORKLOADS[name].passes;
  const a = results.get(`${name} ${root} ${few}`);
  const b = results.get(`${name} ${root} ${many}`);
  return (b.instructions - a.instructions) / ((many - few) * a.values);
};
console.log('| workload | old instructions/scan | new instructions/scan | new/old |');
console.log('|---|--:|--:|--:|');
for (const name of names) {
  const before = perScan(name, oldRoot);
  const after = perScan(name, newRoot);
  const fmt = (x) => Math.round(x).toLocaleString('en-US');
  console.log(`| ${name} | ${fmt(before)} | ${fmt(after)} | ${(after / before).toFixed(3)} |`);
}
