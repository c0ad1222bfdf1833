/**
 * A RELAY catch-up's read of stored events (relay/catch-up.ts) walks event ids down from the
 * newest, `scanRows` a statement, to the start of its window: not the project's history. Without
 * planner statistics (a new database, or one whose tables grew since `PRAGMA optimize` last looked)
 * SQLite once drove the join from the project's messages, every one it ever had, then sorted their
 * events: 1.9 s for a project with 25,000 messages, every reconnect of one of its sessions, and
 * SQLite being synchronous no other project was served meanwhile. Each statement of the walk is a
 * search by key, and the walk ends at the window's start, however many events other projects
 * wrote after it. (PostgreSQL's side: postgres.catch-up-reads.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import type { CompiledQuery } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RecentEventsBounds } from '../../src/domain/ports/store.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { messagesWithEvents, sqlitePlan, statementsOf } from '../helpers/plans.js';

const P = '11111111-1111-4111-8111-111111111111';
const Q = '22222222-2222-4222-8222-222222222222';
let store: KyselyStore;
beforeEach(async () => {
  store = (await openSqliteStore({ file: ':memory:' })) as KyselyStore;
});
afterEach(async () => {
  await store.close();
});

/** P's 200 messages in `office`, each delivered at 1. */
const history = () => messagesWithEvents(store, P, 200, { context: 'office' });

/** The statements a read of P's events runs (with reads of `others` at the same time: one walk), and its rows. */
async function readOf(bounds: RecentEventsBounds, others: readonly string[] = []): Promise<{ statements: CompiledQuery[]; rows: number }> {
  let rows = 0;
  const statements = await statementsOf(store.db, async () => {
    const [mine] = await Promise.all([P, ...others].map((p) => store.events.listRecentForContexts(p, ['office', 'default'], ['signalwire_x'], bounds)));
    rows = mine!.length;
  });
  return { statements, rows };
}

const planOf = (s: CompiledQuery) => sqlitePlan(store.db, s);

it("reads the last event ids first and looks each event's message up by id, never the project's messages in full", async () => {
  await history();
  const { statements, rows } = await readOf({ since: 0, limit: 10, scanRows: 50, scanSince: 0, maxScanRows: 1_000 });
  expect(rows).toBe(10);
  const join = statements.filter((s) => /join/i.test(s.sql));
  expect(join).toHaveLength(1);
  expect(await planOf(join[0]!)).toEqual([expect.stringMatching(/^SEARCH e USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)$/), expect.stringMatching(/^SEARCH m USING INDEX \S+ \(id=\?\)$/)]);
});

it("walks past another project's burst by key, a part a statement, and stops at the window's start", async () => {
  await history();
  // Another project then writes 1,000 events, all after P's window starts (at 1,000).
  const busy = randomUUID();
  await store.events.insertMany(Array.from({ length: 1_000 }, () => ({ messageId: busy, projectId: Q, status: 'sent' as const, at: 1_000, errorCode: null, errorMessage: null, detail: null })));
  const { statements, rows } = await readOf({ since: 1_000, limit: 10, scanRows: 100, scanSince: 1_000, maxScanRows: 1_000_000 });
  expect(rows).toBe(0);
  // Ten parts of the burst; the event below the tenth is P's, older than the window: the walk ends there.
  expect(statements.filter((s) => /join/i.test(s.sql))).toHaveLength(10);
  expect(statements.length).toBe(1 + 10 + 10);
  for (const s of statements) for (const step of await planOf(s)) expect(step).not.toMatch(/^SCAN/);
});

it("serves reads of several projects at once with one statement a part, still a search by key", async () => {
  await history();
  const busy = randomUUID();
  await store.events.insertMany(Array.from({ length: 1_000 }, () => ({ messageId: busy, projectId: Q, status: 'sent' as const, at: 1_000, errorCode: null, errorMessage: null, detail: null })));
  const others = ['33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444'];
  const { statements, rows } = await readOf({ since: 1_000, limit: 10, scanRows: 100, scanSince: 1_000, maxScanRows: 1_000_000 }, [Q, ...others]);
  expect(rows).toBe(0);
  // Four projects' reads, one walk: the top, ten parts (each for all four), a look below each.
  expect(statements.length).toBe(1 + 10 + 10);
  const join = statements.filter((s) => /join/i.test(s.sql));
  expect(join).toHaveLength(10);
  expect(join[0]!.parameters).toEqual(expect.arrayContaining([P, Q, ...others]));
  expect(await planOf(join[0]!)).toEqual([expect.stringMatching(/^SEARCH e USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)$/), expect.stringMatching(/^SEARCH m USING INDEX \S+ \(id=\?\)$/)]);
  for (const s of statements) for (const step of await planOf(s)) expect(step).not.toMatch(/^SCAN/);
});
