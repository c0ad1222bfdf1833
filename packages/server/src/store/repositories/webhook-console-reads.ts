/**
 * The console's reads of a project's webhook outbox (`WebhookRepository.listForProject`,
 * `countByStatus`): each state a range of the index (project_id, status, id), so a page or a count
 * examines a page or the cap, however long the outbox (docs/architecture.md, "Bounded re-drives").
 */
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { WebhookStatusCounts } from '../../domain/ports/store.js';
import { WEBHOOK_DELIVERY_STATUSES, type WebhookDeliveryRecord, type WebhookDeliveryStatus } from '../../domain/webhooks.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { deliveryFromRow, num } from '../rows.js';

/**
 * One status (below id `beforeId`), for reads ordered by (status, id) on the index (project_id,
 * status, id). PostgreSQL: a range of (status, id), the order only that index gives — with
 * `status = ?` it drops the constant from the order and may walk the primary key backwards
 * instead, filtering each row, through every newer delivery of other projects (3,000 read for a
 * page of 51 in postgres.outbox-scans.test.ts); the cursor a row comparison, which the index seeks
 * to. SQLite: `status = ? and id < ?`, which it seeks to on that index (a range it would not).
 */
function inStatusRange<O>(q: SelectQueryBuilder<Database, 'webhook_deliveries', O>, dialect: DialectTraits['name'], status: WebhookDeliveryStatus, beforeId?: number): SelectQueryBuilder<Database, 'webhook_deliveries', O> {
  if (dialect !== 'postgres') {
    const one = q.where('status', '=', status);
    return beforeId === undefined ? one : one.where('id', '<', beforeId);
  }
  const from = q.where('status', '>=', status);
  return beforeId === undefined ? from.where('status', '<=', status) : from.where(sql<boolean>`(status, id) < (${status}, ${beforeId})`);
}

export async function listProjectDeliveries(db: Kysely<Database>, traits: DialectTraits, projectId: string, filter: { readonly status?: WebhookDeliveryStatus }, page: { readonly limit: number; readonly beforeId?: number }): Promise<WebhookDeliveryRecord[]> {
  // One status is a range of the index (project_id, status, id). All of them are the newest
  // `limit` of each status's range, merged: ordered by id over the project alone, SQLite sorted
  // the project's whole outbox for each page (680 ms for 300,000 deliveries; bench/outbox-scans.mjs).
  const statuses = filter.status ? [filter.status] : WEBHOOK_DELIVERY_STATUSES;
  const ranges = await Promise.all(
    statuses.map((status) => {
      const q = inStatusRange(db.selectFrom('webhook_deliveries').selectAll().where('project_id', '=', projectId), traits.name, status, page.beforeId);
      return q.orderBy('status', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
    }),
  );
  return ranges
    .flat()
    .sort((a, b) => num(b.id) - num(a.id))
    .slice(0, page.limit)
    .map(deliveryFromRow);
}

export async function countProjectDeliveries(db: Kysely<Database>, traits: DialectTraits, projectId: string, cap: number): Promise<WebhookStatusCounts> {
  // Each status counted on the index (project_id, status, id) alone, up to `cap` + 1 entries: an
  // uncapped count grew with the delivered history, which is never pruned (80 ms for 300,000
  // deliveries, on every console load). `retrying` reads the rows (attempts) of the oldest `cap`
  // pending deliveries only: a lower bound when more are pending.
  const upTo = Math.max(1, Math.floor(cap));
  const count = async (status: WebhookDeliveryStatus): Promise<number> => {
    const window = inStatusRange(db.selectFrom('webhook_deliveries').select('id').where('project_id', '=', projectId), traits.name, status).orderBy('status').orderBy('id').limit(upTo + 1);
    const row = await db.selectFrom(window.as('w')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return num(row?.n ?? 0);
  };
  const oldestPending = inStatusRange(db.selectFrom('webhook_deliveries').select('attempts').where('project_id', '=', projectId), traits.name, 'pending').orderBy('status').orderBy('id').limit(upTo);
  const [pending, delivered, failed, retryingRow] = await Promise.all([
    count('pending'),
    count('delivered'),
    count('failed'),
    db.selectFrom(oldestPending.as('p')).select((eb) => eb.fn.countAll<number>().as('n')).where('p.attempts', '>', 0).executeTakeFirst(),
  ]);
  const capped = { pending: pending > upTo, retrying: pending > upTo, delivered: delivered > upTo, failed: failed > upTo };
  const at = (n: number) => Math.min(n, upTo);
  return { counts: { pending: at(pending), retrying: at(num(retryingRow?.n ?? 0)), delivered: at(delivered), failed: at(failed) }, capped, cap: upTo };
}
