import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * The receipts the simulator's SMSC owes (accepted messages whose receipt no ESME has acknowledged
 * yet), so a restart — a kill -9 included — does not lose them, as a real SMSC's would not be.
 * Keyed by the SMSC's configured address and its message number.
 */
export function smscReceiptsSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('smsc_receipts')
        .addColumn('smsc', 'text', (c) => c.notNull())
        .addColumn('seq', t.millis, (c) => c.notNull())
        .addColumn('system_id', 'text', (c) => c.notNull())
        .addColumn('source_addr', 'text', (c) => c.notNull())
        // The simulator's outcome, JSON.
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('due_at', t.millis, (c) => c.notNull())
        // The deliver_sm, encoded with sequence number 0.
        .addColumn('receipt', t.bytes, (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('smsc_receipts_pk', ['smsc', 'seq'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('smsc_receipts').ifExists().execute();
    },
  };
}
