import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * Per-sender throughput. A number's own rate (`messages_per_second`, null: its type's default);
 * each rated sender's next free send time (`sender_slots`), which every node reserves from inside
 * its claim transaction, so the rate holds however many nodes dispatch; and the slot a dispatch
 * job holds (`jobs.slot_at`), so a job waiting for its slot is not charged twice.
 */
export function senderRatesSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('phone_numbers').addColumn('messages_per_second', t.double).execute();
      await db.schema.alterTable('jobs').addColumn('slot_at', t.millis).execute();
      await db.schema
        .createTable('sender_slots')
        // `<project id> <sender>`: one text key keeps the batch lookups a plain IN list on both engines.
        .addColumn('sender_key', 'text', (c) => c.primaryKey())
        .addColumn('next_at', t.millis, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sender_slots').ifExists().execute();
      await db.schema.alterTable('jobs').dropColumn('slot_at').execute();
      await db.schema.alterTable('phone_numbers').dropColumn('messages_per_second').execute();
    },
  };
}
