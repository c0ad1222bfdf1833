/**
 * Ids for dispatch jobs born leased (`JobRepository.enqueueLeased`), taken from the jobs table's
 * identity sequence in blocks, on PostgreSQL. With its ids known before the insert, the insert
 * needs no answer: it is write-only and travels with the transaction's COMMIT
 * (`dialects/postgres-pipeline.ts`), one round trip fewer per create batch. A job's id
 * only names it (claims go by `run_at`), so ids handed out out of order, or lost with a node or a
 * rolled-back transaction, are harmless gaps. One block per store, shared by its transactions.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export class JobIdBlocks {
  private readonly ids: number[] = [];

  constructor(private readonly blockSize = 1_000) {}

  /** `n` unused job ids (a round trip for a new block when fewer are left). */
  async take(db: Kysely<Database>, n: number): Promise<number[]> {
    if (this.ids.length < n) {
      // At least `n` more: another transaction may take some of those left while this one waits.
      const want = Math.max(n, this.blockSize);
      const { rows } = await sql<{ id: number }>`select nextval(pg_get_serial_sequence('jobs', 'id')) as id from generate_series(1, ${want}::int)`.execute(db);
      // BIGINT arrives as a number (the pool's type parser).
      for (const r of rows) this.ids.push(r.id);
    }
    return this.ids.splice(0, n);
  }
}
