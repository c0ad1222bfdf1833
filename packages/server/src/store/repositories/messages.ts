import type { MessageStatus } from '@switchboard/protocol';
import { CompiledQuery, sql, type Kysely, type Selectable } from 'kysely';
import { predecessorsOf } from '../../domain/lifecycle.js';
import { withSeq, type MessageEventRecord, type MessageRecord, type MessageState, type NewMessage, type NewMessageEvent } from '../../domain/message.js';
import type { CarrierSelector, ConversationFilter, ConversationRecord, MessageEventRepository, MessageEventWithMessage, RecentEventsBounds, MessageListFilter, MessageRepository, ScannedPage, SentCursor, SeqPage, TransitionUpdate } from '../../domain/ports/store.js';
import type { HotInserts } from '../batch-insert.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database, MessagesTable } from '../schema.js';
import { chunkRows, eventFromRow, MESSAGE_STATE_COLUMNS, messageFromRow, messageStateFromRow, num } from '../rows.js';
import { ConversationReads, scanEdge } from './conversations.js';
import { containsText } from './like.js';
import { SharedEventWalk } from './event-walk.js';

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
/** A transition row's values in order, with their PostgreSQL types. */
const TRANSITION_ROW: ReadonlyArray<readonly [string, string]> = [
  ['id', 'text'],
  ['at', 'bigint'],
  ...TRANSITION_FACTS.map(([, c]) => [c, c === 'price' ? 'double precision' : 'text'] as const),
  ['mask', 'integer'],
];

const transitionTexts = new Map<string, string>();
/** One row's placeholders in SQLite's `VALUES` list. */
const SQLITE_TRANSITION_VALUES = `(${TRANSITION_ROW.map(() => '?').join(', ')})`;

/**
 * The guarded UPDATE of one batch of messages of one project into `to`, written out per dialect and
 * target state, so nothing is compiled per batch and each text is one prepared statement. A row's
 * values are `[id, at, error_code, error_message, reason, carrier, carrier_message_id, price, mask]`,
 * where bit i of mask says the i-th fact was given (otherwise the column keeps its value). States are
 * literals, never parameters: SQLite re-prepares a statement at every run when a parameter is
 * compared with a column of a partial index's condition (`status`).
 *
 * On SQLite the rows are bound as a `VALUES` list (a text per row count, as the batch inserts'),
 * joined by id; then the project. Unpacking one JSON array with `json_each` cost SQLite about 40 %
 * more instructions per row (docs/benchmarks.md, fifteenth session). On PostgreSQL they
 * travel as one JSON object keyed by id, each row reading its values with `->` (no join), then the
 * ids as an array, then the project: the only way to the rows is the id's unique index (or a scan of
 * a table the planner believes small). A join would be planned from row estimates, and with no
 * statistics yet (a table's first minute, before autovacuum's first ANALYZE) the planner read the
 * whole project, or scanned the table once per row. The project is compared as an expression no
 * index serves, for the same reason.
 *
 * Returns `MESSAGE_STATE_COLUMNS` of the rows that moved. With `via`, two changes in one write: the
 * rows move to `to` from the states that allow `via` (see `foldable`).
 */
