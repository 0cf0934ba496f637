/**
 * Smoke test of the benchmark harness (bench/run.mjs): the Socket.IO pair and the ws pair, every figure group (the
 * flood on the Socket.IO pair) and the micro-benchmarks, with durations of a few hundred milliseconds, end to end
 * against the built dist/ (as `npm test` leaves it). It checks that the harness produced a well-formed result, never
 * how fast anything was: no timing thresholds here.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../..');

interface FigureEntry {
  readonly runs: number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly vs?: string;
  /** Null when the baseline's median is 0. */
  readonly ratio?: number | null;
}

interface BenchResult {
  readonly meta: { readonly mode: string; readonly commit: string; readonly node: string };
  readonly variants: ReadonlyArray<{ readonly id: string; readonly baseline: string | null }>;
  readonly figures: Record<string, Record<string, unknown>>;
  readonly micro: ReadonlyArray<{ readonly id: string; readonly ns: number[]; readonly summary: { readonly median: number } }>;
  readonly targets: ReadonlyArray<{ readonly figure: string; readonly met: boolean }>;
  readonly problems: readonly unknown[];
  readonly cells: ReadonlyArray<{ readonly group: string; readonly variant: string }>;
}

const VARIANTS = ['sio-bare', 'sio-wsguard', 'ws-bare', 'ws-wsguard'] as const;
/** Variants the flood figure runs on. */
const FLOOD_VARIANTS = ['sio-bare', 'sio-wsguard'] as const;
const BASELINE: Record<string, string> = { 'sio-wsguard': 'sio-bare', 'ws-wsguard': 'ws-bare' };
const FIGURES = [
  'echo_rr',
  'echo_pipelined',
  'cpu_per_msg',
  'latency_p50',
  'latency_p99',
  'conn_rate',
  'cpu_per_conn',
  'heap_per_conn',
  'rss_per_conn',
] as const;
const FLOOD_FIGURES = ['flood_p99_quiet', 'flood_p99', 'flood_p99_ratio', 'flood_rss_growth', 'flood_rss_steady_growth'] as const;
/** RSS need not grow for a few dozen connections or a short flood (pages already mapped): only required to be a number. */
const MAY_BE_ZERO = new Set<string>(['rss_per_conn', 'flood_rss_growth', 'flood_rss_steady_growth']);

let dir = '';
let run: { code: number | null; stdout: string; stderr: string } = { code: null, stdout: '', stderr: '' };
let result: BenchResult | null = null;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wsguard-bench-smoke-'));
  const out = join(dir, 'result.json');
  run = await new Promise((resolveRun) => {
    const child = spawn(
      process.execPath,
      ['bench/run.mjs', '--smoke', '--no-build', '--variants', VARIANTS.join(','), '--out', out],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
  if (run.code === 0) result = JSON.parse(await readFile(out, 'utf8')) as BenchResult;
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function entry(figure: string, variant: string): FigureEntry {
  const value = result?.figures[figure]?.[variant];
  if (value === undefined) throw new Error(`no ${figure} for ${variant}`);
  return value as FigureEntry;
}

describe('benchmark harness (smoke)', () => {
  it('runs to the end and writes its results file', () => {
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(result).not.toBeNull();
    expect(result?.meta.mode).toBe('smoke');
    expect(result?.problems).toEqual([]);
    expect(result?.variants.map((v) => v.id)).toEqual([...VARIANTS]);
  });

  it('prints the table, the targets and the noise statement', () => {
    expect(run.stdout).toContain('| figure');
    expect(run.stdout).toContain('vs unprotected');
    expect(run.stdout).toContain('Targets:');
    expect(run.stdout).toMatch(/about 5% is the smallest difference/);
    expect(run.stdout).toContain('Micro-benchmarks');
    // (the smoke run times a few 64 KB strings: the scanner's verdict line is there, whatever it says)
    expect(run.stdout).toMatch(/Scanner targets[^\n]*\n {2}(?:met {4}|NOT MET|\(no chat figure)/);
  });

  it('measured every figure for every variant (the flood for its pair), one run each, numbers above zero', () => {
    const measured = [
      ...FIGURES.flatMap((figure) => VARIANTS.map((variant) => [figure, variant] as const)),
      ...FLOOD_FIGURES.flatMap((figure) => FLOOD_VARIANTS.map((variant) => [figure, variant] as const)),
    ];
    for (const [figure, variant] of measured) {
      const e = entry(figure, variant);
      expect(e.runs, `${figure} ${variant}`).toHaveLength(1);
      expect(Number.isFinite(e.median), `${figure} ${variant} = ${e.median}`).toBe(true);
      if (!MAY_BE_ZERO.has(figure)) expect(e.median, `${figure} ${variant}`).toBeGreaterThan(0);
    }
    expect(entry('flood_p99', 'ws-bare').runs).toEqual([]);
  });

  it('computed the ratio of each protected variant to its unprotected baseline for every figure', () => {
    for (const [variant, baseline] of Object.entries(BASELINE)) {
      for (const figure of [...FIGURES, ...(variant === 'sio-wsguard' ? FLOOD_FIGURES : [])]) {
        const e = entry(figure, variant);
        expect(e.vs, `${figure} ${variant}`).toBe(baseline);
        // A figure that may be 0 has no ratio (null) when its baseline is 0.
        if (MAY_BE_ZERO.has(figure) && e.ratio === null) expect(entry(figure, baseline).median, `${figure} ${baseline}`).toBe(0);
        else expect(typeof e.ratio, `${figure} ${variant} ratio`).toBe('number');
        if (!MAY_BE_ZERO.has(figure)) {
          expect(Number.isFinite(e.ratio), `${figure} ${variant} ratio ${e.ratio}`).toBe(true);
          expect(e.ratio, figure).toBeGreaterThan(0);
        }
      }
    }
    expect(entry('echo_pipelined', 'sio-bare').ratio).toBeUndefined();
    expect(entry('echo_pipelined', 'ws-bare').ratio).toBeUndefined();
    expect(result?.targets.length).toBeGreaterThan(0);
  });

  it('ran the micro-benchmarks', () => {
    const ids = result?.micro.map((m) => m.id) ?? [];
    expect(ids).toEqual(expect.arrayContaining(['admit_message', 'consume_tokens', 'create_guard', 'validate_config', 'load_config']));
    for (const m of result?.micro ?? []) {
      expect(m.ns.length, m.id).toBeGreaterThan(0);
      expect(m.summary.median, m.id).toBeGreaterThan(0);
    }
  });

  it('alternated the variants within each figure group', () => {
    const order = result?.cells.map((c) => `${c.group}:${c.variant}`) ?? [];
    expect(order).toEqual([
      ...['echo', 'connect', 'idle'].flatMap((g) => VARIANTS.map((v) => `${g}:${v}`)),
      ...FLOOD_VARIANTS.map((v) => `flood:${v}`),
    ]);
  });
});
