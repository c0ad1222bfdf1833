import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import { phoneNumberRow } from '../helpers/records.js';
import { describeStoreContract } from './store-contract.js';

const root = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function freshFile(): string {
  return join(root, randomUUID(), 'switchboard.sqlite');
}

describeStoreContract(
  'sqlite',
  async () => {
    const file = freshFile();
    const store = await openSqliteStore({ file });
    return {
      store,
      isUniqueViolation: (err) => store.isUniqueViolation(err),
      close: async () => {
        await store.close();
        rmSync(join(file, '..'), { recursive: true, force: true });
      },
    };
  },
  // Source bugs this adapter still has (see the contract's KnownStoreBug for each): none.
  { knownBugs: [] },
);

describe('the SQLite store on disk', () => {
  const T0 = Date.UTC(2026, 0, 1);
  const projectId = '33333333-3333-4333-8333-333333333333';

  it('finds committed data again after closing and reopening the file', async () => {
    const file = freshFile();
    const first = await openSqliteStore({ file });
    await first.projects.create({ id: projectId, name: 'Durable', signingKey: 'PSK_durable', createdAt: T0 });
    await first.numbers.create(phoneNumberRow(projectId, '+15550009999', { name: 'Kept', capabilities: ['sms'], createdAt: T0 }));
    await first.transaction(async (tx) => {
      await tx.jobs.enqueueMany([{ kind: 'dispatch', projectId, messageId: 'm-1', runAt: T0 }]);
      await tx.webhooks.enqueueMany([
        { projectId, messageId: 'm-1', kind: 'status_callback', url: 'https://example.com/cb', method: 'POST', contentType: 'application/json', body: '{}', signature: 'json-hex', fallbackUrl: null, fallbackMethod: null, maxAttempts: 3, nextAttemptAt: T0 },
      ]);
    });
    await first.close();

    const second = await openSqliteStore({ file });
    try {
      expect(await second.projects.get(projectId)).toEqual({ id: projectId, name: 'Durable', signingKey: 'PSK_durable', createdAt: T0 });
      expect((await second.numbers.resolveOwner('+15550009999'))?.name).toBe('Kept');
      expect(await second.jobs.count('dispatch')).toBe(1);
      expect(await second.webhooks.countPending()).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('opens an already-migrated database without migrating it again or losing rows', async () => {
    const file = freshFile();
    const first = await openSqliteStore({ file });
    await first.projects.create({ id: projectId, name: 'Once', signingKey: 'PSK_once', createdAt: T0 });
    await first.close();
    for (let i = 0; i < 2; i++) {
      const again = await openSqliteStore({ file });
      try {
        expect((await again.projects.list()).map((p) => p.name)).toEqual(['Once']);
      } finally {
        await again.close();
      }
    }
  });

  it('creates the folder of a new database file', async () => {
    const file = join(root, randomUUID(), 'nested', 'deeper', 'db.sqlite');
    const store = await openSqliteStore({ file });
    try {
      await store.ping();
      expect(store.dialect).toBe('sqlite');
    } finally {
      await store.close();
    }
  });
});
