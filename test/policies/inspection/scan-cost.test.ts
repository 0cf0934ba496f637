import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * scripts/scan-cost.mjs counts instructions per scan of two builds under valgrind (minutes: not run here). What is
 * checked is what it hands valgrind: the worker builds each workload and scans it with the build it is given, and the
 * script refuses arguments it cannot use with a usage line and exit code 2.
 */
const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../../..');
const corpusDir = resolve(repoRoot, '../shared/corpus');
const script = join(repoRoot, 'scripts', 'scan-cost.mjs');
const built = existsSync(join(repoRoot, 'dist', 'index.js'));
const env = { ...process.env, WSGUARD_CORPUS: corpusDir };

const worker = (workload: string, passes: number) => run(process.execPath, [script, '--worker', repoRoot, workload, String(passes)], { env });
const refusal = (args: string[]) =>
  run(process.execPath, [script, ...args], { env }).then(
    () => null,
    (error: unknown) => error as { code?: number; stderr?: string },
  );

describe.skipIf(!built)('scan-cost', () => {
  it('scans each 64 KB workload with the build it is given, the README with its findings', async () => {
    for (const workload of ['+AB', ';if(', 'a＜', '%25', 'random', 'readme']) {
      const { stdout } = await worker(workload, 2);
      expect(stdout, workload).toMatch(/^values 1 findings \d+$/m);
      // the README quotes attacks: the build finds them
      if (workload === 'readme') expect(Number(/findings (\d+)/.exec(stdout)?.[1])).toBeGreaterThan(0);
    }
  }, 60_000);

  it.skipIf(!existsSync(corpusDir))('builds the chat workload from every prose line of the benign corpus', async () => {
    const { stdout } = await worker('chat', 1);
    expect(Number(/values (\d+)/.exec(stdout)?.[1])).toBeGreaterThan(5_000);
  }, 60_000);

  it('refuses missing checkouts and unknown workloads with exit code 2', async () => {
    const none = await refusal([]);
    expect(none?.code).toBe(2);
    expect(none?.stderr).toMatch(/^usage: node scripts\/scan-cost\.mjs OLD_CHECKOUT NEW_CHECKOUT/m);
    const unknown = await refusal([repoRoot, repoRoot, 'nonsense']);
    expect(unknown?.code).toBe(2);
    expect(unknown?.stderr).toMatch(/unknown workload "nonsense"/);
  });
});
