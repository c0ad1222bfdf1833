import type { MessageStatus } from '@switchboard/protocol';
import { CompiledQuery, sql, type Kysely, type Selectable } from 'kysely';
import { predecessorsOf } from '../../domain/lifecycle.js';
import { withSeq, type MessageEventRecord, type MessageRecord, type MessageState, type NewMessage, type NewMessageEvent } from '../../domain/message.js';
import type { CarrierSelector, ConversationFilter, ConversationRecord, MessageEventRepository, MessageListFilter, MessageRepository, SentCursor, SeqPage, TransitionUpdate } from '../../domain/ports/store.js';
import type { HotInserts } from '../batch-insert.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database, MessagesTable } from '../schema.js';
import { chunkRows, eventFromRow, MESSAGE_STATE_COLUMNS, messageFromRow, messageStateFromRow, num } from '../rows.js';
import { containsText } from './like.js';

/** Rows per guarded UPDATE (they travel as one JSON parameter). */
const TRANSITION_CHUNK = 500;
/** States after which a carrier has taken the message, so it has a sent time. */
const CARRIED: ReadonlySet<MessageStatus> = new Set(['sent', 'delivered', 'undelivered']);

/** The optional facts of a transition, in the order of their columns and mask bits. */
const TRANSITION_FACTS = [
  ['errorCode', 'error_code'],
  ['errorMessage', 'error_message'],
  ['reason', 'reason'],
  ['carrier', 'carrier'],
  ['carrierMessageId', 'carrier_message_id'],
  ['price', 'price'],
] as const;
/** A transition row's JSON positions, as columns of `v` (with their PostgreSQL types; text otherwise). */
const TRANSITION_ROW: ReadonlyArray<readonly [string, string | null]> = [
  ['id', null],
  ['at', 'bigint'],
  ...TRANSITION_FACTS.map(([, c]) => [c, c === 'price' ? 'double precision' : null] as const),
  ['mask', 'integer'],
];

const transitionTexts = new Map<string, string>();

/**
 * The guarded UPDATE of one batch of messages of one project into `to`, written out per dialect and
 * target state, so nothing is compiled per batch and each text is one prepared statement. The rows
 * travel as one JSON parameter: `[id, at, error_code, error_message, reason, carrier,
 * carrier_message_id, price, mask]`, where bit i of mask says the i-th fact was given (otherwise the
 * column keeps its value). States are literals, never parameters: SQLite re-prepares a statement at
 * every run when a parameter is compared with a column of a partial index's condition (`status`).
 * The second parameter is the project (on PostgreSQL the third, the ids as an array). Returns
 * `MESSAGE_STATE_COLUMNS` of the rows that moved.
 */
function transitionSql(dialect: 'sqlite' | 'postgres', to: MessageStatus): string {
  const key = `${dialect} ${to}`;
  let text = transitionTexts.get(key);
  if (text !== undefined) return text;
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const from = predecessorsOf(to).map(lit).join(', ');
  const t = dialect === 'postgres' ? 'm' : 'messages';
  const sets = [`status = ${lit(to)}`, 'updated_at = v.at'];
  if (CARRIED.has(to)) sets.push(`sent_at = coalesce(${t}.sent_at, v.at)`);
  TRANSITION_FACTS.forEach(([, c], i) => sets.push(`${c} = case when (v.mask & ${1 << i}) <> 0 then v.${c} else ${t}.${c} end`));
  const returning = MESSAGE_STATE_COLUMNS.map((c) => `${t}.${c}`).join(', ');
  const columns = (element: string, typed: boolean) =>
    TRANSITION_ROW.map(([c, type], i) => (typed && type ? `(${element} ->> ${i})::${type} as ${c}` : `${element} ->> ${i} as ${c}`)).join(', ');
  text =
    dialect === 'postgres'
      ? `update messages as m set ${sets.join(', ')}
        from (select ${columns('e', true)} from jsonb_array_elements($1::jsonb) as e) as v
        where m.id = any($3::text[]) and m.id = v.id and m.project_id = $2 and m.status in (${from})
        returning ${returning}`
      : `update messages set ${sets.join(', ')}
        from (select ${columns('value', false)} from json_each(?)) as v
        where messages.id = v.id and +messages.project_id = ? and messages.status in (${from})
        returning ${returning}`;
  transitionTexts.set(key, text);
  return text;
}

