import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * The parts of multipart MOs an SMPP connector has acknowledged to its SMSC while it waits for the
 * rest. The SMSC does not send an acknowledged part again, so a part kept only in memory was lost
 * with a kill -9 between parts. One row per part, keyed by the connector, the message (sender,
 * recipient, concatenation reference and count, and when its first part came: a reference reused
 * by a new message is another message) and the part's number. Deleted once the message is stored.
 */
export function moPartsSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mo_parts')
        .addColumn('carrier', 'text', (c) => c.notNull())
        .addColumn('from_number', 'text', (c) => c.notNull())
        .addColumn('to_number', 'text', (c) => c.notNull())
        .addColumn('reference', 'integer', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        // When the message's first part came (ms).
        .addColumn('first_at', t.millis, (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('received_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('mo_parts_pk', ['carrier', 'from_number', 'to_number', 'reference', 'total', 'first_at', 'seq'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('mo_parts').ifExists().execute();
    },
  };
}
