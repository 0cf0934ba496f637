/* global process, console, setImmediate, setTimeout */
/**
 * One server variant in its own process (started by bench/run.mjs, pinned to its own core, with --expose-gc).
 *
 * argv[2]: JSON { variant, repoRoot, tmpDir, limits }. Listens on 127.0.0.1:0 and tells the harness its port over
 * the IPC channel, then answers:
 *   { id, cmd: 'cpu' }  → { cpuMicros, echoes, connects, clients }   (process CPU, user + system, and app counters)
 *   { id, cmd: 'credentials', users } → { tokens: { user: token }, payloadField? } | null   (CSRF tokens, if asked)
 *   { id, cmd: 'mem' }  → { heapUsed, rss, external, arrayBuffers, clients } after two forced full GCs
 *   { id, cmd: 'rss' }  → { rss } as it is (no GC)
 *   { id, cmd: 'stop' } → replies, then exits
 */

import { findVariant } from './lib/variants.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
const variant = findVariant(options.variant);
if (!variant) {
  console.error(`bench server: unknown variant ${options.variant}`);
  process.exit(2);
}
if (typeof globalThis.gc !== 'function') {
  console.error('bench server: start me with --expose-gc');
  process.exit(2);
}

const started = await variant.start({ repoRoot: options.repoRoot, tmpDir: options.tmpDir, limits: options.limits, group: options.group });
await new Promise((resolve, reject) => {
  started.server.once('error', reject);
  started.server.listen(0, '127.0.0.1', () => resolve(undefined));
});

/** @returns {Promise<void>} */
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function measureMemory() {
  // Two full collections with a turn of the event loop between them, so weak callbacks and finalizers settle.
  globalThis.gc();
  await tick();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, clients: started.stats().clients };
}

process.on('message', (message) => {
  const { id, cmd } = message;
  const reply = (result) => process.send?.({ id, result });
  switch (cmd) {
    case 'credentials':
      // What each generator user must present (CSRF tokens when the variant's guard asks for them), or null.
      reply(started.credentials?.(message.users) ?? null);
      break;
    case 'cpu': {
      const cpu = process.cpuUsage();
      reply({ cpuMicros: cpu.user + cpu.system, ...started.stats() });
      break;
    }
    case 'mem':
      void measureMemory().then(reply);
      break;
    case 'rss':
      // Without a GC: what the process holds while it works (the flood figure samples it).
      reply({ rss: process.memoryUsage.rss() });
      break;
    case 'stop':
      // The harness keeps no state in here: no graceful drain needed, just leave promptly.
      void Promise.race([started.close(), new Promise((resolve) => setTimeout(resolve, 500))]).finally(() => {
        process.send?.({ id, result: { stopped: true } }, () => process.exit(0));
      });
      break;
    default:
      reply({ error: `unknown command ${cmd}` });
  }
});
process.on('disconnect', () => process.exit(0));

const address = started.server.address();
process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0, pid: process.pid });
