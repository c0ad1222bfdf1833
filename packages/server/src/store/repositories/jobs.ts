import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { JobKind, JobRecord, NewJob } from '../../domain/jobs.js';
import type { JobClaimOptions, JobRepository } from '../../domain/ports/store.js';
import type { HotInserts } from '../batch-insert.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { writeOnly } from '../write-only.js';
import { chunkRows, jobFromRow, num } from '../rows.js';
import { caseById } from './case-by-id.js';
import { dueProjects, fairShareIds, MAX_PROJECTS, type FairQueue } from './fair-claim.js';

/** Finished jobs, by id: the ids as one parameter (a JSON array on SQLite, an array on PostgreSQL). */
const DELETE_JOBS_SQL = {
  sqlite: writeOnly('delete from jobs where id in (select value from json_each(?))'),
  postgres: writeOnly('delete from jobs where id = any($1::bigint[])'),
} as const;

export class KyselyJobRepository implements JobRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
    private readonly inserts: HotInserts,
  ) {}

  async enqueueMany(jobs: readonly NewJob[]): Promise<void> {
    await this.inserts.jobs.run(this.db, jobs);
  }

  async enqueueLeased(jobs: readonly NewJob[], owner: string, until: number): Promise<JobRecord[]> {
    const record = (j: NewJob, id: number): JobRecord => ({ id, kind: j.kind, projectId: j.projectId, messageId: j.messageId, runAt: until, attempts: 1, leaseOwner: owner, createdAt: j.runAt, carrier: j.carrier ?? null, slotAt: null });
    const blocks = this.inserts.jobIds;
    if (blocks) {
      const ids = await blocks.take(this.db, jobs.length);
      await this.inserts.leasedJobsWithIds.run(
        this.db,
        jobs.map((j, i) => ({ ...j, id: ids[i]!, leaseOwner: owner, leaseUntil: until })),
      );
      return jobs.map((j, i) => record(j, ids[i]!));
    }
    const rows = await this.inserts.leasedJobs.run(
      this.db,
      jobs.map((j) => ({ ...j, leaseOwner: owner, leaseUntil: until })),
    );
    const ids = new Map(rows.map((r) => [r.message_id as string, num(r.id as number)]));
    return jobs.map((j) => record(j, ids.get(j.messageId)!));
  }

  async claim(kind: JobKind, now: number, limit: number, leaseMs: number, owner: string, opts: JobClaimOptions = {}): Promise<JobRecord[]> {
    const { carriers } = opts;
    // Due, and unpinned or pinned to one of the claimer's carriers: written once, for the scan, the shares and the single-project claim.
    const pin = (t: string) => (carriers === undefined ? sql`` : carriers.length ? sql` and (${sql.ref(`${t}.carrier`)} is null or ${sql.ref(`${t}.carrier`)} in (${sql.join(carriers)}))` : sql` and ${sql.ref(`${t}.carrier`)} is null`);
    const queue = { table: 'jobs', scope: (t: string) => sql<boolean>`${sql.ref(`${t}.kind`)} = ${kind}`, due: (t: string) => sql<boolean>`${sql.ref(`${t}.run_at`)} <= ${now}${pin(t)}` } as const satisfies FairQueue;
    // Several projects with due jobs share the claim (fair-claim.ts); one alone takes the earliest due.
    const projects = await dueProjects(this.db, queue, opts.after ?? '', Math.min(limit, MAX_PROJECTS));
    if (projects.length === 0) return [];
    const lease = this.db.updateTable('jobs').set({ run_at: now + leaseMs, lease_owner: owner, attempts: sql`attempts + 1` });
    let leased;
    if (projects.length > 1) {
      const ids = await fairShareIds(this.db, this.traits, queue, limit, projects);
      if (ids.length === 0) return [];
      leased = lease.where('id', 'in', ids);
    } else {
      leased = lease.where('id', 'in', this.traits.lockForClaim(this.db.selectFrom('jobs').select('id').where(queue.scope('jobs')).where(queue.due('jobs')).orderBy('run_at').orderBy('id').limit(limit)));
    }
    const rows = await leased.returningAll().execute();
    return rows.map(jobFromRow).sort((a, b) => a.id - b.id);
  }

  async deleteMany(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    // One text for any number of ids (nothing compiled per batch, one prepared statement).
    const params = this.traits.name === 'postgres' ? [ids] : [JSON.stringify(ids)];
    await this.db.executeQuery(CompiledQuery.raw(DELETE_JOBS_SQL[this.traits.name], params));
  }

  async reschedule(items: ReadonlyArray<{ id: number; runAt: number; carrier?: string | null }>): Promise<void> {
    // Grouped by (time, pin): hand-offs come in batches with one time; retries are few.
    const groups = new Map<string, { runAt: number; carrier: string | null | undefined; ids: number[] }>();
    for (const item of items) {
      const key = `${item.runAt}\u0000${item.carrier === undefined ? '\u0001' : (item.carrier ?? '')}`;
      const g = groups.get(key);
      if (g) g.ids.push(item.id);
      else groups.set(key, { runAt: item.runAt, carrier: item.carrier, ids: [item.id] });
    }
    for (const g of groups.values()) {
      for (const chunk of chunkRows(g.ids, 1, this.traits.maxParameters - 3)) {
        await this.db
          .updateTable('jobs')
          .set({ run_at: g.runAt, lease_owner: null, ...(g.carrier !== undefined ? { carrier: g.carrier } : {}) })
          .where('id', 'in', chunk)
          .execute();
      }
    }
  }

  async releaseLeases(owner: string | null, now: number): Promise<number> {
    let q = this.db.updateTable('jobs').set({ run_at: now, lease_owner: null }).where('lease_owner', 'is not', null);
    if (owner !== null) q = q.where('lease_owner', '=', owner);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async pullForward(kind: JobKind, carrier: string, now: number, limit: number): Promise<number> {
    const waiting = this.db.selectFrom('jobs').select('id').where('kind', '=', kind).where('carrier', '=', carrier).where('lease_owner', 'is', null).where('slot_at', 'is', null).where('run_at', '>', now).orderBy('run_at').orderBy('id').limit(limit);
    const result = await this.db.updateTable('jobs').set({ run_at: now }).where('id', 'in', waiting).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async nextRunAt(kind: JobKind, opts: Pick<JobClaimOptions, 'carriers'> = {}): Promise<number | undefined> {
    const { carriers } = opts;
    let q = this.db.selectFrom('jobs').select('run_at').where('kind', '=', kind);
    // As `claim` filters: unpinned, or pinned to one of the claimer's carriers.
    if (carriers !== undefined) q = q.where((eb) => (carriers.length ? eb.or([eb('carrier', 'is', null), eb('carrier', 'in', carriers)]) : eb('carrier', 'is', null)));
    const row = await q.orderBy('run_at').limit(1).executeTakeFirst();
    return row ? num(row.run_at) : undefined;
  }

  async takeSenderSlots(keys: readonly string[], now: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    // Sorted, so two nodes lock the rows of the senders they share in the same order (no deadlock).
    const sorted = [...new Set(keys)].sort();
    for (const chunk of chunkRows(sorted, 2, this.traits.maxParameters)) {
      await this.db
        .insertInto('sender_slots')
        .values(chunk.map((k) => ({ sender_key: k, next_at: now })))
        .onConflict((oc) => oc.column('sender_key').doNothing())
        .execute();
      const rows = await this.traits.lockForUpdate(this.db.selectFrom('sender_slots').selectAll().where('sender_key', 'in', chunk).orderBy('sender_key')).execute();
      for (const r of rows) out.set(r.sender_key, num(r.next_at));
    }
    return out;
  }

  async putSenderSlots(next: ReadonlyMap<string, number>): Promise<void> {
    const pairs = [...next];
    for (const chunk of chunkRows(pairs, 3, this.traits.maxParameters)) {
      const branches = chunk.map(([k, at]) => sql`when ${k} then ${at}`);
      await this.db
        .updateTable('sender_slots')
        .set({ next_at: sql<number>`case sender_key ${sql.join(branches, sql` `)} else next_at end` })
        .where('sender_key', 'in', chunk.map(([k]) => k))
        .execute();
    }
  }

  async holdSlots(items: ReadonlyArray<{ id: number; slotAt: number }>): Promise<void> {
    for (const chunk of chunkRows(items, 5, this.traits.maxParameters)) {
      const pairs = chunk.map((i) => [i.id, i.slotAt] as const);
      await this.db
        .updateTable('jobs')
        .set({ run_at: caseById('run_at', pairs), slot_at: caseById('slot_at', pairs), lease_owner: null })
        .where('id', 'in', chunk.map((i) => i.id))
        .execute();
    }
  }

  async releaseSenderSlots(senderKey: string, projectId: string, sender: string, now: number): Promise<number> {
    // The sender's row first: on PostgreSQL this waits for a claim reserving its slots, so the jobs
    // that claim held are committed, and released below, before the row is gone.
    await this.db.deleteFrom('sender_slots').where('sender_key', '=', senderKey).execute();
    // Jobs another transaction holds are skipped, not waited for: a claim that leased one of them
    // (its slot came) waits for the row deleted above, so waiting here would deadlock with it; it
    // sends or plans them itself. A dispatcher replanning a late sender does this inside its claim.
    const held = this.traits.lockForClaim(
      this.db
        .selectFrom('jobs')
        .select('id')
        .where('kind', '=', 'dispatch')
        .where('project_id', '=', projectId)
        .where('slot_at', 'is not', null)
        .where('lease_owner', 'is', null)
        .where('message_id', 'in', (eb) => eb.selectFrom('messages').select('messages.id').where('messages.project_id', '=', projectId).where('messages.from_number', '=', sender)),
    );
    const r = await this.db.updateTable('jobs').set({ run_at: now, slot_at: null }).where('id', 'in', held).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async count(kind: JobKind): Promise<number> {
    const row = await this.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', kind).executeTakeFirstOrThrow();
    return num(row.n);
  }
}
