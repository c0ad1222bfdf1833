import { sql, type Kysely } from 'kysely';
import type { WebhookClaimLimits, WebhookHandOnClaim, WebhookRedriveFilter, WebhookRepository, WebhookSettlement } from '../../domain/ports/store.js';
import { destinationOf, type NewWebhookDelivery, type WebhookAttemptRecord, type WebhookDeliveryRecord, type WebhookDeliveryStatus } from '../../domain/webhooks.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { attemptFromRow, chunkRows, deliveryFromRow, num } from '../rows.js';
import { caseById } from './case-by-id.js';

/** The rows a claim may take: written as literals so PostgreSQL matches the partial indexes. */
const PENDING_HEAD = sql<boolean>`status = 'pending' and head = 1`;
/** Deliveries per settling UPDATE: each binds a few CASE parameters. */
const SETTLE_CHUNK = 250;

export class KyselyWebhookRepository implements WebhookRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async enqueueMany(deliveries: readonly NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    // A delivery is its message's head when the message has nothing pending (stored or earlier in
    // this batch). The pending rows are locked: a settle handing the head on at the same time is
    // either seen here, or sees this delivery once it has waited for this transaction.
    const busy = new Set<string>();
    const messageIds = [...new Set(deliveries.map((d) => d.messageId).filter((m): m is string => m !== null))];
    for (const chunk of chunkRows(messageIds, 1, this.traits.maxParameters - 1)) {
      const rows = await this.traits
        .lockForUpdate(this.db.selectFrom('webhook_deliveries').select('message_id').where('message_id', 'in', chunk).where('status', '=', 'pending').orderBy('id'))
        .execute();
      for (const r of rows) busy.add(r.message_id!);
    }
    const rows = deliveries.map((d) => {
      const head = d.messageId === null || !busy.has(d.messageId);
      if (d.messageId !== null) busy.add(d.messageId);
      return {
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
        head: head ? 1 : 0,
        destination: destinationOf(d.url),
        retry_from: d.nextAttemptAt,
      };
    });
    for (const chunk of chunkRows(rows, Object.keys(rows[0]!).length, this.traits.maxParameters)) {
      await this.db.insertInto('webhook_deliveries').values(chunk).execute();
    }
  }

  async claimDue(now: number, limit: number, leaseMs: number, owner: string, limits?: WebhookClaimLimits): Promise<WebhookDeliveryRecord[]> {
    if (limit <= 0) return [];
    const room = new Map(Object.entries(limits?.room ?? {}));
    const chosen: number[] = [];
    // Each round leaves out the destinations that are full, so a backlog of one receiver's
    // deliveries ahead in the queue cannot hide every other destination's.
    for (let round = 0; round < 8 && chosen.length < limit; round++) {
      const full = [...room].filter(([, n]) => n <= 0).map(([d]) => d);
      let q = this.db.selectFrom('webhook_deliveries').select(['id', 'destination']).where(PENDING_HEAD).where('next_attempt_at', '<=', now);
      // Leaving full destinations out in SQL walks their due backlog: only when asked to look past them.
      if (full.length && limits?.lookPastFull !== false) q = q.where('destination', 'not in', full);
      if (chosen.length) q = q.where('id', 'not in', chosen);
      const want = limit - chosen.length;
      const rows = await this.traits.lockForClaim(q.orderBy('next_attempt_at').orderBy('id').limit(want)).execute();
      let skipped = false;
      for (const r of rows) {
        const left = limits ? (room.get(r.destination) ?? limits.perDestination) : Infinity;
        if (left <= 0) {
          skipped = true;
          continue;
        }
        chosen.push(num(r.id));
        if (limits) room.set(r.destination, left - 1);
      }
      if (rows.length < want || !skipped || limits?.lookPastFull === false) break;
    }
    if (chosen.length === 0) return [];
    // No transaction: the lease is taken only on rows still due and not locked by another claimer
    // (skipped, never waited for, so claimers cannot deadlock); a row another claimer leased since
    // it was read is no longer due and is left out.
    const stillDue = this.traits.lockForClaim(this.db.selectFrom('webhook_deliveries').select('id').where('id', 'in', chosen).where(PENDING_HEAD).where('next_attempt_at', '<=', now));
    const rows = await this.db.updateTable('webhook_deliveries').set({ next_attempt_at: now + leaseMs, lease_owner: owner }).where('id', 'in', stillDue).returningAll().execute();
    return rows.map(deliveryFromRow).sort((a, b) => a.id - b.id);
  }

  async deferDestination(destination: string, until: number): Promise<number> {
    return this.moveWaiting(destination, '<', until);
  }

  async resumeDestination(destination: string, now: number): Promise<number> {
    return this.moveWaiting(destination, '>', now);
  }

  /** Move the waiting (not leased) deliveries to `destination` due before (`<`) or after (`>`) `at` to `at`. */
  private async moveWaiting(destination: string, due: '<' | '>', at: number): Promise<number> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: at })
      .where(PENDING_HEAD)
      .where('destination', '=', destination)
      .where('next_attempt_at', due, at)
      .where('lease_owner', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async recordAttempts(attempts: ReadonlyArray<Omit<WebhookAttemptRecord, 'id'>>): Promise<void> {
    if (attempts.length === 0) return;
    const rows = attempts.map((a) => ({
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
    }));
    for (const chunk of chunkRows(rows, 10, this.traits.maxParameters)) await this.db.insertInto('webhook_attempts').values(chunk).execute();
  }

  async settle(id: number, r: WebhookSettlement): Promise<void> {
    await this.settleMany([{ id, ...r }]);
  }

  async settleMany(results: ReadonlyArray<WebhookSettlement & { readonly id: number }>, claim?: WebhookHandOnClaim): Promise<WebhookDeliveryRecord[]> {
    const handOn = new Set<string>();
    for (let i = 0; i < results.length; i += SETTLE_CHUNK) {
      const chunk = results.slice(i, i + SETTLE_CHUNK);
      const ids = chunk.map((r) => r.id);
      const done = chunk.filter((r) => r.status !== 'pending');
      const moved = chunk.filter((r) => r.destination !== undefined);
      const column = <K extends keyof WebhookSettlement>(name: string, field: K) => caseById(name, chunk.map((r) => [r.id, r[field]] as const));
      // One UPDATE per chunk, per-row values in CASE expressions. The rows are locked in id order
      // (the sub-select), so concurrent transactions lock them in one order.
      const rows = await this.db
        .updateTable('webhook_deliveries')
        .set({
          status: column('status', 'status'),
          attempts: column('attempts', 'attempts'),
          next_attempt_at: column('next_attempt_at', 'nextAttemptAt'),
          last_status_code: column('last_status_code', 'lastStatusCode'),
          last_error: column('last_error', 'lastError'),
          updated_at: column('updated_at', 'at'),
          lease_owner: null,
          ...(done.length ? { head: caseById('head', done.map((r) => [r.id, 0] as const)) } : {}),
          ...(moved.length ? { destination: caseById('destination', moved.map((r) => [r.id, r.destination] as const)) } : {}),
        })
        .where('id', 'in', this.traits.lockForUpdate(this.db.selectFrom('webhook_deliveries').select('id').where('id', 'in', ids).orderBy('id')))
        .returning(['id', 'message_id'])
        .execute();
      const finished = new Set(done.map((r) => r.id));
      for (const row of rows) if (row.message_id && finished.has(num(row.id))) handOn.add(row.message_id);
    }
    const claimed: WebhookDeliveryRecord[] = [];
    for (const chunk of chunkRows([...handOn], 1, this.traits.maxParameters - 6)) claimed.push(...(await this.handHeadsOn(chunk, this.db, claim)));
    return claimed.sort((a, b) => a.id - b.id);
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
    return this.atomically(async (db) => {
      const row = await db
        .updateTable('webhook_deliveries')
        .set({
          status: 'pending',
          next_attempt_at: now,
          updated_at: now,
          retry_from: sql<number>`case when status = 'failed' then ${now} else retry_from end`,
          head: sql<number>`case when message_id is null then 1 else head end`,
        })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where('status', 'in', ['pending', 'failed'])
        .where('lease_owner', 'is', null)
        .returning('message_id')
        .executeTakeFirst();
      if (!row) return false;
      if (row.message_id) await this.handHeadsOn([row.message_id], db);
      return true;
    });
  }

  async redrive(projectId: string, filter: WebhookRedriveFilter, now: number): Promise<number> {
    return this.atomically(async (db) => {
      let q = db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', next_attempt_at: now, updated_at: now, retry_from: now, lease_owner: null, head: sql<number>`case when message_id is null then 1 else 0 end` })
        .where('project_id', '=', projectId)
        .where('status', '=', 'failed');
      if (filter.url !== undefined) q = q.where('url', '=', filter.url);
      if (filter.urlPrefix !== undefined) q = q.where(sql<string>`substr(url, 1, ${filter.urlPrefix.length})`, '=', filter.urlPrefix);
      if (filter.createdFrom !== undefined) q = q.where('created_at', '>=', filter.createdFrom);
      if (filter.createdBefore !== undefined) q = q.where('created_at', '<', filter.createdBefore);
      const rows = await q.returning('message_id').execute();
      const messageIds = [...new Set(rows.map((r) => r.message_id).filter((m): m is string => m !== null))];
      for (const chunk of chunkRows(messageIds, 1, this.traits.maxParameters)) await this.handHeadsOn(chunk, db);
      return rows.length;
    });
  }

  /**
   * Make the oldest pending delivery of each of these messages its head, where it has none; with
   * `claim`, lease the new heads that are due and return them.
   */
  private async handHeadsOn(messageIds: readonly string[], db: Kysely<Database> = this.db, claim?: WebhookHandOnClaim): Promise<WebhookDeliveryRecord[]> {
    const due = claim && sql<boolean>`next_attempt_at <= ${claim.now}`;
    const query = db
      .updateTable('webhook_deliveries')
      .set(
        claim && due
          ? {
              head: 1,
              lease_owner: sql<string | null>`case when ${due} then ${claim.owner} else lease_owner end`,
              next_attempt_at: sql<number>`case when ${due} then ${claim.now + claim.leaseMs} else next_attempt_at end`,
            }
          : { head: 1 },
      )
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('webhook_deliveries as p')
          .select((p) => p.fn.min('p.id').as('id'))
          .where('p.message_id', 'in', messageIds)
          .where('p.status', '=', 'pending')
          .groupBy('p.message_id')
          .having((p) => p.fn.max('p.head'), '=', 0),
      );
    if (!claim) {
      await query.execute();
      return [];
    }
    const rows = await query.returningAll().execute();
    return rows.filter((r) => r.lease_owner === claim.owner && num(r.next_attempt_at) === claim.now + claim.leaseMs).map(deliveryFromRow);
  }

  /** Run `work` in a transaction, or in the caller's when there is one. */
  private atomically<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? work(this.db) : this.db.transaction().execute(work);
  }

  async releaseClaimed(ids: readonly number[], owner: string, runAt: number): Promise<number> {
    let n = 0;
    for (const chunk of chunkRows(ids, 1, this.traits.maxParameters - 2)) {
      const result = await this.db
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: runAt, lease_owner: null })
        .where('id', 'in', chunk)
        .where('status', '=', 'pending')
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      n += Number(result.numUpdatedRows);
    }
    return n;
  }

  async releaseLeases(owner: string | null, now: number): Promise<number> {
    let q = this.db.updateTable('webhook_deliveries').set({ next_attempt_at: now, lease_owner: null }).where('status', '=', 'pending').where('lease_owner', 'is not', null);
    if (owner !== null) q = q.where('lease_owner', '=', owner);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async nextDueAt(skip: readonly string[] = []): Promise<number | undefined> {
    let q = this.db.selectFrom('webhook_deliveries').select('next_attempt_at').where(PENDING_HEAD);
    if (skip.length) q = q.where('destination', 'not in', [...skip]);
    const row = await q.orderBy('next_attempt_at').limit(1).executeTakeFirst();
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
