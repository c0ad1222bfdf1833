import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * The web console: its sessions, and the indexes behind its views.
 *
 * - `messages_parties` covers the conversation views: threads are a GROUP BY over it (an index-only
 *   scan), and one conversation's messages are two prefix lookups. It is written once per message
 *   (none of its columns change after insert), so state changes do not pay for it.
 * - `webhook_deliveries_project` serves the outbox view's per-project filter and counts.
 */
export function consoleSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('console_sessions')
        // SHA-256 of the session id the cookie carries: a database leak yields no usable session.
        .addColumn('id_hash', t.bytes, (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        // The API token the session was opened with (null for a dev login): revoking it ends the session.
        .addColumn('token_id', 'text')
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('dev', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('expires_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('console_sessions_expires').on('console_sessions').columns(['expires_at']).execute();
      await db.schema.createIndex('messages_parties').on('messages').columns(['project_id', 'from_number', 'to_number', 'direction', 'seq']).execute();
      await db.schema.createIndex('webhook_deliveries_project').on('webhook_deliveries').columns(['project_id', 'status', 'id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('webhook_deliveries_project').ifExists().execute();
      await db.schema.dropIndex('messages_parties').ifExists().execute();
      await db.schema.dropTable('console_sessions').ifExists().execute();
    },
  };
}
