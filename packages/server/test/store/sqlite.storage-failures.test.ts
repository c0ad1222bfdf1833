/**
 * The SQLite store when storage fails (here: the database may not grow, `PRAGMA max_page_count`, so
 * writes fail with SQLITE_FULL as on a full disk). SQLite rolls the whole transaction back by itself
 * after SQLITE_FULL; the store must report the real cause as `StoreUnavailableError` (not Kysely's
 * follow-up "cannot rollback - no transaction is active"), never let the rest of that transaction's
 * work run outside it, and keep the connection usable for the next transaction.
 */
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../src/domain/ports/store.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';

let store: KyselyStore;
let db: Kysely<any>;
const BLOB = 'x'.repeat(3000);

beforeEach(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  db = store.db as unknown as Kysely<any>;
  await sql`create table filler (id integer primary key, body text)`.execute(db);
  await sql`insert into filler (body) values ('first')`.execute(db);
  // The database may not grow from here on.
  const { page_count } = (await sql.raw<{ page_count: number }>('PRAGMA page_count').execute(db)).rows[0]!;
  await sql.raw(`PRAGMA max_page_count = ${page_count}`).execute(db);
});
afterEach(() => store.close());

const fill = (trx: Kysely<any>, rows = 20) => Promise.all(Array.from({ length: rows }, () => trx.insertInto('filler').values({ body: BLOB }).execute()));
const count = async () => Number((await sql<{ n: number }>`select count(*) as n from filler`.execute(db)).rows[0]!.n);

async function failure(p: Promise<unknown>): Promise<any> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );
}

describe('the SQLite store when the database or disk is full', () => {
  it('fails a transaction with StoreUnavailableError naming SQLite\'s cause, which it keeps', async () => {
    const err = await failure(db.transaction().execute((trx) => fill(trx)));
    expect(isStoreUnavailable(err)).toBe(true);
    expect(err.message).toMatch(/database or disk is full \(SQLITE_FULL\)/);
    expect(err.message).not.toMatch(/cannot rollback/);
    expect(err.cause).toMatchObject({ code: 'SQLITE_FULL' });
    // Through the Store port's repositories too (the journal's path).
    const leases = store.transaction(async (tx) => {
      for (let i = 0; i < 20; i++) await tx.leases.acquire(`${BLOB}${i}`, 'owner', 0, 1000);
    });
    expect(isStoreUnavailable(await failure(leases))).toBe(true);
  });

  it('never runs the rest of a transaction SQLite already rolled back outside it', async () => {
    const err = await failure(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('filler').values({ body: 'written before the failure' }).execute();
        // Code that swallows the failure and carries on: its next write must not be autocommitted.
        await fill(trx).catch(() => undefined);
        await trx.insertInto('filler').values({ body: 'after the failure' }).execute();
      }),
    );
    expect(isStoreUnavailable(err)).toBe(true);
    expect(err.message).toMatch(/rolled back a transaction/);
    expect(err.cause).toMatchObject({ code: 'SQLITE_FULL' });
    expect(await count()).toBe(1);
  });

  it('keeps the connection usable: reads meanwhile, writes once there is room again', async () => {
    await failure(db.transaction().execute((trx) => fill(trx)));
    expect(await count()).toBe(1);
    await sql.raw('PRAGMA max_page_count = 1073741823').execute(db);
    await db.transaction().execute((trx) => fill(trx, 3));
    expect(await count()).toBe(4);
  });

  it('leaves a read-only database (SQLITE_READONLY) to the same path', async () => {
    await sql.raw('PRAGMA query_only = 1').execute(db);
    const err = await failure(db.insertInto('filler').values({ body: 'read-only' }).execute());
    expect(isStoreUnavailable(err)).toBe(true);
    expect(err.cause).toMatchObject({ code: expect.stringMatching(/^SQLITE_READONLY/) });
  });
});
