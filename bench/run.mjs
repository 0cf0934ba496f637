#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, structuredClone */
/**
 * wsguard benchmark harness: `npm run bench` (full, under 15 minutes) or `npm run bench -- --quick` (under 2).
 *
 * Builds dist/ when it is older than the sources, runs the micro-benchmarks, then for every figure group
 * (echo: messages/s and latency; connect: connections/s; idle: memory per connection), every run and every variant —
 * variants alternating A B C A B C … so that machine drift cancels out — starts the variant's server in its own
 * process (pinned to core 0, --expose-gc) and drives it from a load-generator process (pinned to core 1) over
 * 127.0.0.1. Prints medians, min–max and ratios against the unprotected baseline, checks the targets, and writes
 * everything to bench/results/<time>-<commit>-<mode>.json for comparison across commits (--compare FILE).
 *
 * Plain .mjs on purpose: Node 20 runs it as is, it imports the built package exactly as a user would, and it needs
 * no build step of its own (the repository's tsup build makes the published entry points only).
 */

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GROUPS, PLANS, connectionsOf, figureList, localPortsOf, runsOf } from './lib/figures.mjs';
import { PROTOCOLS } from './lib/protocols.mjs';
import { scanTargetLines } from './lib/scan-targets.mjs';
import { fmt, fmtRatio, summarize, table } from './lib/stats.mjs';
import { TARGETS, VARIANTS, onBaseBuild } from './lib/variants.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(repoRoot, 'bench');

const HELP = `usage: npm run bench [-- options]

  --quick                 the short plan (2 runs, ~0.4–0.6 s per figure, 800 idle connections): under two minutes
  --runs N                runs per variant (default: 4 full, 2 quick; memory and the flood at most 2 full, 1 quick)
  --variants a,b,…        variants to run (default: all but the optional ones that can run here):
                          ${VARIANTS.map((v) => `${v.id}${v.optional ? ' (optional)' : ''}`).join(', ')}
  --only g,…              figure groups to run: echo, connect, idle, flood, micro (default: all)
  --latency-rate N        fixed load for the latency figure, messages/s (default 20000)
  --idle N                idle connections for the memory figure (default 5000 full, 800 quick)
  --churn-per-minute N    TIME_WAIT budget: most connections opened in any 60 s (default 19000)
  --out FILE              results file (default bench/results/<time>-<commit>-<mode>.json)
  --compare FILE          also print current medians against an earlier results file
  --build / --no-build    always / never run \`npm run build\` first (default: when dist/ is older than src/)
  --no-pin                do not pin the server and the generator to cores 0 and 1 with taskset
  --commit NAME           label the results with this commit (for a tree that is not a git checkout)
  --base-build DIR        also run each protected variant on the build in DIR (a checkout with dist/ built and
                          node_modules), as <id>@base, alternating with the others: a change against its base, same runs
  --cpu-prof              profile every server process (node --cpu-prof) into bench/results/profiles/<time>/;
                          summarise with \`node bench/profile-summary.mjs DIR\`
  --smoke                 a tiny plan that only checks the harness works (used by the test suite)
  -h, --help`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    runs: { type: 'string' },
    variants: { type: 'string' },
    only: { type: 'string' },
    'latency-rate': { type: 'string' },
    idle: { type: 'string' },
    'churn-per-minute': { type: 'string', default: '19000' },
    out: { type: 'string' },
    compare: { type: 'string' },
    build: { type: 'boolean' },
    'no-build': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    commit: { type: 'string' },
    'base-build': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(HELP);
  process.exit(0);
}

/** @param {number} ms */
function seconds(ms) {
  return (ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 });
}

