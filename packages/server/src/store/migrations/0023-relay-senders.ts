import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * RELAY senders: `messages.relay_sender` names, on a message a RELAY session sent, that session's
 * protocol, so the message's state events reach the session whatever the message's context after
 * a restart or on another node, and its catch-up from stored events finds the message
 * (relay/catch-up.ts). No index: it is read only with rows found by other means.
 */
export function relaySendersSchema(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('messages').addColumn('relay_sender', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('messages').dropColumn('relay_sender').execute();
    },
  };
}
