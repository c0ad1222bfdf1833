import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly', process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setImmediate: 'readonly', clearImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly',
        Buffer: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', fetch: 'readonly',
        AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly',
        queueMicrotask: 'readonly', structuredClone: 'readonly', performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Tests poke at JSON responses; typing every body adds nothing there.
    files: ['**/test/**/*.ts', '**/*.test.ts', 'bench/**', 'examples/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The domain layer stays free of I/O libraries (ARCHITECTURE.md §2). `./store/**` is the
    // persistence port's own folder (domain/ports/store/), not the store adapter.
    files: ['packages/server/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['fastify*', 'kysely*', 'better-sqlite3', 'pg', 'ws', 'undici', 'nats*', '**/store/**', '!./store/**', '**/http/**', '**/engine/**'], message: 'The domain imports no database, HTTP or socket library and no outer layer.' },
        ],
      }],
    },
  },
  {
    // The SDK and protocol depend on nothing of the server.
    files: ['packages/protocol/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@switchboard/server*', 'node:*'], message: 'protocol is pure and platform-neutral.' }] }],
    },
  },
);
