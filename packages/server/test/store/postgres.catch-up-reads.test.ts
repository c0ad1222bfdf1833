/**
 * A RELAY catch-up's read of stored events (relay/catch-up.ts) on PostgreSQL examines the last
 * `scanRows` event ids at most, not the project's history: checked with EXPLAIN ANALYZE over a
 * project of 30,000 messages read with a scan of 50 ids, before any ANALYZE (a new database, or a
 * table's first minute) and after one. (SQLite's side, and what the other plan cost there:
 * sqlite.catch-up-reads.test.ts.)
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesWithEvents, mostRowsExamined, planProject, seedInBatches } from '../helpers/plans.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { postgresStoreForFile, servicesOff } from '../helpers/postgres.js';

const P = '11111111-1111-4111-8111-111111111111';
const MESSAGES = 30_000;
const SCAN = 50;

describe.skipIf(servicesOff)('a RELAY catch-up read on PostgreSQL over a long history', () => {
  let store: KyselyStore;
  postgresStoreForFile({ beforeAll, afterAll }, 10, async (opened) => {
    store = opened;
    await planProject(store, P, 'History');
    await seedInBatches(MESSAGES, 1_000, (n) => messagesWithEvents(store, P, n, { context: 'office' }));
  });
  const read = () => store.events.listRecentForContexts(P, ['office', 'default'], ['signalwire_x'], { since: 0, limit: 10, scanRows: SCAN });

  it('examines at most the scanned ids, before the tables are analyzed and after', async () => {
    expect(await read()).toHaveLength(10);
    expect(await mostRowsExamined(store.db, read)).toBeLessThanOrEqual(SCAN);
    await sql`analyze messages`.execute(store.db);
    await sql`analyze message_events`.execute(store.db);
    expect(await mostRowsExamined(store.db, read)).toBeLessThanOrEqual(SCAN);
  });
});
