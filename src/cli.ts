/**
 * The one `wsguard` command. Subcommands: `demo`, `audit verify`; later features add theirs here.
 */

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `Usage: wsguard <command> [options]

Commands:
  demo              Run the demo chat protected by wsguard (PORT, default 3000; HOST, default 127.0.0.1)
  audit verify FILE...
                    Check an audit log's hash chain across rotated files (exit 0 intact, 1 broken, 2 usage)

Options:
  -h, --help      Show this help
  -v, --version   Show the version
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function runDemo(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = Number(values.port ?? process.env['PORT'] ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid port: ${String(values.port ?? process.env['PORT'])}`);
  const { startDemo } = await import('./demo/server.js');
  const demo = await startDemo({ port, host: values.host ?? process.env['HOST'] ?? '127.0.0.1' });
  process.stdout.write(`wsguard demo listening on ${demo.url}\n`);
  const stop = (): void => {
    void demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command === 'audit') {
    const { auditCommand } = await import('./events/audit/cli.js');
    return auditCommand(rest, process.stdout, process.stderr);
  }
  if (command === 'demo') {
    await runDemo(rest);
    return -1;
  }
  process.stderr.write(`wsguard: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`wsguard: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
