import { sql, type Kysely, type Selectable } from 'kysely';
import type { MessageMediaRecord } from '../../domain/media.js';
import type { MessageMediaRepository, SeqPage } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database, MessageMediaTable } from '../schema.js';
import { WRITE_ONLY } from '../write-only.js';
import { chunkRows, num, withoutSeq } from '../rows.js';

const MEDIA_COLUMNS = 7;

function mediaFromRow(row: Selectable<MessageMediaTable>): MessageMediaRecord & { seq: number } {
  return {
    seq: num(row.seq),
    id: row.id,
    projectId: row.project_id,
    messageId: row.message_id,
    position: row.position,
    url: row.url,
    contentType: row.content_type,
    createdAt: num(row.created_at),
  };
}

export class KyselyMessageMediaRepository implements MessageMediaRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async insertMany(rows: readonly MessageMediaRecord[]): Promise<void> {
    for (const chunk of chunkRows(rows, MEDIA_COLUMNS, this.traits.maxParameters)) {
      await this.db
        .insertInto('message_media')
        .values(chunk.map((m) => ({ id: m.id, project_id: m.projectId, message_id: m.messageId, position: m.position, url: m.url, content_type: m.contentType, created_at: m.createdAt })))
        .modifyEnd(sql.raw(WRITE_ONLY))
        .execute();
    }
  }

  async listForMessage(projectId: string, messageId: string, filter: { readonly createdFrom?: number; readonly createdTo?: number }, page: SeqPage): Promise<Array<MessageMediaRecord & { seq: number }>> {
    let q = this.db.selectFrom('message_media').selectAll().where('message_id', '=', messageId).where('project_id', '=', projectId);
    if (filter.createdFrom !== undefined) q = q.where('created_at', '>=', filter.createdFrom);
    if (filter.createdTo !== undefined) q = q.where('created_at', '<=', filter.createdTo);
    if (page.afterSeq !== undefined) q = q.where('seq', '>', page.afterSeq);
    if (page.beforeSeq !== undefined) {
      const rows = await q.where('seq', '<', page.beforeSeq).orderBy('seq', 'desc').limit(page.limit).execute();
      return rows.reverse().map(mediaFromRow);
    }
    return (await q.orderBy('seq', 'asc').limit(page.limit).execute()).map(mediaFromRow);
  }

  async get(projectId: string, messageId: string, id: string): Promise<MessageMediaRecord | undefined> {
    const row = await this.db.selectFrom('message_media').selectAll().where('project_id', '=', projectId).where('message_id', '=', messageId).where('id', '=', id).executeTakeFirst();
    return row && withoutSeq(mediaFromRow(row));
  }

  async seqOf(projectId: string, messageId: string, id: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('message_media').select('seq').where('project_id', '=', projectId).where('message_id', '=', messageId).where('id', '=', id).executeTakeFirst();
    return row ? num(row.seq) : undefined;
  }

  async delete(projectId: string, messageId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('message_media').where('project_id', '=', projectId).where('message_id', '=', messageId).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
