import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * Fair webhook claims across projects (repositories/fair-claim.ts): `webhook_deliveries_project_due`
 * holds the claimable heads (pending, head of their message) by project and due time, so a claim
 * finds the projects with due deliveries by a skip scan (one probe per project) and each project's
 * earliest due as one index range, whatever the backlog of the others.
 *
 * It takes the place of `webhook_deliveries_due` (next_attempt_at, where pending), whose readers
 * are served otherwise (claims and the next due time by `webhook_deliveries_head_due`, the release
 * of leases at start by the head indexes: only heads are leased; the count of pending deliveries
 * by `webhook_deliveries_project`): each delivery row is inserted, leased and settled, and every
 * index costs each of those writes, so the outbox keeps five indexes, not six. With six, fair
 * claims cost 7-15 % more CPU per message on the Compatibility path (docs/benchmarks.md).
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
      await db.schema.dropIndex('webhook_deliveries_due').ifExists().execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('webhook_deliveries_due').ifNotExists().on('webhook_deliveries').columns(['next_attempt_at']).where(sql.ref('status'), '=', 'pending').execute();
      await db.schema.dropIndex('webhook_deliveries_project_due').ifExists().execute();
    },
  };
}
