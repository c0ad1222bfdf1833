import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * Console sessions by credential, newest last: a login finds the sessions of its API token beyond
 * `console.maxSessionsPerToken` (to end them) reading only those, not the project's every session.
 */
export function consoleSessionCredentialsSchema(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('console_sessions_credential').on('console_sessions').columns(['project_id', 'token_id', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('console_sessions_credential').ifExists().execute();
    },
  };
}
