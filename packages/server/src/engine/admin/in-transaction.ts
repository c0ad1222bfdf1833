/**
 * Admin services writing through a transaction of their caller, so that several of their writes
 * (a first start's project, token and numbers) commit together or not at all. What they would tell
 * others of a change (bus notices, the number directory) waits until the transaction committed:
 * a notice sent before could have others read the state from before it.
 */
import type { Repositories, Store } from '../../domain/ports/store.js';

/** A store whose repositories are those of the caller's transaction `tx`; its transactions are that same one. */
export function storeWithin(store: Store, tx: Repositories): Store {
  return {
    ...tx,
    dialect: store.dialect,
    transaction: (work) => work(tx),
    ping: () => store.ping(),
    isUniqueViolation: (err) => store.isUniqueViolation(err),
    stopping: () => store.stopping(),
    close: () => store.close(),
  };
}

/** What is to happen once the transaction has committed (and not at all when it is rolled back). */
export class AfterCommit {
  private readonly effects: Array<() => void> = [];

  add(effect: () => void): void {
    this.effects.push(effect);
  }

  /** Call once the transaction committed. */
  run(): void {
    for (const effect of this.effects.splice(0)) effect();
  }
}

/** Run `work` on admin services bound to one new transaction; their notices follow its commit. */
export async function inOneTransaction<S, T>(store: Store, services: (tx: Repositories, after: AfterCommit) => S, work: (services: S) => Promise<T>): Promise<T> {
  const after = new AfterCommit();
  const result = await store.transaction((tx) => work(services(tx, after)));
  after.run();
  return result;
}
