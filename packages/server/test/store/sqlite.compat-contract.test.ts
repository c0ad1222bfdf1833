import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import { describeCompatStoreContract } from './compat-store-contract.js';

const root = mkdtempSync(join(tmpdir(), 'switchboard-compat-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeCompatStoreContract('sqlite', async () => {
  const dir = join(root, randomUUID());
  const store = await openSqliteStore({ file: join(dir, 'switchboard.sqlite') });
  return {
    store,
    isUniqueViolation: (err) => store.isUniqueViolation(err),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
