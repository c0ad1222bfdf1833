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
import { StoreUnavailableError } from '../../domain/ports/store.js';

/** How long a stopping node waits for a database that does not answer. Above the lock timeout (5 s), whose answer comes on time. */
export const STOP_SILENCE_MS = 6_000;

interface Waiting {
  arm(): void;
}

export class StopSilence {
  private stopping = false;
  private silent = false;
  private readonly waiting = new Set<Waiting>();

  constructor(
    /** Whether an error says the database did not answer in time (rather than that it answered). */
    private readonly isTimeout: (err: unknown) => boolean,
    private readonly silenceMs = STOP_SILENCE_MS,
  ) {}

  /** The node is stopping: from now on, a statement unanswered for the silence fails, and so does everything after it. */
  begin(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const w of this.waiting) w.arm();
  }

  /**
   * The outcome of what `start` starts, or (once the node is stopping) a `StoreUnavailableError`
   * when it has no answer within the silence; `abandon` is then given it, to clean up after it.
   */
  guard<T>(start: () => Promise<T>, abandon: (started: Promise<T>) => void): Promise<T> {
    if (this.silent) return Promise.reject(this.error());
    const started = start();
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const entry: Waiting = {
        arm: () => {
          timer ??= setTimeout(() => {
            this.waiting.delete(entry);
            this.silent = true;
            abandon(started);
            reject(this.error());
          }, this.silenceMs);
        },
      };
      this.waiting.add(entry);
      if (this.stopping) entry.arm();
      const settle = () => {
        this.waiting.delete(entry);
        if (timer) clearTimeout(timer);
      };
      started.then(
        (value) => (settle(), resolve(value)),
        (err: unknown) => {
          settle();
          if (this.stopping && this.isTimeout(err)) this.silent = true;
          reject(err);
        },
      );
    });
  }

  private error(): StoreUnavailableError {
    return new StoreUnavailableError(`database unavailable: no answer for ${this.silenceMs / 1000} s while the node is stopping; stopping without it`);
  }
}
