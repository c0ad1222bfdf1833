/**
 * Shared commits on a real SQLite database: transactions asked for together commit once, and each
 * caller still gets what a transaction of its own would have given it.
 */
import Database from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, type CompiledQuery } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from './dialects/sqlite.js';
import { SharedCommits } from './shared-commits.js';

interface Db {
  notes: { id: number; text: string };
}

let db: Kysely<Db>;
let statements: string[];
let shared: SharedCommits<Db, Kysely<Db>>;

beforeEach(async () => {
  statements = [];
  db = new Kysely<Db>({
    dialect: new SqliteDialect({ database: new Database(':memory:') }),
    log: (event) => statements.push((event.query as CompiledQuery).sql.toLowerCase()),
  });
  await sql`create table notes (id integer primary key, text text not null unique)`.execute(db);
  shared = new SharedCommits(db, (trx) => trx);
  statements = [];
});
afterEach(() => db.destroy());

const write = (text: string) => (trx: Kysely<Db>) => trx.insertInto('notes').values({ text }).returning('id').executeTakeFirstOrThrow();
const texts = async () => (await db.selectFrom('notes').select('text').orderBy('id').execute()).map((r) => r.text);
const commits = () => statements.filter((s) => s === 'commit').length;

describe('SharedCommits', () => {
  it('runs the transactions asked for together in one, committed once, each with its own value', async () => {
    const values = await Promise.all([shared.run(write('a')), shared.run(write('b')), shared.run(write('c'))]);
    expect(values.map((v) => v.id)).toEqual([1, 2, 3]);
    expect(commits()).toBe(1);
    expect(await texts()).toEqual(['a', 'b', 'c']);
  });

  it('a work that fails undoes only its own writes and rejects with its own error; the others commit', async () => {
    const failing = async (trx: Kysely<Db>) => {
      await write('b')(trx);
      throw new Error('work fault (test)');
    };
    const results = await Promise.allSettled([shared.run(write('a')), shared.run(failing), shared.run(write('c'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'work fault (test)' });
    expect(await texts()).toEqual(['a', 'c']);
    expect(commits()).toBe(1);
  });

  it('a first work that fails is rolled back alone; those queued behind it are written in the next transaction', async () => {
    await shared.run(write('a'));
    statements = [];
    const results = await Promise.allSettled([shared.run(write('a')), shared.run(write('b')), shared.run(write('c'))]);
    // The second 'a' breaks the unique constraint: it alone fails, with SQLite's own error.
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(await texts()).toEqual(['a', 'b', 'c']);
    expect(statements.filter((s) => s === 'rollback')).toHaveLength(1);
    expect(commits()).toBe(1);
  });

  it('waits for the commit before answering: a caller is answered only once the group is durable', async () => {
    const order: string[] = [];
    const slow = async (trx: Kysely<Db>) => {
      await write('slow')(trx);
      order.push('slow work done');
    };
    const first = shared.run(write('first')).then(() => order.push('first answered'));
    const second = shared.run(slow);
    await Promise.all([first, second]);
    // The first work finished before the second began, yet it is answered after it: one commit for both.
    expect(order).toEqual(['slow work done', 'first answered']);
    expect(commits()).toBe(1);
  });
});

describe('the SQLite store', () => {
  it('answers transactions asked for together after one commit of them all', async () => {
    const store = await openSqliteStore({ file: ':memory:' });
    try {
      const order: string[] = [];
      const first = store.transaction((tx) => tx.leases.acquire('first', 'node', 0, 60_000)).then(() => order.push('first answered'));
      const second = store.transaction(async (tx) => {
        await tx.leases.acquire('second', 'node', 0, 60_000);
        order.push('second work done');
      });
      await Promise.all([first, second]);
      expect(order).toEqual(['second work done', 'first answered']);
    } finally {
      await store.close();
    }
  });
});
