/**
 * Jobs born leased take their ids from the identity sequence in blocks on PostgreSQL
 * (`store/job-ids.ts`), so their insert needs no answer. Those ids must never meet the ones
 * PostgreSQL generates for other jobs, nor each other across concurrent transactions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewJob } from '../../src/domain/jobs.js';
import { postgresStoreForFile, servicesOff } from '../helpers/postgres.js';

describe.skipIf(servicesOff)('job ids in blocks on PostgreSQL', () => {
  let n = 0;
  const jobs = (count: number): NewJob[] => Array.from({ length: count }, () => ({ kind: 'dispatch', projectId: 'p1', messageId: `m${++n}`, runAt: 1_000 }));

  const suite = postgresStoreForFile({ beforeAll, afterAll }, 4);

  it('gives concurrent transactions distinct ids that PostgreSQL’s own never meet', async () => {
    const leased = await Promise.all(Array.from({ length: 6 }, () => suite.store.transaction((tx) => tx.jobs.enqueueLeased(jobs(400), 'node-a', 5_000))));
    await suite.store.jobs.enqueueMany(jobs(50));
    const ids = leased.flat().map((j) => j.id);
    expect(new Set(ids).size).toBe(2_400);
    const stored = await suite.store.db.selectFrom('jobs').select(['id', 'message_id', 'lease_owner']).execute();
    expect(stored).toHaveLength(2_450);
    expect(new Set(stored.map((r) => Number(r.id))).size).toBe(2_450);
    // Each leased job was stored under the id it was reported with.
    const byMessage = new Map(stored.map((r) => [r.message_id, Number(r.id)]));
    for (const j of leased.flat()) expect(byMessage.get(j.messageId)).toBe(j.id);
  });
});
