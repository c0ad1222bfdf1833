import type { Kysely } from 'kysely';
import type { MoPartGroup, MoPartRecord, MoPartRepository } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import { chunkRows, num } from '../rows.js';
import type { Database } from '../schema.js';

const COLUMNS = 9;

export class KyselyMoPartRepository implements MoPartRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async insertMany(parts: readonly MoPartRecord[]): Promise<void> {
    for (const chunk of chunkRows(parts, COLUMNS, this.traits.maxParameters)) {
      await this.db
        .insertInto('mo_parts')
        .values(
          chunk.map((p) => ({
            carrier: p.carrier,
            from_number: p.from,
            to_number: p.to,
            reference: p.reference,
            total: p.total,
            first_at: p.firstAt,
            seq: p.seq,
            text: p.text,
            received_at: p.receivedAt,
          })),
        )
        .onConflict((oc) => oc.columns(['carrier', 'from_number', 'to_number', 'reference', 'total', 'first_at', 'seq']).doNothing())
        .execute();
    }
  }

  async deleteGroups(groups: readonly MoPartGroup[]): Promise<void> {
    // One statement per 100 groups (an OR of each message's key): SQLite bounds an expression's depth at 1,000.
    for (const chunk of chunkRows(groups, 1, 100)) {
      await this.db
        .deleteFrom('mo_parts')
        .where((eb) =>
          eb.or(
            chunk.map((g) =>
              eb.and([eb('carrier', '=', g.carrier), eb('from_number', '=', g.from), eb('to_number', '=', g.to), eb('reference', '=', g.reference), eb('total', '=', g.total), eb('first_at', '=', g.firstAt)]),
            ),
          ),
        )
        .execute();
    }
  }

  async listForCarrier(carrier: string): Promise<MoPartRecord[]> {
    const rows = await this.db.selectFrom('mo_parts').selectAll().where('carrier', '=', carrier).orderBy('first_at').orderBy('from_number').orderBy('to_number').orderBy('reference').orderBy('seq').execute();
    return rows.map((r) => ({
      carrier: r.carrier,
      from: r.from_number,
      to: r.to_number,
      reference: num(r.reference),
      total: num(r.total),
      firstAt: num(r.first_at),
      seq: num(r.seq),
      text: r.text,
      receivedAt: num(r.received_at),
    }));
  }
}
