import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * How many opt-out entries each project has, kept by every insert and delete of `opt_outs` in its
 * own transaction: the API's adds are refused at `projects.maxOptOuts`, and a `count(*)` per add
 * costs tens of milliseconds once a project has a million rows. A project without a row has none.
 * Filled from the entries already there.
 */
export function optOutCountsSchema(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('opt_out_counts')
        .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
        .addColumn('entries', 'integer', (c) => c.notNull())
        .execute();
      await sql`insert into opt_out_counts (project_id, entries) select project_id, count(*) from opt_outs group by project_id`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('opt_out_counts').ifExists().execute();
    },
  };
}
