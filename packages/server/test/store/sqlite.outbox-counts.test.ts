/**
 * The console outbox's counts read the index (project_id, status, id), not the rows: read row by
 * row, a project's delivered history (400,000 deliveries) cost the node — SQLite being
 * synchronous — 300 ms a count, and four lists at once held every project's requests for a second.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { sqlitePlan, statementsOf } from '../helpers/plans.js';

const P = '11111111-1111-4111-8111-111111111111';
let store: KyselyStore;
beforeEach(async () => {
  store = (await openSqliteStore({ file: ':memory:' })) as KyselyStore;
});
afterEach(async () => {
  await store.close();
});

it('counts a project’s deliveries by status from the index, reading only its pending rows', async () => {
  const plans = await plansOf(() => store.webhooks.countByStatus(P, 1000));
  expect(plans.length).toBeGreaterThan(0);
  // Every status (the delivered history too) from the index alone; the rows read only for the
  // pending ones, the only ones whose attempts are counted.
  expect(plans.some((p) => /COVERING INDEX webhook_deliveries_project \(project_id=\? AND status=\?/.test(p))).toBe(true);
  for (const p of plans) expect(p).toMatch(/webhook_deliveries_project \(project_id=\? AND status=\?/);
});

/** The query plans of the statements `work` runs. */
async function plansOf(work: () => Promise<unknown>): Promise<string[]> {
  const plans: string[] = [];
  for (const s of await statementsOf(store.db, work)) plans.push((await sqlitePlan(store.db, s)).join('; '));
  return plans;
}

it('lists a project’s outbox of every state from index ranges, never sorting the whole outbox (300,000 deliveries: 680 ms a page)', async () => {
  for (const page of [{ limit: 51 }, { limit: 51, beforeId: 1000 }]) {
    const plans = await plansOf(() => store.webhooks.listForProject(P, {}, page));
    expect(plans.length).toBeGreaterThan(0);
    for (const p of plans) {
      expect(p).toMatch(/webhook_deliveries_project \(project_id=\? AND status=\?/);
      expect(p).not.toMatch(/TEMP B-TREE/);
    }
  }
});

it('stops each count at the cap: a LIMIT on an index range, never a count of the whole history', async () => {
  const statements = await statementsOf(store.db, () => store.webhooks.countByStatus(P, 1000));
  for (const s of statements) expect(s.sql).toMatch(/limit \?/i);
});
