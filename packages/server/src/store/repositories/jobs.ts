import { sql, type Kysely } from 'kysely';
import type { JobKind, JobRecord, NewJob } from '../../domain/jobs.js';
import type { JobRepository } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { chunkRows, jobFromRow, num } from '../rows.js';

export class KyselyJobRepository implements JobRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async enqueueMany(jobs: readonly NewJob[]): Promise<void> {
    for (const chunk of chunkRows(jobs, 7, this.traits.maxParameters)) {
      await this.db
        .insertInto('jobs')
        .values(chunk.map((j) => ({ kind: j.kind, project_id: j.projectId, message_id: j.messageId, run_at: j.runAt, attempts: 0, lease_owner: null, created_at: j.runAt })))
        .execute();
    }
  }

  async claim(kind: JobKind, now: number, limit: number, leaseMs: number, owner: string): Promise<JobRecord[]> {
    const due = this.traits.lockForClaim(
      this.db.selectFrom('jobs').select('id').where('kind', '=', kind).where('run_at', '<=', now).orderBy('run_at').orderBy('id').limit(limit),
    );
    const rows = await this.db
      .updateTable('jobs')
      .set({ run_at: now + leaseMs, lease_owner: owner, attempts: sql`attempts + 1` })
      .where('id', 'in', due)
      .returningAll()
      .execute();
    return rows.map(jobFromRow).sort((a, b) => a.id - b.id);
  }

  async deleteMany(ids: readonly number[]): Promise<void> {
    for (const chunk of chunkRows(ids, 1, this.traits.maxParameters)) {
      await this.db.deleteFrom('jobs').where('id', 'in', chunk).execute();
    }
  }

  async reschedule(items: ReadonlyArray<{ id: number; runAt: number }>): Promise<void> {
    // Few at a time in practice (throttling, transient failures): one statement each is fine.
    for (const item of items) {
      await this.db.updateTable('jobs').set({ run_at: item.runAt, lease_owner: null }).where('id', '=', item.id).execute();
    }
  }

  async releaseLeases(owner: string | null, now: number): Promise<number> {
    let q = this.db.updateTable('jobs').set({ run_at: now, lease_owner: null }).where('lease_owner', 'is not', null);
    if (owner !== null) q = q.where('lease_owner', '=', owner);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async nextRunAt(kind: JobKind): Promise<number | undefined> {
    const row = await this.db.selectFrom('jobs').select('run_at').where('kind', '=', kind).orderBy('run_at').limit(1).executeTakeFirst();
    return row ? num(row.run_at) : undefined;
  }

  async count(kind: JobKind): Promise<number> {
    const row = await this.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', kind).executeTakeFirstOrThrow();
    return num(row.n);
  }
}
