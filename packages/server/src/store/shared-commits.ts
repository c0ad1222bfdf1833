/**
 * Shared commits for a store with one connection (SQLite), where transactions run one after
 * another anyway: the transactions asked for while one runs join it, each in a savepoint of its
 * own, and the whole group commits once. A commit costs about as much for one transaction as for
 * several (it writes the pages they dirtied, mostly the same ones), so the journal's new messages
 * and state changes, the webhook runner's bookkeeping and the dispatcher's claims made in the same
 * moment share one.
 *
 * Each caller sees what a transaction of its own would give it: its work's value once the group has
 * committed, or its work's error, with its writes rolled back to its savepoint and the others'
 * kept. A failure of storage (the commit itself, or a statement SQLite answers by rolling the whole
 * transaction back) fails every work of the group, as it would have failed each of them alone.
 */
import { sql, type Kysely } from 'kysely';
import { isStoreUnavailable } from '../domain/ports/store.js';

interface Queued<R> {
  readonly work: (repos: R) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** Transactions one group takes at most, so a steady stream of them still commits regularly. */
const MAX_GROUP = 16;

export class SharedCommits<DB, R> {
  private readonly queue: Array<Queued<R>> = [];
  private running = false;

  constructor(
    private readonly db: Kysely<DB>,
    /** The repositories a work is given, on the group's transaction. */
    private readonly repositories: (trx: Kysely<DB>) => R,
  ) {}

  run<T>(work: (repos: R) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) await this.runGroup();
    } finally {
      this.running = false;
    }
  }

  private async runGroup(): Promise<void> {
    const done: Array<{ readonly q: Queued<R>; readonly value: unknown }> = [];
    /** The work whose error ended the transaction. */
    let failing: Queued<R> | null = null;
    let begun = false;
    try {
      await this.db.transaction().execute(async (trx) => {
        begun = true;
        const repos = this.repositories(trx);
        while (this.queue.length && done.length < MAX_GROUP) {
          const q = this.queue.shift()!;
          // The first work needs no savepoint: should it fail, the group has nothing else to keep.
          const alone = done.length === 0;
          failing = q;
          if (!alone) await sql`savepoint shared`.execute(trx);
          let value: unknown;
          try {
            value = await q.work(repos);
          } catch (err) {
            // Alone, or storage failing (SQLite may have rolled the whole transaction back): the
            // transaction ends here. Otherwise only this work's writes are undone.
            if (alone || isStoreUnavailable(err)) throw err;
            await sql`rollback to shared`.execute(trx);
            await sql`release shared`.execute(trx);
            failing = null;
            q.reject(err);
            continue;
          }
          if (!alone) await sql`release shared`.execute(trx);
          failing = null;
          done.push({ q, value });
        }
      });
    } catch (err) {
      // Failed before any work ran (BEGIN refused): the first in line asked for this transaction.
      if (!begun) failing = this.queue.shift() ?? null;
      (failing as Queued<R> | null)?.reject(err);
      for (const { q } of done) q.reject(err);
      return;
    }
    for (const { q, value } of done) q.resolve(value);
  }
}
