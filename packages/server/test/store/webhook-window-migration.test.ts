/**
 * Migration 0007 (webhook window) on a database that already holds deliveries, on SQLite and
 * PostgreSQL: each message's oldest pending delivery becomes its head, the destination is the next
 * attempt's host and port (a cXML fallback's when the last attempt goes there), the retry window
 * starts at creation, and status callbacks that may still be sent move to the outbox policy.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store, StoreDialect } from '../../src/domain/ports/store.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import { migrationsFor } from '../../src/store/migrations/index.js';
import { adminQuery, databaseUrl, servicesOff } from '../helpers/postgres.js';

const T0 = Date.UTC(2026, 0, 1);
const P1 = '11111111-1111-4111-8111-111111111111';

/** Bring an empty database to the schema before 0007. */
async function migrateBefore0007(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const before = Object.fromEntries(Object.entries(migrationsFor(dialect)).filter(([name]) => name < '0007'));
  const migrator = new Migrator({ db, provider: { getMigrations: async (): Promise<Record<string, Migration>> => before }, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock', allowUnorderedMigrations: true });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/** Deliveries as the schema before 0007 stored them. */
async function insertOldDeliveries(db: Kysely<unknown>): Promise<void> {
  const row = (message: string, kind: string, url: string, status: string, attempts: number, maxAttempts: number, at: number, body: string, fallback: string | null = null) =>
    sql`(${P1}, ${message}, ${kind}, ${url}, 'POST', null, ${body}, 'json-hex', ${fallback}, ${fallback ? 'POST' : null}, ${status}, ${attempts}, ${maxAttempts}, ${at}, null, null, null, ${at}, ${at})`;
  await sql`insert into webhook_deliveries (project_id, message_id, kind, url, method, content_type, body, signature, fallback_url, fallback_method, status, attempts, max_attempts, next_attempt_at, last_status_code, last_error, lease_owner, created_at, updated_at) values ${sql.join([
    row('m1', 'status_callback', 'https://a.example/cb', 'pending', 2, 6, T0, 'm1-first'),
    row('m1', 'status_callback', 'https://a.example/cb', 'pending', 0, 6, T0 + 1, 'm1-second'),
    row('m2', 'status_callback', 'https://b.example:8443/cb', 'failed', 6, 6, T0 + 2, 'm2-failed'),
    row('m3', 'status_callback', 'https://c.example/cb', 'delivered', 1, 6, T0 + 3, 'm3-delivered'),
    row('m4', 'inbound_message', 'https://primary.example/sms', 'pending', 1, 2, T0 + 4, 'm4-cxml', 'https://fallback.example/sms'),
  ])}`.execute(db);
}

async function expectMigrated(store: Store): Promise<void> {
  const byBody = new Map((await store.webhooks.listForProject(P1, {}, { limit: 10 })).map((d) => [d.body, d]));
  expect(byBody.get('m1-first')).toMatchObject({ destination: 'a.example:443', retryFrom: T0, maxAttempts: 0 });
  expect(byBody.get('m2-failed')).toMatchObject({ destination: 'b.example:8443', retryFrom: T0 + 2, maxAttempts: 0, status: 'failed' });
  expect(byBody.get('m3-delivered')).toMatchObject({ maxAttempts: 6, status: 'delivered' });
  expect(byBody.get('m4-cxml')).toMatchObject({ destination: 'fallback.example:443', retryFrom: T0 + 4, maxAttempts: 2 });
  // Heads: m1's first and the cXML delivery; m1's second waits for its first.
  const claimed = await store.webhooks.claimDue(T0 + 100, 10, 1000, 'node-a');
  expect(claimed.map((d) => d.body).sort()).toEqual(['m1-first', 'm4-cxml']);
  await store.webhooks.settle(byBody.get('m1-first')!.id, { status: 'delivered', attempts: 3, nextAttemptAt: T0 + 101, lastStatusCode: 200, lastError: null, at: T0 + 101 });
  expect((await store.webhooks.claimDue(T0 + 101, 10, 1000, 'node-a')).map((d) => d.body)).toEqual(['m1-second']);
}

describe('migration 0007-webhook-window on existing deliveries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-migration-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('backfills heads, destinations, windows and the policy on SQLite', async () => {
    const file = join(dir, 'before-0007.sqlite');
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    await migrateBefore0007(old, 'sqlite');
    await insertOldDeliveries(old);
    await old.destroy();
    const store = await openSqliteStore({ file });
    try {
      await expectMigrated(store);
    } finally {
      await store.close();
    }
  });

  it.skipIf(servicesOff)('backfills heads, destinations, windows and the policy on PostgreSQL', async () => {
    const name = `sbtest_m0007_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    try {
      const old = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(name), max: 1 }) }) });
      await migrateBefore0007(old, 'postgres');
      await insertOldDeliveries(old);
      await old.destroy();
      const store = await openPostgresStore({ url: databaseUrl(name), poolSize: 2 });
      try {
        await expectMigrated(store);
      } finally {
        await store.close();
      }
    } finally {
      await adminQuery(`drop database if exists ${name}`);
    }
  });
});
