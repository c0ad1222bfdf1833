import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * Test API tokens (Twilio's "test credentials"): a request made with one is checked and answered
 * but never sent, stored or charged. A flag on the token rather than a table of its own, so the
 * one credential check finds both kinds; existing tokens stay live (0).
 */
export function testTokensSchema(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('api_tokens').addColumn('test', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('api_tokens').dropColumn('test').execute();
    },
  };
}
