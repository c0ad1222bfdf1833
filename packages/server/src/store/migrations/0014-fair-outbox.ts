import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * Fair webhook claims across projects (repositories/fair-claim.ts): `webhook_deliveries_project_due`
 * holds the claimable heads (pending, head of their message) by project and due time, so a claim
 * finds the projects with due deliveries by a skip scan (one probe per project) and each project's
 * earliest due as one index range, whatever the backlog of the others.
 */
export function fairOutboxSchema(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('webhook_deliveries_project_due')
        .on('webhook_deliveries')
        .columns(['project_id', 'next_attempt_at', 'id'])
        .where(sql.ref('status'), '=', 'pending')
        .where(sql.ref('head'), '=', 1)
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('webhook_deliveries_project_due').ifExists().execute();
    },
  };
}
