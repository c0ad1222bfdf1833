/**
 * Spreads the event writes of RELAY sessions over turns of the event loop, per project.
 *
 * An event goes to every session of the project subscribed to its context, and writing it (plus
 * the client's ack of it) costs the node's one thread about 0.1 ms per session: a project with
 * 200 sessions on one context, flooded with inbound messages, made every other project's requests
 * wait behind its fan-out (a REST send took 1.5 s instead of 125 ms). So each project may write at
 * most `perTurn` events (all its sessions together) between two turns of the pacer; the rest wait
 * in their session, in order, kept as if written and not yet acknowledged (session.ts): they hold
 * the buffer budget (`relay.bufferMemoryBytes`, of which a project has its share) and go with the
 * session if it parks. `relay.eventBufferSize` still counts only what was written and not
 * acknowledged (the client's pace): a burst the pacer spreads does not close a client that reads.
 * What waits is written on the next turns, project by project, between which the node's other I/O
 * is served. A session whose events the budget cannot hold is closed (1013) as any slow consumer,
 * and one parked with more than `relay.eventBufferSize` events is dropped (`session_restored: false`).
 */

/** A session with events waiting for the pacer. */
export interface PacedSession {
  readonly projectId: string;
  /** Write what waits while `take` allows; true once nothing waits (or nothing can be written). */
  drain(): boolean;
}

export class DeliveryPacer {
  /** Writes per project since the pacer's last turn. */
  private readonly used = new Map<string, number>();
  /** Per project, the sessions with events waiting, in turn order: the order they started waiting, one cut short going last. */
  private readonly waiting = new Map<string, Set<PacedSession>>();
  private scheduled = false;

  constructor(
    readonly perTurn: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Whether `projectId` may write one more event now (it is counted if so). */
  take(projectId: string): boolean {
    const n = this.used.get(projectId) ?? 0;
    if (n >= this.perTurn) return false;
    this.used.set(projectId, n + 1);
    this.schedule();
    return true;
  }

  /** `session` has events waiting: it is drained on the next turns. */
  wait(session: PacedSession): void {
    let sessions = this.waiting.get(session.projectId);
    if (!sessions) this.waiting.set(session.projectId, (sessions = new Set()));
    sessions.add(session);
    this.schedule();
  }

  /** Sessions with events waiting (all projects). */
  get waitingSessions(): number {
    let n = 0;
    for (const s of this.waiting.values()) n += s.size;
    return n;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    this.used.clear();
    for (const [projectId, sessions] of this.waiting) {
      for (const s of sessions) {
        let done: boolean;
        try {
          done = s.drain();
        } catch (err) {
          this.onError(err);
          done = true;
        }
        // The project's writes of this turn are spent: its other sessions wait for the next, and
        // this one goes behind them. Kept first, a session whose queue grew by a turn's writes every
        // turn held the project's every turn, and its other sessions got none of their events.
        if (!done) {
          sessions.delete(s);
          sessions.add(s);
          break;
        }
        sessions.delete(s);
      }
      if (sessions.size === 0) this.waiting.delete(projectId);
    }
    if (this.waiting.size > 0) this.schedule();
  }
}
