import type { Kysely, Updateable } from 'kysely';
import type { NumberListFilter, PhoneNumberPatch, PhoneNumberRepository, SeqPage } from '../../domain/ports/store.js';
import type { PhoneNumberRecord } from '../../domain/project.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database, PhoneNumbersTable } from '../schema.js';
import { chunkRows, num, numberFromRow, numberToRow } from '../rows.js';
import { containsDigitPattern, containsText } from './like.js';
import { projectHasRoom } from './project-room.js';

const PATCH_COLUMNS: Record<keyof PhoneNumberPatch, keyof PhoneNumbersTable> = {
  name: 'name',
  capabilities: 'capabilities',
  messageHandler: 'message_handler',
  messageRequestUrl: 'message_request_url',
  messageRequestMethod: 'message_request_method',
  messageFallbackUrl: 'message_fallback_url',
  messageFallbackMethod: 'message_fallback_method',
  messageLamlApplicationId: 'message_laml_application_id',
  messageRelayTopic: 'message_relay_topic',
  messageRelayContext: 'message_relay_context',
  messagingHandlerResourceId: 'messaging_handler_resource_id',
  messagesPerSecond: 'messages_per_second',
};

export class KyselyPhoneNumberRepository implements PhoneNumberRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async create(n: PhoneNumberRecord, maxPerProject = Infinity): Promise<boolean> {
    if (!(await projectHasRoom(this.db, this.traits, 'phone_numbers', n.projectId, maxPerProject))) return false;
    await this.db.insertInto('phone_numbers').values(numberToRow(n)).execute();
    return true;
  }

  async get(projectId: string, id: string): Promise<PhoneNumberRecord | undefined> {
    const row = await this.db.selectFrom('phone_numbers').selectAll().where(this.traits.keyLookupInProject(projectId)).where('id', '=', id).executeTakeFirst();
    return row && numberFromRow(row);
  }

  async getByNumber(projectId: string, number: string): Promise<PhoneNumberRecord | undefined> {
    const row = await this.db.selectFrom('phone_numbers').selectAll().where(this.traits.keyLookupInProject(projectId)).where('number', '=', number).executeTakeFirst();
    return row && numberFromRow(row);
  }

  async ratesOf(projectId: string, numbers: readonly string[]): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    // Numbers are unique on the server: looked up by number, kept when the project's.
    for (const chunk of chunkRows([...new Set(numbers)], 1, this.traits.maxParameters)) {
      const rows = await this.db.selectFrom('phone_numbers').select(['number', 'project_id', 'messages_per_second']).where('number', 'in', chunk).execute();
      for (const r of rows) if (r.project_id === projectId) out.set(r.number, r.messages_per_second === null ? null : Number(r.messages_per_second));
    }
    return out;
  }

  async resolveOwner(number: string): Promise<PhoneNumberRecord | undefined> {
    const row = await this.db.selectFrom('phone_numbers').selectAll().where('number', '=', number).executeTakeFirst();
    return row && numberFromRow(row);
  }

  async list(projectId: string, filter: NumberListFilter, page: SeqPage): Promise<Array<PhoneNumberRecord & { seq: number }>> {
    let q = this.db.selectFrom('phone_numbers').selectAll().where('project_id', '=', projectId);
    if (filter.nameContains) q = q.where(containsText('name', filter.nameContains));
    const friendlyName = filter.friendlyName;
    if (friendlyName !== undefined) q = q.where((eb) => eb.or([eb('name', '=', friendlyName), eb.and([eb('name', 'is', null), eb('number', '=', friendlyName)])]));
    if (filter.numberContains) q = q.where(containsText('number', filter.numberContains));
    if (filter.numberPattern) q = q.where(containsDigitPattern('number', filter.numberPattern));
    if (filter.numberType) q = q.where('number_type', '=', filter.numberType);
    if (filter.notNumberType) q = q.where('number_type', '<>', filter.notNumberType);
    if (page.beforeSeq !== undefined) q = q.where('seq', '<', page.beforeSeq);
    if (page.afterSeq !== undefined) {
      const rows = await q.where('seq', '>', page.afterSeq).orderBy('seq', 'asc').limit(page.limit).execute();
      return rows.reverse().map(numberFromRow);
    }
    const rows = await q.orderBy('seq', 'desc').limit(page.limit).execute();
    return rows.map(numberFromRow);
  }

  async seqOf(projectId: string, id: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('phone_numbers').select('seq').where(this.traits.keyLookupInProject(projectId)).where('id', '=', id).executeTakeFirst();
    return row ? num(row.seq) : undefined;
  }

  async update(projectId: string, id: string, patch: PhoneNumberPatch, at: number): Promise<PhoneNumberRecord | undefined> {
    const values: Record<string, unknown> = { updated_at: at };
    for (const [key, column] of Object.entries(PATCH_COLUMNS) as Array<[keyof PhoneNumberPatch, string]>) {
      if (patch[key] === undefined) continue;
      values[column] = key === 'capabilities' ? JSON.stringify(patch[key]) : patch[key];
    }
    const row = await this.db
      .updateTable('phone_numbers')
      .set(values as Updateable<PhoneNumbersTable>)
      .where(this.traits.keyLookupInProject(projectId))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && numberFromRow(row);
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('phone_numbers').where(this.traits.keyLookupInProject(projectId)).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
