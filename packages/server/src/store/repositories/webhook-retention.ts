/**
 * Retention of the webhook outbox (`WebhookRepository.pruneSettled`): settled deliveries older than
 * their retention are deleted with their attempts, one page of the table (in id order) per call and
 * transaction, so no statement touches more than a page of rows and no transaction is long.
 */
import { sql, type Kysely } from 'kysely';
import { TERMINAL_STATUSES } from '@switchboard/protocol';
import type { WebhookPruneCutoffs, WebhookPrunePage } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import { chunkRows, num } from '../rows.js';
import { atomically } from './atomically.js';
import type { Database } from '../schema.js';

/** Final message states, as literals (the statement's text is the same on every call). */
const FINAL = sql.join(TERMINAL_STATUSES.map((s) => sql.lit(s)));

/**
 * Whether a message row `m` is still in flight: not in a final state — except `sent` unchanged
 * since `staleBefore` (an MMS without receipts stays `sent` for good). Its deliveries are kept.
 */
const inFlight = (m: string, staleBefore: number) =>
  sql<boolean>`${sql.ref(`${m}.status`)} not in (${FINAL}) and not (${sql.ref(`${m}.status`)} = 'sent' and ${sql.ref(`${m}.updated_at`)} <= ${staleBefore})`;

export async function pruneSettledDeliveries(db: Kysely<Database>, traits: DialectTraits, cutoffs: WebhookPruneCutoffs, afterId: number, limit: number): Promise<WebhookPrunePage> {
  const { deliveredBefore, failedBefore } = cutoffs;
  const none: WebhookPrunePage = { lastId: afterId, done: true, deliveries: 0, attempts: 0 };
  if (deliveredBefore === null && failedBefore === null) return none;
  // Nothing created after the later cutoff can be due (updated_at >= created_at): the walk ends there.
  const latest = Math.max(deliveredBefore ?? -Infinity, failedBefore ?? -Infinity);
  const staleBefore = Math.min(deliveredBefore ?? Infinity, failedBefore ?? Infinity);
  const settled = sql<boolean>`(${sql.join(
    [
      ...(deliveredBefore !== null ? [sql`(webhook_deliveries.status = 'delivered' and webhook_deliveries.updated_at <= ${deliveredBefore})`] : []),
      ...(failedBefore !== null ? [sql`(webhook_deliveries.status = 'failed' and webhook_deliveries.updated_at <= ${failedBefore})`] : []),
    ],
    sql` or `,
  )})`;
  const work = async (tx: Kysely<Database>): Promise<WebhookPrunePage> => {
    const page = await tx.selectFrom('webhook_deliveries').select(['id', 'created_at']).where('id', '>', afterId).orderBy('id').limit(limit).execute();
    if (page.length === 0) return none;
    const last = page[page.length - 1]!;
    const lastId = num(last.id);
    // Kept: a delivery of a message still in flight (its console history), and an inbound
    // message's cXML request while a reply of its exchange is in flight (the exchange's document
    // count, Twilio's 14106, reads it). The conditions are the DELETE's own, not a subquery's, so
    // PostgreSQL checks them again on a row another transaction changed meanwhile (a failed
    // delivery re-driven to pending is left alone).
    const { rows } = await sql<{ id: number | string }>`
      delete from webhook_deliveries
      where webhook_deliveries.id > ${afterId} and webhook_deliveries.id <= ${lastId} and ${settled}
        and (webhook_deliveries.message_id is null
          or not exists (select 1 from messages m where m.id = webhook_deliveries.message_id and ${inFlight('m', staleBefore)}))
        and (webhook_deliveries.kind <> 'inbound_message' or not exists (
          select 1 from messages r where r.project_id = webhook_deliveries.project_id and r.cxml_session = webhook_deliveries.message_id and ${inFlight('r', staleBefore)}))
      returning webhook_deliveries.id`.execute(tx);
    let attempts = 0;
    for (const chunk of chunkRows(rows.map((r) => num(r.id)), 1, traits.maxParameters)) {
      const result = await tx.deleteFrom('webhook_attempts').where('delivery_id', 'in', chunk).executeTakeFirst();
      attempts += Number(result.numDeletedRows);
    }
    const done = page.length < limit || num(last.created_at) > latest;
    return { lastId, done, deliveries: rows.length, attempts };
  };
  return atomically(db, work);
}
