/**
 * Fewer round trips per transaction on PostgreSQL. Each statement node-postgres sends is a write to
 * the socket and a wake-up of the backend, and on a small machine those writes were the largest
 * single cost of the PostgreSQL node's main thread. With the client in pipeline mode (it sends a
 * query without waiting for the one before), this connection, for one checkout:
 *
 * - holds `BEGIN` and sends it with the transaction's first statement when that one only reads;
 *   before a write it sends `BEGIN` alone and waits for its answer (below);
 * - holds write-only statements (`../write-only.ts`) and sends them with the next statement that
 *   needs an answer, or with the `COMMIT`;
 * - sends what it holds with that statement in one write (the socket corked around them).
 *
 * A create batch (BEGIN, messages, events, jobs born leased with ids from `../job-ids.ts`, COMMIT)
 * is then three writes instead of five, and so is a batch of state changes (BEGIN, update, events,
 * finished jobs, COMMIT).
 *
 * node-postgres ends every pipelined statement with its own Sync, so a statement sent after a
 * `BEGIN` that failed runs on its own, autocommitted. `BEGIN` does fail where the statements after it
 * succeed: a `statement_timeout` or a cancel can end it like any statement. Sent with the first
 * write, that wrote half a create batch (the message committed `initiated`, without its events or
 * its job, and the request answered 503; found with a 1 ms `statement_timeout` under load). A write
 * is therefore sent only once `BEGIN` has answered; a read may go with it (run alone, it changes
 * nothing, and its answer is dropped with `BEGIN`'s error). An error of a held
 * statement aborts the transaction as before; the statement it was sent with reports it (PostgreSQL
 * would report only "current transaction is aborted", and answers a COMMIT of an aborted
 * transaction with ROLLBACK, not an error). A transaction rolled back drops what it holds unsent.
 */
import type pg from 'pg';
import { isWriteOnly } from '../write-only.js';

/** Run one statement on the client (named, cleaned and its errors mapped by the caller). */
export type RunStatement = (text: string, params?: readonly unknown[]) => Promise<pg.QueryResult>;

interface Corkable {
  cork(): void;
  uncork(): void;
}

interface Held {
  readonly text: string;
  readonly params: readonly unknown[] | undefined;
}

/** A statement that only reads (Kysely writes its SELECTs in lower case; a CTE may write, so it does not count). */
const READS_ONLY = /^\s*select\s/i;

/**
 * The answer to a held statement, given at once: no rows, and no command, so the count is unknown
 * (Kysely reads a count only for INSERT, UPDATE, DELETE and MERGE; a write-only statement's is never read).
 */
const HELD_RESULT = Object.freeze({ command: '', rowCount: null, oid: 0, rows: [], fields: [] }) as unknown as pg.QueryResult;

export class TransactionPipeline {
  private inTransaction = false;
  private beginHeld = false;
  private held: Held[] = [];

  constructor(
    private readonly run: RunStatement,
    private readonly socket: Corkable,
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

  /** What is held, then this statement, in one write; this statement's answer, or the first error before it. */
  private sendWithHeld(text: string, params: readonly unknown[] | undefined): Promise<pg.QueryResult> {
    if (this.beginHeld && (this.held.length > 0 || !READS_ONLY.test(text))) {
      // A write waits for BEGIN's answer: sent behind a BEGIN that failed, it would be autocommitted.
      this.beginHeld = false;
      return this.run('begin').then(() => this.sendWithHeld(text, params));
    }
    const before: Array<Promise<pg.QueryResult>> = [];
    let last: Promise<pg.QueryResult>;
    this.socket.cork();
    try {
      if (this.beginHeld) {
        this.beginHeld = false;
        before.push(this.run('begin'));
      }
      for (const h of this.held) before.push(this.run(h.text, h.params));
      this.held = [];
      last = this.run(text, params);
    } finally {
      this.socket.uncork();
    }
    if (before.length === 0) return last;
    return Promise.allSettled(before).then((settled) => {
      for (const s of settled) {
        if (s.status === 'rejected') {
          // Failed too ("current transaction is aborted"), or was refused by the same broken connection.
          last.catch(() => undefined);
          throw s.reason;
        }
      }
      return last;
    });
  }
}
