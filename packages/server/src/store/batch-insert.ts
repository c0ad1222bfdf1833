/**
 * Multi-row inserts for the hot tables (messages, events, jobs, handset inbox) without per-batch
 * query building. The SQL for each row count is compiled once by Kysely (so it is right for the
 * dialect in use) and reused with new parameters; batch sizes recur (they follow the number of
 * concurrent requests), so the SQLite statement cache also keeps them prepared. One statement per
 * batch, up to the dialect's parameter limit.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { NewJob } from '../domain/jobs.js';
import type { NewMessage, NewMessageEvent } from '../domain/message.js';
import type { HandsetMessageRecord, StoreDialect } from '../domain/ports/store.js';
import { JobIdBlocks } from './job-ids.js';
import { eventToRow, handsetToRow, jobToRow, leasedJobToRow, messageToRow } from './rows.js';
import type { Database } from './schema.js';
import { writeOnly } from './write-only.js';

type Table = keyof Database;

export class BatchInsert<Row> {
  private readonly compiled = new Map<number, string>();
  private columns: string[] | undefined;
  private largest = 1;
  /** Row counts whose SQL is kept; larger batches are split into chunks of at most this many. */
  private static readonly MAX_ROWS = 512;

  /**
   * @param table the table
   * @param toRow one row's column values; every row must have the same keys in the same order
   * @param returning columns to read back (one result row per inserted row, in no promised order)
   * @param maxParameters the dialect's limit of bound parameters per statement
   */
  constructor(
    private readonly table: Table,
    private readonly toRow: (row: Row) => Record<string, unknown>,
    private readonly returning: readonly string[],
    private readonly maxParameters: number,
    /** The rows name their own values for an identity column (PostgreSQL refuses them otherwise). */
    private readonly overridingSystemValue = false,
  ) {}

  /** Insert the rows through `db` (a transaction or the store's instance); returns the `returning` columns per row. */
  async run(db: Kysely<Database>, rows: readonly Row[]): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    let at = 0;
    while (at < rows.length) {
      const first = this.toRow(rows[at]!);
      if (!this.columns) this.learn(Object.keys(first));
      const size = Math.min(this.largest, rows.length - at);
      const params: unknown[] = Object.values(first);
      for (let i = at + 1; i < at + size; i++) for (const v of Object.values(this.toRow(rows[i]!))) params.push(v);
      const result = await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(this.sql(db, size), params));
      if (this.returning.length) for (const r of result.rows) out.push(r);
      at += size;
    }
    return out;
  }

  private learn(columns: string[]): void {
    this.columns = columns;
    this.largest = Math.max(1, Math.min(BatchInsert.MAX_ROWS, Math.floor(this.maxParameters / columns.length)));
  }

  private sql(db: Kysely<Database>, size: number): string {
    let text = this.compiled.get(size);
    if (text === undefined) {
      // Compile with placeholder values: only the SQL text is kept, the parameters come per call.
      const row = Object.fromEntries(this.columns!.map((c) => [c, null]));
      const query = db
        .insertInto(this.table)
        .values(Array.from({ length: size }, () => row) as never)
        .$if(this.returning.length > 0, (q) => q.returning(this.returning as never) as never);
      text = query.compile().sql;
      // Kysely has no clause for it; it goes between the column list and VALUES.
      if (this.overridingSystemValue) text = text.replace(') values (', ') overriding system value values (');
      // Nothing is read back from an insert without RETURNING: PostgreSQL may send it with the next statement.
      if (this.returning.length === 0) text = writeOnly(text);
      this.compiled.set(size, text);
    }
    return text;
  }
}

/** The batch inserts of the hot tables, shared by every transaction of one store. */
export interface HotInserts {
  readonly messages: BatchInsert<NewMessage>;
  readonly events: BatchInsert<NewMessageEvent>;
  readonly jobs: BatchInsert<NewJob>;
  /** Jobs born leased (`JobRepository.enqueueLeased`), their ids read back. */
  readonly leasedJobs: BatchInsert<NewJob & { readonly leaseOwner: string; readonly leaseUntil: number }>;
  /** Jobs born leased with ids from `jobIds` (PostgreSQL): nothing to read back. */
  readonly leasedJobsWithIds: BatchInsert<NewJob & { readonly id: number; readonly leaseOwner: string; readonly leaseUntil: number }>;
  readonly handsets: BatchInsert<Omit<HandsetMessageRecord, 'seq'>>;
  /** Ids for jobs born leased, on PostgreSQL (null on SQLite, where reading them back costs no round trip). */
  readonly jobIds: JobIdBlocks | null;
}

export function hotInserts(dialect: StoreDialect, maxParameters: number): HotInserts {
  return {
    messages: new BatchInsert('messages', messageToRow, ['id', 'seq'], maxParameters),
    events: new BatchInsert('message_events', eventToRow, [], maxParameters),
    jobs: new BatchInsert('jobs', jobToRow, [], maxParameters),
    leasedJobs: new BatchInsert('jobs', leasedJobToRow, ['id', 'message_id'], maxParameters),
    leasedJobsWithIds: new BatchInsert('jobs', (j) => ({ id: j.id, ...leasedJobToRow(j) }), [], maxParameters, true),
    handsets: new BatchInsert('handset_messages', handsetToRow, ['seq'], maxParameters),
    jobIds: dialect === 'postgres' ? new JobIdBlocks() : null,
  };
}
