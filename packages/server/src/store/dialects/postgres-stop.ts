/**
 * A node stopping while PostgreSQL is silent (a stopped or hung server, a partition, a proxy in front
 * of one that keeps the connections open). Every step of a stop that writes (the RELAY sessions
 * parked here forgotten, the node marked stopped, its leases released, the last state changes) waits
 * for the database, each for the query timeout (20 s) or the connect timeout (5 s) in turn: a node
 * stopped during such a silence took 40–55 s to exit, and a process manager kills a node that takes
 * that long (systemd's default is 90 s, Kubernetes' 30 s).
 *
 * Once the node is stopping, a statement left unanswered for `STOP_SILENCE_MS` (counted from the
 * stop for those already waiting) fails as the database being unavailable, and from then on every
 * statement and connection attempt of the stop fails at once: the database gets that long in all,
 * not that long per step. A connection attempt or statement that times out by itself meanwhile
 * (the connect timeout, 5 s, is shorter) counts the same: without that, a node stopped well into a
 * silence still spent 5 s per step trying to connect, 15 s in all. Each step then does what it does when the database is away (its work is
 * recovered at the next start or by another node, as after a crash). A database that answers is
 * not cut short: only a statement that has had no answer for the whole silence is given up.
 */
import { StoreSilentAtStopError } from '../../domain/ports/store.js';

/** How long a stopping node waits for a database that does not answer. Above the lock timeout (5 s), whose answer comes on time. */
export const STOP_SILENCE_MS = 6_000;

/** How an operation reports its outcome: node-postgres's callbacks take this shape. */
export type Done<T> = (err: unknown, value?: T) => void;

/**
 * One operation waiting for the database. The waiting form a list through themselves, so the
 * running node pays no timer, no set entry and no promise of its own per operation: the promise
 * the caller awaits is the one the operation needs anyway (node-postgres is called with a
 * callback), and a timer is made only once the node is stopping.
 */
class Waiting<T> {
  prev: Waiting<unknown> | undefined;
  next: Waiting<unknown> | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Given up on (or answered): no longer in the list. */
  over = false;

  constructor(
    readonly resolve: (value: T) => void,
    readonly reject: (err: unknown) => void,
    readonly abandon: (() => void) | undefined,
    readonly late: ((value: T) => void) | undefined,
  ) {}
}

export class StopSilence {
  private stopping = false;
  private silent = false;
  /** What waits for the database now, newest first. */
  private head: Waiting<unknown> | undefined;

  constructor(
    /** Whether an error says the database did not answer in time (rather than that it answered). */
    private readonly isTimeout: (err: unknown) => boolean,
    private readonly silenceMs = STOP_SILENCE_MS,
  ) {}

  /**
   * The node is stopping: from now on, a statement unanswered for the silence fails, and so does
   * everything after it. What already waits is timed from now.
   */
  begin(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (let w = this.head; w; w = w.next) this.arm(w);
  }

  /** Once the database was silent through a stop, everything after fails at once. */
  get refused(): boolean {
    return this.silent;
  }

  /**
   * The outcome of what `start` starts (it reports it to `done`), or (once the node is stopping) a
   * `StoreSilentAtStopError` when it has no answer within the silence. When it is given up on,
   * `abandon` is called, and `late` is given a value that arrives afterwards, to clean up after it.
   */
  guard<T>(start: (done: Done<T>) => void, abandon?: () => void, late?: (value: T) => void): Promise<T> {
    if (this.silent) return Promise.reject(this.error());
    return new Promise<T>((resolve, reject) => {
      const w = new Waiting<T>(resolve, reject, abandon, late);
      this.link(w as Waiting<unknown>);
      if (this.stopping) this.arm(w as Waiting<unknown>);
      try {
        start((err, value) => this.settle(w, err, value as T));
      } catch (err) {
        this.settle(w, err, undefined as T);
      }
    });
  }

  /** The error of a stop the database was silent through (a `StoreUnavailableError`: nothing gained by waiting to retry). */
  error(): StoreSilentAtStopError {
    return new StoreSilentAtStopError(`database unavailable: no answer for ${this.silenceMs / 1000} s while the node is stopping; stopping without it`);
  }

  private settle<T>(w: Waiting<T>, err: unknown, value: T): void {
    if (w.over) {
      if (!err) w.late?.(value);
      return;
    }
    this.unlink(w as Waiting<unknown>);
    if (err) {
      if (this.stopping && this.isTimeout(err)) this.silent = true;
      w.reject(err);
    } else {
      w.resolve(value);
    }
  }

  private arm(w: Waiting<unknown>): void {
    w.timer ??= setTimeout(() => {
      this.unlink(w);
      this.silent = true;
      w.abandon?.();
      w.reject(this.error());
    }, this.silenceMs);
  }

  private link(w: Waiting<unknown>): void {
    w.next = this.head;
    if (this.head) this.head.prev = w;
    this.head = w;
  }

  private unlink(w: Waiting<unknown>): void {
    w.over = true;
    if (w.timer) clearTimeout(w.timer);
    if (w.prev) w.prev.next = w.next;
    else this.head = w.next;
    if (w.next) w.next.prev = w.prev;
    w.prev = w.next = undefined;
  }
}
