import type { Kysely } from 'kysely';
import type { HandsetFilter, HandsetInboxRepository, HandsetMessageRecord } from '../../domain/ports/store.js';
import type { HotInserts } from '../batch-insert.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { chunkRows, handsetFromRow, num } from '../rows.js';
import { containsText } from './like.js';

export class KyselyHandsetInboxRepository implements HandsetInboxRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
    private readonly inserts: HotInserts,
  ) {}

  async insertMany(rows: ReadonlyArray<Omit<HandsetMessageRecord, 'seq'>>): Promise<HandsetMessageRecord[]> {
    const inserted = await this.inserts.handsets.run(this.db, rows);
    // Rows get ascending seqs in insertion order; pair them up in order.
    const seqs = inserted.map((r) => num(r.seq as number)).sort((a, b) => a - b);
    // One literal in `handsetFromRow`'s order (one per delivered message), not a spread plus a key.
    return rows.map((r, i) => ({ seq: seqs[i]!, projectId: r.projectId, messageId: r.messageId, from: r.from, to: r.to, body: r.body, media: r.media, segments: r.segments, receivedAt: r.receivedAt }));
  }

  async list(projectId: string, f: HandsetFilter, limit: number): Promise<HandsetMessageRecord[]> {
    let q = this.db.selectFrom('handset_messages').selectAll().where('project_id', '=', projectId);
    if (f.to) q = q.where('to_number', '=', f.to);
    if (f.from) q = q.where('from_number', '=', f.from);
    if (f.bodyContains) q = q.where(containsText('body', f.bodyContains));
    if (f.sinceSeq !== undefined) q = q.where('seq', '>', f.sinceSeq);
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map(handsetFromRow);
  }

  async clear(projectId: string): Promise<number> {
    const result = await this.db.deleteFrom('handset_messages').where('project_id', '=', projectId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async receivedOf(projectId: string, messageIds: readonly string[]): Promise<Set<string>> {
    const received = new Set<string>();
    for (const chunk of chunkRows(messageIds, 1, this.traits.maxParameters - 1)) {
      const rows = await this.db.selectFrom('handset_messages').select('message_id').where('project_id', '=', projectId).where('message_id', 'in', chunk).execute();
      for (const r of rows) received.add(r.message_id);
    }
    return received;
  }

  async prune(keep: number, maxRows: number): Promise<number> {
    const projects = await this.db.selectFrom('handset_messages').select('project_id').distinct().execute();
    let removed = 0;
    for (const { project_id } of projects) {
      const cutoff = await this.db
        .selectFrom('handset_messages')
        .select('seq')
        .where('project_id', '=', project_id)
        .orderBy('seq', 'desc')
        .limit(1)
        .offset(keep)
        .executeTakeFirst();
      if (!cutoff) continue;
      const oldest = this.db
        .selectFrom('handset_messages')
        .select('seq')
        .where('project_id', '=', project_id)
        .where('seq', '<=', num(cutoff.seq))
        .orderBy('seq')
        .limit(maxRows - removed);
      const result = await this.db.deleteFrom('handset_messages').where('project_id', '=', project_id).where('seq', 'in', oldest).executeTakeFirst();
      removed += Number(result.numDeletedRows);
      if (removed >= maxRows) break;
    }
    return removed;
  }
}
