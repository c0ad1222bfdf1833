/**
 * A RELAY catch-up's read of stored events (relay/catch-up.ts) walks the last `scanRows` event ids,
 * not the project's history. Without planner statistics (a new database, or one whose tables grew
 * since `PRAGMA optimize` last looked) SQLite drove the join from the project's messages, every one
 * it ever had, then sorted their events: 1.9 s for a project with 25,000 messages, every reconnect
 * of one of its sessions, and SQLite being synchronous no other project was served meanwhile.
 * (PostgreSQL's side: postgres.catch-up-reads.test.ts.)
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { messagesWithEvents, sqlitePlan, statementsOf } from '../helpers/plans.js';

const P = '11111111-1111-4111-8111-111111111111';
let store: KyselyStore;
beforeEach(async () => {
  store = (await openSqliteStore({ file: ':memory:' })) as KyselyStore;
});
afterEach(async () => {
  await store.close();
});

it("reads the last event ids first and looks each event's message up by id, never the project's messages in full", async () => {
  await messagesWithEvents(store, P, 200, { context: 'office' });
  const seen = await statementsOf(store.db, async () => {
    expect(await store.events.listRecentForContexts(P, ['office', 'default'], ['signalwire_x'], { since: 0, limit: 10, scanRows: 50 })).toHaveLength(10);
  });
  const join = seen.filter((s) => /join/i.test(s.sql));
  expect(join).toHaveLength(1);
  expect(await sqlitePlan(store.db, join[0]!)).toEqual([expect.stringMatching(/^SEARCH e USING INTEGER PRIMARY KEY \(rowid>\?\)$/), expect.stringMatching(/^SEARCH m USING INDEX \S+ \(id=\?\)$/)]);
});
