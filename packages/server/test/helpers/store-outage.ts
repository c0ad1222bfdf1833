/**
 * A store a test can make unavailable and bring back. SQLite: the database made read-only, so every
 * write fails with SQLITE_READONLY, one of the storage failures (as a full disk's SQLITE_FULL).
 * PostgreSQL: the TCP link to it cut, so reads fail too.
 */
import { sql } from 'kysely';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { adminQuery, createTestDatabase } from './postgres.js';
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

/**
 * A test server's storage taking no writes, or writes again: SQLite's `query_only` (SQLITE_READONLY,
 * as a full disk's SQLITE_FULL: reads still work) on its store, or its PostgreSQL database's
 * sessions started read-only (the sessions open now are ended so the pool opens new ones).
 */
export async function storageReadOnly(server: { readonly store: unknown; readonly settings: { readonly databaseUrl?: string | null } }, on: boolean): Promise<void> {
  if (!server.settings.databaseUrl) return sqliteReadOnly(server.store as KyselyStore, on);
  const database = new URL(server.settings.databaseUrl).pathname.slice(1);
  await adminQuery(`alter database "${database}" ${on ? 'set default_transaction_read_only = on' : 'reset default_transaction_read_only'}`);
  await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database}' and pid <> pg_backend_pid()`);
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
