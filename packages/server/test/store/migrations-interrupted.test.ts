/**
 * A migration whose record cannot be written (the disk fills up, the process is killed between the
 * two) leaves the schema as it was, so the next start runs it again. On SQLite each migration's
 * statements used to commit one by one, outside a transaction (Kysely's SQLite adapter declines
 * transactional DDL, which SQLite has): a first start on a disk with little room left had migration
 * 0019's column added and its record refused, and every start after space was freed failed with
 * "Database migration 0019-parked-session-tokens failed: duplicate column name: token_id" — a data
 * folder no restart could bring back. The failure is injected with a trigger refusing the insert
 * into `schema_migrations` (as SQLITE_FULL, or PostgreSQL's 53100, would), after the last
 * migration's `ALTER TABLE` ran. On SQLite and on PostgreSQL (whose migrations ran in a transaction
 * already).
 */
import Database from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, databaseQuery, servicesOff, type TestDatabase } from '../helpers/postgres.js';

/** The last migration: one `ALTER TABLE` adding a column. */
const LAST = '0023-relay-senders';

interface Backend {
  open(): Promise<KyselyStore>;
  /** Refuse (or again allow) every new record in `schema_migrations`, as a full disk would. */
  refuseRecords(on: boolean): Promise<void>;
}

/** Undo the last migration and its record, as if the database was made by the release before it. */
async function undoLast(db: Kysely<any>): Promise<void> {
  await sql`alter table messages drop column relay_sender`.execute(db);
  await sql`delete from schema_migrations where name = ${LAST}`.execute(db);
}

/** Run `work` on a store opened (and migrated) on the backend, then close it. */
async function withStore<T>(b: Backend, work: (db: Kysely<any>) => Promise<T>): Promise<T> {
  const store = await b.open();
  try {
    return await work(store.db as Kysely<any>);
  } finally {
    await store.close();
  }
}

function interruptedMigration(name: string, backend: () => Promise<Backend>) {
  describe(`a migration whose record fails (${name})`, () => {
    it('is rolled back whole, and runs again at the next start', async () => {
      const b = await backend();
      await withStore(b, undoLast);
      await b.refuseRecords(true);
      // The start that runs the migration fails: its record is refused after its ALTER TABLE ran.
      await expect(b.open()).rejects.toThrow(new RegExp(`migration ${LAST} failed`));
      await b.refuseRecords(false);
      // Space is back: the next start runs it (again) and the column is there.
      const recorded = await withStore(b, async (db) => {
        await sql`select relay_sender from messages limit 1`.execute(db);
        return (await sql<{ name: string }>`select name from schema_migrations where name = ${LAST}`.execute(db)).rows;
      });
      expect(recorded).toEqual([{ name: LAST }]);
    });
  });
}

const dirs: string[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const d of databases) await d.drop();
});

interruptedMigration('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-migrations-'));
  dirs.push(dir);
  const file = join(dir, 'switchboard.db');
  return {
    open: () => openSqliteStore({ file }),
    // Over a connection of its own: opening a store would run the migration the trigger refuses.
    refuseRecords: async (on) => {
      const raw = new Database(file);
      try {
        raw.exec(on ? `create trigger refuse_records before insert on schema_migrations begin select raise(abort, 'database or disk is full'); end` : 'drop trigger refuse_records');
      } finally {
        raw.close();
      }
    },
  };
});

describe.skipIf(servicesOff)('on PostgreSQL', () => {
  interruptedMigration('PostgreSQL', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const admin = (text: string) => databaseQuery(db.url, text);
    return {
      open: () => openPostgresStore({ url: db.url, poolSize: 1 }),
      refuseRecords: (on) =>
        admin(
          on
            ? `create function refuse_records() returns trigger language plpgsql as $$ begin raise exception 'could not extend file: No space left on device' using errcode = '53100'; end $$;
               create trigger refuse_records before insert on schema_migrations for each row execute function refuse_records()`
            : 'drop trigger refuse_records on schema_migrations; drop function refuse_records()',
        ),
    };
  });
});
