/**
 * The console outbox's reads on PostgreSQL examine a page's worth of index entries, however long
 * the outbox: the list of every state (the newest `limit` of each state's range of
 * (project_id, status, id), merged) and the counts (each stopped at the cap). Checked with
 * EXPLAIN ANALYZE on every statement the store runs, over 3,000 deliveries of the project (a third
 * in each state) behind 3,000 newer ones of another: no plan node handles more rows than the page
 * or the cap. With `status = ?` PostgreSQL walked the primary key from the newest delivery, through
 * the other project's 3,000 (see `inStatusRange`); counted in full, the counts read all 3,000.
 * (SQLite's side: sqlite.outbox-counts.test.ts checks the plans.)
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mostRowsExamined, planProject, seedInBatches } from '../helpers/plans.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { postgresStoreForFile, servicesOff } from '../helpers/postgres.js';
import { deliveryRow } from '../helpers/records.js';

const P = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const OUTBOX = 3000;
const LIMIT = 51;
const CAP = 100;

describe.skipIf(servicesOff)('the console outbox on PostgreSQL over a long outbox', () => {
  let store: KyselyStore;
  postgresStoreForFile({ beforeAll, afterAll }, 10, async (opened) => {
    store = opened;
    await planProject(store, P, 'Outbox');
    const later = Date.now() + 86_400_000;
    await planProject(store, OTHER, 'Other');
    await seedInBatches(OUTBOX, 500, (n) => store.webhooks.enqueueMany(Array.from({ length: n }, () => deliveryRow(P, { nextAttemptAt: later }))));
    // Another project's outbox, newer: what a walk of the primary key from the newest would read first.
    await seedInBatches(OUTBOX, 500, (n) => store.webhooks.enqueueMany(Array.from({ length: n }, () => deliveryRow(OTHER, { nextAttemptAt: later }))));
    // A third of each state, interleaved.
    await sql`update webhook_deliveries set status = case id % 3 when 0 then 'delivered' when 1 then 'failed' else 'pending' end, attempts = case when id % 6 = 2 then 1 else 0 end`.execute(store.db);
    await sql`analyze webhook_deliveries`.execute(store.db);
  });
  it('lists every state, and one, examining at most a page of each state’s range', async () => {
    const all = await store.webhooks.listForProject(P, {}, { limit: LIMIT });
    expect(all).toHaveLength(LIMIT);
    expect(all.map((d) => d.id)).toEqual([...all.map((d) => d.id)].sort((a, b) => b - a));
    expect(await mostRowsExamined(store.db, () => store.webhooks.listForProject(P, {}, { limit: LIMIT }))).toBeLessThanOrEqual(LIMIT);
    expect(await mostRowsExamined(store.db, () => store.webhooks.listForProject(P, {}, { limit: LIMIT, beforeId: all[LIMIT - 1]!.id }))).toBeLessThanOrEqual(LIMIT);
    expect(await mostRowsExamined(store.db, () => store.webhooks.listForProject(P, { status: 'failed' }, { limit: LIMIT }))).toBeLessThanOrEqual(LIMIT);
    // Deep in the history: the index seeks to the cursor rather than filtering down to it.
    const { rows } = await sql<{ id: number }>`select min(id) as id from webhook_deliveries where project_id = ${P}`.execute(store.db);
    const deep = Number(rows[0]!.id) + 300;
    expect((await store.webhooks.listForProject(P, {}, { limit: LIMIT, beforeId: deep })).map((d) => d.id)).toEqual(Array.from({ length: LIMIT }, (_, i) => deep - 1 - i));
    expect(await mostRowsExamined(store.db, () => store.webhooks.listForProject(P, {}, { limit: LIMIT, beforeId: deep }))).toBeLessThanOrEqual(LIMIT);
    expect(await mostRowsExamined(store.db, () => store.webhooks.listForProject(P, { status: 'failed' }, { limit: LIMIT, beforeId: deep }))).toBeLessThanOrEqual(LIMIT);
  });

  it('counts each state up to the cap, examining at most the cap and one', async () => {
    expect(await store.webhooks.countByStatus(P, CAP)).toEqual({
      counts: { pending: CAP, retrying: CAP / 2, delivered: CAP, failed: CAP },
      capped: { pending: true, retrying: true, delivered: true, failed: true },
      cap: CAP,
    });
    expect(await mostRowsExamined(store.db, () => store.webhooks.countByStatus(P, CAP))).toBeLessThanOrEqual(CAP + 1);
  });
});
