import type { Kysely, Selectable, Updateable } from 'kysely';
import type { CxmlApplicationPatch, CxmlApplicationRecord } from '../../domain/cxml-applications.js';
import type { WebhookMethod } from '../../domain/project.js';
import type { CxmlApplicationRepository, SeqPage } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { CxmlApplicationsTable, Database } from '../schema.js';
import { num, withoutSeq } from '../rows.js';
import { projectHasRoom } from './project-room.js';

function appFromRow(row: Selectable<CxmlApplicationsTable>): CxmlApplicationRecord & { seq: number } {
  return {
    seq: num(row.seq),
    id: row.id,
    projectId: row.project_id,
    friendlyName: row.friendly_name,
    smsUrl: row.sms_url,
    smsMethod: row.sms_method as WebhookMethod,
    smsFallbackUrl: row.sms_fallback_url,
    smsFallbackMethod: row.sms_fallback_method as WebhookMethod,
    smsStatusCallback: row.sms_status_callback,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

const PATCH_COLUMNS: Record<keyof CxmlApplicationPatch, keyof CxmlApplicationsTable> = {
  friendlyName: 'friendly_name',
  smsUrl: 'sms_url',
  smsMethod: 'sms_method',
  smsFallbackUrl: 'sms_fallback_url',
  smsFallbackMethod: 'sms_fallback_method',
  smsStatusCallback: 'sms_status_callback',
};

export class KyselyCxmlApplicationRepository implements CxmlApplicationRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async create(a: CxmlApplicationRecord, maxPerProject = Infinity): Promise<boolean> {
    if (!(await projectHasRoom(this.db, this.traits, 'cxml_applications', a.projectId, maxPerProject))) return false;
    await this.db
      .insertInto('cxml_applications')
      .values({
        id: a.id,
        project_id: a.projectId,
        friendly_name: a.friendlyName,
        sms_url: a.smsUrl,
        sms_method: a.smsMethod,
        sms_fallback_url: a.smsFallbackUrl,
        sms_fallback_method: a.smsFallbackMethod,
        sms_status_callback: a.smsStatusCallback,
        created_at: a.createdAt,
        updated_at: a.updatedAt,
      })
      .execute();
    return true;
  }

  async get(projectId: string, id: string): Promise<CxmlApplicationRecord | undefined> {
    const row = await this.db.selectFrom('cxml_applications').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return row && withoutSeq(appFromRow(row));
  }

  async list(projectId: string, filter: { readonly friendlyName?: string }, page: SeqPage): Promise<Array<CxmlApplicationRecord & { seq: number }>> {
    let q = this.db.selectFrom('cxml_applications').selectAll().where('project_id', '=', projectId);
    if (filter.friendlyName !== undefined) q = q.where('friendly_name', '=', filter.friendlyName);
    if (page.beforeSeq !== undefined) q = q.where('seq', '<', page.beforeSeq);
    if (page.afterSeq !== undefined) {
      const rows = await q.where('seq', '>', page.afterSeq).orderBy('seq', 'asc').limit(page.limit).execute();
      return rows.reverse().map(appFromRow);
    }
    return (await q.orderBy('seq', 'desc').limit(page.limit).execute()).map(appFromRow);
  }

  async seqOf(projectId: string, id: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('cxml_applications').select('seq').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return row ? num(row.seq) : undefined;
  }

  async update(projectId: string, id: string, patch: CxmlApplicationPatch, at: number): Promise<CxmlApplicationRecord | undefined> {
    const values: Record<string, unknown> = { updated_at: at };
    for (const [key, column] of Object.entries(PATCH_COLUMNS) as Array<[keyof CxmlApplicationPatch, string]>) {
      if (patch[key] !== undefined) values[column] = patch[key];
    }
    const row = await this.db
      .updateTable('cxml_applications')
      .set(values as Updateable<CxmlApplicationsTable>)
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && withoutSeq(appFromRow(row));
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('cxml_applications').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
