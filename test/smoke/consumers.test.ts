/**
 * Consumer smoke test: the built package (dist/, as `npm test` leaves it after its build) used the way an installed
 * copy is. Each consumer project under test/smoke/projects is copied to a temporary directory whose
 * node_modules/wsguard is a symlink to the repository root, so `exports` resolution, the ESM and CJS builds and the
 * .d.ts/.d.cts declarations are exercised exactly as after `npm install wsguard`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../..');
const projectsDir = join(import.meta.dirname, 'projects');
const tsc = join(repoRoot, 'node_modules/.bin/tsc');

const BUILD_OUTPUTS = [
  'dist/index.js',
  'dist/index.cjs',
  'dist/index.d.ts',
  'dist/index.d.cts',
  'dist/adapters/socket.io/index.js',
  'dist/adapters/socket.io/index.cjs',
  'dist/adapters/socket.io/index.d.ts',
  'dist/adapters/socket.io/index.d.cts',
  'dist/adapters/ws/index.js',
  'dist/adapters/ws/index.cjs',
  'dist/metrics/index.js',
  'dist/metrics/index.cjs',
  'dist/metrics/index.d.ts',
  'dist/stores/redis/index.js',
  'dist/stores/redis/index.cjs',
  'dist/stores/redis/index.d.ts',
  'dist/stores/redis/index.d.cts',
  'dist/cli.js',
];

interface RunResult {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a child process to its end (killed after `timeoutMs`), never throwing: the caller judges the result. */
function run(file: string, args: readonly string[], cwd: string, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const command = [file, ...args].join(' ');
    const child = spawn(file, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      stderr += `\n[spawn failed: ${err.message}]`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ command, code, signal, timedOut, stdout, stderr });
    });
  });
}

/** The message a failed check shows: how the child ended, then its stderr (and stdout, where tsc reports). */
function explain(result: RunResult, what: string): string {
  const ended = result.timedOut
    ? 'did not finish in time (killed): a hang, or a handle left open after closing the server and the guard'
    : `exited with ${result.signal === null ? `code ${String(result.code)}` : `signal ${result.signal}`}`;
  return [
    `${what}: \`${result.command}\` ${ended}`,
    `--- stderr ---\n${result.stderr.trim() || '(empty)'}`,
    `--- stdout ---\n${result.stdout.trim().slice(-4_000) || '(empty)'}`,
  ].join('\n');
}

function expectSuccess(result: RunResult, what: string): void {
  expect(result.timedOut ? null : result.code, explain(result, what)).toBe(0);
}

const tempDirs: string[] = [];

/** A temporary consumer: the project's files, and node_modules holding symlinks as an install would lay them out. */
async function makeConsumer(project: string, packageJson?: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `wsguard-smoke-${project}-`));
  tempDirs.push(dir);
  await cp(join(projectsDir, project), dir, { recursive: true });
  if (packageJson) await writeFile(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  const links: Record<string, string> = {
    wsguard: repoRoot,
    'socket.io': join(repoRoot, 'node_modules/socket.io'),
    'socket.io-client': join(repoRoot, 'node_modules/socket.io-client'),
    // The optional peer dependency of wsguard/redis (its declarations import ioredis's types).
    ioredis: join(repoRoot, 'node_modules/ioredis'),
    '@types/node': join(repoRoot, 'node_modules/@types/node'),
  };
  for (const [name, target] of Object.entries(links)) {
    const link = join(dir, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(target, link, 'dir');
  }
  return dir;
}

const printedOk = (stdout: string): boolean => stdout.split(/\r?\n/).some((line) => line.trim() === 'ok');

describe('the built package, used as an installed dependency', () => {
  beforeAll(() => {
    const missing = BUILD_OUTPUTS.filter((file) => !existsSync(join(repoRoot, file)));
    if (missing.length > 0) {
      throw new Error(`build outputs missing (${missing.join(', ')}): run \`npm run build\` first (\`npm test\` does)`);
    }
  });

  afterAll(async () => {
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('works from an ES module: guard, Socket.IO server, a client let in, a foreign origin refused', async () => {
    const dir = await makeConsumer('esm');
    const result = await run(process.execPath, ['main.js'], dir);
    expectSuccess(result, 'ESM consumer');
    expect(printedOk(result.stdout), explain(result, 'ESM consumer did not print `ok`')).toBe(true);
  });

  it('works from CommonJS (require)', async () => {
    const dir = await makeConsumer('cjs');
    const result = await run(process.execPath, ['main.js'], dir);
    expectSuccess(result, 'CJS consumer');
    expect(printedOk(result.stdout), explain(result, 'CJS consumer did not print `ok`')).toBe(true);
  });

  it.each([
    ['an ES module', 'module'],
    ['CommonJS', 'commonjs'],
  ] as const)('type-checks in a TypeScript project compiled as %s (module node16)', async (_label, type) => {
    const dir = await makeConsumer('ts', { name: `wsguard-smoke-ts-${type}`, private: true, type });
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir, 60_000);
    expectSuccess(result, `tsc (${type})`);
  }, 70_000);

  it('has a CLI that answers --help and --version', async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const help = await run(process.execPath, ['dist/cli.js', '--help'], repoRoot);
    expectSuccess(help, 'wsguard --help');
    expect(help.stdout, explain(help, 'wsguard --help does not list `demo`')).toMatch(/\bdemo\b/);
    const version = await run(process.execPath, ['dist/cli.js', '--version'], repoRoot);
    expectSuccess(version, 'wsguard --version');
    expect(version.stdout, explain(version, 'wsguard --version')).toContain(pkg.version);
    // The audit subcommand is bundled into the built CLI: a usage error exits 2 and says how to call it.
    const audit = await run(process.execPath, ['dist/cli.js', 'audit'], repoRoot);
    expect(audit.code, explain(audit, 'wsguard audit without a subcommand')).toBe(2);
    expect(audit.stderr + audit.stdout).toMatch(/audit verify/);
  });
});
