import type { Kysely, Selectable } from 'kysely';
import type { MessagingSettings, MessagingSettingsPatch, OptOutRecord, OptOutRepository, SeqPage } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database, MessagingSettingsTable, OptOutsTable } from '../schema.js';
import { chunkRows, num } from '../rows.js';
import { atomically } from './atomically.js';

function recordOf(row: Selectable<OptOutsTable>): OptOutRecord & { seq: number } {
  return { seq: num(row.seq), id: row.id, projectId: row.project_id, sender: row.sender, handset: row.handset, keyword: row.keyword, createdAt: num(row.created_at) };
}

const flag = (v: number | null): boolean | null => (v === null ? null : num(v) === 1);

function settingsOf(row: MessagingSettingsTable): MessagingSettings {
  return { smartEncoding: flag(row.smart_encoding), replies: flag(row.replies), stopReply: row.stop_reply, startReply: row.start_reply, helpReply: row.help_reply };
}

type SettingsColumns = Partial<Pick<MessagingSettingsTable, 'smart_encoding' | 'replies' | 'stop_reply' | 'start_reply' | 'help_reply'>>;

function columnsOf(patch: MessagingSettingsPatch): SettingsColumns {
  const bit = (v: boolean | null) => (v === null ? null : v ? 1 : 0);
  const c: SettingsColumns = {};
  if (patch.smartEncoding !== undefined) c.smart_encoding = bit(patch.smartEncoding);
  if (patch.replies !== undefined) c.replies = bit(patch.replies);
  if (patch.stopReply !== undefined) c.stop_reply = patch.stopReply;
  if (patch.startReply !== undefined) c.start_reply = patch.startReply;
  if (patch.helpReply !== undefined) c.help_reply = patch.helpReply;
  return c;
}

/**
 * A STOP lists the handset for its number and each of the number's groups (up to
 * `projects.maxNumberGroups`): more than one statement may bind, so inserts and deletes go in
 * parts of the dialect's `maxParameters`, in one transaction. An insert binds these per row; a
 * delete binds each sender twice (its list and its groups' numbers) beside the project (twice) and the handset.
 */
const PARAMETERS_PER_ROW = 6;

/** Thrown in an add's transaction to roll it back: the project's list would pass its limit. */
class OverLimit extends Error {}

/**
 * Count `n` entries added to the project's list, in the transaction that added them; returns the
 * new count. The upsert holds the count's row until commit, so concurrent adds of one project
 * count one after the other (on PostgreSQL the second waits and adds to the first's result).
 */
async function countAdded(db: Kysely<Database>, projectId: string, n: number): Promise<number> {
  const row = await db
    .insertInto('opt_out_counts')
    .values({ project_id: projectId, entries: n })
    .onConflict((oc) => oc.column('project_id').doUpdateSet((eb) => ({ entries: eb('opt_out_counts.entries', '+', eb.ref('excluded.entries')) })))
    .returning('entries')
    .executeTakeFirstOrThrow();
  return num(row.entries);
}

