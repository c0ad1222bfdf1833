import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * Safe retries and receipt reconciliation.
 * - `idempotency_keys`: a client's key (per project) → the message its first request created, for
 *   24 hours, written in that message's transaction; the primary key makes concurrent requests
 *   with one key wait for each other, and `expires_at` serves the bounded clean-up.
 * - `messages_sent_age`: SMS still `sent`, by carrier and send time, so the reconciler finds the
 *   messages whose receipt is overdue without reading the others (the partial index holds only
 *   messages awaiting a receipt; `messages_awaiting_receipt` is ordered by `seq`, not by time).
 */
export function idempotencySchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('expires_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['project_id', 'key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').columns(['expires_at']).execute();

      await db.schema
        .createIndex('messages_sent_age')
        .on('messages')
        .columns(['carrier', 'sent_at'])
        .where(sql<boolean>`status = 'sent' and kind = 'sms'`)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('messages_sent_age').ifExists().execute();
      await db.schema.dropTable('idempotency_keys').ifExists().execute();
    },
  };
}
