#!/usr/bin/env node
/* global process, console */
/**
 * Summarise V8 CPU profiles (`npm run bench -- --cpu-prof` writes one per server process):
 *
 *   node bench/profile-summary.mjs DIR_OR_FILES… [--top N] [--match TEXT]
 *
 * For each profile: the functions with the most self time (% of busy samples), and wsguard's own share: samples
 * whose nearest package frame is wsguard's dist/ (Node/V8 built-ins and pino count for their caller; socket.io code
 * the guard calls back into counts for socket.io). `--match` keeps only the
 * profiles whose file name contains TEXT (e.g. `sio-wsguard-echo`).
 */

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '15' }, match: { type: 'string' } },
  allowPositionals: true,
});
const top = Number(values.top);

const files = positionals.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort()
        .map((f) => join(p, f))
    : [p],
);
if (files.length === 0) {
  console.error('usage: node bench/profile-summary.mjs DIR_OR_FILES… [--top N] [--match TEXT]');
  process.exit(2);
}

/** @param {{ functionName: string, url: string, lineNumber: number }} frame */
function frameName(frame) {
  const url = frame.url.replace(/^file:\/\//, '');
  const where = url.includes('/node_modules/')
    ? url.slice(url.lastIndexOf('/node_modules/') + 14)
    : url.includes('/dist/')
      ? `dist/${url.slice(url.lastIndexOf('/dist/') + 6)}`
      : url || '(native)';
  return `${frame.functionName || '(anonymous)'} ${where}${frame.lineNumber >= 0 ? `:${frame.lineNumber + 1}` : ''}`;
}

for (const file of files) {
  if (values.match && !basename(file).includes(values.match)) continue;
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  let total = 0;
  let idle = 0;
  let inGuard = 0;
  const self = new Map();
  /** Guard samples by the wsguard function nearest the leaf (its self time plus the built-ins and pino it calls). */
  const guardOwn = new Map();
  for (const [id, count] of counts) {
    const node = byId.get(id);
    const name = node.callFrame.functionName;
    total += count;
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
      if (name === '(idle)') idle += count;
    }
    const key = frameName(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + count);
    // Attribution: walk from the leaf towards the root; the first frame that belongs to a package (wsguard's dist/
    // or a node_modules package) owns the sample. Node's and V8's built-ins (Map, events, timers, JSON, pino's
    // callers…) count for whoever called them; the application code the guard calls back into (socket.io's
    // dispatch after a message is admitted) counts for socket.io, not the guard.
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur).callFrame.url;
      if (url.includes('/dist/') && !url.includes('/node_modules/')) {
        inGuard += count;
        const key = frameName(byId.get(cur).callFrame);
        guardOwn.set(key, (guardOwn.get(key) ?? 0) + count);
        break;
      }
      if (url.includes('/node_modules/') && !url.includes('/node_modules/pino') && !url.includes('/node_modules/sonic-boom')) break;
    }
  }
  const busy = total - idle;
  console.log(`\n${basename(file)}: ${total} samples, ${((busy / total) * 100).toFixed(1)}% busy`);
  console.log(
    `  wsguard's own time (its frames, the built-ins and pino it calls; not the handlers it calls back): ` +
      `${((inGuard / busy) * 100).toFixed(2)}% of busy samples`,
  );
  const rows = [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, count] of rows) console.log(`  ${((count / busy) * 100).toFixed(2).padStart(6)}%  ${key}`);
  const guardRows = [...guardOwn].sort((a, b) => b[1] - a[1]).slice(0, top);
  if (guardRows.length > 0) {
    console.log('  wsguard functions (self time plus the built-ins and pino they call):');
    for (const [key, count] of guardRows) console.log(`  ${((count / busy) * 100).toFixed(2).padStart(6)}%  ${key}`);
  }
}