/** @param {string | undefined} value @param {string} name */
function positiveInt(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --${name} must be a positive integer, got ${value}`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Plan

const basePlan = PLANS[args.smoke ? 'smoke' : args.quick ? 'quick' : 'full'];
const plan = structuredClone(basePlan);
if (args.runs !== undefined) plan.runs = positiveInt(args.runs, 'runs');
if (args['latency-rate'] !== undefined) plan.echo.latencyRate = positiveInt(args['latency-rate'], 'latency-rate');
if (args.idle !== undefined) plan.idle.count = positiveInt(args.idle, 'idle');
const churnBudget = positiveInt(args['churn-per-minute'], 'churn-per-minute');
const onlyGroups = new Set((args.only ?? 'echo,connect,idle,flood,micro').split(',').map((s) => s.trim()));
for (const g of onlyGroups) {
  if (!['echo', 'connect', 'idle', 'flood', 'micro'].includes(g)) {
    console.error(`bench: unknown group ${g} in --only`);
    process.exit(2);
  }
}
const groups = GROUPS.filter((g) => onlyGroups.has(g));

const requested = args.variants ? args.variants.split(',').map((s) => s.trim()) : VARIANTS.filter((v) => !v.optional).map((v) => v.id);
for (const id of requested) {
  if (!VARIANTS.some((v) => v.id === id)) {
    console.error(`bench: unknown variant ${id}; known: ${VARIANTS.map((v) => v.id).join(', ')}`);
    process.exit(2);
  }
}
const skipped = [];
const variants = VARIANTS.filter((v) => {
  if (!requested.includes(v.id)) return false;
  const why = v.requires();
  if (why) skipped.push({ id: v.id, why });
  return !why;
});
if (variants.length === 0) {
  console.error('bench: no variant can run');
  process.exit(2);
}

// `--base-build DIR`: each protected variant once more on that build, right after itself (see `onBaseBuild`).
/** @type {Map<string, string>} variant id → the repository root its server loads dist/ from, when not this one */
const buildRoots = new Map();
if (args['base-build'] !== undefined) {
  const baseRoot = resolve(args['base-build']);
  if (!existsSync(join(baseRoot, 'dist/index.js')) || !existsSync(join(baseRoot, 'node_modules'))) {
    console.error(`bench: --base-build ${baseRoot} needs a built dist/ and a node_modules (a link to this one will do)`);
    process.exit(2);
  }
  for (let i = variants.length - 1; i >= 0; i--) {
    const variant = variants[i];
    if (variant.baseline === null) continue;
    const based = onBaseBuild(variant);
    buildRoots.set(based.id, baseRoot);
    variants.splice(i + 1, 0, based);
  }
}

// Server-side limits for the protected variant: raised only so far that the generator is never refused.
const idleHeadroom = plan.connect.concurrency + 64;
const maxCellConnections = Math.max(...GROUPS.map((g) => connectionsOf(plan, g)));
const limits = {
  maxConnectionsPerIp: Math.max(plan.idle.count, plan.echo.clients) + idleHeadroom,
  connectionRateLimit: Math.min(1_000_000, Math.max(churnBudget, maxCellConnections + 100)),
  // One request/response connection on loopback stays well under 50,000 messages/s: that for the longest cell.
  burstLimit: Math.min(1_000_000, Math.ceil((50_000 * (plan.echo.warmMs + plan.echo.rrMs)) / 1000)),
  // Most connections one server process sees (each runs one cell): its abuse detector's evidence from the generator.
  connectionsPerProcess: Math.min(499_999, maxCellConnections + 100),
};

// ---------------------------------------------------------------------------------------------------------------
// Machine

const log = (line) => process.stderr.write(`${line}\n`);
const MIB = 1024 * 1024;
const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const cpuModel = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
let pinning = 'off (--no-pin)';
let pin = false;
if (!args['no-pin']) {
  if (cores < 2) pinning = 'off (fewer than 2 cores)';
  else if (spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status !== 0) pinning = 'off (taskset not found)';
  else {
    pin = true;
    pinning = 'server on core 0, generator on core 1 (taskset)';
  }
}

function git(...gitArgs) {
  try {
    return execFileSync('git', gitArgs, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}
const commit = args.commit ?? (git('rev-parse', '--short', 'HEAD') || 'nocommit');
const dirty = args.commit === undefined && git('status', '--porcelain', '--untracked-files=no') !== '';

// ---------------------------------------------------------------------------------------------------------------
// Build

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function ensureBuilt() {
  const distEntry = join(repoRoot, 'dist/index.js');
  const distAdapter = join(repoRoot, 'dist/adapters/socket.io/index.js');
  const built = existsSync(distEntry) && existsSync(distAdapter);
  if (args['no-build']) {
    if (!built) {
      console.error('bench: dist/ is missing; run `npm run build` (or drop --no-build)');
      process.exit(2);
    }
    return 'skipped (--no-build)';
  }
  const inputs = ['src', 'package.json', 'tsup.config.ts', 'tsconfig.json'].map((p) => join(repoRoot, p)).filter(existsSync);
  const stale = !built || Math.max(...inputs.map(newestMtime)) > statSync(distEntry).mtimeMs;
  if (!stale && !args.build) return 'dist/ up to date';
  log('bench: npm run build …');
  const t0 = Date.now();
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    console.error('bench: build failed');
    process.exit(1);
  }
  return `built in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

/**
 * A node child process with an IPC channel, optionally pinned to one core.
 * @param {string} script @param {string[]} nodeArgs @param {unknown} options @param {number} core
 */
function startChild(script, nodeArgs, options, core) {
  const argv = [...nodeArgs, join(benchDir, script), JSON.stringify(options)];
  const proc = pin
    ? spawn('taskset', ['-c', String(core), process.execPath, ...argv], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    : spawn(process.execPath, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exited = false;
  const exit = new Promise((resolveExit) =>
    proc.on('exit', (code, signal) => {
      exited = true;
      resolveExit({ code, signal });
    }),
  );
  /** @type {Map<number, (value: any) => void>} */
  const pending = new Map();
  let seq = 0;
  /** @type {((message: any) => void)[]} */
  const listeners = [];
  proc.on('message', (message) => {
    if (message && typeof message === 'object' && 'id' in message && pending.has(message.id) && !('type' in message)) {
      const resolveReply = pending.get(message.id);
      pending.delete(message.id);
      resolveReply?.(message.result);
      return;
    }
    for (const listener of listeners) listener(message);
  });
  return {
    proc,
    output: () => output,
    /** Wait for a message matching `predicate`; rejects when the process exits first or after `ms`. */
    waitFor(predicate, ms, what) {
      return new Promise((resolveWait, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script}: no ${what} within ${ms} ms\n${output}`)), ms);
        listeners.push((message) => {
          if (predicate(message)) {
            clearTimeout(timer);
            resolveWait(message);
          }
        });
        void exit.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`${script} exited (${signal ?? code}) before ${what}\n${output}`));
        });
      });
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    /** Request/reply over IPC ({ id, cmd, ...extra } → { id, result }). */
    request(cmd, ms = 30_000, extra = {}) {
      const id = ++seq;
      return new Promise((resolveRequest, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script}: no reply to ${cmd}\n${output}`)), ms);
        pending.set(id, (value) => {
          clearTimeout(timer);
          resolveRequest(value);
        });
        proc.send({ ...extra, id, cmd });
      });
    },
    async stop() {
      if (exited) return;
      try {
        if (proc.connected) await this.request('stop', 3_000);
      } catch {
        // killed below
      }
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
      await exit;
      clearTimeout(timer);
    },
    async kill() {
      if (!exited) proc.kill('SIGKILL');
      await exit;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// TIME_WAIT budget: every closed connection leaves a socket in TIME_WAIT for 60 s; keep the total under the
// ephemeral port range by capping the connections opened in any 60-second window.

/** @type {{ at: number, count: number }[]} */
const opened = [];
async function reserveConnections(count) {
  for (;;) {
    const now = Date.now();
    while (opened.length > 0 && now - opened[0].at > 60_000) opened.shift();
    const inWindow = opened.reduce((sum, o) => sum + o.count, 0);
    if (inWindow + count <= churnBudget || opened.length === 0) {
      opened.push({ at: now, count });
      return;
    }
    // Wait until enough of the window has aged out.
    let freed = 0;
    let waitUntil = now;
    for (const o of opened) {
      freed += o.count;
      waitUntil = o.at + 60_000;
      if (inWindow - freed + count <= churnBudget) break;
    }
    const ms = Math.max(100, waitUntil - now + 50);
    log(`  waiting ${(ms / 1000).toFixed(1)} s (TIME_WAIT budget: ${inWindow} connections opened in the last minute)`);
    await new Promise((r) => setTimeout(r, ms));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Cells

const tmpDir = mkdtempSync(join(os.tmpdir(), 'wsguard-bench-'));

function cellTimeoutMs(group) {
  const e = plan.echo;
  if (group === 'echo') return 60_000 + 3 * e.warmMs + e.rrMs + e.pipeMs + e.latencyMs;
  if (group === 'connect') return 60_000 + (plan.connect.warm + plan.connect.count) * 20;
  if (group === 'flood') return 60_000 + plan.flood.warmMs + plan.flood.quietMs + plan.flood.floodMs;
  return 60_000 + (plan.idle.warm + plan.idle.count) * 20;
}

let profileDir = null;
let profileSeq = 0;

async function runCell(variant, group) {
  await reserveConnections(localPortsOf(plan, group));
  const nodeArgs = ['--expose-gc'];
  if (profileDir) {
    nodeArgs.push('--cpu-prof', '--cpu-prof-interval=250', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${String(++profileSeq).padStart(3, '0')}-${variant.id}-${group}.cpuprofile`);
  }
  // The flood figure's guard runs with the preset's own limits (benchGuardConfig, `asDeployed`), but for a message rate
  // the well-behaved clients' steady chat stays under (with room for jitter).
  const cellLimits = group === 'flood' ? { ...limits, asDeployed: true, messageRateLimit: 3 * 60 * plan.flood.rate } : limits;
  const server = startChild('server.mjs', nodeArgs, { variant: variant.id, repoRoot: buildRoots.get(variant.id) ?? repoRoot, tmpDir, limits: cellLimits, group }, 0);
  let generator = null;
  try {
    const ready = await server.waitFor((m) => m?.type === 'ready', 30_000, 'ready');
    generator = startChild('loadgen.mjs', [], { group, protocol: variant.protocol, port: ready.port, plan }, 1);
    const gen = generator;
    gen.onMessage((message) => {
      if (message?.type !== 'server') return;
      const extra = { ...message };
      delete extra.id;
      delete extra.type;
      delete extra.cmd;
      server.request(message.cmd, 30_000, extra).then(
        (result) => gen.proc.connected && gen.proc.send({ id: message.id, result }),
        () => gen.proc.connected && gen.proc.send({ id: message.id, result: null }),
      );
    });
    const outcome = await gen.waitFor((m) => m?.type === 'result' || m?.type === 'error', cellTimeoutMs(group), 'result');
    if (outcome.type === 'error') throw new Error(`load generator failed: ${outcome.error}`);
    return outcome.result;
  } finally {
    await generator?.kill();
    await server.stop();
  }
}

/**
 * Spin one probe per core at once (bench/probe.mjs) and return the largest share of wall time a core was taken away.
 * @returns {Promise<{ lost: number, maxGapMs: number }>}
 */
async function probeMachine() {
  const coresToProbe = pin ? [0, 1] : [null, null];
  const results = await Promise.all(
    coresToProbe.map(
      (core) =>
        new Promise((resolveProbe) => {
          const argv = [join(benchDir, 'probe.mjs'), String(plan.probe.ms)];
          const proc = core === null ? spawn(process.execPath, argv) : spawn('taskset', ['-c', String(core), process.execPath, ...argv]);
          let text = '';
          proc.stdout.on('data', (chunk) => (text += chunk));
          proc.on('close', () => {
            try {
              resolveProbe(JSON.parse(text));
            } catch {
              resolveProbe({ lost: 0, maxGapMs: 0 });
            }
          });
        }),
    ),
  );
  return { lost: Math.max(...results.map((r) => r.lost)), maxGapMs: Math.max(...results.map((r) => r.maxGapMs)) };
}

async function runMicro() {
  const child = startChild('micro.mjs', ['--expose-gc'], { repoRoot, limits, ...plan.micro }, 0);
  try {
    const outcome = await child.waitFor((m) => m?.type === 'result', 300_000, 'micro-benchmark result');
    return outcome.result;
  } finally {
    await child.kill();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Main

const startedAt = new Date();
const buildNote = ensureBuilt();
if (args['cpu-prof']) {
  profileDir = join(benchDir, 'results', 'profiles', startedAt.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15));
  mkdirSync(profileDir, { recursive: true });
}
const figures = figureList(plan).filter((f) => groups.includes(f.group));
log(
  `bench: ${plan.mode}, ${plan.runs} run(s) × ${variants.length} variant(s) × ${groups.length} group(s); ${pinning}; build: ${buildNote}`,
);

let micro = null;
if (onlyGroups.has('micro')) {
  log('bench: micro-benchmarks …');
  micro = (await runMicro()).map((m) => ({ ...m, summary: summarize(m.ns) }));
}

/** raw[figureId][variantId] = value per run */
const raw = {};
const details = [];
const problems = [];
/** The variants a group runs on: the flood only on those marked for it. */
const variantsOf = (group) => (group === 'flood' ? variants.filter((v) => v.flood === true) : variants);
const totalCells = groups.reduce((sum, g) => sum + runsOf(plan, g) * variantsOf(g).length, 0);
let cellNo = 0;
let retriesLeft = plan.probe.maxRetriesTotal;
const noisyCells = [];
let probeBefore = totalCells > 0 ? await probeMachine() : null;
const firstProbe = probeBefore;
for (let run = 0; run < plan.runs; run++) {
  for (const group of groups) {
    if (run >= runsOf(plan, group)) continue;
    // Alternate: A B C in every run, one cell each, so each figure's runs of all variants are interleaved in time.
    for (const variant of variantsOf(group)) {
      cellNo++;
      let result;
      let quality;
      for (let attempt = 1; ; attempt++) {
        const t0 = Date.now();
        try {
          result = await runCell(variant, group);
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          console.error(`bench: run ${run + 1} ${group} ${variant.id} failed: ${text}`);
          if (/connect_error|refused/i.test(text)) {
            console.error('bench: the server refused the load generator; raise the limits in benchGuardConfig (bench/lib/variants.mjs)');
          }
          rmSync(tmpDir, { recursive: true, force: true });
          process.exit(1);
        }
        // The machine probed right before and right after the cell: how much of a core was taken away meanwhile.
        const probeAfter = await probeMachine();
        quality = { attempt, lostBefore: probeBefore.lost, lostAfter: probeAfter.lost, lost: Math.max(probeBefore.lost, probeAfter.lost) };
        probeBefore = probeAfter;
        const shown = figures
          .filter((f) => f.group === group && !f.label.startsWith(' '))
          .map((f) => `${f.id} ${fmt(result.figures[f.id])}`)
          .join(', ');
        // Memory after GC does not depend on how busy the machine was: only timed figures are measured again.
        const noisy = quality.lost > plan.probe.maxLost && group !== 'idle';
        log(
          `[${cellNo}/${totalCells}] run ${run + 1} ${group} ${variant.id}: ${shown} (${((Date.now() - t0) / 1000).toFixed(1)} s` +
            `${noisy ? `; machine lost ${(quality.lost * 100).toFixed(0)}% of a core to other work` : ''})`,
        );
        if (!noisy) break;
        if (attempt > plan.probe.retries || retriesLeft <= 0) {
          noisyCells.push({ run, group, variant: variant.id, lost: quality.lost });
          break;
        }
        retriesLeft--;
        log('  … measuring that cell again');
      }
      for (const [id, value] of Object.entries(result.figures)) {
        ((raw[id] ??= {})[variant.id] ??= []).push(value);
      }
      details.push({ run, group, variant: variant.id, figures: result.figures, detail: result.detail, connectionsOpened: result.connectionsOpened, quality });
      if (result.problems.count > 0) problems.push({ run, group, variant: variant.id, ...result.problems });
    }
  }
}
rmSync(tmpDir, { recursive: true, force: true });

// ---------------------------------------------------------------------------------------------------------------
// Aggregate

const byId = Object.fromEntries(variants.map((v) => [v.id, v]));
/** @type {Record<string, Record<string, any>>} */
const aggregate = {};
for (const figure of figures) {
  aggregate[figure.id] = {};
  for (const variant of variants) {
    const runs = raw[figure.id]?.[variant.id] ?? [];
    const s = summarize(runs);
    const entry = { runs, ...s };
    const base = variant.baseline && byId[variant.baseline] ? variant.baseline : null;
    if (base) {
      const baseRuns = raw[figure.id]?.[base] ?? [];
      const baseMedian = summarize(baseRuns).median;
      entry.vs = base;
      // No ratio against a baseline of 0 (RSS that did not grow): JSON would turn Infinity or NaN into null anyway.
      entry.ratio = baseMedian !== 0 && Number.isFinite(baseMedian) ? s.median / baseMedian : null;
      entry.delta = s.median - baseMedian;
      // Run i of this variant against run i of the baseline (adjacent in time): the spread of the ratio itself.
      const paired = runs.map((v, i) => v / baseRuns[i]).filter(Number.isFinite);
      entry.pairedRatio = summarize(paired);
    }
    aggregate[figure.id][variant.id] = entry;
  }
}

const targets = TARGETS.filter(
  (t) => byId[t.variant] && (t.vs === undefined || byId[t.vs]) && figures.some((f) => f.id === t.figure) && aggregate[t.figure][t.variant].runs.length > 0,
).map((t) => {
  const value = aggregate[t.figure][t.variant].median;
  const figure = figures.find((f) => f.id === t.figure);
  const note = t.note ? ` (${t.note})` : '';
  if (t.max !== undefined) {
    const shown = figure.unit === 'B' ? `${fmt(value / MIB)} MiB` : `${fmt(value)}${figure.unit === '×' ? '×' : ` ${figure.unit}`}`;
    const limit = figure.unit === 'B' ? `${fmt(t.max / MIB)} MiB` : `${fmt(t.max)}${figure.unit === '×' ? '×' : ` ${figure.unit}`}`;
    return { ...t, value, met: value <= t.max, text: `${figure.label.trim()}: ${byId[t.variant].short} ≤ ${limit}${note}: ${shown}` };
  }
  const other = aggregate[t.figure][t.vs].median;
  if (t.minRatio !== undefined) {
    const ratio = value / other;
    return { ...t, ratio, met: ratio >= t.minRatio, text: `${figure.label.trim()}: ${byId[t.variant].short} ≥ ${t.minRatio.toFixed(2)}× ${byId[t.vs].short}${note}: ${fmtRatio(ratio)}` };
  }
  if (t.maxRatio !== undefined) {
    const ratio = value / other;
    return { ...t, ratio, met: ratio <= t.maxRatio, text: `${figure.label.trim()}: ${byId[t.variant].short} ≤ ${t.maxRatio.toFixed(2)}× ${byId[t.vs].short}${note}: ${fmtRatio(ratio)}` };
  }
  const delta = value - other;
  return { ...t, delta, met: delta <= t.maxDelta, text: `${figure.label.trim()}: ${byId[t.variant].short} ≤ ${byId[t.vs].short} + ${t.maxDelta} ${figure.unit}: ${delta >= 0 ? '+' : ''}${fmt(delta)} ${figure.unit}` };
});

// Where the generator, not the server, may have been the limit.
const warnings = [];
for (const d of details) {
  const pipelined = d.detail?.pipelined;
  if (pipelined && pipelined.generatorCores > 0.9) {
    warnings.push(`run ${d.run + 1} ${d.variant}: the generator used ${(pipelined.generatorCores * 100).toFixed(0)}% of its core in the pipelined figure (it may be the bottleneck)`);
  }
  if (pipelined && pipelined.serverCores < 0.8) {
    warnings.push(`run ${d.run + 1} ${d.variant}: the server used only ${(pipelined.serverCores * 100).toFixed(0)}% of its core in the pipelined figure (not saturated)`);
  }
  if (d.group === 'connect' && d.detail) {
    if (d.detail.generatorCores > 0.9) {
      warnings.push(`run ${d.run + 1} ${d.variant}: the generator used ${(d.detail.generatorCores * 100).toFixed(0)}% of its core in the connection figure (it may be the bottleneck)`);
    }
    if (d.detail.serverCores < 0.8) {
      warnings.push(`run ${d.run + 1} ${d.variant}: the server used only ${(d.detail.serverCores * 100).toFixed(0)}% of its core in the connection figure (not saturated)`);
    }
  }
  const latency = d.detail?.latency;
  if (latency && latency.achievedRate < plan.echo.latencyRate * 0.9) {
    warnings.push(`run ${d.run + 1} ${d.variant}: the latency figure reached only ${fmt(latency.achievedRate)} of ${plan.echo.latencyRate} msg/s`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const out = [];
const elapsed = (Date.now() - startedAt.getTime()) / 1000;
const requestBytes = PROTOCOLS['socket.io'].requestBytes('e-1', 100);
out.push(`wsguard benchmark — ${plan.mode} — ${startedAt.toISOString()} — commit ${commit}${dirty ? ' (uncommitted changes)' : ''}`);
out.push(`node ${process.version}, ${cores} cores (${cpuModel}), pinning: ${pinning}; ${elapsed.toFixed(0)} s`);
out.push(
  `${plan.runs} run(s) per variant, variants alternating (${variants.map((v) => v.short).join(', ')}, then again); ` +
    `each server in its own process, the load generator in another, over 127.0.0.1. Echo requests are ${requestBytes} bytes ` +
    `(Socket.IO event with an ack id, ~100-byte JSON payload)` +
    (variants.some((v) => v.protocol === 'ws') ? `, ${PROTOCOLS.ws.requestBytes('e-1', 100)} on ws (the same payload in a { event, data, id } envelope).` : '.'),
);
for (const s of skipped) out.push(`skipped ${s.id}: ${s.why}`);
out.push('');

const rows = [];
const tableBaseline = variants.find((v) => v.baseline === null)?.id;
for (const figure of figures) {
  // A group that runs on some variants only (the flood) has rows for those.
  variants.filter((variant) => aggregate[figure.id][variant.id].runs.length > 0).forEach((variant, i) => {
    const e = aggregate[figure.id][variant.id];
    let vs = '';
    if (e.vs) {
      vs = fmtRatio(e.ratio);
      if (figure.unit === 'B') vs += ` (${e.delta >= 0 ? '+' : ''}${fmt(e.delta)} B)`;
      else if (e.pairedRatio && e.runs.length > 1) vs += ` (${e.pairedRatio.min.toFixed(2)}–${e.pairedRatio.max.toFixed(2)})`;
      // A variant measured against another baseline (the Redis store against the memory store) says which.
      if (e.vs !== tableBaseline) vs += ` of ${byId[e.vs].short}`;
    }
    rows.push([
      i === 0 ? figure.label : '',
      i === 0 ? figure.unit : '',
      variant.short,
      fmt(e.median),
      e.runs.length > 1 ? `${fmt(e.min)}–${fmt(e.max)}` : '',
      vs,
    ]);
  });
}
if (rows.length > 0) {
  const baseLabel = variants.find((v) => v.baseline === null)?.short ?? 'baseline';
  out.push(table(['figure', 'unit', 'variant', 'median', 'min–max', `vs ${baseLabel} (per-run)`], rows, ['l', 'l', 'l', 'r', 'r', 'r']));
  out.push('');
  out.push(
    `Ratios are variant median / ${baseLabel} median; in brackets the range of run-by-run ratios (each run against the ` +
      `${baseLabel} run next to it). Higher is better for msg/s and conn/s, lower for µs and B.`,
  );
  out.push(
    `Noise: ${cores <= 2 ? `on ${cores} cores` : `on this machine (${cores} cores; measured on 2)`} about 5% is the smallest ` +
      'difference this harness can show — ratios between 0.95 and 1.05 are ties.',
  );
  out.push('');
}

// Redis round trips per message, for the variants on Redis: commands their client sent / echoes, per timed window.
const redisRoundTrips = {};
for (const variant of variants) {
  const windows = (figure) => details.filter((d) => d.variant === variant.id && d.group === 'echo' && d.detail?.[figure]).map((d) => ({ run: d.run, ...d.detail[figure] }));
  // A window in which the store fell back to local limits measured the fallback, not Redis: left out, and listed.
  const perRun = (figure) => windows(figure).filter((w) => typeof w.redisCommandsPerMessage === 'number' && !w.redisDegraded).map((w) => w.redisCommandsPerMessage);
  const degraded = ['rr', 'pipelined'].flatMap((figure) => windows(figure).filter((w) => w.redisDegraded).map((w) => `run ${w.run + 1} ${figure}`));
  const pipelined = perRun('pipelined');
  const requestResponse = perRun('rr');
  if (pipelined.length > 0 || requestResponse.length > 0 || degraded.length > 0) {
    redisRoundTrips[variant.id] = { pipelined: summarize(pipelined), requestResponse: summarize(requestResponse), degraded };
    if (degraded.length > 0) {
      warnings.push(
        `${variant.id}: Redis did not answer within storeTimeoutMs in ${degraded.join(', ')} (a busy machine): the store served ` +
          'those windows from local limits, so their rates are not Redis figures',
      );
    }
  }
}
if (Object.keys(redisRoundTrips).length > 0) {
  const shown = (s) => `${fmt(s.median)}${s.min !== s.max ? ` (${fmt(s.min)}–${fmt(s.max)})` : ''}`;
  out.push('Redis round trips per message (commands the server’s Redis client sent / echoes answered, in each timed window; median, min–max):');
  for (const [id, r] of Object.entries(redisRoundTrips)) {
    out.push(`  ${byId[id].short}: ${shown(r.pipelined)} pipelined (${plan.echo.clients} clients), ${shown(r.requestResponse)} with 1 client in request/response`);
  }
  out.push('');
}

// The flood figure's story: how the attacker fared and how soon the guard acted (per run, from the cells' details).
const floodCells = details.filter((d) => d.group === 'flood' && d.detail);
if (floodCells.length > 0) {
  const f = plan.flood;
  out.push(
    `Flood (e): ${f.clients} well-behaved clients on 127.0.0.3–${2 + f.clients}, ${f.rate} messages/s each; an attacker on 127.0.0.2 with ` +
      `${f.attackerConnections} connections of one user sends as fast as it can for ${seconds(f.floodMs)} s (reconnecting at most ` +
      `${f.maxReconnectsPerSecond}/s) after ${seconds(f.quietMs)} s without it. The guard runs the production preset's own limits ` +
      `and abuse thresholds there. p99 "under the flood" leaves out its first ${seconds(f.onsetMs)} s (shown as onset):`,
  );
  for (const d of floodCells) {
    const a = d.detail.attacker;
    const refusedConnects = a ? Object.entries(a.connectRefused).map(([k, n]) => `${n} ${k}`).join(', ') || 'none' : '?';
    const firstClosed = a?.firstClosedMs == null ? 'never' : `after ${seconds(a.firstClosedMs)} s`;
    out.push(
      `  run ${d.run + 1} ${byId[d.variant].short}: p99 ${fmt(d.figures.flood_p99_quiet)} µs quiet, ${fmt(d.detail.p99Onset)} µs onset, ` +
        `${fmt(d.figures.flood_p99)} µs under the flood; well-behaved messages refused ${d.detail.refused.onset} onset, ` +
        `${d.detail.refused.flood} after; RSS ${fmt(d.detail.rss.before / MIB)} → peak ${fmt(d.detail.rss.peak / MIB)} MiB ` +
        `(+${fmt(d.figures.flood_rss_steady_growth / MIB)} MiB after the onset); ` +
        (a
          ? `attacker sent ${fmt(a.sent)}, ${fmt(a.echoed)} answered, ${fmt(a.refused)} refused; first disconnected ${firstClosed}, ` +
            `${a.closedByServer} disconnect(s), reconnections refused: ${refusedConnects}`
          : 'attacker stats lost'),
    );
  }
  out.push('');
}

if (targets.length > 0) {
  out.push('Targets:');
  for (const t of targets) out.push(`  ${t.met ? 'met    ' : 'NOT MET'}  ${t.text}`);
  out.push('');
}

if (micro) {
  out.push('Micro-benchmarks (one process on core 0; ns per operation, median of samples):');
  out.push(
    table(
      ['operation', 'ns/op', 'min–max', 'µs/op'],
      micro.map((m) => [m.label, fmt(m.summary.median), `${fmt(m.summary.min)}–${fmt(m.summary.max)}`, (m.summary.median / 1000).toFixed(3)]),
      ['l', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  out.push(...scanTargetLines(micro));
}

const guardCpu = aggregate['cpu_per_msg']?.['sio-wsguard'];
const bareCpu = aggregate['cpu_per_msg']?.['sio-bare'];
const admit = micro?.find((m) => m.id === 'admit_message');
if (admit || (guardCpu && bareCpu)) {
  const parts = [];
  if (admit) parts.push(`guard.admitMessage alone ${(admit.summary.median / 1000).toFixed(3)} µs (micro-benchmark)`);
  if (guardCpu && bareCpu) {
    const delta = guardCpu.median - bareCpu.median;
    parts.push(
      `end to end ${fmt(Math.abs(delta))} µs ${delta >= 0 ? 'more' : 'less (within noise)'} server CPU per message than unprotected ` +
        `(${fmt(guardCpu.median)} vs ${fmt(bareCpu.median)} µs; adapter and admitMessage together)`,
    );
  }
  out.push(`Per-message cost of wsguard: ${parts.join('; ')}.`);
  out.push('');
}

if (firstProbe) {
  const worst = Math.max(...details.map((d) => d.quality.lost));
  out.push(
    `Machine: between cells each core spun ${plan.probe.ms} ms; the most wall time a core was taken away (hypervisor, ` +
      `other processes) was ${(worst * 100).toFixed(1)}%. Cells with more than ${(plan.probe.maxLost * 100).toFixed(0)}% were ` +
      `measured again (up to ${plan.probe.retries} times, ${plan.probe.maxRetriesTotal - retriesLeft} re-runs in all).`,
  );
  if (noisyCells.length > 0) {
    out.push(
      `WARNING: ${noisyCells.length} of ${totalCells} cells still ran on a busy machine ` +
        `(${noisyCells.slice(0, 6).map((c) => `run ${c.run + 1} ${c.group} ${c.variant} ${(c.lost * 100).toFixed(0)}%`).join(', ')}` +
        `${noisyCells.length > 6 ? ', …' : ''}): ` +
        'their rates and latencies are unreliable; run again when the machine is quiet. The server-CPU-per-operation ' +
        'rows and memory are steadier (other processes delay the server without changing the CPU an operation costs it), ' +
        'though time the hypervisor takes can inflate CPU figures too.',
    );
  }
  out.push('');
}
for (const w of warnings) out.push(`warning: ${w}`);
for (const p of problems) out.push(`PROBLEM run ${p.run + 1} ${p.group} ${p.variant}: ${p.count} refusal(s)/unexpected packet(s), e.g. ${p.samples.join(' | ')}`);

let comparison = null;
if (args.compare) {
  const previous = JSON.parse(readFileSync(resolve(args.compare), 'utf8'));
  const cmpRows = [];
  comparison = { file: args.compare, commit: previous.meta?.commit, figures: {} };
  for (const figure of figures) {
    for (const variant of variants) {
      const before = previous.figures?.[figure.id]?.[variant.id]?.median;
      const now = aggregate[figure.id][variant.id].median;
      if (before === undefined) continue;
      (comparison.figures[figure.id] ??= {})[variant.id] = { before, now, ratio: now / before };
      cmpRows.push([figure.label.trim(), variant.short, fmt(before), fmt(now), fmtRatio(now / before)]);
    }
  }
  out.push('');
  out.push(`Against ${relative(process.cwd(), resolve(args.compare))} (commit ${previous.meta?.commit ?? '?'}, ${previous.meta?.mode ?? '?'}):`);
  out.push(table(['figure', 'variant', 'before', 'now', 'now/before'], cmpRows, ['l', 'l', 'r', 'r', 'r']));
}

const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const outFile = resolve(args.out ?? join(benchDir, 'results', `${stamp}-${commit}${dirty ? '-dirty' : ''}-${plan.mode}.json`));
mkdirSync(dirname(outFile), { recursive: true });
const resultJson = {
  meta: {
    mode: plan.mode,
    startedAt: startedAt.toISOString(),
    seconds: elapsed,
    commit,
    dirty,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpu: cpuModel,
    cores,
    pinning,
    build: buildNote,
    profiles: profileDir,
    requestBytes,
    churnBudgetPerMinute: churnBudget,
    noise: 'about 5% is the smallest difference this harness can show on 2 cores',
  },
  plan,
  limits,
  variants: variants.map(({ id, label, short, protocol, baseline }) => ({ id, label, short, protocol, baseline })),
  skipped,
  figures: Object.fromEntries(figures.map((f) => [f.id, { ...f, ...aggregate[f.id] }])),
  micro,
  redisRoundTrips,
  targets,
  warnings,
  noisyCells,
  problems,
  comparison,
  cells: details,
};
writeFileSync(outFile, `${JSON.stringify(resultJson, null, 2)}\n`);
out.push('');
if (profileDir) out.push(`CPU profiles: ${relative(process.cwd(), profileDir)} (node bench/profile-summary.mjs ${relative(process.cwd(), profileDir)})`);
out.push(`Results: ${relative(process.cwd(), outFile)}`);
console.log(out.join('\n'));

// A refused or broken generator invalidates the figures: say so with the exit code.
process.exit(problems.length > 0 ? 1 : 0);
