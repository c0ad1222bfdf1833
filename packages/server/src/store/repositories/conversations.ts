/**
 * The console's conversations (threads per our number and other party), and the scan window the
 * message lists read within (`MessageRepository.listScanned`, `listConversationsScanned`).
 */
import { sql, type Kysely } from 'kysely';
import type { MessageRecord } from '../../domain/message.js';
import type { ConversationFilter, ConversationRecord, ScannedPage, SeqPage } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { messageFromRow, num } from '../rows.js';

/**
 * The window of a page read within a scan budget: the project's next `scanRows` messages in the
 * page's direction (deleted ones included), found on the (project_id, seq) index alone. `bound`
 * is its far edge (inclusive; undefined when fewer remain), `beyond` whether any message lies past
 * it (otherwise the window reaches the end of the list). A page's query bounded by it examines at
 * most that many messages, however few match its filters.
 */
export async function scanEdge(db: Kysely<Database>, projectId: string, page: SeqPage, scanRows: number): Promise<{ bound: number | undefined; beyond: boolean }> {
  let window = db.selectFrom('messages').select('seq').where('project_id', '=', projectId);
  if (page.afterSeq !== undefined) window = window.where('seq', '>', page.afterSeq).orderBy('seq', 'asc');
  else window = (page.beforeSeq !== undefined ? window.where('seq', '<', page.beforeSeq) : window).orderBy('seq', 'desc');
  // The edge, and the message after it.
  const edge = await window.limit(2).offset(Math.max(0, Math.floor(scanRows) - 1)).execute();
  return { bound: edge[0] ? num(edge[0].seq) : undefined, beyond: edge.length > 1 };
}

type Thread = Omit<ConversationRecord, 'last'> & { readonly last: MessageRecord | undefined };

export class ConversationReads {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  /**
   * Threads most recently active first. With `scanRows`, only threads whose newest message is
   * among the project's next `scanRows` messages below the cursor are grouped: a short page then
   * says where it stopped (`resumeSeq`), as the message lists do, rather than grouping the whole
   * history on every request.
   */
  async list(projectId: string, filter: ConversationFilter, page: { readonly limit: number; readonly beforeSeq?: number }, scanRows: number | undefined): Promise<ScannedPage<ConversationRecord>> {
    // A deleted message (the Compatibility API's DELETE) is not shown: a thread whose newest message
    // is deleted shows its newest other one, and a thread with nothing else is left out, the
    // threads after it read in its place. Deletions are rare: the common page is one grouping.
    const window = scanRows === undefined ? { bound: undefined, beyond: false } : await scanEdge(this.db, projectId, page, scanRows);
    const out: ConversationRecord[] = [];
    let beforeSeq = page.beforeSeq;
    while (out.length < page.limit) {
      const want = page.limit - out.length;
      const threads = await this.threads(projectId, filter, want, beforeSeq, window.bound);
      for (const t of threads) {
        const last = t.last && t.last.deletedAt === null ? t.last : await this.newestShown(projectId, t.ours, t.other, t.lastSeq);
        if (last) out.push({ ours: t.ours, other: t.other, lastSeq: t.lastSeq, last });
      }
      if (threads.length < want) return { rows: out, resumeSeq: window.bound !== undefined && window.beyond ? window.bound : null };
      beforeSeq = threads[threads.length - 1]!.lastSeq;
    }
    return { rows: out, resumeSeq: null };
  }

  /**
   * One page of threads with the message of their highest seq, deleted or not (undefined if purged
   * meanwhile). With `bound`, only messages from `bound` up are grouped: a thread is listed when
   * its newest message is among them (below `beforeSeq`, with none of its messages at or above it).
   */
  private async threads(projectId: string, filter: ConversationFilter, limit: number, beforeSeq: number | undefined, bound: number | undefined): Promise<Thread[]> {
    // One thread per (our number, other party): outbound messages are ours → theirs, inbound ones
    // theirs → ours. Unbounded, the grouping reads only the messages_parties index.
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
    let threads: Array<{ ours: string; other: string; last_seq: number | string | bigint }>;
    if (bound === undefined) {
      let grouped = q.groupBy([ours, other]);
      if (beforeSeq !== undefined) grouped = grouped.having((eb) => eb.fn.max('seq'), '<', beforeSeq);
      threads = await grouped.orderBy('last_seq', 'desc').limit(limit).execute();
    } else {
      q = q.where('seq', '>=', bound);
      if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
      const grouped = q.groupBy([ours, other]);
      if (beforeSeq === undefined) {
        threads = await this.db.selectFrom(grouped.as('t')).select(['t.ours', 't.other', 't.last_seq']).orderBy('t.last_seq', 'desc').limit(limit).execute();
      } else {
        // A thread with a message at or above the cursor was listed before (its newest is there):
        // two probes of the messages_parties index per thread of the window, each with every
        // column but seq given, as scalar subqueries with LIMIT 1, which neither database turns
        // into a join. (As NOT EXISTS, PostgreSQL anti-joined them with every newer message of
        // the project, read in full; an OR of the two, or `direction != 'inbound'`, SQLite read
        // through the (project_id, seq) index: every newer message once per thread.)
        const cursor = beforeSeq;
        const newer = (from: 't.ours' | 't.other', to: 't.ours' | 't.other', direction: 'inbound' | 'outbound') =>
          this.db
            .selectFrom('messages as n')
            .select(sql<number>`1`.as('one'))
            .where('n.project_id', '=', projectId)
            .where('n.from_number', '=', sql.ref<string>(from))
            .where('n.to_number', '=', sql.ref<string>(to))
            .where('n.direction', '=', direction)
            .where('n.seq', '>=', cursor)
            .limit(1);
        const probed = this.db
          .selectFrom(grouped.as('t'))
          .select(['t.ours', 't.other', 't.last_seq', newer('t.ours', 't.other', 'outbound').as('newer_out'), newer('t.other', 't.ours', 'inbound').as('newer_in')]);
        threads = await this.db
          .selectFrom(probed.as('u'))
          .select(['u.ours', 'u.other', 'u.last_seq'])
          .where('u.newer_out', 'is', null)
          .where('u.newer_in', 'is', null)
          .orderBy('u.last_seq', 'desc')
          .limit(limit)
          .execute();
      }
    }
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
    // Every thread is returned: the caller pages on their count.
    return threads.map((t) => ({ ours: t.ours, other: t.other, lastSeq: num(t.last_seq), last: bySeq.get(num(t.last_seq)) }));
  }

  /** The newest message of a thread below `beforeSeq` that is not deleted. */
  private async newestShown(projectId: string, ours: string, other: string, beforeSeq: number): Promise<MessageRecord | undefined> {
    const row = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('project_id', '=', projectId)
      .where((eb) =>
        eb.or([
          eb.and([eb('from_number', '=', ours), eb('to_number', '=', other), eb('direction', '!=', 'inbound')]),
          eb.and([eb('from_number', '=', other), eb('to_number', '=', ours), eb('direction', '=', 'inbound')]),
        ]),
      )
      .where('seq', '<', beforeSeq)
      .where('deleted_at', 'is', null)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? messageFromRow(row) : undefined;
  }
}
