import { sql, type Kysely, type Migration } from 'kysely';
import { endpointOf, OUTBOX_RETRY_POLICY } from '../../domain/webhooks.js';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * Webhook deliveries that outlive outages and share the pool fairly:
 * - `head` marks each message's oldest pending delivery, the only one a claim may take, so the
 *   claim is an index range (`webhook_deliveries_head_due`) instead of an anti-join over every
 *   pending delivery; it is handed on when the head is settled.
 * - `destination` (`host:port` of the next attempt) keys per-destination limits and breakers;
 *   `webhook_deliveries_destination` finds a destination's waiting deliveries to defer them.
 * - `retry_from` starts the retry window (creation, or the last re-drive).
 * Status callbacks still waiting or failed move to the outbox policy (`max_attempts` 0).
 */
export function webhookWindowSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('webhook_deliveries').addColumn('head', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('webhook_deliveries').addColumn('destination', 'text', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.alterTable('webhook_deliveries').addColumn('retry_from', t.millis, (c) => c.notNull().defaultTo(0)).execute();
      // Only rows that may still be sent: delivered ones (most of a large table) are left as they are.
      await sql`update webhook_deliveries set retry_from = created_at where status <> 'delivered'`.execute(db);
      await sql`update webhook_deliveries set max_attempts = ${sql.lit(OUTBOX_RETRY_POLICY)} where kind = 'status_callback' and status <> 'delivered'`.execute(db);
      await sql`
        update webhook_deliveries set head = 1
        where status = 'pending' and (message_id is null or not exists (
          select 1 from webhook_deliveries e
          where e.message_id = webhook_deliveries.message_id and e.status = 'pending' and e.id < webhook_deliveries.id))`.execute(db);
      await backfillDestinations(db);
      await db.schema
        .createIndex('webhook_deliveries_head_due')
        .on('webhook_deliveries')
        .columns(['next_attempt_at'])
        .where(sql.ref('status'), '=', 'pending')
        .where(sql.ref('head'), '=', 1)
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_destination')
        .on('webhook_deliveries')
        .columns(['destination', 'next_attempt_at'])
        .where(sql.ref('status'), '=', 'pending')
        .where(sql.ref('head'), '=', 1)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('webhook_deliveries_destination').ifExists().execute();
      await db.schema.dropIndex('webhook_deliveries_head_due').ifExists().execute();
      for (const column of ['retry_from', 'destination', 'head']) await db.schema.alterTable('webhook_deliveries').dropColumn(column).execute();
    },
  };
}

/** The destination of the next attempt of every delivery that may still be sent (pending or failed). */
async function backfillDestinations(db: Kysely<unknown>): Promise<void> {
  type Row = { id: number | string; url: string; fallback_url: string | null; attempts: number; max_attempts: number };
  let after = 0;
  for (;;) {
    const { rows } = await sql<Row>`
      select id, url, fallback_url, attempts, max_attempts from webhook_deliveries
      where status <> 'delivered' and id > ${after} order by id limit 1000`.execute(db);
    if (rows.length === 0) return;
    const byDestination = new Map<string, number[]>();
    for (const r of rows) {
      // As nextAttemptTarget: the last of several attempts goes to the fallback URL.
      const fallback = r.fallback_url !== null && r.attempts + 1 >= r.max_attempts && r.max_attempts > 1;
      // `host:port`, the key when this was written; rows take their project's key (`destinationOf`) at their next attempt.
      const destination = endpointOf(fallback ? r.fallback_url! : r.url);
      byDestination.set(destination, [...(byDestination.get(destination) ?? []), Number(r.id)]);
    }
    for (const [destination, ids] of byDestination) {
      await sql`update webhook_deliveries set destination = ${destination} where id in (${sql.join(ids)})`.execute(db);
    }
    after = Number(rows[rows.length - 1]!.id);
  }
}
