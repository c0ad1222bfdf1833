/**
 * A store a test can make unavailable and bring back. SQLite: the database made read-only, so every
 * write fails with SQLITE_READONLY, one of the storage failures (as a full disk's SQLITE_FULL).
 * PostgreSQL: the TCP link to it cut, so reads fail too.
 */
import { sql } from 'kysely';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase } from './postgres.js';
import { TcpLink } from './tcp-link.js';

export interface StoreOutage {
  readonly store: KyselyStore;
  /** Reads fail too (PostgreSQL out of reach), not only writes (a read-only SQLite database). */
  readonly readsFail: boolean;
  /** Make storage unavailable: every write (and on PostgreSQL every read) fails with StoreUnavailableError. */
  fail(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Make a SQLite store's database read-only, or writable again. */
export function sqliteReadOnly(store: KyselyStore, on: boolean): Promise<void> {
  return sql.raw(`PRAGMA query_only = ${on ? 1 : 0}`).execute(store.db).then(() => undefined);
}

/** A SQLite store in `file` (a new one) whose outage is a read-only database. */
export async function sqliteOutage(file: string): Promise<StoreOutage> {
  const store = await openSqliteStore({ file });
  return { store, readsFail: false, fail: () => sqliteReadOnly(store, true), restore: () => sqliteReadOnly(store, false), close: () => store.close() };
}

/** A PostgreSQL store on a database of its own, reached through a link the outage cuts; `close` drops the database. */
export async function postgresOutage(): Promise<StoreOutage> {
  const db = await createTestDatabase();
  const link = TcpLink.to(db.url);
  await link.up();
  const store = await openPostgresStore({ url: link.via(db.url), poolSize: 2 });
  return {
    store,
    readsFail: true,
    fail: () => link.down(),
    restore: () => link.up(),
    close: async () => {
      await store.close();
      await link.down();
      await db.drop();
    },
  };
}
