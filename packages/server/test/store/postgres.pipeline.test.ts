/**
 * The PostgreSQL store sends BEGIN and write-only statements with the statement after them
 * (`store/dialects/postgres-pipeline.ts`). Against a real server: what a transaction held is
 * visible to its own later reads, an error of a held statement fails the transaction and leaves
 * nothing behind, and a rolled-back transaction never sends what it held.
 */
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOnly } from '../../src/store/write-only.js';
import { postgresStoreForFile, servicesOff } from '../helpers/postgres.js';

describe.skipIf(servicesOff)('pipelined transactions on PostgreSQL', () => {
  const insert = (id: number, name: string) => CompiledQuery.raw(writeOnly('insert into gadgets (id, name) values ($1, $2)'), [id, name]);
  const names = async () => (await sql<{ name: string }>`select name from gadgets order by id`.execute(suite.store.db)).rows.map((r) => r.name);

  const suite = postgresStoreForFile({ beforeAll, afterAll }, 2, async (store) => {
    await sql`create table gadgets (id int primary key, name text not null)`.execute(store.db);
    await sql`create sequence gadget_tickets`.execute(store.db);
  });

  it('commits held statements, which the transaction’s own reads see', async () => {
    const seen = await suite.store.db.transaction().execute(async (tx) => {
      await tx.executeQuery(insert(1, 'one'));
      await tx.executeQuery(insert(2, 'two'));
      return (await sql<{ n: string }>`select count(*) as n from gadgets`.execute(tx)).rows[0]!.n;
    });
    expect(Number(seen)).toBe(2);
    expect(await names()).toEqual(['one', 'two']);
  });

  it('fails the transaction when a held statement fails, and keeps nothing of it', async () => {
    const failed = await suite.store.db
      .transaction()
      .execute(async (tx) => {
        await sql`insert into gadgets (id, name) values (3, 'three')`.execute(tx);
        await tx.executeQuery(insert(1, 'one again'));
      })
      .then(
        () => null,
        (err: unknown) => (err as { code?: string }).code,
      );
    expect(failed).toBe('23505');
    expect(await names()).toEqual(['one', 'two']);
    // The connection is usable afterwards.
    await suite.store.db.transaction().execute((tx) => tx.executeQuery(insert(4, 'four')));
    expect(await names()).toEqual(['one', 'two', 'four']);
  });

  it('never sends what a rolled-back transaction held', async () => {
    const before = (await sql<{ v: string }>`select nextval('gadget_tickets') as v`.execute(suite.store.db)).rows[0]!.v;
    // A sequence is not rolled back: had the held statement run, the next value would have moved by two.
    await suite.store.db
      .transaction()
      .execute(async (tx) => {
        await tx.executeQuery(CompiledQuery.raw(writeOnly("select nextval('gadget_tickets') where $1::int > 0"), [1]));
        throw new Error('changed my mind');
      })
      .catch(() => undefined);
    const after = (await sql<{ v: string }>`select nextval('gadget_tickets') as v`.execute(suite.store.db)).rows[0]!.v;
    expect(Number(after)).toBe(Number(before) + 1);
  });
});
