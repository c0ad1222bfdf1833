import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/** Parts of messages at per-part carriers (SMPP): carrier message id → our message, part and outcome. */
export function smppSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('carrier_parts')
        .addColumn('carrier', 'text', (c) => c.notNull())
        .addColumn('carrier_message_id', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('part_index', 'integer', (c) => c.notNull())
        .addColumn('part_count', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('error_detail', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('carrier_parts_pk', ['carrier', 'carrier_message_id'])
        .execute();
      await db.schema.createIndex('carrier_parts_message').on('carrier_parts').columns(['message_id']).execute();
      await db.schema.createIndex('carrier_parts_created').on('carrier_parts').columns(['created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('carrier_parts').ifExists().execute();
    },
  };
}
