import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * Fair job claims across projects (repositories/fair-claim.ts): `jobs_project_due` finds the
 * projects with jobs of a kind by a skip scan (one probe per project) and each project's earliest
 * due jobs as one index range, whatever the backlog of the others.
 */
export function fairClaimsSchema(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('jobs_project_due').on('jobs').columns(['kind', 'project_id', 'run_at', 'id']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('jobs_project_due').ifExists().execute();
    },
  };
}
