/**
 * Transactions asked for in one turn share one SQLite transaction and one COMMIT, and each caller
 * still sees what a transaction of its own gives it. A real in-memory SQLite database; the
 * statements are read from Kysely's log.
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransactionGroups } from './transaction-groups.js';

interface Schema {
  notes: { id: number; text: string };
  links: { id: number; note_id: number };
}

let db: Kysely<Schema>;
let statements: string[];
let groups: TransactionGroups<Schema>;

beforeEach(async () => {
  statements = [];
  const raw = new Database(':memory:');
  raw.pragma('foreign_keys = ON');
  db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: raw }), log: (e) => void statements.push(e.query.sql) });
  await sql`create table notes (id integer primary key, text text not null unique)`.execute(db);
  // Checked at COMMIT, so a transaction can be made to fail there.
  await sql`create table links (id integer primary key, note_id integer not null references notes(id) deferrable initially deferred)`.execute(db);
  groups = new TransactionGroups(db);
  statements = [];
});

afterEach(async () => {
  await db.destroy();
});

const texts = async () => (await db.selectFrom('notes').select('text').orderBy('id').execute()).map((r) => r.text);
const count = (text: string) => statements.filter((s) => s === text).length;

describe('transaction groups', () => {
  it('runs the transactions asked for in one turn in one transaction, each after the one before, with one commit', async () => {
    const seen: string[][] = [];
    const results = await Promise.all(
      ['a', 'b', 'c'].map((text) =>
        groups.run(async (trx) => {
          seen.push((await trx.selectFrom('notes').select('text').execute()).map((r) => r.text));
          await trx.insertInto('notes').values({ text }).execute();
          return text.toUpperCase();
        }),
      ),
    );
    expect(results).toEqual(['A', 'B', 'C']);
    // Each saw what those queued before it wrote.
    expect(seen).toEqual([[], ['a'], ['a', 'b']]);
    expect(await texts()).toEqual(['a', 'b', 'c']);
    expect(count('begin')).toBe(1);
    expect(count('commit')).toBe(1);
    expect(count('savepoint rider')).toBe(3);
  });

  it('runs a transaction alone, without savepoints, when nothing else was asked for in its turn', async () => {
    await groups.run((trx) => trx.insertInto('notes').values({ text: 'alone' }).execute());
    await groups.run((trx) => trx.insertInto('notes').values({ text: 'next turn' }).execute());
    expect(count('begin')).toBe(2);
    expect(count('commit')).toBe(2);
    expect(count('savepoint rider')).toBe(0);
  });

  it('rolls back only the work that failed, and gives that caller its own error; the others commit', async () => {
    const outcomes = await Promise.allSettled([
      groups.run((trx) => trx.insertInto('notes').values({ text: 'kept' }).execute()),
      groups.run(async (trx) => {
        await trx.insertInto('notes').values({ text: 'undone' }).execute();
        // A unique violation, as a caller that expects one (a taken number) would meet it.
        await trx.insertInto('notes').values({ text: 'kept' }).execute();
      }),
      groups.run((trx) => trx.insertInto('notes').values({ text: 'also kept' }).execute()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    expect(await texts()).toEqual(['kept', 'also kept']);
    expect(count('commit')).toBe(1);
    expect(count('rollback to rider')).toBe(1);
  });

  it('answers nobody with success when the shared commit fails, and writes nothing', async () => {
    let answered = 0;
    let answeredBeforeSecond = -1;
    const outcomes = await Promise.allSettled(
      [
        groups.run((trx) => trx.insertInto('notes').values({ text: 'lost with the commit' }).execute()),
        groups.run(async (trx) => {
          answeredBeforeSecond = answered;
          // A link to no note: accepted now, refused at COMMIT (the key is checked when deferred).
          await trx.insertInto('links').values({ note_id: 999 }).execute();
        }),
      ].map((p) => p.finally(() => answered++)),
    );
    // The first caller was not answered while the second's work ran: answers wait for the commit.
    expect(answeredBeforeSecond).toBe(0);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    for (const o of outcomes) expect(String((o as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY constraint failed/);
    expect(await texts()).toEqual([]);
  });

  it('holds at most 64 transactions in one group; the rest share the next commit', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => groups.run((trx) => trx.insertInto('notes').values({ text: `n${i}` }).execute())));
    expect((await texts()).length).toBe(100);
    expect(count('commit')).toBe(2);
  });
});
