/**
 * Requests of one kind in progress per project on this node, a few at a time each: the project's
 * sends (with a waiting room) and its lists (`maxWaiting` 0: refused at once when all are taken).
 *
 * Why sends: requests are served in arrival order, so another project's send waited behind every
 * send of a project that kept hundreds in flight (measured on PostgreSQL: another project's median
 * send 27 ms alone, 160 ms behind 250 in flight, 95 ms behind 128, 62 ms behind 64; the greedy
 * project sent no fewer a second).
 *
 * A project runs at most `perProject` sends at once; the next ones wait in the project's queue,
 * costing nothing but their connection, and start as its sends finish. Refusing them instead
 * (429) did not help: a client that retries at once kept the node busy answering its refusals
 * (measured: the other project's median 300 ms). Only past as many waiting again is a send
 * refused (REST 429, `http/send-slots.ts`). RELAY's `messaging.send` shares the slots and waits in
 * a longer queue (its clients do not retry at once: a connection's requests in flight are bounded),
 * refused (-32005) only past `RELAY_CONSTANTS.sendsWaitingPerSlot` per slot: closing a connection
 * leaves its sends waiting, so without that bound a client reconnecting over and over queued sends
 * without end.
 */
/** One project's requests running, and those waiting for a slot (in arrival order). */
interface ProjectQueue {
  running: number;
  readonly waiting: Array<() => void>;
}

export class ProjectSlots {
  private readonly projects = new Map<string, ProjectQueue>();

  constructor(
    readonly perProject: number,
    readonly maxWaiting: number = perProject,
  ) {}

  /**
   * Resolves once the project has a slot for the caller; null when `maxWaiting` of its requests
   * wait already (RELAY's sends wait in a longer queue than the REST surfaces').
   */
  take(projectId: string, maxWaiting = this.maxWaiting): Promise<void> | null {
    let p = this.projects.get(projectId);
    if (!p) this.projects.set(projectId, (p = { running: 0, waiting: [] }));
    if (p.running < this.perProject) {
      p.running++;
      return Promise.resolve();
    }
    if (p.waiting.length >= maxWaiting) return null;
    const queue = p.waiting;
    return new Promise((resolve) => queue.push(resolve));
  }

  /** The project's requests in progress (for tests). */
  inProgress(projectId: string): number {
    return this.projects.get(projectId)?.running ?? 0;
  }

  /** Give a slot back: to the project's next waiting request, if any. */
  release(projectId: string): void {
    const p = this.projects.get(projectId);
    if (!p) return;
    const next = p.waiting.shift();
    if (next) return next();
    // The map holds only projects with requests running: a burst of projects leaves nothing behind.
    if (--p.running <= 0) this.projects.delete(projectId);
  }
}

