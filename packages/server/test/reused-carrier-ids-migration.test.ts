/**
 * Migration 0026 (reused carrier ids) on parts recorded by an earlier version, keyed by carrier id
 * alone: they are kept, and after it a reused id's records are kept side by side. Its `down` goes
 * back to one record per id (the latest). SQLite, and PostgreSQL with the scale-out variables.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { CarrierPartRecord } from '../src/domain/ports/store.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { reusedCarrierIdsSchema } from '../src/store/migrations/0026-reused-carrier-ids.js';
import { perTestPostgresStores, servicesOff } from './helpers/postgres.js';

const T0 = 1_700_000_000_000;
const part = (carrierMessageId: string, messageId: string, createdAt: number): CarrierPartRecord => ({
  carrier: 'smsc', carrierMessageId, projectId: 'p1', messageId, partIndex: 1, partCount: 1, status: 'sent', error: null, errorDetail: null, createdAt, updatedAt: createdAt,
});

const row = (p: CarrierPartRecord) => ({
  carrier: p.carrier, carrier_message_id: p.carrierMessageId, project_id: p.projectId, message_id: p.messageId, part_index: p.partIndex, part_count: p.partCount,
  status: p.status, error: p.error, error_detail: p.errorDetail, created_at: p.createdAt, updated_at: p.updatedAt,
});

function describeMigration(dialect: string, open: () => Promise<{ store: KyselyStore; close(): Promise<void> }>) {
  describe(`migration 0026-reused-carrier-ids (${dialect})`, () => {
    it('keeps the parts an earlier version recorded, and then every record of a reused id; down keeps the latest of each', async () => {
      const { store, close } = await open();
      try {
        const migration = reusedCarrierIdsSchema(store.dialect);
        const db = store.db as unknown as Kysely<unknown>;
        // As an earlier version left the table: one record per carrier id (a second one refused).
        await migration.down!(db);
        await store.db.insertInto('carrier_parts').values([row(part('a', 'm3', T0 + 1)), row(part('b', 'm2', T0))]).execute();
        await expect(store.db.insertInto('carrier_parts').values(row(part('a', 'm1', T0))).execute()).rejects.toThrow();
        await migration.up(db);
        expect((await store.carrierParts.findByCarrierIds('smsc', ['a', 'b'])).map((p) => p.messageId).sort()).toEqual(['m2', 'm3']);
        await store.carrierParts.insertMany([part('a', 'm4', T0 + 2)]);
        expect((await store.carrierParts.findByCarrierIds('smsc', ['a'])).map((p) => p.messageId).sort()).toEqual(['m3', 'm4']);
        expect((await store.carrierParts.listForMessages(['m4'])).map((p) => p.carrierMessageId)).toEqual(['a']);
        await migration.down!(db);
        expect((await store.db.selectFrom('carrier_parts').select('message_id').orderBy('message_id').execute()).map((r) => r.message_id)).toEqual(['m2', 'm4']);
        await migration.up(db);
      } finally {
        await close();
      }
    });
  });
}

const root = mkdtempSync(join(tmpdir(), 'switchboard-reused-ids-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeMigration('sqlite', async () => {
  const store = (await openSqliteStore({ file: join(root, randomUUID(), 'switchboard.sqlite') })) as KyselyStore;
  return { store, close: () => store.close() };
});

const openPostgres = perTestPostgresStores(afterAll);
describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeMigration('postgres', openPostgres);
});
