/**
 * Fair shares in a claim of a work queue shared by projects (dispatch jobs, the webhook outbox):
 * when several projects have due rows, each takes at most an equal share of the claim, so one
 * project's backlog (50,000 messages behind a slow carrier, callbacks to thousands of hosts) delays
 * another project's few rows by one claim, not by the whole backlog.
 *
 * The projects with due rows are found by a skip scan over an index that leads with the queue's
 * scope and `project_id`, then the due time (`jobs_project_due`, `webhook_deliveries_project_due`):
 * one index probe per project that has rows in the queue — never a walk of the backlog — visiting
 * at most `MAX_VISIT` projects from a round-robin cursor (`after`), so when more projects have due
 * rows than one claim serves (`MAX_PROJECTS`), the next claim starts with the ones left. Each
 * project's share is then an index range of that project, locked like any claim.
 */
import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { num } from '../rows.js';

/** Projects served by one claim at most (the statement stays small; the cursor serves the others next). */
export const MAX_PROJECTS = 64;
/** Projects with rows in the queue visited by one scan at most, due or not. */
const MAX_VISIT = 256;

/** A queue claimed fairly, as conditions on its table under an alias (`t`). */
export interface FairQueue {
  readonly table: 'jobs' | 'webhook_deliveries';
  /** The queue's rows: the index's columns before `project_id`, fixed (a job kind; pending heads). */
  scope(t: string): RawBuilder<boolean>;
  /** Of those, the rows a claim may take now (due, and whatever else the claimer needs). */
  due(t: string): RawBuilder<boolean>;
}

/**
 * Up to `max` projects with rows `queue.due` lets through, other than those in `skip`: those after
 * `cursor` in id order first, then from the start up to `cursor` (round-robin across claims).
 */
export async function dueProjects(db: Kysely<Database>, queue: FairQueue, cursor: string, max: number, skip: readonly string[] = []): Promise<string[]> {
  const after = sql`cast(${cursor} as text)`;
  const visit = sql.lit(MAX_VISIT);
  const table = sql.table(queue.table);
  const [j, d] = [queue.scope('j'), queue.scope('d')];
  // Left out before the LIMIT, not after it: skipped projects ahead in id order (busy ones) could
  // take every place and leave a claim empty while projects further on have due rows. Tested on
  // the visited projects (at most 2 × MAX_VISIT), not in the skip scans: a probe for the next
  // project not skipped would walk a skipped project's whole backlog in the index.
  const skipped = skip.length ? sql`p.project_id not in (${sql.join(skip)}) and` : sql``;
  // Two skip scans: (after, end] then ['', after]; each step is one probe of the index past the last
  // project. The second bounds its probes, not the rows it gives: such a bound reached the due test
  // below on SQLite as a range on project_id (a transitive constraint), which with statistics the
  // planner could read through another index on project_id, walking a project's finished rows
  // (seen with the webhook outbox's).
  const { rows } = await sql<{ project_id: string; part: number }>`
    with recursive
      a(project_id, n) as (
        select (select j.project_id from ${table} j where ${j} and j.project_id > ${after} order by j.project_id limit 1), 1
        union all
        select (select j.project_id from ${table} j where ${j} and j.project_id > a.project_id order by j.project_id limit 1), a.n + 1
        from a where a.project_id is not null and a.n < ${visit}
      ),
      b(project_id, n) as (
        select (select j.project_id from ${table} j where ${j} and j.project_id <= ${after} order by j.project_id limit 1), 1
        where ${after} <> ''
        union all
        select (select j.project_id from ${table} j where ${j} and j.project_id > b.project_id and j.project_id <= ${after} order by j.project_id limit 1), b.n + 1
        from b where b.project_id is not null and b.project_id < ${after} and b.n < ${visit}
      ),
      p(project_id, part) as (
        select project_id, 0 from a where project_id is not null
        union all
        select project_id, 1 from b where project_id is not null
      )
    select p.project_id, p.part from p
    where ${skipped} exists (select 1 from ${table} d where ${d} and d.project_id = p.project_id and ${queue.due('d')})
    order by p.part, p.project_id
    limit ${max}`.execute(db);
  return rows.map((r) => r.project_id);
}

/**
 * Each project's share of a claim of `limit`, in one statement: `branch(projectId, share)` selects
 * a project's earliest rows (at most `share`, locked as a claim). The rows come interleaved — every
 * project's first, then every project's second… — so a caller taking fewer cuts every share alike;
 * `more` says whether some project filled its share (it may have more due: worth filling the claim).
 */
export async function fairShares<R extends { project_id: string }>(
  db: Kysely<Database>,
  limit: number,
  projects: readonly string[],
  branch: (projectId: string, share: number) => SelectQueryBuilder<Database, keyof Database, R>,
): Promise<{ rows: R[]; more: boolean }> {
  const share = Math.ceil(limit / projects.length);
  // Each branch in a sub-select: a compound SELECT's parts take no LIMIT or FOR UPDATE of their own.
  const parts = projects.map((p) => sql`select * from (${branch(p, share)}) s`);
  const { rows } = await sql<R>`${sql.join(parts, sql` union all `)}`.execute(db);
  const rank = new Map<string, number>();
  const ranked = rows.map((r) => {
    const k = rank.get(r.project_id) ?? 0;
    rank.set(r.project_id, k + 1);
    return { r, k };
  });
  const order = new Map(projects.map((p, i) => [p, i]));
  ranked.sort((x, y) => x.k - y.k || order.get(x.r.project_id)! - order.get(y.r.project_id)!);
  return { rows: ranked.map((x) => x.r), more: [...rank.values()].some((n) => n >= share) };
}

/**
 * The ids of up to `limit` due jobs of `queue` shared across `projects`: a share each, earliest
 * first, then — when some project had its full share — the earliest due of any project to fill the
 * claim. Locked (skipping rows other claimers hold) on PostgreSQL.
 */
export async function fairShareIds(db: Kysely<Database>, traits: DialectTraits, queue: FairQueue & { readonly table: 'jobs' }, limit: number, projects: readonly string[]): Promise<number[]> {
  const due = () => db.selectFrom('jobs').where(queue.scope('jobs')).where(queue.due('jobs'));
  const { rows, more } = await fairShares(db, limit, projects, (projectId, share) =>
    traits.lockForClaim(due().select(['id', 'project_id']).where('project_id', '=', projectId).orderBy('run_at').orderBy('id').limit(share)),
  );
  const ids = rows.map((r) => num(r.id));
  // Every project gave less than its share: none has more due, nothing to fill with.
  if (ids.length >= limit || !more) return ids.slice(0, limit);
  const fill = await traits.lockForClaim(due().select('id').where('id', 'not in', ids).orderBy('run_at').orderBy('id').limit(limit - ids.length)).execute();
  return [...ids, ...fill.map((r) => num(r.id))];
}
