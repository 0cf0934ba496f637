import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.js';

/** The benchmark harness's smoke run pins its server and load generator to both cores: it runs alone, after the rest. */
const BENCH_SMOKE = 'test/bench/harness-smoke.test.ts';

export default defineConfig({
  test: {
    environment: 'node',
    // Tests start real servers and child processes: separate processes, and no more at once than the 2 cores.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The last line printed is `tests: N passed, M failed[, K skipped]`, read by CI tooling.
    reporters: ['default', new SummaryReporter()],
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['**/node_modules/**', 'dist/**', 'test/smoke/projects/**', BENCH_SMOKE] },
      },
      // Beside the browser test it starved both (a dashboard missing events, a load figure of 0): a later group
      // starts once every file of the earlier one has finished.
      { extends: true, test: { name: 'bench-smoke', include: [BENCH_SMOKE], sequence: { groupOrder: 1 } } },
    ],
  },
});
