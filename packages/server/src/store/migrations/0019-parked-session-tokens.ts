import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * The API token a parked RELAY session was authorised by, so revoking it ends the session parked
 * too (on whichever node), and a claim on another node can check it. Nullable: rows parked before
 * this migration (a rolling upgrade; they last one resume window) carry no token and are kept until
 * their window ends, as before.
 */
export function parkedSessionTokensSchema(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('relay_parked_sessions').addColumn('token_id', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('relay_parked_sessions').dropColumn('token_id').execute();
    },
  };
}
