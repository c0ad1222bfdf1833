/**
 * Migration 0021 (opt-out counts) on a database whose projects already have opt-outs, on SQLite and
 * PostgreSQL: each project's count starts at its entries, so the API's limit holds from the first
 * add after the upgrade (a project without entries starts at none).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { OptOutRecord, Store, StoreDialect } from '../../src/domain/ports/store.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import { migrationsFor } from '../../src/store/migrations/index.js';
import { adminQuery, databaseUrl, servicesOff } from '../helpers/postgres.js';

const T0 = Date.UTC(2026, 0, 1);
const P1 = '11111111-1111-4111-8111-111111111111';
const P2 = '22222222-2222-4222-8222-222222222222';
const P3 = '33333333-3333-4333-8333-333333333333';
const SENDER = '+15551230001';

/** Bring an empty database to the schema before 0021, with opt-outs: three in P1, one in P2, none in P3. */
async function before0021(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const before = Object.fromEntries(Object.entries(migrationsFor(dialect)).filter(([name]) => name < '0021'));
  const migrator = new Migrator({ db, provider: { getMigrations: async (): Promise<Record<string, Migration>> => before }, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock', allowUnorderedMigrations: true });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  for (const id of [P1, P2, P3]) await sql`insert into projects (id, name, signing_key, created_at) values (${id}, ${id}, 'PSK_x', ${T0})`.execute(db);
  const entry = (project: string, handset: string, keyword: string | null) => sql`(${randomUUID()}, ${project}, ${SENDER}, ${handset}, ${keyword}, ${T0})`;
  await sql`insert into opt_outs (id, project_id, sender, handset, keyword, created_at) values ${sql.join([
    entry(P1, '+15557000001', 'STOP'),
    entry(P1, '+15557000002', null),
    entry(P1, '+15557000003', null),
    entry(P2, '+15557000001', 'STOP'),
  ])}`.execute(db);
}

const entry = (projectId: string, handset: string): OptOutRecord => ({ id: randomUUID(), projectId, sender: SENDER, handset, keyword: null, createdAt: T0 });

async function expectCounted(store: Store): Promise<void> {
  expect(await store.optOuts.add([entry(P1, '+15557000009')], 3)).toBe(false);
  expect(await store.optOuts.add([entry(P2, '+15557000009')], 2)).toBe(true);
  expect(await store.optOuts.add([entry(P2, '+15557000008')], 2)).toBe(false);
  expect(await store.optOuts.add([entry(P3, '+15557000009')], 1)).toBe(true);
  expect(await store.optOuts.add([entry(P3, '+15557000008')], 1)).toBe(false);
}

describe('migration 0021-opt-out-counts on existing opt-outs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-migration-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts each project’s entries on SQLite', async () => {
    const file = join(dir, 'before-0021.sqlite');
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    await before0021(old, 'sqlite');
    await old.destroy();
    const store = await openSqliteStore({ file });
    try {
      await expectCounted(store);
    } finally {
      await store.close();
    }
  });

  it.skipIf(servicesOff)('counts each project’s entries on PostgreSQL', async () => {
    const name = `sbtest_m0021_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    try {
      const old = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(name), max: 1 }) }) });
      await before0021(old, 'postgres');
      await old.destroy();
      const store = await openPostgresStore({ url: databaseUrl(name), poolSize: 2 });
      try {
        await expectCounted(store);
      } finally {
        await store.close();
      }
    } finally {
      await adminQuery(`drop database if exists ${name} with (force)`);
    }
  });
});
