import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * Opt-out compliance and per-sender messaging settings.
 *
 * `opt_outs`: a handset that replied STOP to a sender (a number, or a number group's id) or was
 * added through the API. The create-time check is one lookup on (project, handset, sender).
 *
 * `messaging_settings`: smart encoding and the opt-out reply texts of a project (`scope` ''), a
 * number group (its id) or a number (its E.164 form); a null column follows the wider scope.
 */
export function optOutsSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .serialPrimaryKey(db.schema.createTable('opt_outs'), 'seq')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('handset', 'text', (c) => c.notNull())
        // The keyword the handset sent (upper case); null when added through the API.
        .addColumn('keyword', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addUniqueConstraint('opt_outs_handset_sender', ['project_id', 'handset', 'sender'])
        .execute();
      await db.schema.createIndex('opt_outs_project_seq').on('opt_outs').columns(['project_id', 'seq']).execute();

      await db.schema
        .createTable('messaging_settings')
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('smart_encoding', 'integer')
        .addColumn('replies', 'integer')
        .addColumn('stop_reply', 'text')
        .addColumn('start_reply', 'text')
        .addColumn('help_reply', 'text')
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('messaging_settings_pk', ['project_id', 'scope'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('messaging_settings').ifExists().execute();
      await db.schema.dropTable('opt_outs').ifExists().execute();
    },
  };
}
