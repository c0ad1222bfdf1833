import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * Each project's own simulator behaviour (delays, MMS receipts, outcome rules), changed through
 * the settings API. A null column follows the server's default; a missing row changed nothing.
 * In the database rather than in memory so every node sharing it applies the same behaviour.
 */
export function simulatorSettingsSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('simulator_settings')
        .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
        .addColumn('delay_ms', 'integer')
        .addColumn('delayed_receipt_ms', 'integer')
        .addColumn('mms_receipts', 'integer')
        // JSON list in the vocabulary of the config file and the API (`parseOutcomeRules`).
        .addColumn('rules', 'text')
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('simulator_settings').ifExists().execute();
    },
  };
}
