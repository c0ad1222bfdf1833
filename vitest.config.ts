import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Workspace packages export their TypeScript sources under the "source" condition,
    // so tests run against src without a build step.
    conditions: ['source'],
  },
  // Vite applies `resolve.conditions` to browser code only; tests run in the server environment.
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // A test CA trusted by every worker (NODE_EXTRA_CA_CERTS must be set before a process starts),
    // and a migrated PostgreSQL template database per run, copied by tests that run on PostgreSQL.
    globalSetup: ['packages/server/test/global-setup.ts', 'packages/server/test/postgres-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    restoreMocks: true,
  },
});
