import { sql, type Kysely, type Selectable } from 'kysely';
import type { CarrierPartOutcome, CarrierPartRecord, CarrierPartRepository, CarrierPartStatus } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import { chunkRows, num } from '../rows.js';
import type { CarrierPartsTable, Database } from '../schema.js';

const COLUMNS = 11;

function fromRow(r: Selectable<CarrierPartsTable>): CarrierPartRecord {
  return {
    carrier: r.carrier,
    carrierMessageId: r.carrier_message_id,
    projectId: r.project_id,
    messageId: r.message_id,
    partIndex: num(r.part_index),
    partCount: num(r.part_count),
    status: r.status as CarrierPartStatus,
    error: r.error,
    errorDetail: r.error_detail,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export class KyselyCarrierPartRepository implements CarrierPartRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async insertMany(parts: readonly CarrierPartRecord[]): Promise<void> {
    // One statement cannot touch the same key twice on PostgreSQL: keep the last record of a part.
    const unique = [...new Map(parts.map((p) => [`${p.carrier}\u0000${p.carrierMessageId}\u0000${p.messageId}\u0000${p.partIndex}`, p])).values()];
    for (const chunk of chunkRows(unique, COLUMNS, this.traits.maxParameters)) {
      await this.db
        .insertInto('carrier_parts')
        .values(
          chunk.map((p) => ({
            carrier: p.carrier,
            carrier_message_id: p.carrierMessageId,
            project_id: p.projectId,
            message_id: p.messageId,
            part_index: p.partIndex,
            part_count: p.partCount,
            status: p.status,
            error: p.error,
            error_detail: p.errorDetail,
            created_at: p.createdAt,
            updated_at: p.updatedAt,
          })),
        )
        .onConflict((oc) =>
          // The same part recorded again (a retried insert, an SMSC answering a resent part with its
          // old id). Another part with the same carrier id has a record of its own (the SMSC reuses ids).
          oc.columns(['carrier', 'carrier_message_id', 'message_id', 'part_index']).doUpdateSet((eb) => ({
            project_id: eb.ref('excluded.project_id'),
            part_count: eb.ref('excluded.part_count'),
            status: eb.ref('excluded.status'),
            error: eb.ref('excluded.error'),
            error_detail: eb.ref('excluded.error_detail'),
            created_at: eb.ref('excluded.created_at'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }

  async findByCarrierIds(carrier: string, ids: readonly string[]): Promise<CarrierPartRecord[]> {
    const out: CarrierPartRecord[] = [];
    for (const chunk of chunkRows([...new Set(ids)], 1, this.traits.maxParameters - 1)) {
      const rows = await this.db.selectFrom('carrier_parts').selectAll().where('carrier', '=', carrier).where('carrier_message_id', 'in', chunk).execute();
      for (const r of rows) out.push(fromRow(r));
    }
    return out;
  }

  async applyOutcomes(carrier: string, outcomes: readonly CarrierPartOutcome[]): Promise<CarrierPartRecord[]> {
    // Receipts mostly say the same thing ("delivered"): one guarded UPDATE per distinct outcome.
    // Each outcome is for one part (its carrier id, message and part): a reused id's other parts are not touched.
    const groups = new Map<string, { o: CarrierPartOutcome; keys: Map<string, CarrierPartOutcome>; at: number }>();
    for (const o of outcomes) {
      const key = `${o.status}\u0000${o.error ?? ''}\u0000${o.errorDetail ?? ''}`;
      const part = `${o.carrierMessageId}\u0000${o.messageId}\u0000${o.partIndex}`;
      const g = groups.get(key);
      if (g) {
        g.keys.set(part, o);
        g.at = Math.max(g.at, o.at);
      } else groups.set(key, { o, keys: new Map([[part, o]]), at: o.at });
    }
    const changed: CarrierPartRecord[] = [];
    for (const { o, keys, at } of groups.values()) {
      for (const chunk of chunkRows([...keys.values()], 3, this.traits.maxParameters - 8)) {
        const rows = await this.db
          .updateTable('carrier_parts')
          .set({ status: o.status, error: o.error, error_detail: o.errorDetail, updated_at: at })
          .where('carrier', '=', carrier)
          // A row value against a VALUES list: both dialects read it (SQLite takes no list of row values).
          .where(sql<boolean>`(carrier_message_id, message_id, part_index) in (values ${sql.join(chunk.map((p) => sql`(${p.carrierMessageId}, ${p.messageId}, cast(${p.partIndex} as integer))`))})`)
          .where('status', '=', 'sent')
          .returningAll()
          .execute();
        for (const r of rows) changed.push(fromRow(r));
      }
    }
    return changed;
  }

  async listForMessages(messageIds: readonly string[]): Promise<CarrierPartRecord[]> {
    const out: CarrierPartRecord[] = [];
    for (const chunk of chunkRows([...new Set(messageIds)], 1, this.traits.maxParameters)) {
      const rows = await this.db.selectFrom('carrier_parts').selectAll().where('message_id', 'in', chunk).execute();
      for (const r of rows) out.push(fromRow(r));
    }
    return out;
  }

  async listForMessage(projectId: string, messageId: string): Promise<CarrierPartRecord[]> {
    const rows = await this.db.selectFrom('carrier_parts').selectAll().where('project_id', '=', projectId).where('message_id', '=', messageId).orderBy('part_index').orderBy('created_at').execute();
    return rows.map(fromRow);
  }

  async pruneOlderThan(carrier: string, before: number, limit: number): Promise<number> {
    // A page at a time (carrier_parts_created), so no statement deletes an hour of a busy link's parts at once.
    // `created_at` again in the delete: a reused id's newer records are not old.
    const oldest = this.db.selectFrom('carrier_parts').select('carrier_message_id').where('carrier', '=', carrier).where('created_at', '<', before).orderBy('created_at').limit(limit);
    const result = await this.db.deleteFrom('carrier_parts').where('carrier', '=', carrier).where('carrier_message_id', 'in', oldest).where('created_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
