import type { Kysely } from 'kysely';
import type { SmscReceiptRecord, SmscReceiptRepository } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import { chunkRows, num } from '../rows.js';
import type { Database } from '../schema.js';

const COLUMNS = 8;

export class KyselySmscReceiptRepository implements SmscReceiptRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async insertMany(rows: readonly SmscReceiptRecord[]): Promise<void> {
    for (const chunk of chunkRows(rows, COLUMNS, this.traits.maxParameters)) {
      await this.db
        .insertInto('smsc_receipts')
        .values(
          chunk.map((r) => ({
            smsc: r.smsc,
            seq: r.seq,
            system_id: r.systemId,
            source_addr: r.sourceAddr,
            outcome: r.outcome,
            due_at: r.dueAt,
            receipt: r.receipt,
            created_at: r.createdAt,
          })),
        )
        .onConflict((oc) => oc.columns(['smsc', 'seq']).doNothing())
        .execute();
    }
  }

  async deleteMany(smsc: string, seqs: readonly number[]): Promise<void> {
    for (const chunk of chunkRows(seqs, 1, this.traits.maxParameters - 1)) {
      await this.db.deleteFrom('smsc_receipts').where('smsc', '=', smsc).where('seq', 'in', chunk).execute();
    }
  }

  async listOwed(smsc: string, afterSeq: number, limit: number): Promise<SmscReceiptRecord[]> {
    const rows = await this.db.selectFrom('smsc_receipts').selectAll().where('smsc', '=', smsc).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map((r) => ({
      smsc: r.smsc,
      seq: num(r.seq),
      systemId: r.system_id,
      sourceAddr: r.source_addr,
      outcome: r.outcome,
      dueAt: num(r.due_at),
      receipt: Buffer.isBuffer(r.receipt) ? r.receipt : Buffer.from(r.receipt as Uint8Array),
      createdAt: num(r.created_at),
    }));
  }
}
