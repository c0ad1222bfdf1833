/**
 * Fewer round trips per transaction on PostgreSQL. Each write to the socket wakes the backend and
 * each answer it flushes wakes this process, and on a small machine those writes were the largest
 * single cost of the PostgreSQL node's main thread. For one checkout, this connection:
 *
 * - holds `BEGIN` and sends it with the transaction's first statement;
 * - holds write-only statements (`../write-only.ts`) and sends them with the next statement that
 *   needs an answer, or with the `COMMIT`;
 * - sends what it holds with that statement as one batch (`postgres-batch.ts`): one write, closed by
 *   one Sync, answered with one flush.
 *
 * A create batch (BEGIN, messages, events, jobs born leased with ids from `../job-ids.ts`, COMMIT)
 * is then one write and one round trip, and so is a batch of state changes (BEGIN, update, events,
 * finished jobs, COMMIT).
 *
 * Under one Sync the server skips everything after an error up to the Sync. That matters for
 * `BEGIN`, which can fail where the statements after it would succeed (a `statement_timeout` or a
 * cancel ends it like any statement): a write behind it is then not run at all, where with a Sync
 * of its own it would run alone, autocommitted (that wrote half a create batch once, found with a
 * 1 ms `statement_timeout` under load). An error of a held statement fails the batch; the statement
 * it was sent with reports it (PostgreSQL would report only "current transaction is aborted" for
 * later statements, and answers a COMMIT of an aborted transaction with ROLLBACK, not an error). A
 * transaction rolled back drops what it holds unsent.
 */
import type pg from 'pg';
import { isWriteOnly } from '../write-only.js';

/** Run one statement on the client (named, cleaned and its errors mapped by the caller). */
export type RunStatement = (text: string, params?: readonly unknown[]) => Promise<pg.QueryResult>;

/** A statement held for the next batch. */
export interface Held {
  readonly text: string;
  readonly params: readonly unknown[] | undefined;
}

/** Run statements as one batch (`postgres-batch.ts`): the last one's result, or the batch's error. */
export type RunBatch = (statements: readonly Held[]) => Promise<pg.QueryResult>;

/**
 * The answer to a held statement, given at once: no rows, and no command, so the count is unknown
 * (Kysely reads a count only for INSERT, UPDATE, DELETE and MERGE; a write-only statement's is never read).
 */
const HELD_RESULT = Object.freeze({ command: '', rowCount: null, oid: 0, rows: [], fields: [] }) as unknown as pg.QueryResult;

const BEGIN: Held = Object.freeze({ text: 'begin', params: undefined });

export class TransactionPipeline {
  private inTransaction = false;
  private beginHeld = false;
  private held: Held[] = [];

  constructor(
    private readonly run: RunStatement,
    private readonly runBatch: RunBatch,
  ) {}

  query(text: string, params?: readonly unknown[]): Promise<pg.QueryResult> {
    if (text === 'begin' && !this.inTransaction) {
      this.inTransaction = true;
      this.beginHeld = true;
      return Promise.resolve(HELD_RESULT);
    }
    if (!this.inTransaction) return this.run(text, params);
    if (text === 'rollback') {
      this.inTransaction = false;
      this.held = [];
      if (this.beginHeld) {
        this.beginHeld = false;
        return Promise.resolve(HELD_RESULT);
      }
      return this.run(text, params);
    }
    if (text === 'commit') {
      this.inTransaction = false;
      // Nothing was written: nothing to send.
      if (this.beginHeld && this.held.length === 0) {
        this.beginHeld = false;
        return Promise.resolve(HELD_RESULT);
      }
    } else if (isWriteOnly(text)) {
      this.held.push({ text, params });
      return Promise.resolve(HELD_RESULT);
    }
    return this.sendWithHeld(text, params);
  }

  /** What is held, then this statement, as one batch. */
  private sendWithHeld(text: string, params: readonly unknown[] | undefined): Promise<pg.QueryResult> {
    const statements = this.beginHeld ? [BEGIN, ...this.held] : this.held;
    this.beginHeld = false;
    this.held = [];
    if (statements.length === 0) return this.run(text, params);
    statements.push({ text, params });
    return this.runBatch(statements);
  }
}
