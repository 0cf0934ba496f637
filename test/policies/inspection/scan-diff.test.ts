import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/scan-diff.mjs, the differential that holds a speed change to every verdict of the build before it: it
 * passes a build compared with itself and reports one that scans differently.
 */
const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../../..');
const corpusDir = resolve(repoRoot, '../shared/corpus');
const script = join(repoRoot, 'scripts', 'scan-diff.mjs');
const ready = existsSync(corpusDir) && existsSync(join(repoRoot, 'dist', 'index.js'));

// a "build" whose scanner finds nothing at all
const fake = mkdtempSync(join(tmpdir(), 'wsguard-scan-diff-'));
mkdirSync(join(fake, 'dist'));
writeFileSync(join(fake, 'dist', 'index.js'), 'export const scanPayload = () => [];\n');
afterAll(() => rmSync(fake, { recursive: true, force: true }));

const diff = (oldRoot: string) =>
  run(process.execPath, [script, oldRoot, repoRoot, '1000'], { env: { ...process.env, WSGUARD_CORPUS: corpusDir }, maxBuffer: 1 << 24 });

describe.skipIf(!ready)('scan-diff', () => {
  it('finds no difference between a build and itself', async () => {
    const { stdout } = await diff(repoRoot);
    expect(stdout).toMatch(/^\d+ values scanned by both builds: 0 scanned differently$/m);
  }, 60_000);

  it('reports a build that scans differently, and exits with 1', async () => {
    const failure = await diff(fake).then(
      () => null,
      (error: unknown) => error as { code?: number; stdout?: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toMatch(/^differs: /m);
    expect(failure?.stdout).not.toMatch(/: 0 scanned differently$/m);
  }, 60_000);
});
