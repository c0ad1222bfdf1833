import { CompiledQuery, sql, type Kysely, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { WebhookClaimLimits, WebhookHandOnClaim, WebhookPruneCutoffs, WebhookPrunePage, WebhookRedriveFilter, WebhookRepository, WebhookSettlement, WebhookStatusCounts } from '../../domain/ports/store.js';
import { withoutMessageText } from '../../domain/webhook-redaction.js';
import { destinationOf, type NewWebhookDelivery, type SignatureScheme, type WebhookAttemptRecord, type WebhookDeliveryRecord, type WebhookDeliveryStatus } from '../../domain/webhooks.js';
import { BatchInsert } from '../batch-insert.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database, WebhookDeliveriesTable } from '../schema.js';
import { attemptFromRow, chunkRows, deliveryFromRow, num } from '../rows.js';
import { atomically } from './atomically.js';
import { dueProjects, fairShares, MAX_PROJECTS, type FairQueue } from './fair-claim.js';
import { pruneSettledDeliveries } from './webhook-retention.js';
import { countProjectDeliveries, listProjectDeliveries } from './webhook-console-reads.js';

/** The rows a claim may take: written as literals so PostgreSQL matches the partial indexes. */
const PENDING_HEAD = sql<boolean>`status = 'pending' and head = 1`;
/** Literals, not parameters, also for SQLite: see the hot statements below. */
const PENDING = sql<boolean>`status = 'pending'`;

/** The outbox as a fair queue: claimable heads (`webhook_deliveries_project_due`), due by `now`. */
const outboxQueue = (now: number): FairQueue => ({
  table: 'webhook_deliveries',
  scope: (t) => sql<boolean>`${sql.ref(`${t}.status`)} = 'pending' and ${sql.ref(`${t}.head`)} = 1`,
  due: (t) => sql<boolean>`${sql.ref(`${t}.next_attempt_at`)} <= ${now}`,
});
/** Deliveries per settling UPDATE. */
const SETTLE_CHUNK = 500;
/** Messages per hand-on UPDATE. */
const HAND_ON_CHUNK = 500;
/** Failed deliveries re-driven per transaction. */
const REDRIVE_BATCH = 1_000;

/*
 * The hot statements of the outbox are written out per dialect instead of built per call: their
 * text is the same for any number of rows (the rows travel as one JSON or array parameter), so
 * nothing is compiled per batch and SQLite keeps one prepared statement for each. Status and head
 * are compared with literals, never with bound parameters: SQLite re-prepares a statement at every
 * run when a parameter is compared with a column of a partial index's condition (the parameter's
 * value might decide whether that index can be used).
 */

/**
 * Settle deliveries: per row its new state; a finished one (not pending) stops being its message's
 * head; the lease ends. Returns the rows' ids and messages. SQLite: one JSON array of
 * `[id, status, attempts, next_attempt_at, last_status_code, last_error, updated_at, destination]`
 * rows (a null destination keeps the row's). PostgreSQL: the same, and the ids as an array, whose
 * rows are locked in id order first so concurrent transactions lock them in one order.
 */
const SETTLE_SQL = {
  sqlite: `update webhook_deliveries set
      status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at,
      last_status_code = v.last_status_code, last_error = v.last_error, updated_at = v.updated_at, lease_owner = null,
      head = case when v.status = 'pending' then webhook_deliveries.head else 0 end,
      destination = coalesce(v.destination, webhook_deliveries.destination)
    from (select value ->> 0 as id, value ->> 1 as status, value ->> 2 as attempts, value ->> 3 as next_attempt_at, value ->> 4 as last_status_code,
            value ->> 5 as last_error, value ->> 6 as updated_at, value ->> 7 as destination
          from json_each(?)) as v
    where webhook_deliveries.id = v.id
    returning webhook_deliveries.id, webhook_deliveries.message_id`,
  postgres: `update webhook_deliveries as w set
      status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at,
      last_status_code = v.last_status_code, last_error = v.last_error, updated_at = v.updated_at, lease_owner = null,
      head = case when v.status = 'pending' then w.head else 0 end,
      destination = coalesce(v.destination, w.destination)
    from (select (e ->> 0)::bigint as id, e ->> 1 as status, (e ->> 2)::integer as attempts, (e ->> 3)::bigint as next_attempt_at,
            (e ->> 4)::integer as last_status_code, e ->> 5 as last_error, (e ->> 6)::bigint as updated_at, e ->> 7 as destination
          from jsonb_array_elements($1::jsonb) as e) as v
    where w.id = v.id and w.id in (select id from webhook_deliveries where id = any($2::bigint[]) order by id for update)
    returning w.id, w.message_id`,
} as const;

/**
 * Make the oldest pending delivery of each message its head where the message has none, and lease
 * the new heads that are due (`next_attempt_at <= now`; a null now leases none). Parameters:
 * now, owner, (now again on SQLite), lease end, the message ids (JSON on SQLite, an array on PostgreSQL).
 */
const HAND_ON_SQL = {
  sqlite: `update webhook_deliveries set head = 1,
      lease_owner = case when next_attempt_at <= ? then ? else lease_owner end,
      next_attempt_at = case when next_attempt_at <= ? then ? else next_attempt_at end
    where id in (select min(p.id) from webhook_deliveries as p
      where p.message_id in (select value from json_each(?)) and p.status = 'pending'
      group by p.message_id having max(p.head) = 0)
    returning *`,
  postgres: `update webhook_deliveries set head = 1,
      lease_owner = case when next_attempt_at <= $1 then $2 else lease_owner end,
      next_attempt_at = case when next_attempt_at <= $1 then $3 else next_attempt_at end
    where id in (select min(p.id) from webhook_deliveries as p
      where p.message_id = any($4::text[]) and p.status = 'pending'
      group by p.message_id having max(p.head) = 0)
    returning *`,
} as const;

/** The pending deliveries of some messages, locked in id order (PostgreSQL): their message ids. */
const PENDING_OF_MESSAGES_SQL = {
  sqlite: `select message_id from webhook_deliveries where message_id in (select value from json_each(?)) and status = 'pending' order by id`,
  postgres: `select message_id from webhook_deliveries where message_id = any($1::text[]) and status = 'pending' order by id for update`,
} as const;

function attemptToRow(a: Omit<WebhookAttemptRecord, 'id'>): Record<string, unknown> {
  return {
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
  };
}

interface OutboxInserts {
  readonly deliveries: BatchInsert<Record<string, unknown>>;
  readonly attempts: BatchInsert<Omit<WebhookAttemptRecord, 'id'>>;
}

/** The outbox's batch inserts, per dialect (their SQL is compiled once per row count and dialect). */
const outboxInserts = new Map<string, OutboxInserts>();

function batchInserts(traits: DialectTraits): OutboxInserts {
  let inserts = outboxInserts.get(traits.name);
  if (!inserts) {
    inserts = {
      deliveries: new BatchInsert<Record<string, unknown>>('webhook_deliveries', (row) => row, [], traits.maxParameters),
      attempts: new BatchInsert('webhook_attempts', attemptToRow, [], traits.maxParameters),
    };
    outboxInserts.set(traits.name, inserts);
  }
  return inserts;
}

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
    for (const chunk of chunkRows(messageIds, 1, HAND_ON_CHUNK)) {
      const params = this.traits.name === 'postgres' ? [chunk] : [JSON.stringify(chunk)];
      const { rows } = await this.db.executeQuery<{ message_id: string }>(CompiledQuery.raw(PENDING_OF_MESSAGES_SQL[this.traits.name], params));
      for (const r of rows) busy.add(r.message_id);
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
        destination: destinationOf(d.projectId, d.url),
        retry_from: d.nextAttemptAt,
      };
    });
    await batchInserts(this.traits).deliveries.run(this.db, rows);
  }

  async claimDue(now: number, limit: number, leaseMs: number, owner: string, limits?: WebhookClaimLimits): Promise<WebhookDeliveryRecord[]> {
    if (limit <= 0) return [];
    const room = new Map(Object.entries(limits?.room ?? {}));
    const chosen: number[] = [];
    const full = () => [...room].filter(([, n]) => n <= 0).map(([d]) => d);
    // Leaving full destinations out in SQL walks their due backlog: only when asked to look past them.
    const lookPast = limits?.lookPastFull !== false;
    /** Take rows while their destinations have room; whether some were left out for want of it. */
    const take = (rows: ReadonlyArray<{ id: number | string; destination: string }>): boolean => {
      let skipped = false;
      for (const r of rows) {
        if (chosen.length >= limit) break;
        const left = limits ? (room.get(r.destination) ?? limits.perDestination) : Infinity;
        if (left <= 0) {
          skipped = true;
          continue;
        }
        chosen.push(num(r.id));
        if (limits) room.set(r.destination, left - 1);
      }
      return skipped;
    };
    // Several projects with due deliveries take a share each first (fair-claim.ts), so one project's
    // backlog, however many destinations it spreads over, holds back another's by one claim; the
    // rounds below fill the rest by due order. One project alone goes straight to the rounds.
    const shareByProject = limits?.shareByProject !== false;
    const queue = outboxQueue(now);
    const busy = limits?.busyProjects ?? [];
    const projects = shareByProject ? await dueProjects(this.db, queue, limits?.after ?? '', Math.min(limit, MAX_PROJECTS), busy) : [];
    if (shareByProject && projects.length === 0) return [];
    let more = true;
    if (projects.length > 1) {
      const skip = lookPast ? full() : [];
      const shares = await fairShares(this.db, limit, projects, (projectId, share) => {
        let q = this.db.selectFrom('webhook_deliveries').select(['id', 'destination', 'project_id']).where(queue.scope('webhook_deliveries')).where('project_id', '=', projectId).where(queue.due('webhook_deliveries'));
        if (skip.length) q = q.where('destination', 'not in', skip);
        return this.traits.lockForClaim(q.orderBy('next_attempt_at').orderBy('id').limit(share));
      });
      take(shares.rows);
      // Every project gave less than its share: none has more due (outside full destinations).
      more = shares.more;
    }
    // Each round leaves out the destinations that are full, so a backlog of one receiver's
    // deliveries ahead in the queue cannot hide every other destination's.
    for (let round = 0; more && round < 8 && chosen.length < limit; round++) {
      const skip = lookPast ? full() : [];
      let q = this.db.selectFrom('webhook_deliveries').select(['id', 'destination']).where(PENDING_HEAD).where('next_attempt_at', '<=', now);
      if (skip.length) q = q.where('destination', 'not in', skip);
      if (chosen.length) q = q.where('id', 'not in', chosen);
      if (busy.length) q = q.where('project_id', 'not in', busy);
      const want = limit - chosen.length;
      const rows = await this.traits.lockForClaim(q.orderBy('next_attempt_at').orderBy('id').limit(want)).execute();
      const skipped = take(rows);
      if (rows.length < want || !skipped || !lookPast) break;
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
    const waiting = this.db.selectFrom('webhook_deliveries').select('id').where(PENDING_HEAD).where('destination', '=', destination).where('next_attempt_at', due, at).where('lease_owner', 'is', null);
    const result = await this.db.updateTable('webhook_deliveries').set({ next_attempt_at: at }).where('id', 'in', this.inIdOrder(waiting)).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * The rows of `ids`, locked in id order (PostgreSQL) before a statement that changes many rows
   * updates them. The journal's enqueue and the settle lock a message's pending rows in id order; a
   * bulk update locking in the order it reads them (a destination's due order) held one while it
   * waited for another, and deadlocked with them (40P01, found by a fault campaign: every node's
   * breaker deferring one receiver's backlog while the journal wrote callbacks).
   */
  private inIdOrder(ids: SelectQueryBuilder<Database, 'webhook_deliveries', { id: number }>) {
    return this.traits.lockForUpdate(ids.orderBy('id'));
  }

  async recordAttempts(attempts: ReadonlyArray<Omit<WebhookAttemptRecord, 'id'>>): Promise<void> {
    if (attempts.length === 0) return;
    await batchInserts(this.traits).attempts.run(this.db, attempts);
  }

  async settle(id: number, r: WebhookSettlement): Promise<void> {
    await this.settleMany([{ id, ...r }]);
  }

  async settleMany(results: ReadonlyArray<WebhookSettlement & { readonly id: number }>, claim?: WebhookHandOnClaim): Promise<WebhookDeliveryRecord[]> {
    if (results.length === 0) return [];
    const sql = SETTLE_SQL[this.traits.name];
    const handOn = new Set<string>();
    const seen = new Set<number>();
    for (let i = 0; i < results.length; i += SETTLE_CHUNK) {
      // One UPDATE per chunk whose text does not depend on the row count: the per-row values travel
      // as one JSON parameter (and, on PostgreSQL, the ids as an array, to lock them in id order).
      const values: unknown[][] = [];
      const ids: number[] = [];
      const finished = new Set<number>();
      for (const r of results.slice(i, i + SETTLE_CHUNK)) {
        // The first settlement of an id wins, as a CASE over the ids would have it.
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        ids.push(r.id);
        if (r.status !== 'pending') finished.add(r.id);
        values.push([r.id, r.status, r.attempts, r.nextAttemptAt, r.lastStatusCode, r.lastError, r.at, r.destination ?? null]);
      }
      const params = this.traits.name === 'postgres' ? [this.traits.jsonParam(values), ids] : [this.traits.jsonParam(values)];
      const { rows } = await this.db.executeQuery<{ id: number | string; message_id: string | null }>(CompiledQuery.raw(sql, params));
      for (const row of rows) if (row.message_id && finished.has(num(row.id))) handOn.add(row.message_id);
    }
    if (handOn.size === 0) return [];
    const claimed: WebhookDeliveryRecord[] = [];
    for (const chunk of chunkRows([...handOn], 1, HAND_ON_CHUNK)) claimed.push(...(await this.handHeadsOn(chunk, this.db, claim)));
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

  async eraseMessageText(projectId: string, messageId: string): Promise<number> {
    // Rows are written in id order, the order every bulk update of the outbox locks them in.
    const rows = await this.db.selectFrom('webhook_deliveries').select(['id', 'body', 'signature']).where('message_id', '=', messageId).where('project_id', '=', projectId).orderBy('id').execute();
    let changed = 0;
    for (const row of rows) {
      const body = withoutMessageText(row.signature as SignatureScheme, row.body);
      if (body === row.body) continue;
      await this.db.updateTable('webhook_deliveries').set({ body }).where('id', '=', row.id).where('project_id', '=', projectId).execute();
      changed++;
    }
    return changed;
  }

  async countCxmlDocuments(projectId: string, session: string, upToId: number): Promise<number> {
    // Served by webhook_deliveries_message, and messages_cxml_session for the exchange's replies.
    const replies = this.db.selectFrom('messages').select('id').where('project_id', '=', projectId).where('cxml_session', '=', session);
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('project_id', '=', projectId)
      .where('id', '<=', upToId)
      .where((eb) => eb.or([eb.and([eb('message_id', '=', session), eb('kind', '=', 'inbound_message')]), eb.and([eb('message_id', 'in', replies), eb('kind', '=', 'message_action')])]))
      .executeTakeFirst();
    return num(row?.n ?? 0);
  }

  async listAttempts(projectId: string, deliveryId: number, limit?: number): Promise<WebhookAttemptRecord[]> {
    let q = this.db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', deliveryId).where('project_id', '=', projectId).orderBy('id', 'desc');
    if (limit !== undefined) q = q.limit(limit);
    return (await q.execute()).reverse().map(attemptFromRow);
  }

  async retryNow(projectId: string, id: number, now: number): Promise<boolean> {
    return atomically(this.db, async (db) => {
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
        .where(sql<boolean>`status in ('pending', 'failed')`)
        .where('lease_owner', 'is', null)
        .returning('message_id')
        .executeTakeFirst();
      if (!row) return false;
      if (row.message_id) await this.handHeadsOn([row.message_id], db);
      return true;
    });
  }

  async redrive(projectId: string, filter: WebhookRedriveFilter, now: number): Promise<number> {
    // In batches of a transaction each, by id, with a turn of the event loop between them: one
    // transaction over a project's every failed delivery held SQLite's writer — and, SQLite being
    // synchronous, the node — from every project's requests for seconds per 100,000 rows.
    let total = 0;
    for (let after = 0; ; ) {
      const { selected, last, redriven } = await atomically(this.db, (db) => this.redriveBatch(db, projectId, filter, now, after));
      total += redriven;
      if (selected < REDRIVE_BATCH) return total;
      after = last;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async redriveBatch(db: Kysely<Database>, projectId: string, filter: WebhookRedriveFilter, now: number, after: number): Promise<{ selected: number; last: number; redriven: number }> {
    let q = db.selectFrom('webhook_deliveries').select('id').where('project_id', '=', projectId).where(sql<boolean>`status = 'failed'`).where('id', '>', after);
    if (filter.url !== undefined) q = q.where('url', '=', filter.url);
    if (filter.urlPrefix !== undefined) q = q.where(sql<string>`substr(url, 1, ${filter.urlPrefix.length})`, '=', filter.urlPrefix);
    if (filter.createdFrom !== undefined) q = q.where('created_at', '>=', filter.createdFrom);
    if (filter.createdBefore !== undefined) q = q.where('created_at', '<', filter.createdBefore);
    const ids = (await this.traits.lockForUpdate(q.orderBy('id').limit(REDRIVE_BATCH)).execute()).map((r) => num(r.id));
    if (ids.length === 0) return { selected: 0, last: after, redriven: 0 };
    const rows = await db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: now, updated_at: now, retry_from: now, lease_owner: null, head: sql<number>`case when message_id is null then 1 else 0 end` })
      .where('id', 'in', ids)
      .where(sql<boolean>`status = 'failed'`)
      .returning('message_id')
      .execute();
    const messageIds = [...new Set(rows.map((r) => r.message_id).filter((m): m is string => m !== null))];
    for (const chunk of chunkRows(messageIds, 1, HAND_ON_CHUNK)) await this.handHeadsOn(chunk, db);
    return { selected: ids.length, last: ids[ids.length - 1]!, redriven: rows.length };
  }

  /**
   * Make the oldest pending delivery of each of these messages its head, where it has none; with
   * `claim`, lease the new heads that are due and return them.
   */
  private async handHeadsOn(messageIds: readonly string[], db: Kysely<Database> = this.db, claim?: WebhookHandOnClaim): Promise<WebhookDeliveryRecord[]> {
    // Without a claim the due test compares with null: no row is leased.
    const now = claim ? claim.now : null;
    const until = claim ? claim.now + claim.leaseMs : null;
    const owner = claim ? claim.owner : null;
    const params = this.traits.name === 'postgres' ? [now, owner, until, [...messageIds]] : [now, owner, now, until, JSON.stringify(messageIds)];
    const { rows } = await db.executeQuery<Selectable<WebhookDeliveriesTable>>(CompiledQuery.raw(HAND_ON_SQL[this.traits.name], params));
    if (!claim) return [];
    return rows.filter((r) => r.lease_owner === claim.owner && num(r.next_attempt_at) === claim.now + claim.leaseMs).map(deliveryFromRow);
  }

  async releaseClaimed(ids: readonly number[], owner: string, runAt: number): Promise<number> {
    let n = 0;
    for (const chunk of chunkRows(ids, 1, this.traits.maxParameters - 2)) {
      const claimed = this.db.selectFrom('webhook_deliveries').select('id').where('id', 'in', chunk).where(PENDING).where('lease_owner', '=', owner);
      const result = await this.db.updateTable('webhook_deliveries').set({ next_attempt_at: runAt, lease_owner: null }).where('id', 'in', this.inIdOrder(claimed)).executeTakeFirst();
      n += Number(result.numUpdatedRows);
    }
    return n;
  }

  async releaseLeases(owner: string | null, now: number): Promise<number> {
    // Only heads are leased (claims and hand-ons): the head indexes find them.
    let leased = this.db.selectFrom('webhook_deliveries').select('id').where(PENDING_HEAD).where('lease_owner', 'is not', null);
    if (owner !== null) leased = leased.where('lease_owner', '=', owner);
    const result = await this.db.updateTable('webhook_deliveries').set({ next_attempt_at: now, lease_owner: null }).where('id', 'in', this.inIdOrder(leased)).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async nextDueAt(skip: readonly string[] = []): Promise<number | undefined> {
    let q = this.db.selectFrom('webhook_deliveries').select('next_attempt_at').where(PENDING_HEAD);
    if (skip.length) q = q.where('destination', 'not in', [...skip]);
    const row = await q.orderBy('next_attempt_at').limit(1).executeTakeFirst();
    return row ? num(row.next_attempt_at) : undefined;
  }

  listForProject(projectId: string, filter: { readonly status?: WebhookDeliveryStatus }, page: { readonly limit: number; readonly beforeId?: number }): Promise<WebhookDeliveryRecord[]> {
    return listProjectDeliveries(this.db, this.traits, projectId, filter, page);
  }

  countByStatus(projectId: string, cap: number): Promise<WebhookStatusCounts> {
    return countProjectDeliveries(this.db, this.traits, projectId, cap);
  }

  pruneSettled(cutoffs: WebhookPruneCutoffs, afterId: number, limit: number): Promise<WebhookPrunePage> {
    return pruneSettledDeliveries(this.db, this.traits, cutoffs, afterId, limit);
  }

  async countPending(): Promise<number> {
    // Per project, by a skip scan over webhook_deliveries_project (project_id, status, id): one probe
    // per project and a range count of its pending rows, never a read of the delivered history
    // (no index holds only the pending rows: see migration 0014).
    const { rows } = await sql<{ n: number | string | null }>`
      with recursive p(project_id) as (
        select (select min(w.project_id) from webhook_deliveries w)
        union all
        select (select min(w.project_id) from webhook_deliveries w where w.project_id > p.project_id) from p where p.project_id is not null
      )
      select sum((select count(*) from webhook_deliveries c where c.project_id = p.project_id and c.status = 'pending')) as n
      from p where p.project_id is not null`.execute(this.db);
    return num(rows[0]?.n ?? 0);
  }
}
