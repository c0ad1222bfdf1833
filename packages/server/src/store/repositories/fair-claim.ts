/**
 * Fair shares in a job claim: when several projects have due jobs, each takes at most an equal
 * share of the claim, so one project's backlog (50,000 messages behind a slow carrier) delays
 * another project's few messages by one claim, not by the whole backlog.
 *
 * The projects with due jobs are found by a skip scan over `jobs_project_due` (kind, project_id,
 * run_at, id): one index probe per project that has jobs of the kind — never a walk of the backlog —
 * visiting at most `MAX_VISIT` projects from a round-robin cursor (`after`), so when more projects
 * have due jobs than one claim serves (`MAX_PROJECTS`), the next claim starts with the ones left.
 * Each project's share is then an index range of that project, locked like any claim.
 */
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { JobKind } from '../../domain/jobs.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { num } from '../rows.js';

/** Projects served by one claim at most (the statement stays small; the cursor serves the others next). */
export const MAX_PROJECTS = 64;
/** Projects with jobs of the kind visited by one scan at most, due or not. */
const MAX_VISIT = 256;

/** Which jobs a claim may take besides being due: the carriers' pins. */
type Filter = <O>(q: SelectQueryBuilder<Database, 'jobs', O>) => SelectQueryBuilder<Database, 'jobs', O>;

/**
 * Up to `max` projects with due jobs of `kind` that `filter` lets through: those after `after` in
 * id order first, then from the start up to `after` (round-robin across claims).
 */
export async function dueProjects(db: Kysely<Database>, kind: JobKind, now: number, carriers: readonly string[] | undefined, cursor: string, max: number): Promise<string[]> {
  const after = sql`cast(${cursor} as text)`;
  const visit = sql.lit(MAX_VISIT);
  const pin = carriers === undefined ? sql`` : carriers.length ? sql` and (d.carrier is null or d.carrier in (${sql.join(carriers)}))` : sql` and d.carrier is null`;
  // Two skip scans: (after, end] then ['', after]; each step is one probe of the index's first column past the last.
  const { rows } = await sql<{ project_id: string; part: number }>`
    with recursive
      a(project_id, n) as (
        select (select j.project_id from jobs j where j.kind = ${kind} and j.project_id > ${after} order by j.project_id limit 1), 1
        union all
        select (select j.project_id from jobs j where j.kind = ${kind} and j.project_id > a.project_id order by j.project_id limit 1), a.n + 1
        from a where a.project_id is not null and a.n < ${visit}
      ),
      b(project_id, n) as (
        select (select j.project_id from jobs j where j.kind = ${kind} order by j.project_id limit 1), 1
        where ${after} <> ''
        union all
        select (select j.project_id from jobs j where j.kind = ${kind} and j.project_id > b.project_id order by j.project_id limit 1), b.n + 1
        from b where b.project_id is not null and b.project_id < ${after} and b.n < ${visit}
      ),
      p(project_id, part) as (
        select project_id, 0 from a where project_id is not null
        union all
        select project_id, 1 from b where project_id is not null and project_id <= ${after}
      )
    select p.project_id, p.part from p
    where exists (select 1 from jobs d where d.kind = ${kind} and d.project_id = p.project_id and d.run_at <= ${now}${pin})
    order by p.part, p.project_id
    limit ${max}`.execute(db);
  return rows.map((r) => r.project_id);
}

/**
 * The ids of up to `limit` due jobs shared across `projects`: `share` each, earliest first, then —
 * when some project had fewer — the earliest due of any project to fill the claim. Locked (skipping
 * rows other claimers hold) on PostgreSQL.
 */
export async function fairShareIds(db: Kysely<Database>, traits: DialectTraits, kind: JobKind, now: number, limit: number, projects: readonly string[], filter: Filter): Promise<number[]> {
  const share = Math.ceil(limit / projects.length);
  const branch = (projectId: string) =>
    db.selectFrom(traits.lockForClaim(filter(db.selectFrom('jobs').select(['id', 'project_id']).where('kind', '=', kind).where('project_id', '=', projectId).where('run_at', '<=', now)).orderBy('run_at').orderBy('id').limit(share)).as('s')).select(['s.id', 's.project_id']);
  let union = branch(projects[0]!);
  for (const p of projects.slice(1)) union = union.unionAll(branch(p));
  const rows = await union.execute();
  const ids = rows.map((r) => num(r.id));
  const counts = ids.length;
  if (counts >= limit) return ids.slice(0, limit);
  // Every project gave less than its share: none has more due, nothing to fill with.
  const taken = new Map<string, number>();
  for (const r of rows) taken.set(r.project_id, (taken.get(r.project_id) ?? 0) + 1);
  if (![...taken.values()].some((n) => n >= share)) return ids;
  const fill = await traits
    .lockForClaim(filter(db.selectFrom('jobs').select('id').where('kind', '=', kind).where('run_at', '<=', now)).where('id', 'not in', ids).orderBy('run_at').orderBy('id').limit(limit - counts))
    .execute();
  return [...ids, ...fill.map((r) => num(r.id))];
}
