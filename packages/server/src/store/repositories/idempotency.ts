import type { Kysely, Selectable } from 'kysely';
import type { IdempotencyRecord, IdempotencyRepository } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import { chunkRows, num } from '../rows.js';
import type { Database, IdempotencyKeysTable } from '../schema.js';

const COLUMNS = 6;

/** A key's identity: keys belong to their project. */
const idOf = (projectId: string, key: string) => `${projectId}\u0000${key}`;

function fromRow(r: Selectable<IdempotencyKeysTable>): IdempotencyRecord {
  return { projectId: r.project_id, key: r.key, requestHash: r.request_hash, messageId: r.message_id, createdAt: num(r.created_at), expiresAt: num(r.expires_at) };
}

export class KyselyIdempotencyRepository implements IdempotencyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async claimMany(records: readonly IdempotencyRecord[], now: number): Promise<IdempotencyRecord[]> {
    // One statement may not touch a key twice (PostgreSQL): the first request of a key in a batch wins.
    const firsts = new Map<string, IdempotencyRecord>();
    for (const r of records) if (!firsts.has(idOf(r.projectId, r.key))) firsts.set(idOf(r.projectId, r.key), r);
    const unique = [...firsts.values()];
    const claimed = new Set<string>();
    for (const chunk of chunkRows(unique, COLUMNS, this.traits.maxParameters - 1)) {
      // A live key stays with its first request: the conflict update applies only to an expired row,
      // so RETURNING names exactly the keys this statement wrote. A concurrent insert of the same key
      // makes this one wait for that transaction, then see its row.
      const rows = await this.db
        .insertInto('idempotency_keys')
        .values(chunk.map((r) => ({ project_id: r.projectId, key: r.key, request_hash: r.requestHash, message_id: r.messageId, created_at: r.createdAt, expires_at: r.expiresAt })))
        .onConflict((oc) =>
          oc
            .columns(['project_id', 'key'])
            .doUpdateSet((eb) => ({
              request_hash: eb.ref('excluded.request_hash'),
              message_id: eb.ref('excluded.message_id'),
              created_at: eb.ref('excluded.created_at'),
              expires_at: eb.ref('excluded.expires_at'),
            }))
            .where('idempotency_keys.expires_at', '<=', now),
        )
        .returning(['project_id', 'key'])
        .execute();
      for (const r of rows) claimed.add(idOf(r.project_id, r.key));
    }
    return unique.filter((r) => claimed.has(idOf(r.projectId, r.key)));
  }

  async get(projectId: string, key: string, now: number): Promise<IdempotencyRecord | undefined> {
    const row = await this.db.selectFrom('idempotency_keys').selectAll().where('project_id', '=', projectId).where('key', '=', key).where('expires_at', '>', now).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async deleteExpired(now: number, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('idempotency_keys')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(refTuple('project_id', 'key'), 'in', selectFrom('idempotency_keys').select(['project_id', 'key']).where('expires_at', '<=', now).orderBy('expires_at').limit(limit).$asTuple('project_id', 'key')),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
