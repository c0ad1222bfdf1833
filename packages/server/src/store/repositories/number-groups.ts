import type { Kysely, Selectable } from 'kysely';
import type { NumberGroupMembershipRecord, NumberGroupRecord } from '../../domain/number-groups.js';
import type { GroupMember, NumberGroupRepository, SeqPage } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database, NumberGroupsTable, PhoneNumbersTable } from '../schema.js';
import { num, numberFromRow, withoutSeq } from '../rows.js';
import { containsText } from './like.js';
import { projectHasRoom } from './project-room.js';

function groupFromRow(row: Selectable<NumberGroupsTable>): NumberGroupRecord & { seq: number } {
  return {
    seq: num(row.seq),
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    stickySender: num(row.sticky_sender) === 1,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

type JoinedRow = Selectable<PhoneNumbersTable> & { m_seq: number; m_id: string; m_group_id: string; m_created_at: number; m_updated_at: number };

function memberFromRow(row: JoinedRow): GroupMember & { seq: number } {
  const number = withoutSeq(numberFromRow(row));
  const membership: NumberGroupMembershipRecord = {
    id: row.m_id,
    projectId: row.project_id,
    groupId: row.m_group_id,
    phoneNumberId: row.id,
    createdAt: num(row.m_created_at),
    updatedAt: num(row.m_updated_at),
  };
  return { seq: num(row.m_seq), membership, number };
}

export class KyselyNumberGroupRepository implements NumberGroupRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async create(g: NumberGroupRecord, maxPerProject = Infinity): Promise<boolean> {
    if (!(await projectHasRoom(this.db, this.traits, 'number_groups', g.projectId, maxPerProject))) return false;
    await this.db
      .insertInto('number_groups')
      .values({ id: g.id, project_id: g.projectId, name: g.name, sticky_sender: g.stickySender ? 1 : 0, created_at: g.createdAt, updated_at: g.updatedAt })
      .execute();
    return true;
  }

  async get(projectId: string, id: string): Promise<NumberGroupRecord | undefined> {
    const row = await this.db.selectFrom('number_groups').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return row && withoutSeq(groupFromRow(row));
  }

  async list(projectId: string, filter: { readonly nameContains?: string }, page: SeqPage): Promise<Array<NumberGroupRecord & { seq: number }>> {
    let q = this.db.selectFrom('number_groups').selectAll().where('project_id', '=', projectId);
    if (filter.nameContains) q = q.where(containsText('name', filter.nameContains));
    if (page.beforeSeq !== undefined) q = q.where('seq', '<', page.beforeSeq);
    if (page.afterSeq !== undefined) {
      const rows = await q.where('seq', '>', page.afterSeq).orderBy('seq', 'asc').limit(page.limit).execute();
      return rows.reverse().map(groupFromRow);
    }
    return (await q.orderBy('seq', 'desc').limit(page.limit).execute()).map(groupFromRow);
  }

  async seqOf(projectId: string, id: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('number_groups').select('seq').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return row ? num(row.seq) : undefined;
  }

  async update(projectId: string, id: string, patch: { readonly name?: string; readonly stickySender?: boolean }, at: number): Promise<NumberGroupRecord | undefined> {
    const row = await this.db
      .updateTable('number_groups')
      .set({
        updated_at: at,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.stickySender !== undefined ? { sticky_sender: patch.stickySender ? 1 : 0 } : {}),
      })
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && withoutSeq(groupFromRow(row));
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    // Explicit deletes as well as the foreign keys, so engines without cascading still end clean.
    await this.db.deleteFrom('number_group_sticky').where('project_id', '=', projectId).where('group_id', '=', id).execute();
    await this.db.deleteFrom('number_group_memberships').where('project_id', '=', projectId).where('group_id', '=', id).execute();
    const result = await this.db.deleteFrom('number_groups').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async countMembers(projectId: string, groupIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (groupIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('number_group_memberships')
      .select(['group_id'])
      .select((eb) => eb.fn.countAll().as('n'))
      .where('project_id', '=', projectId)
      .where('group_id', 'in', [...groupIds])
      .groupBy('group_id')
      .execute();
    for (const r of rows) out.set(r.group_id, num(r.n as number | string | bigint));
    return out;
  }

  async addMember(m: NumberGroupMembershipRecord, maxMembers: number): Promise<'added' | 'full' | 'gone'> {
    // The group's row is held until commit, so concurrent adds count one after the other, and
    // neither it nor the number can be deleted under the insert: one deleted since the engine
    // looked it up is 'gone' (the insert failed on its foreign key: a 500 on PostgreSQL).
    const held = await this.traits.lockForUpdate(this.db.selectFrom('number_groups').select('id').where('project_id', '=', m.projectId).where('id', '=', m.groupId)).executeTakeFirst();
    if (!held) return 'gone';
    const number = await this.traits.lockReferenced(this.db.selectFrom('phone_numbers').select('id').where('project_id', '=', m.projectId).where('id', '=', m.phoneNumberId)).executeTakeFirst();
    if (!number) return 'gone';
    const members = await this.db
      .selectFrom('number_group_memberships')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('project_id', '=', m.projectId)
      .where('group_id', '=', m.groupId)
      .executeTakeFirst();
    if (num((members?.n ?? 0) as number | string | bigint) >= maxMembers) return 'full';
    await this.db
      .insertInto('number_group_memberships')
      .values({ id: m.id, project_id: m.projectId, group_id: m.groupId, phone_number_id: m.phoneNumberId, created_at: m.createdAt, updated_at: m.updatedAt })
      .execute();
    return 'added';
  }

  private members(projectId: string) {
    return this.db
      .selectFrom('number_group_memberships as m')
      .innerJoin('phone_numbers as p', 'p.id', 'm.phone_number_id')
      .selectAll('p')
      .select(['m.seq as m_seq', 'm.id as m_id', 'm.group_id as m_group_id', 'm.created_at as m_created_at', 'm.updated_at as m_updated_at'])
      .where('m.project_id', '=', projectId)
      .where('p.project_id', '=', projectId);
  }

  async getMembership(projectId: string, id: string): Promise<GroupMember | undefined> {
    const row = await this.members(projectId).where('m.id', '=', id).executeTakeFirst();
    return row && withoutSeq(memberFromRow(row as JoinedRow));
  }

  async listMembers(projectId: string, groupId: string, page: SeqPage): Promise<Array<GroupMember & { seq: number }>> {
    let q = this.members(projectId).where('m.group_id', '=', groupId);
    if (page.beforeSeq !== undefined) q = q.where('m.seq', '<', page.beforeSeq);
    if (page.afterSeq !== undefined) {
      const rows = await q.where('m.seq', '>', page.afterSeq).orderBy('m.seq', 'asc').limit(page.limit).execute();
      return rows.reverse().map((r) => memberFromRow(r as JoinedRow));
    }
    return (await q.orderBy('m.seq', 'desc').limit(page.limit).execute()).map((r) => memberFromRow(r as JoinedRow));
  }

  async membershipSeqOf(projectId: string, id: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('number_group_memberships').select('seq').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return row ? num(row.seq) : undefined;
  }

  async allMembers(projectId: string, groupId: string): Promise<GroupMember[]> {
    const rows = await this.members(projectId).where('m.group_id', '=', groupId).orderBy('m.seq', 'asc').execute();
    return rows.map((r) => withoutSeq(memberFromRow(r as JoinedRow)));
  }

  async removeMember(projectId: string, membershipId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('number_group_memberships').where('project_id', '=', projectId).where('id', '=', membershipId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async stickyNumber(projectId: string, groupId: string, destination: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('number_group_sticky')
      .select('phone_number_id')
      .where('project_id', '=', projectId)
      .where('group_id', '=', groupId)
      .where('destination', '=', destination)
      .executeTakeFirst();
    return row?.phone_number_id;
  }

  async setStickyNumber(projectId: string, groupId: string, destination: string, phoneNumberId: string, at: number): Promise<void> {
    await this.db
      .insertInto('number_group_sticky')
      .values({ project_id: projectId, group_id: groupId, destination, phone_number_id: phoneNumberId, created_at: at })
      .onConflict((oc) => oc.columns(['group_id', 'destination']).doUpdateSet({ phone_number_id: phoneNumberId, created_at: at }))
      .execute();
  }
}