function transitionSql(dialect: 'sqlite' | 'postgres', rows: number, to: MessageStatus, via: MessageStatus = to): string {
  const key = dialect === 'postgres' ? `postgres ${via} ${to}` : `sqlite ${via} ${to} ${rows}`;
  let text = transitionTexts.get(key);
  if (text !== undefined) return text;
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const from = predecessorsOf(via).map(lit).join(', ');
  const pg = dialect === 'postgres';
  const t = pg ? 'm' : 'messages';
  // A row's value at `i` (`TRANSITION_ROW`): from the joined row `v` on SQLite, by id from the object on PostgreSQL.
  const value = (i: number) => (pg ? `(p.j -> m.id ->> ${i})::${TRANSITION_ROW[i]![1]}` : `v.${TRANSITION_ROW[i]![0]}`);
  const mask = value(TRANSITION_ROW.length - 1);
  const sets = [`status = ${lit(to)}`, `updated_at = ${value(1)}`];
  if (CARRIED.has(to) || CARRIED.has(via)) sets.push(`sent_at = coalesce(${t}.sent_at, ${value(1)})`);
  TRANSITION_FACTS.forEach(([, c], i) => sets.push(`${c} = case when (${mask} & ${1 << i}) <> 0 then ${value(i + 2)} else ${t}.${c} end`));
  const returning = MESSAGE_STATE_COLUMNS.map((c) => `${t}.${c}`).join(', ');
  text = pg
    ? `update messages as m set ${sets.join(', ')}
        from (select $1::jsonb as j) as p
        where m.id = any($2::text[]) and (m.project_id || '') = $3 and m.status in (${from})
        returning ${returning}`
    : `with v(${TRANSITION_ROW.map(([c]) => c).join(', ')}) as (values ${Array.from({ length: rows }, () => SQLITE_TRANSITION_VALUES).join(', ')})
        update messages set ${sets.join(', ')}
        from v
        where messages.id = v.id and +messages.project_id = ? and messages.status in (${from})
        returning ${returning}`;
  transitionTexts.set(key, text);
  return text;
}

/** One transition as its row of values (`TRANSITION_ROW`). */
function transitionRow(u: TransitionUpdate): unknown[] {
  let mask = 0;
  const row: unknown[] = [u.id, u.at];
  for (let f = 0; f < TRANSITION_FACTS.length; f++) {
    const v = u[TRANSITION_FACTS[f]![0]];
    if (v !== undefined) mask |= 1 << f;
    row.push(v ?? null);
  }
  row.push(mask);
  return row;
}

/** Add to the list under `key`. */
function addTo<K, V>(lists: Map<K, V[]>, key: K, ...values: V[]): void {
  const list = lists.get(key);
  if (list) list.push(...values);
  else lists.set(key, values);
}

/**
 * Whether `first` then `second` can be one write: the second is allowed straight after the first, at
 * the same time, a sent time is not set by the second alone, and the second sets no fact the first
 * leaves alone (so the state between them is known without reading the row: `stateBetween`).
 */
function foldable(first: TransitionUpdate, second: TransitionUpdate): boolean {
  if (first.projectId !== second.projectId || first.at !== second.at) return false;
  if (!predecessorsOf(second.to).includes(first.to) || (CARRIED.has(second.to) && !CARRIED.has(first.to))) return false;
  for (const [fact] of TRANSITION_FACTS) if (second[fact] !== undefined && first[fact] === undefined) return false;
  return true;
}

/** The one write of a folded pair: the second state, each fact as the second change leaves it. */
function folded(first: TransitionUpdate, second: TransitionUpdate): TransitionUpdate {
  return {
    projectId: second.projectId,
    id: second.id,
    to: second.to,
    at: second.at,
    errorCode: second.errorCode !== undefined ? second.errorCode : first.errorCode,
    errorMessage: second.errorMessage !== undefined ? second.errorMessage : first.errorMessage,
    reason: second.reason !== undefined ? second.reason : first.reason,
    carrier: second.carrier !== undefined ? second.carrier : first.carrier,
    carrierMessageId: second.carrierMessageId !== undefined ? second.carrierMessageId : first.carrierMessageId,
    price: second.price !== undefined ? second.price : first.price,
  };
}

/** The state a folded pair passed through: the final row, in the first change's state and with its facts. */
function stateBetween(after: MessageState, first: TransitionUpdate): MessageState {
  return {
    id: after.id,
    projectId: after.projectId,
    status: first.to,
    errorCode: first.errorCode !== undefined ? first.errorCode : after.errorCode,
    errorMessage: first.errorMessage !== undefined ? first.errorMessage : after.errorMessage,
    reason: first.reason !== undefined ? first.reason : after.reason,
    carrier: first.carrier !== undefined ? first.carrier : after.carrier,
    carrierMessageId: first.carrierMessageId !== undefined ? first.carrierMessageId : after.carrierMessageId,
    price: first.price !== undefined ? first.price : after.price,
    updatedAt: after.updatedAt,
    sentAt: after.sentAt,
    redactedAt: after.redactedAt,
    deletedAt: after.deletedAt,
  };
}