export class KyselyOptOutRepository implements OptOutRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async add(rows: readonly OptOutRecord[], maxEntries = Infinity): Promise<boolean> {
    if (!rows.length) return true;
    // Past the limit the whole add is rolled back; in a caller's transaction that would be the caller's.
    if (maxEntries !== Infinity && this.db.isTransaction) throw new Error('An opt-out add with a limit runs in its own transaction.');
    try {
      await atomically(this.db, async (db) => {
        const perProject = new Map<string, number>();
        for (const chunk of chunkRows(rows, PARAMETERS_PER_ROW, this.traits.maxParameters)) {
          const added = await db
            .insertInto('opt_outs')
            .values(chunk.map((r) => ({ id: r.id, project_id: r.projectId, sender: r.sender, handset: r.handset, keyword: r.keyword, created_at: r.createdAt })))
            .onConflict((oc) => oc.columns(['project_id', 'handset', 'sender']).doNothing())
            .returning('project_id')
            .execute();
          for (const { project_id } of added) perProject.set(project_id, (perProject.get(project_id) ?? 0) + 1);
        }
        for (const [projectId, n] of perProject) {
          if ((await countAdded(db, projectId, n)) > maxEntries) throw new OverLimit();
        }
      });
      return true;
    } catch (err) {
      if (err instanceof OverLimit) return false;
      throw err;
    }
  }

  async remove(projectId: string, handset: string, senders: readonly string[]): Promise<number> {
    if (!senders.length) return 0;
    return atomically(this.db, async (db) => {
      let n = 0;
      // Each part of the senders deletes what it names: together, what all of them name.
      for (const part of chunkRows(senders, 2, this.traits.maxParameters - 3)) n += await this.removeOf(db, projectId, handset, part);
      if (n) await db.updateTable('opt_out_counts').set((eb) => ({ entries: eb('entries', '-', n) })).where('project_id', '=', projectId).execute();
      return n;
    });
  }

  private async removeOf(db: Kysely<Database>, projectId: string, handset: string, senders: readonly string[]): Promise<number> {
    const r = await db
      .deleteFrom('opt_outs')
      .where('project_id', '=', projectId)
      .where('handset', '=', handset)
      .where((eb) =>
        eb.or([
          eb('sender', 'in', [...senders]),
          // What a keyword put on the list of a number now in one of these groups (the port says why).
          eb.and([
            eb('keyword', 'is not', null),
            eb(
              'sender',
              'in',
              eb
                .selectFrom('number_group_memberships as m')
                .innerJoin('phone_numbers as p', 'p.id', 'm.phone_number_id')
                .select('p.number')
                .where('m.group_id', 'in', [...senders])
                .where('p.project_id', '=', projectId),
            ),
          ]),
        ]),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async get(projectId: string, id: string): Promise<OptOutRecord | undefined> {
    const row = await this.db.selectFrom('opt_outs').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const { seq: _seq, ...record } = recordOf(row);
    return record;
  }

  async blocks(projectId: string, handset: string, from: string, numberGroupId: string | null): Promise<boolean> {
    const direct = numberGroupId ? [from, numberGroupId] : [from];
    const row = await this.db
      .selectFrom('opt_outs')
      .select('id')
      .where('project_id', '=', projectId)
      .where('handset', '=', handset)
      .where((eb) =>
        eb.or([
          eb('sender', 'in', direct),
          // An opt-out of a group covers each of its numbers, however the message names its sender.
          eb(
            'sender',
            'in',
            eb
              .selectFrom('number_group_memberships as m')
              .innerJoin('phone_numbers as p', 'p.id', 'm.phone_number_id')
              .select('m.group_id')
              .where('p.number', '=', from)
              .where('p.project_id', '=', projectId),
          ),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async any(projectId: string): Promise<boolean> {
    const row = await this.db.selectFrom('opt_outs').select('id').where('project_id', '=', projectId).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  async list(projectId: string, filter: { readonly sender?: string; readonly handset?: string }, page: SeqPage): Promise<Array<OptOutRecord & { seq: number }>> {
    let q = this.db.selectFrom('opt_outs').selectAll().where('project_id', '=', projectId);
    if (filter.sender !== undefined) q = q.where('sender', '=', filter.sender);
    if (filter.handset !== undefined) q = q.where('handset', '=', filter.handset);
    if (page.beforeSeq !== undefined) q = q.where('seq', '<', page.beforeSeq);
    if (page.afterSeq !== undefined) {
      const rows = await q.where('seq', '>', page.afterSeq).orderBy('seq', 'asc').limit(page.limit).execute();
      return rows.reverse().map(recordOf);
    }
    return (await q.orderBy('seq', 'desc').limit(page.limit).execute()).map(recordOf);
  }

  async seqOf(projectId: string, id: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('opt_outs').select('seq').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return row ? num(row.seq) : undefined;
  }

  async groupsOf(projectId: string, number: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('number_group_memberships as m')
      .innerJoin('phone_numbers as p', 'p.id', 'm.phone_number_id')
      .select('m.group_id')
      .where('p.number', '=', number)
      .where('p.project_id', '=', projectId)
      .orderBy('m.seq')
      .execute();
    return rows.map((r) => r.group_id);
  }

  async settings(projectId: string): Promise<Map<string, MessagingSettings>> {
    const rows = await this.db.selectFrom('messaging_settings').selectAll().where('project_id', '=', projectId).execute();
    return new Map(rows.map((r) => [r.scope, settingsOf(r)]));
  }

  async updateSettings(projectId: string, scope: string, patch: MessagingSettingsPatch, at: number): Promise<MessagingSettings> {
    const columns = columnsOf(patch);
    const row = await this.db
      .insertInto('messaging_settings')
      .values({ project_id: projectId, scope, updated_at: at, ...columns })
      .onConflict((oc) => oc.columns(['project_id', 'scope']).doUpdateSet({ ...columns, updated_at: at }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return settingsOf(row);
  }
}
