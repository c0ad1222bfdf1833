/**
 * Throw-away PostgreSQL databases for tests. The vitest global setup (`test/postgres-setup.ts`)
 * migrates one template database per run; each test database is a copy of it (tens of
 * milliseconds) and is dropped again by its owner, or by the setup's teardown at the end of the run.
 *
 * `SWITCHBOARD_TEST_DATABASE_URL` names the server (an admin connection, default the local one
 * with trust auth); `SWITCHBOARD_TEST_SERVICES=off` skips the tests that need PostgreSQL or NATS.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';

/**
 * Admin connection used to create and drop test databases. Setting `SWITCHBOARD_TEST_DATABASE_URL`
 * also runs every test server on PostgreSQL (a fresh database each; see helpers/server.ts).
 */
export const POSTGRES_ADMIN_URL = process.env.SWITCHBOARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Test servers run on PostgreSQL (the suite's second pass in CI). */
export const serversOnPostgres = !!process.env.SWITCHBOARD_TEST_DATABASE_URL;

/** NATS server for bus and multi-node tests; setting `SWITCHBOARD_TEST_NATS_URL` also puts every test server on NATS. */
export const NATS_TEST_URL = process.env.SWITCHBOARD_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Test servers use the NATS bus. */
export const serversOnNats = !!process.env.SWITCHBOARD_TEST_NATS_URL;

/** True when tests that need the external services (PostgreSQL, NATS) should be skipped. */
export const servicesOff = process.env.SWITCHBOARD_TEST_SERVICES === 'off';

/** The URL of another database on the admin URL's server. */
export function databaseUrl(name: string, base = POSTGRES_ADMIN_URL): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Run one statement on the admin connection. */
export function adminQuery(text: string): Promise<pg.QueryResult> {
  return databaseQuery(POSTGRES_ADMIN_URL, text);
}

/** Run one statement on a connection of its own to the database at `url` (a test's, beside its servers' pools). */
export async function databaseQuery(url: string, text: string, values?: unknown[]): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
  return `"${name}"`;
}

/** A throw-away database: its name, a URL to it, and how to drop it (safe to call twice). */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Create a database for one test (or one server); drop it with `drop()`. It is a copy of the run's
 * migrated template when the global setup made one (else it starts empty and the store migrates it).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const run = process.env.SWITCHBOARD_TEST_PG_RUN ?? `local${process.pid}`;
  const template = process.env.SWITCHBOARD_TEST_PG_TEMPLATE;
  const name = `sbt_${run}_${randomBytes(5).toString('hex')}`;
  await adminQuery(`create database ${quoteIdent(name)}${template ? ` template ${quoteIdent(template)}` : ''}`);
  let dropped = false;
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(`drop database if exists ${quoteIdent(name)} with (force)`);
    },
  };
}

/**
 * One database, and a store on it, for the tests of a file: opened before them (then `opened`, to
 * set up what they share), closed and dropped after. Call at module or `describe` level; read
 * `store` inside the tests.
 */
export function postgresStoreForFile(
  hooks: { beforeAll(fn: () => Promise<void>): void; afterAll(fn: () => Promise<void>): void },
  poolSize: number,
  opened: (store: KyselyStore) => Promise<void> = async () => {},
): { readonly store: KyselyStore } {
  let db: TestDatabase | undefined;
  let store: KyselyStore | undefined;
  hooks.beforeAll(async () => {
    db = await createTestDatabase();
    store = await openPostgresStore({ url: db.url, poolSize });
    await opened(store);
  });
  hooks.afterAll(async () => {
    await store?.close();
    await db?.drop();
  });
  return {
    get store() {
      if (!store) throw new Error('the store opens before the tests (postgresStoreForFile)');
      return store;
    },
  };
}

/**
 * Stores for a contract suite: one database for the test file, emptied after every test (copying
 * and dropping a database per test would cost ten times the tests themselves). Call at module level.
 */
export function perTestPostgresStores(afterAll: (fn: () => Promise<void>) => void): () => Promise<{ store: KyselyStore; isUniqueViolation(err: unknown): boolean; close(): Promise<void> }> {
  let database: Promise<TestDatabase> | undefined;
  afterAll(async () => {
    if (database) await (await database).drop();
  });
  return async () => {
    const db = await (database ??= createTestDatabase());
    const store = await openPostgresStore({ url: db.url, poolSize: 4 });
    return {
      store,
      isUniqueViolation: (err: unknown) => store.isUniqueViolation(err),
      close: async () => {
        const { rows } = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = current_schema() and tablename not like 'schema_migrations%'`.execute(store.db);
        await sql`truncate ${sql.join(rows.map((r) => sql.table(r.tablename)))} restart identity cascade`.execute(store.db);
        await store.close();
      },
    };
  };
}

/** The stores a test runs on: in-memory SQLite, and PostgreSQL (`perTestPostgresStores`) unless the services are off. */
export function storeBackends(afterAll: (fn: () => Promise<void>) => void): Array<[string, () => Promise<{ store: KyselyStore; close(): Promise<void> }>]> {
  const sqlite = async () => {
    const store = await openSqliteStore({ file: ':memory:' });
    return { store, close: () => store.close() };
  };
  return [['SQLite', sqlite], ...(servicesOff ? [] : [['PostgreSQL', perTestPostgresStores(afterAll)] as [string, typeof sqlite]])];
}
