import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * The manual simulator clock's position (`simulator.clock: "manual"`), one row shared by every node
 * using the database: a restart resumes at the time the clock was moved to, rather than at the wall
 * clock's, and an advance on one node moves every node (engine/cluster/shared-clock.ts). Empty on
 * the wall clock.
 */
export function simulatorClockSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('simulator_clock')
        // Always 1: there is one clock.
        .addColumn('id', 'integer', (c) => c.primaryKey())
        // The clock's time, ms since the epoch.
        .addColumn('now_ms', t.millis, (c) => c.notNull())
        // Wall-clock time of the last change.
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('simulator_clock').ifExists().execute();
    },
  };
}
