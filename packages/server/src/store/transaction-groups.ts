/**
 * Group commit across callers, for a store with one writer (SQLite): write transactions asked for
 * during one turn of the event loop run in the next turn as one database transaction, each in a
 * savepoint of its own, and share one COMMIT.
 *
 * Why: a COMMIT is the costly part of a small SQLite transaction. It writes every page the
 * transaction dirtied to the WAL (two system calls a page) and resets the page cache's bookkeeping,
 * and the journal's new-message batch, its state-change batch and the simulator's handset inbox
 * dirty many of the same pages (the newest leaves of the messages, events and jobs tables and
 * their indexes). Committed together, those pages are written once per turn instead of once per
 * transaction.
 *
 * What each caller sees is what a transaction of its own gives it:
 * - its work runs alone, after the work queued before it, and sees what that work wrote;
 * - a failure of its work rolls back its savepoint only, and reaches it with the same error
 *   (a unique violation its caller expects, say); the others go on;
 * - it is answered only after the shared COMMIT: should the COMMIT fail, or storage roll the whole
 *   transaction back, every caller of the group gets that failure, none a success.
 * A group of one runs as a plain transaction.
 */
import { sql, type Kysely, type Transaction } from 'kysely';

interface Rider<DB> {
  readonly work: (trx: Transaction<DB>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: unknown };

/** Transactions one group holds at most; more wait for the next, so one COMMIT never waits on too much work. */
const MOST_PER_GROUP = 64;

const SAVEPOINT = sql.raw('savepoint rider');
const RELEASE = sql.raw('release rider');
const ROLLBACK_TO = sql.raw('rollback to rider');

export class TransactionGroups<DB> {
  private queue: Array<Rider<DB>> = [];
  private scheduled = false;
  private running = false;

  constructor(private readonly db: Kysely<DB>) {}

  /** Run `work` in a transaction (shared with others queued in the same turn); resolves after its commit. */
  run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // The next turn: every transaction asked for in this one (by other batches, other requests) joins.
    setImmediate(() => {
      this.scheduled = false;
      void this.runGroups();
    });
  }

  private async runGroups(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) await this.runGroup(this.queue.splice(0, MOST_PER_GROUP));
    } finally {
      this.running = false;
    }
  }

  private async runGroup(group: Array<Rider<DB>>): Promise<void> {
    if (group.length === 1) {
      const only = group[0]!;
      await this.db.transaction().execute(only.work).then(only.resolve, only.reject);
      return;
    }
    const outcomes: Outcome[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const rider of group) {
          await SAVEPOINT.execute(trx);
          try {
            outcomes.push({ ok: true, value: await rider.work(trx) });
          } catch (err) {
            outcomes.push({ ok: false, err });
            // Undo this caller's work only. Should storage have rolled back the whole transaction,
            // this fails too and so does the group: nobody is told their work was written.
            await ROLLBACK_TO.execute(trx);
          }
          await RELEASE.execute(trx);
        }
      });
    } catch (err) {
      // Not committed: each caller gets its own work's failure if it had one, else the group's.
      for (let i = 0; i < group.length; i++) {
        const outcome = outcomes[i];
        group[i]!.reject(outcome && !outcome.ok ? outcome.err : err);
      }
      return;
    }
    for (let i = 0; i < group.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.ok) group[i]!.resolve(outcome.value);
      else group[i]!.reject(outcome.err);
    }
  }
}
