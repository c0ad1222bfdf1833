/**
 * Test support, not used by the server: a Store that hands every call to a real store and lets the
 * test see what the engine did with it — how many transactions it opened (group commit), when a
 * repository call finished (the dispatcher's reschedule, its look for the next due job) — and make
 * the next transaction fail after its work ran, as a failed commit would. Nothing is faked: rows
 * are written and read by the store it wraps.
 */
import type { Repositories, Store, StoreDialect } from '../../domain/ports/store.js';

/** A repository call by name: `jobs.reschedule`, `messages.get`… */
export type RepositoryCall = `${keyof Repositories}.${string}`;

interface CallWaiter {
  readonly call: RepositoryCall;
  readonly keep: (result: unknown) => boolean;
  readonly resolve: (result: unknown) => void;
}

export class ObservedStore implements Store {
  readonly dialect: StoreDialect;
  readonly projects: Repositories['projects'];
  readonly tokens: Repositories['tokens'];
  readonly numbers: Repositories['numbers'];
  readonly messages: Repositories['messages'];
  readonly events: Repositories['events'];
  readonly jobs: Repositories['jobs'];
  readonly webhooks: Repositories['webhooks'];
  readonly handsets: Repositories['handsets'];
  readonly numberGroups: Repositories['numberGroups'];
  readonly applications: Repositories['applications'];
  readonly media: Repositories['media'];
  readonly idempotency: Repositories['idempotency'];
  readonly carrierParts: Repositories['carrierParts'];
  readonly leases: Repositories['leases'];
  readonly nodes: Repositories['nodes'];
  readonly consoleSessions: Repositories['consoleSessions'];
  readonly simulatorSettings: Repositories['simulatorSettings'];
  readonly optOuts: Repositories['optOuts'];
  readonly serverKeys: Repositories['serverKeys'];
  readonly smscReceipts: Repositories['smscReceipts'];
  readonly moParts: Repositories['moParts'];
  readonly simulatorClock: Repositories['simulatorClock'];
  readonly relayParked: Repositories['relayParked'];
  /** Transactions begun through this store. */
  transactions = 0;
  private failNext: Error | null = null;
  private loseNext: Error | null = null;
  private readonly waiters = new Set<CallWaiter>();

  constructor(readonly inner: Store) {
    this.dialect = inner.dialect;
    this.projects = this.observe('projects');
    this.tokens = this.observe('tokens');
    this.numbers = this.observe('numbers');
    this.messages = this.observe('messages');
    this.events = this.observe('events');
    this.jobs = this.observe('jobs');
    this.webhooks = this.observe('webhooks');
    this.handsets = this.observe('handsets');
    this.numberGroups = this.observe('numberGroups');
    this.applications = this.observe('applications');
    this.media = this.observe('media');
    this.idempotency = this.observe('idempotency');
    this.carrierParts = this.observe('carrierParts');
    this.leases = this.observe('leases');
    this.nodes = this.observe('nodes');
    this.consoleSessions = this.observe('consoleSessions');
    this.simulatorSettings = this.observe('simulatorSettings');
    this.optOuts = this.observe('optOuts');
    this.serverKeys = this.observe('serverKeys');
    this.smscReceipts = this.observe('smscReceipts');
    this.moParts = this.observe('moParts');
    this.simulatorClock = this.observe('simulatorClock');
    this.relayParked = this.observe('relayParked');
  }

  /**
   * Resolves with the result of the next call of `call` made on this store's own repositories (not
   * inside a transaction) that `keep` accepts. Ask before causing the call.
   */
  nextCall<T = unknown>(call: RepositoryCall, keep: (result: T) => boolean = () => true): Promise<T> {
    return new Promise<T>((resolve) => {
      this.waiters.add({ call, keep: keep as (r: unknown) => boolean, resolve: resolve as (r: unknown) => void });
    });
  }

  /** Make the next transaction roll back after its work ran, rejecting with `error` (a failed commit). */
  failNextCommit(error = new Error('commit failed (test)')): void {
    this.failNext = error;
  }

  /**
   * Make the next transaction commit, then reject with `error`: its COMMIT went through but the
   * answer was lost (PostgreSQL's connection ended just then), so the caller takes it for failed.
   */
  loseNextCommitAnswer(error: Error): void {
    this.loseNext = error;
  }

  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    this.transactions++;
    const lost = this.loseNext;
    this.loseNext = null;
    if (lost) return this.inner.transaction(work).then(() => Promise.reject(lost));
    const fail = this.failNext;
    this.failNext = null;
    if (!fail) return this.inner.transaction(work);
    return this.inner.transaction(async (tx) => {
      await work(tx);
      throw fail;
    });
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  isUniqueViolation(err: unknown): boolean {
    return this.inner.isUniqueViolation(err);
  }

  stopping(): void {
    this.inner.stopping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The inner store's repository, its asynchronous methods announcing their results to `nextCall` waiters. */
  private observe<K extends keyof Repositories>(name: K): Repositories[K] {
    const repository = this.inner[name];
    return new Proxy(repository, {
      get: (target, method) => {
        const value: unknown = Reflect.get(target, method);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const out: unknown = value.apply(target, args);
          if (!(out instanceof Promise)) return out;
          return out.then((result: unknown) => {
            this.announce(`${name}.${String(method)}`, result);
            return result;
          });
        };
      },
    });
  }

  private announce(call: RepositoryCall, result: unknown): void {
    for (const w of this.waiters) {
      if (w.call !== call || !w.keep(result)) continue;
      this.waiters.delete(w);
      w.resolve(result);
    }
  }
}
