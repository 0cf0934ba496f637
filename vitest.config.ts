import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.js';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**', 'test/smoke/projects/**'],
    // Tests start real servers and child processes: separate processes, and no more at once than the 2 cores.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The last line printed is `tests: N passed, M failed[, K skipped]`, read by CI tooling.
    reporters: ['default', new SummaryReporter()],
  },
});
