/**
 * State changes on PostgreSQL reach their rows by id without the planner's statistics. A table
 * without them (every table in its first minute, before autovacuum's first ANALYZE) once made the
 * guarded UPDATE read the whole project through (project_id, seq) for every batch: 3.5 ms of
 * PostgreSQL per message in the benchmarks, 0.2-0.5 ms after the first fix. The counters of the transaction itself
 * (`pg_stat_xact_user_tables`) show how many rows a statement read.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStoreForFile, servicesOff } from '../helpers/postgres.js';
import { messageRow } from '../helpers/records.js';

const P1 = randomUUID();
const ROWS = 20_000;
const CHANGED = 100;

describe.skipIf(servicesOff)('state changes on PostgreSQL without statistics', () => {
  let ids: string[];

  const suite = postgresStoreForFile({ beforeAll, afterAll }, 1, async (store) => {
    await store.projects.create({ id: P1, name: 'plans', signingKey: 'PSK_plans', createdAt: Date.now() });
    // Thousands of rows and no statistics: a table in its first minute, before autovacuum's first ANALYZE.
    const rows = Array.from({ length: ROWS }, () => messageRow(P1, { status: 'initiated' }));
    for (let i = 0; i < rows.length; i += 2_000) await store.messages.insertMany(rows.slice(i, i + 2_000));
    ids = rows.map((r) => r.id);
  });

  /** Rows of `messages` read by scans and by index fetches in the current transaction. */
  const readsSoFar = async () => {
    const r = await sql<{ seq: string; idx: string }>`select seq_tup_read as seq, coalesce(idx_tup_fetch, 0) as idx from pg_stat_xact_user_tables where relname = 'messages'`.execute(suite.store.db);
    return Number(r.rows[0]!.seq) + Number(r.rows[0]!.idx);
  };

  it('reads about as many rows as it changes, for single changes and folded pairs alike', async () => {
    const at = Date.now();
    const singles = ids.slice(0, CHANGED);
    const pairs = ids.slice(CHANGED, 2 * CHANGED);
    // One connection: BEGIN here holds the statements below in one transaction, whose counters are read.
    await sql`begin`.execute(suite.store.db);
    const before = await readsSoFar();
    const changed = await suite.store.messages.transitionMany([
      ...singles.map((id) => ({ projectId: P1, id, to: 'sent' as const, at, carrierMessageId: `S-${id}` })),
      ...pairs.flatMap((id) => [
        { projectId: P1, id, to: 'sent' as const, at, carrierMessageId: `P-${id}` },
        { projectId: P1, id, to: 'delivered' as const, at },
      ]),
    ]);
    const read = (await readsSoFar()) - before;
    await sql`commit`.execute(suite.store.db);
    expect(changed).toHaveLength(3 * CHANGED);
    // One fetch per changed row (and a few more for row versions); a project or table scan reads thousands.
    expect(read).toBeLessThan(4 * CHANGED);
    const states = await suite.store.messages.statesOf(P1, [singles[0]!, pairs[0]!]);
    expect(new Map(states.map((s) => [s.id, [s.status, s.carrierMessageId]]))).toEqual(
      new Map([
        [singles[0]!, ['sent', `S-${singles[0]!}`]],
        [pairs[0]!, ['delivered', `P-${pairs[0]!}`]],
      ]),
    );
  });
});
