/**
 * Statements with parameters run as named prepared statements on PostgreSQL (each connection
 * parses and plans them once); a table changed under one (another node migrated) retires the
 * connection that held it instead of failing on it for good.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStoreForFile, servicesOff } from '../helpers/postgres.js';

describe.skipIf(servicesOff)('prepared statements on PostgreSQL', () => {

  // One connection: every query below shares it, as a transaction's would.
  const suite = postgresStoreForFile({ beforeAll, afterAll }, 1);

  it('prepares a statement with parameters once per connection and reuses it', async () => {
    for (const n of [1, 2, 3]) expect((await sql<{ n: number }>`select ${n}::int + 1 as n`.execute(suite.store.db)).rows[0]!.n).toBe(n + 1);
    const text = 'select $1::int + 1 as n';
    const prepared = await sql<{ n: string }>`select count(*) as n from pg_prepared_statements where statement = ${text}`.execute(suite.store.db);
    expect(Number(prepared.rows[0]!.n)).toBe(1);
  });

  it('retires a connection whose prepared statement a schema change invalidated; the next query works', async () => {
    await sql`create table widgets (id int primary key, name text)`.execute(suite.store.db);
    const read = () => suite.store.db.selectFrom('widgets' as never).selectAll().where('id' as never, '=', 1 as never).execute();
    await sql`insert into widgets values (1, 'one')`.execute(suite.store.db);
    expect(await read()).toEqual([{ id: 1, name: 'one' }]);
    await sql`alter table widgets add column size int`.execute(suite.store.db);
    // The cached plan's result type changed: this query fails once, and its connection is dropped.
    const failed = await read().then(
      () => null,
      (err: unknown) => (err as { code?: string }).code,
    );
    expect(failed).toBe('0A000');
    expect(await read()).toEqual([{ id: 1, name: 'one', size: null }]);
  });
});