export class KyselyMessageRepository implements MessageRepository {
  private readonly conversations: ConversationReads;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
    private readonly inserts: HotInserts,
  ) {
    this.conversations = new ConversationReads(db, traits);
  }

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

  async countInCxmlSession(projectId: string, session: string): Promise<number> {
    // Served by the partial index messages_cxml_session (project_id, cxml_session).
    const row = await this.db.selectFrom('messages').select((eb) => eb.fn.countAll<number | string>().as('n')).where('project_id', '=', projectId).where('cxml_session', '=', session).executeTakeFirst();
    return Number(row?.n ?? 0);
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
    return this.page(projectId, f, page, undefined);
  }

  async listScanned(projectId: string, f: MessageListFilter, page: SeqPage, scanRows: number): Promise<ScannedPage<MessageRecord>> {
    // The window: the project's next `scanRows` messages in the page's direction, found on the
    // (project_id, seq) index alone. Its far edge bounds the page's query, so a filter few
    // messages match (or none: a body search, a status nobody has) examines at most that many.
    // A list with no filter fills its page from the newest rows and never reaches the edge.
    const { bound, beyond } = await scanEdge(this.db, projectId, page, scanRows);
    const rows = await this.page(projectId, f, page, bound);
    return { rows, resumeSeq: bound !== undefined && beyond && rows.length < page.limit ? bound : null };
  }

  /** One page of the list; `bound` (inclusive) is the far edge of the window scanned, if any. */
  private async page(projectId: string, f: MessageListFilter, page: SeqPage, bound: number | undefined): Promise<MessageRecord[]> {
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
    if (f.origin) q = q.where('origin', '=', f.origin);
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
      if (bound !== undefined) q = q.where('seq', '<=', bound);
      const rows = await q.where('seq', '>', page.afterSeq).orderBy('seq', 'asc').limit(page.limit).execute();
      return rows.reverse().map(messageFromRow);
    }
    if (bound !== undefined) q = q.where('seq', '>=', bound);
    const rows = await q.orderBy('seq', 'desc').limit(page.limit).execute();
    return rows.map(messageFromRow);
  }

  async transitionMany(updates: readonly TransitionUpdate[]): Promise<MessageState[]> {
    if (updates.length === 0) return [];
    // Each message's changes, in the order given.
    const chains = new Map<string, TransitionUpdate | TransitionUpdate[]>();
    for (const u of updates) {
      const chain = chains.get(u.id);
      if (chain === undefined) chains.set(u.id, u);
      else if (Array.isArray(chain)) chain.push(u);
      else chains.set(u.id, [chain, u]);
    }
    // Two changes of one message that one write can make (a submit answer and the receipt that
    // overtook it) are folded, per (project, first state, second state); the others go in rounds: a
    // message's k-th change in round k, so they apply in order. Within a round: one guarded UPDATE
    // per (project, target state).
    const folds = new Map<string, Array<readonly [TransitionUpdate, TransitionUpdate]>>();
    const rounds: Array<Map<string, TransitionUpdate[]>> = [];
    for (const chain of chains.values()) {
      if (!Array.isArray(chain)) {
        addTo((rounds[0] ??= new Map()), `${chain.projectId}\u0000${chain.to}`, chain);
      } else if (chain.length === 2 && foldable(chain[0]!, chain[1]!)) {
        const [first, second] = chain as [TransitionUpdate, TransitionUpdate];
        addTo(folds, `${first.projectId}\u0000${first.to}\u0000${second.to}`, [first, second] as const);
      } else {
        chain.forEach((u, round) => addTo((rounds[round] ??= new Map()), `${u.projectId}\u0000${u.to}`, u));
      }
    }
    const changed: MessageState[] = [];
    for (const pairs of folds.values()) {
      const firstOf = new Map(pairs.map((p) => [p[0].id, p[0]]));
      const rows = await this.transitionAll(pairs.map(([first, second]) => folded(first, second)), pairs[0]![0].to);
      for (const r of rows) {
        const after = messageStateFromRow(r);
        changed.push(stateBetween(after, firstOf.get(after.id)!), after);
        firstOf.delete(after.id);
      }
      // The first change was refused (the message was not in a state that allows it): the second on its own.
      if (firstOf.size) {
        const rest = pairs.filter((p) => firstOf.has(p[0].id)).map((p) => p[1]);
        addTo((rounds[0] ??= new Map()), `${rest[0]!.projectId}\u0000${rest[0]!.to}`, ...rest);
      }
    }
    for (const groups of rounds) {
      for (const group of groups.values()) {
        for (const r of await this.transitionAll(group)) changed.push(messageStateFromRow(r));
      }
    }
    return changed;
  }

  /** One group's guarded UPDATEs (same project and target state; moving through `via`), in chunks. */
  private async transitionAll(group: readonly TransitionUpdate[], via?: MessageStatus) {
    if (group.length <= TRANSITION_CHUNK) return this.transitionChunk(group, via);
    const rows = [];
    for (let i = 0; i < group.length; i += TRANSITION_CHUNK) rows.push(...(await this.transitionChunk(group.slice(i, i + TRANSITION_CHUNK), via)));
    return rows;
  }

  private async transitionChunk(chunk: readonly TransitionUpdate[], via?: MessageStatus) {
    const first = chunk[0]!;
    // Nothing may move into this state (`queued`); PostgreSQL refuses an empty IN list.
    if (predecessorsOf(via ?? first.to).length === 0) return [];
    const text = transitionSql(this.traits.name, chunk.length, first.to, via);
    const params =
      this.traits.name === 'postgres'
        ? [this.traits.jsonParam(Object.fromEntries(chunk.map((u) => [u.id, transitionRow(u)]))), chunk.map((u) => u.id), first.projectId]
        : [...chunk.flatMap(transitionRow), first.projectId];
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
    return (await this.conversations.list(projectId, filter, page, undefined)).rows;
  }

  listConversationsScanned(projectId: string, filter: ConversationFilter, page: { readonly limit: number; readonly beforeSeq?: number }, scanRows: number): Promise<ScannedPage<ConversationRecord>> {
    return this.conversations.list(projectId, filter, page, scanRows);
  }

  async findInbound(projectId: string, from: string, to: string, carrier: string, carrierMessageId: string): Promise<MessageRecord | undefined> {
    const row = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('from_number', '=', from)
      .where('to_number', '=', to)
      .where('direction', '=', 'inbound')
      .where('carrier', '=', carrier)
      .where('carrier_message_id', '=', carrierMessageId)
      .limit(1)
      .executeTakeFirst();
    return row ? messageFromRow(row) : undefined;
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
  /** The shared walks of recent-event reads, one for each part size (reads of one size stop to look at the same ids). */
  private readonly walks = new Map<number, SharedEventWalk>();

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

  async listRecentForContexts(projectId: string, contexts: readonly string[], senders: readonly string[], bounds: RecentEventsBounds): Promise<MessageEventWithMessage[]> {
    if ((contexts.length === 0 && senders.length === 0) || bounds.limit <= 0) return [];
    // Event ids grow with time: the events since `scanSince` are a range of the primary key, walked
    // down from the top in parts. Not a count of the newest ids: another project's burst would push
    // this project's events out of it. Reads at the same time share the walk (event-walk.ts).
    let walk = this.walks.get(bounds.scanRows);
    if (!walk) this.walks.set(bounds.scanRows, (walk = new SharedEventWalk(this.db, this.traits, bounds.scanRows)));
    return walk.read(projectId, contexts, senders, bounds);
  }
}
