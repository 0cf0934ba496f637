// ESLint flat config: JS recommended everywhere, typescript-eslint's type-checked rules on every TypeScript file
// (src/, test/, bench/ and the root configs, all covered by tsconfig.json through the project service).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    'dist/',
    'node_modules/',
    'coverage/',
    'bench/results/',
    // Consumer fixtures: plain ESM/CJS and a TS setting of their own, run against the built package by the smoke test.
    'test/smoke/projects/',
  ]),
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits or catches is an unhandled rejection waiting to crash the server.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function passed where a void callback is expected (socket.on, server.on, io.use) loses its errors.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Numbers and booleans in log and error messages are fine.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Values from sockets and user config are checked at run time even where their types say it cannot happen
      // (a destroyed socket has no remoteAddress; JavaScript callers pass anything): those checks stay.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Style only: `() => socket.disconnect()` as a callback is clear enough.
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
);
