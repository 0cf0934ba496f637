import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

/**
 * Prints one plain closing line after Vitest's own summary, for CI tooling that reads it:
 *
 *   tests: N passed, M failed[, K skipped]
 *
 * `failed` counts failed tests, plus every failure that no test carries but that fails the run all the same: a test
 * file that could not load or whose hooks threw, an unhandled error, a test that never finished. So the line never
 * says `0 failed` for a run that failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: readonly TestModule[],
    unhandledErrors: readonly SerializedError[],
    reason: TestRunEndReason,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const testModule of testModules) {
      let failedHere = 0;
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'skipped') skipped += 1;
        else failedHere += 1; // 'failed', or 'pending' (the run ended before the test did)
      }
      // A file that failed to load, or whose beforeAll/afterAll threw, without any failed test to show for it.
      if (failedHere === 0 && testModule.errors().length > 0) failedHere = 1;
      failed += failedHere;
    }
    failed += unhandledErrors.length;
    if (reason === 'failed' && failed === 0) failed = 1;

    const line = `tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`${line}\n`);
  }
}
