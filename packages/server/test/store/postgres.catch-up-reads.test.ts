/**
 * A RELAY catch-up's read of stored events (relay/catch-up.ts) on PostgreSQL examines at most
 * `scanRows` event ids a statement, not the project's history: checked with EXPLAIN ANALYZE over a
 * project of 30,000 messages read with parts of 50 ids, before any ANALYZE (a new database, or a
 * table's first minute) and after one; and past another project's burst, the walk ends at the
 * window's start. (SQLite's side, and what the other plan cost there: sqlite.catch-up-reads.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { messagesWithEvents, mostRowsExamined, planProject, rowsExamined as examined, seedInBatches } from '../helpers/plans.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

const P = '11111111-1111-4111-8111-111111111111';
const MESSAGES = 30_000;
const SCAN = 50;

describe.skipIf(servicesOff)('a RELAY catch-up read on PostgreSQL over a long history', () => {
  let db: TestDatabase;
  let store: KyselyStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openPostgresStore({ url: db.url });
    await planProject(store, P, 'History');
    await seedInBatches(MESSAGES, 1_000, (n) => messagesWithEvents(store, P, n, { context: 'office' }));
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  const read = () => store.events.listRecentForContexts(P, ['office', 'default'], ['signalwire_x'], { since: 0, limit: 10, scanRows: SCAN, scanSince: 0, maxScanRows: MESSAGES });

  it('examines at most the scanned ids, before the tables are analyzed and after', async () => {
    // Also with another project's read at the same time (one statement a part for both: `project_id in (...)`).
    const withAnother = () => Promise.all([read(), store.events.listRecentForContexts('22222222-2222-4222-8222-222222222222', ['office'], [], { since: 0, limit: 10, scanRows: SCAN, scanSince: 0, maxScanRows: MESSAGES })]);
    expect(await read()).toHaveLength(10);
    expect(await mostRowsExamined(store.db, read)).toBeLessThanOrEqual(SCAN);
    expect(await mostRowsExamined(store.db, withAnother)).toBeLessThanOrEqual(SCAN);
    await sql`analyze messages`.execute(store.db);
    await sql`analyze message_events`.execute(store.db);
    expect(await mostRowsExamined(store.db, read)).toBeLessThanOrEqual(SCAN);
    expect(await mostRowsExamined(store.db, withAnother)).toBeLessThanOrEqual(SCAN);
  });

  it("walks past another project's burst a part a statement, and stops at the window's start", async () => {
    const Q = '22222222-2222-4222-8222-222222222222';
    await store.projects.create({ id: Q, name: 'Busy', signingKey: 'PSK_busy', createdAt: 0 });
    const busy = randomUUID();
    await store.events.insertMany(Array.from({ length: 10 * SCAN }, () => ({ messageId: busy, projectId: Q, status: 'sent' as const, at: 1_000, errorCode: null, errorMessage: null, detail: null })));
    const windowed = () => store.events.listRecentForContexts(P, ['office', 'default'], ['signalwire_x'], { since: 1_000, limit: 10, scanRows: SCAN, scanSince: 1_000, maxScanRows: MESSAGES * 2 });
    expect(await windowed()).toEqual([]);
    // The top, then ten parts of the burst, each with a look at the event below it (P's, older: the end).
    expect(await examined(store.db, windowed)).toEqual({ most: expect.any(Number), statements: 1 + 10 + 10 });
    expect(await mostRowsExamined(store.db, windowed)).toBeLessThanOrEqual(SCAN);
    // Reads of several projects at once: one walk, each part one statement for all of them, as bounded.
    const R = '33333333-3333-4333-8333-333333333333';
    const together = () => Promise.all([P, Q, R].map((p) => store.events.listRecentForContexts(p, ['office', 'default'], ['signalwire_x'], { since: 1_000, limit: 10, scanRows: SCAN, scanSince: 1_000, maxScanRows: MESSAGES * 2 })));
    expect(await together()).toEqual([[], [], []]);
    expect(await examined(store.db, together)).toEqual({ most: expect.any(Number), statements: 1 + 10 + 10 });
    expect(await mostRowsExamined(store.db, together)).toBeLessThanOrEqual(SCAN);
  });
});
