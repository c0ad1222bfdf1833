import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * A part's record is keyed by its carrier id *and* its message and part: SMSCs reuse message ids
 * (they wrap, or start again from 1 after a restart), and with the carrier id alone as the key a
 * new part's record replaced the earlier one, so a late receipt for the earlier message was applied
 * to the newer (perhaps another project's). Both records are kept now; the receipt ledger chooses
 * between them by the receipt's dates (receipt-ledger.ts). The key still begins with (carrier,
 * carrier_message_id): a receipt's lookup is one index range, as before.
 */
export function reusedCarrierIdsSchema(dialect: StoreDialect): Migration {
  const key = ['carrier', 'carrier_message_id', 'message_id', 'part_index'];
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        await sql`alter table carrier_parts drop constraint carrier_parts_pk, add constraint carrier_parts_pk primary key (carrier, carrier_message_id, message_id, part_index)`.execute(db);
        return;
      }
      // SQLite cannot change a primary key: the table is built again.
      await rebuildSqlite(db, key);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      // Back to one record per carrier id: the latest of each is kept (as the old key did).
      await sql`delete from carrier_parts where exists (select 1 from carrier_parts newer where newer.carrier = carrier_parts.carrier and newer.carrier_message_id = carrier_parts.carrier_message_id and (newer.created_at > carrier_parts.created_at or (newer.created_at = carrier_parts.created_at and (newer.message_id > carrier_parts.message_id or (newer.message_id = carrier_parts.message_id and newer.part_index > carrier_parts.part_index)))))`.execute(db);
      if (dialect === 'postgres') {
        await sql`alter table carrier_parts drop constraint carrier_parts_pk, add constraint carrier_parts_pk primary key (carrier, carrier_message_id)`.execute(db);
        return;
      }
      await rebuildSqlite(db, ['carrier', 'carrier_message_id']);
    },
  };
}

async function rebuildSqlite(db: Kysely<unknown>, key: string[]): Promise<void> {
  await db.schema
    .createTable('carrier_parts_rekeyed')
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('carrier_message_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('part_index', 'integer', (c) => c.notNull())
    .addColumn('part_count', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('error_detail', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('carrier_parts_pk', key as never)
    .execute();
  await sql`insert into carrier_parts_rekeyed select carrier, carrier_message_id, project_id, message_id, part_index, part_count, status, error, error_detail, created_at, updated_at from carrier_parts`.execute(db);
  await db.schema.dropTable('carrier_parts').execute();
  await db.schema.alterTable('carrier_parts_rekeyed').renameTo('carrier_parts').execute();
  await db.schema.createIndex('carrier_parts_message').on('carrier_parts').columns(['message_id']).execute();
  await db.schema.createIndex('carrier_parts_created').on('carrier_parts').columns(['created_at']).execute();
}
