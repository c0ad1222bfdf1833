/**
 * Jobs born leased take their ids from the identity sequence in blocks on PostgreSQL
 * (`store/job-ids.ts`), so their insert needs no answer. Those ids must never meet the ones
 * PostgreSQL generates for other jobs, nor each other across concurrent transactions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewJob } from '../../src/domain/jobs.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

describe.skipIf(servicesOff)('job ids in blocks on PostgreSQL', () => {
  let db: TestDatabase;
  let store: KyselyStore;
  let n = 0;
  const jobs = (count: number): NewJob[] => Array.from({ length: count }, () => ({ kind: 'dispatch', projectId: 'p1', messageId: `m${++n}`, runAt: 1_000 }));

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openPostgresStore({ url: db.url, poolSize: 4 });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('gives concurrent transactions distinct ids that PostgreSQL’s own never meet', async () => {
    const leased = await Promise.all(Array.from({ length: 6 }, () => store.transaction((tx) => tx.jobs.enqueueLeased(jobs(400), 'node-a', 5_000))));
    await store.jobs.enqueueMany(jobs(50));
    const ids = leased.flat().map((j) => j.id);
    expect(new Set(ids).size).toBe(2_400);
    const stored = await store.db.selectFrom('jobs').select(['id', 'message_id', 'lease_owner']).execute();
    expect(stored).toHaveLength(2_450);
    expect(new Set(stored.map((r) => Number(r.id))).size).toBe(2_450);
    // Each leased job was stored under the id it was reported with.
    const byMessage = new Map(stored.map((r) => [r.message_id, Number(r.id)]));
    for (const j of leased.flat()) expect(byMessage.get(j.messageId)).toBe(j.id);
  });
});
