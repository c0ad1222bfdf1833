import { sql, type Kysely } from 'kysely';
import type { WebhookRepository } from '../../domain/ports/store.js';
import type { NewWebhookDelivery, WebhookAttemptRecord, WebhookDeliveryRecord, WebhookDeliveryStatus } from '../../domain/webhooks.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { attemptFromRow, chunkRows, deliveryFromRow, num } from '../rows.js';

export class KyselyWebhookRepository implements WebhookRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async enqueueMany(deliveries: readonly NewWebhookDelivery[]): Promise<void> {
    for (const chunk of chunkRows(deliveries, 19, this.traits.maxParameters)) {
      await this.db
        .insertInto('webhook_deliveries')
        .values(
          chunk.map((d) => ({
            project_id: d.projectId,
            message_id: d.messageId,
            kind: d.kind,
            url: d.url,
            method: d.method,
            content_type: d.contentType,
            body: d.body,
            signature: d.signature,
            fallback_url: d.fallbackUrl,
            fallback_method: d.fallbackMethod,
            status: 'pending',
            attempts: 0,
            max_attempts: d.maxAttempts,
            next_attempt_at: d.nextAttemptAt,
            last_status_code: null,
            last_error: null,
            lease_owner: null,
            created_at: d.nextAttemptAt,
            updated_at: d.nextAttemptAt,
          })),
        )
        .execute();
    }
  }

  async claimDue(now: number, limit: number, leaseMs: number, owner: string): Promise<WebhookDeliveryRecord[]> {
    const due = this.traits.lockForClaim(
      this.db
        .selectFrom('webhook_deliveries as d')
        .select('d.id')
        .where('d.status', '=', 'pending')
        .where('d.next_attempt_at', '<=', now)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('webhook_deliveries as e')
                .select(sql<number>`1`.as('one'))
                .whereRef('e.message_id', '=', 'd.message_id')
                .where('e.status', '=', 'pending')
                .whereRef('e.id', '<', 'd.id'),
            ),
          ),
        )
        .orderBy('d.next_attempt_at')
        .limit(limit),
    );
    const rows = await this.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: now + leaseMs, lease_owner: owner })
      .where('id', 'in', due)
      .returningAll()
      .execute();
    return rows.map(deliveryFromRow).sort((a, b) => a.id - b.id);
  }

  async recordAttempt(a: Omit<WebhookAttemptRecord, 'id'>): Promise<void> {
    await this.db
      .insertInto('webhook_attempts')
      .values({
        delivery_id: a.deliveryId,
        project_id: a.projectId,
        attempt: a.attempt,
        url: a.url,
        at: a.at,
        duration_ms: a.durationMs,
        status_code: a.statusCode,
        error: a.error,
        signature: a.signature,
        response_excerpt: a.responseExcerpt,
      })
      .execute();
  }

  async settle(
    id: number,
    r: { status: 'delivered' | 'failed' | 'pending'; attempts: number; nextAttemptAt: number; lastStatusCode: number | null; lastError: string | null; at: number },
  ): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status: r.status, attempts: r.attempts, next_attempt_at: r.nextAttemptAt, last_status_code: r.lastStatusCode, last_error: r.lastError, lease_owner: null, updated_at: r.at })
      .where('id', '=', id)
      .execute();
  }

  async get(projectId: string, id: number): Promise<WebhookDeliveryRecord | undefined> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return row && deliveryFromRow(row);
  }

  async listForMessage(projectId: string, messageId: string): Promise<WebhookDeliveryRecord[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('message_id', '=', messageId)
      .where('project_id', '=', projectId)
      .orderBy('id')
      .execute();
    return rows.map(deliveryFromRow);
  }

  async listAttempts(projectId: string, deliveryId: number): Promise<WebhookAttemptRecord[]> {
    const rows = await this.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', '=', deliveryId)
      .where('project_id', '=', projectId)
      .orderBy('id')
      .execute();
    return rows.map(attemptFromRow);
  }

  async retryNow(projectId: string, id: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: now, updated_at: now })
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .where('status', 'in', ['pending', 'failed'])
      .where('lease_owner', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async releaseLeases(owner: string | null, now: number): Promise<number> {
    let q = this.db.updateTable('webhook_deliveries').set({ next_attempt_at: now, lease_owner: null }).where('status', '=', 'pending').where('lease_owner', 'is not', null);
    if (owner !== null) q = q.where('lease_owner', '=', owner);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async nextDueAt(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select('next_attempt_at')
      .where('status', '=', 'pending')
      .orderBy('next_attempt_at')
      .limit(1)
      .executeTakeFirst();
    return row ? num(row.next_attempt_at) : undefined;
  }

  async listForProject(projectId: string, filter: { readonly status?: WebhookDeliveryStatus }, page: { readonly limit: number; readonly beforeId?: number }): Promise<WebhookDeliveryRecord[]> {
    let q = this.db.selectFrom('webhook_deliveries').selectAll().where('project_id', '=', projectId);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (page.beforeId !== undefined) q = q.where('id', '<', page.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(page.limit).execute();
    return rows.map(deliveryFromRow);
  }

  async countByStatus(projectId: string): Promise<{ pending: number; retrying: number; delivered: number; failed: number }> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>(sql<number>`case when attempts > 0 then 1 else 0 end`).as('retrying')])
      .where('project_id', '=', projectId)
      .groupBy('status')
      .execute();
    const out = { pending: 0, retrying: 0, delivered: 0, failed: 0 };
    for (const r of rows) {
      if (r.status === 'pending') {
        out.pending = num(r.n);
        out.retrying = num(r.retrying ?? 0);
      } else if (r.status === 'delivered' || r.status === 'failed') out[r.status] = num(r.n);
    }
    return out;
  }

  async countPending(): Promise<number> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return num(row.n);
  }
}
