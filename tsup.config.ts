import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';

// One dual build (ESM + CommonJS) with declarations for every public entry point.
// The CLI is ESM only: it is a program, never required by a user.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'adapters/socket.io/index': 'src/adapters/socket.io/index.ts',
      // Its own entry, so that `import 'wsguard'` never loads prom-client.
      'metrics/index': 'src/metrics/index.ts',
      'adapters/ws/index': 'src/adapters/ws/index.ts',
      // Its own entry too: only it imports ioredis (an optional peer dependency).
      'stores/redis/index': 'src/stores/redis/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    external: ['socket.io', 'ws', 'ioredis'],
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external: ['socket.io', 'ws', 'ioredis'],
    // The demo's page, styles and browser modules are served from files: ship them beside the bundle.
    onSuccess: () => cp('src/demo/public', 'dist/demo/public', { recursive: true }),
  },
]);