export class KyselyMessageRepository implements MessageRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
    private readonly inserts: HotInserts,
  ) {}

  async insertMany(rows: readonly NewMessage[]): Promise<MessageRecord[]> {
    const inserted = await this.inserts.messages.run(this.db, rows);
    const seqById = new Map(inserted.map((r) => [r.id as string, num(r.seq as number)]));
    return rows.map((m) => withSeq(m, seqById.get(m.id)!));
  }

  async get(projectId: string, id: string): Promise<MessageRecord | undefined> {
    const row = await this.db.selectFrom('messages').selectAll().where(this.traits.keyLookupInProject(projectId)).where('id', '=', id).executeTakeFirst();
    return row && messageFromRow(row);
  }

  async getMany(projectId: string, ids: readonly string[]): Promise<MessageRecord[]> {
    if (ids.length === 0) return [];
    const out: MessageRecord[] = [];
    for (const chunk of chunkRows(ids, 1, this.traits.maxParameters - 1)) {
      const rows = await this.db.selectFrom('messages').selectAll().where(this.traits.keyLookupInProject(projectId)).where('id', 'in', chunk).execute();
      for (const r of rows) out.push(messageFromRow(r));
    }
    return out;
  }

  async statesOf(projectId: string, ids: readonly string[]): Promise<MessageState[]> {
    const out: MessageState[] = [];
    for (const chunk of chunkRows(ids, 1, this.traits.maxParameters - 1)) {
      const rows = await this.db.selectFrom('messages').select(MESSAGE_STATE_COLUMNS).where(this.traits.keyLookupInProject(projectId)).where('id', 'in', chunk).execute();
      for (const r of rows) out.push(messageStateFromRow(r));
    }
    return out;
  }

  async seqOf(projectId: string, id: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('messages').select('seq').where(this.traits.keyLookupInProject(projectId)).where('id', '=', id).executeTakeFirst();
    return row ? num(row.seq) : undefined;
  }

  async list(projectId: string, f: MessageListFilter, page: SeqPage): Promise<MessageRecord[]> {
    let q = this.db.selectFrom('messages').selectAll().where('project_id', '=', projectId);
    if (!f.includeDeleted) q = q.where('deleted_at', 'is', null);
    if (f.createdFrom !== undefined) q = q.where('created_at', '>=', f.createdFrom);
    if (f.createdTo !== undefined) q = q.where('created_at', '<=', f.createdTo);
    if (f.sentFrom !== undefined) q = q.where(sql<number>`coalesce(sent_at, created_at)`, '>=', f.sentFrom);
    if (f.sentTo !== undefined) q = q.where(sql<number>`coalesce(sent_at, created_at)`, '<=', f.sentTo);
    if (f.to !== undefined) q = q.where('to_number', '=', f.to);
    if (f.from !== undefined) q = q.where('from_number', '=', f.from);
    if (f.statuses && f.statuses.length) q = q.where('status', 'in', [...f.statuses]);
    if (f.direction) q = q.where('direction', '=', f.direction);
    if (f.conversation) {
      const { ours, other } = f.conversation;
      q = q.where((eb) =>
        eb.or([
          eb.and([eb('from_number', '=', ours), eb('to_number', '=', other)]),
          eb.and([eb('from_number', '=', other), eb('to_number', '=', ours)]),
        ]),
      );
    }
    if (f.bodyContains) q = q.where(containsText('body', f.bodyContains));
    if (f.party !== undefined) {
      const party = f.party;
      q = q.where((eb) => eb.or([eb('from_number', '=', party), eb('to_number', '=', party)]));
    }
    if (f.origins && f.origins.length) q = q.where('origin', 'in', [...f.origins]);
    if (page.beforeSeq !== undefined) q = q.where('seq', '<', page.beforeSeq);
    if (page.afterSeq !== undefined) {
      const rows = await q.where('seq', '>', page.afterSeq).orderBy('seq', 'asc').limit(page.limit).execute();
      return rows.reverse().map(messageFromRow);
    }
    const rows = await q.orderBy('seq', 'desc').limit(page.limit).execute();
    return rows.map(messageFromRow);
  }

  async transitionMany(updates: readonly TransitionUpdate[]): Promise<MessageState[]> {
    if (updates.length === 0) return [];
    // A message's k-th change goes in round k, so two changes of one message in a batch (sent, then
    // delivered) apply in order. Within a round: one guarded UPDATE per (project, target state),
    // per-row values in CASE expressions.
    const rounds: Array<Map<string, TransitionUpdate[]>> = [];
    const seen = new Map<string, number>();
    for (const u of updates) {
      const round = seen.get(u.id) ?? 0;
      seen.set(u.id, round + 1);
      const groups = (rounds[round] ??= new Map());
      const key = `${u.projectId}\u0000${u.to}`;
      const group = groups.get(key);
      if (group) group.push(u);
      else groups.set(key, [u]);
    }
    const changed: MessageState[] = [];
    for (const groups of rounds) {
      for (const group of groups.values()) {
        for (let i = 0; i < group.length; i += TRANSITION_CHUNK) {
          for (const r of await this.transitionChunk(group.slice(i, i + TRANSITION_CHUNK))) changed.push(messageStateFromRow(r));
        }
      }
    }
    return changed;
  }

  private async transitionChunk(chunk: readonly TransitionUpdate[]) {
    const first = chunk[0]!;
    // Nothing may move into this state (`queued`); PostgreSQL refuses an empty IN list.
    if (predecessorsOf(first.to).length === 0) return [];
    const rows: unknown[] = [];
    for (const u of chunk) {
      let mask = 0;
      const row: unknown[] = [u.id, u.at];
      for (let f = 0; f < TRANSITION_FACTS.length; f++) {
        const v = u[TRANSITION_FACTS[f]![0]];
        if (v !== undefined) mask |= 1 << f;
        row.push(v ?? null);
      }
      row.push(mask);
      rows.push(row);
    }
    const text = transitionSql(this.traits.name, first.to);
    // PostgreSQL also gets the ids as an array: the planner then looks the rows up by key, whatever
    // it guesses of the JSON's length (a stale guess made it scan the whole table for every batch).
    const params = this.traits.name === 'postgres' ? [JSON.stringify(rows), first.projectId, chunk.map((u) => u.id)] : [JSON.stringify(rows), first.projectId];
    const result = await this.db.executeQuery<Pick<Selectable<MessagesTable>, (typeof MESSAGE_STATE_COLUMNS)[number]>>(CompiledQuery.raw(text, params));
    return result.rows;
  }

  async redact(projectId: string, id: string, at: number): Promise<MessageRecord | undefined> {
    const row = await this.db
      .updateTable('messages')
      .set({ body: '', redacted_at: at, updated_at: at })
      .where(this.traits.keyLookupInProject(projectId))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && messageFromRow(row);
  }

  async markDeleted(projectId: string, id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('messages')
      .set({ deleted_at: at, updated_at: at })
      .where(this.traits.keyLookupInProject(projectId))
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async listConversations(projectId: string, filter: ConversationFilter, page: { readonly limit: number; readonly beforeSeq?: number }): Promise<ConversationRecord[]> {
    // One thread per (our number, other party): outbound messages are ours → theirs, inbound ones
    // theirs → ours. The grouping reads only the messages_parties index.
    const ours = sql<string>`case when direction = 'inbound' then to_number else from_number end`;
    const other = sql<string>`case when direction = 'inbound' then from_number else to_number end`;
    let q = this.db
      .selectFrom('messages')
      .select([ours.as('ours'), other.as('other'), (eb) => eb.fn.max('seq').as('last_seq')])
      .where('project_id', '=', projectId);
    if (filter.ours !== undefined) {
      const n = filter.ours;
      q = q.where((eb) => eb.or([eb.and([eb('from_number', '=', n), eb('direction', '=', 'outbound')]), eb.and([eb('to_number', '=', n), eb('direction', '=', 'inbound')])]));
    }
    let grouped = q.groupBy([ours, other]);
    if (page.beforeSeq !== undefined) grouped = grouped.having((eb) => eb.fn.max('seq'), '<', page.beforeSeq);
    const threads = await grouped.orderBy('last_seq', 'desc').limit(page.limit).execute();
    if (threads.length === 0) return [];
    const lastRows = await this.db
      .selectFrom('messages')
      .selectAll()
      .where(this.traits.keyLookupInProject(projectId))
      .where(
        'seq',
        'in',
        threads.map((t) => num(t.last_seq)),
      )
      .execute();
    const bySeq = new Map(lastRows.map((r) => [num(r.seq), messageFromRow(r)]));
    return threads.flatMap((t) => {
      const last = bySeq.get(num(t.last_seq));
      return last ? [{ ours: t.ours, other: t.other, lastSeq: num(t.last_seq), last }] : [];
    });
  }

  async listAwaitingReceipt(carrier: string, afterSeq: number, limit: number): Promise<MessageRecord[]> {
    const rows = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('carrier', '=', carrier)
      .where('status', '=', 'sent')
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(messageFromRow);
  }

  async listSentBetween(carrier: CarrierSelector, after: number | null, upTo: number, cursor: SentCursor | null, limit: number): Promise<MessageRecord[]> {
    // The status and kind are literals, not parameters, so both engines match the partial index.
    let q = this.db
      .selectFrom('messages')
      .selectAll()
      .where(sql<boolean>`status = 'sent' and kind = 'sms'`)
      .where('sent_at', '<=', upTo);
    q = typeof carrier === 'string' ? q.where('carrier', '=', carrier) : carrier.notIn.length ? q.where('carrier', 'not in', [...carrier.notIn]) : q;
    if (after !== null) q = q.where('sent_at', '>', after);
    if (cursor) q = q.where((eb) => eb.or([eb('sent_at', '>', cursor.sentAt), eb.and([eb('sent_at', '=', cursor.sentAt), eb('seq', '>', cursor.seq)])]));
    const rows = await q.orderBy('sent_at').orderBy('seq').limit(limit).execute();
    return rows.map(messageFromRow);
  }
}


export class KyselyMessageEventRepository implements MessageEventRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
    private readonly inserts: HotInserts,
  ) {}

  async insertMany(events: readonly NewMessageEvent[]): Promise<void> {
    await this.inserts.events.run(this.db, events);
  }

  async listForMessage(projectId: string, messageId: string): Promise<MessageEventRecord[]> {
    const rows = await this.db
      .selectFrom('message_events')
      .selectAll()
      .where('message_id', '=', messageId)
      .where('project_id', '=', projectId)
      .orderBy('id')
      .execute();
    return rows.map(eventFromRow);
  }
}
